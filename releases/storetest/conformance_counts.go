package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// Counter is what the metrics gauges ask of a store: aggregates read at
// every scrape. The gorm store implements it; the suite checks it when the
// store under test does.
type Counter interface {
	// CountReleases returns how many releases are in each status; statuses
	// without releases are absent.
	CountReleases(ctx context.Context) (map[releases.Status]int, error)
	// CountInFlight returns how many deployments are pending and in
	// progress; a status without any is absent.
	CountInFlight(ctx context.Context) (map[releases.DeploymentStatus]int, error)
}

func testCounts(t *testing.T, s releases.Store) {
	c, ok := s.(Counter)
	if !ok {
		t.Skipf("%T does not implement storetest.Counter", s)
	}
	ctx := t.Context()
	rel, err := c.CountReleases(ctx)
	if err != nil || len(rel) != 0 {
		t.Fatalf("CountReleases of an empty store = %v, %v; want an empty map", rel, err)
	}
	dep, err := c.CountInFlight(ctx)
	if err != nil || len(dep) != 0 {
		t.Fatalf("CountInFlight of an empty store = %v, %v; want an empty map", dep, err)
	}

	a := createRelease(t, s, newRelease("api", "v1"))
	b := createRelease(t, s, newRelease("api", "v2"))
	createRelease(t, s, newRelease("web", "v1"))
	for _, r := range []*releases.Release{a, b} {
		r.Status = releases.StatusDeploying
		inTx(t, s, func(tx releases.Tx) error { return tx.UpdateRelease(ctx, r) })
	}
	for _, st := range []releases.DeploymentStatus{
		releases.DeploymentPending, releases.DeploymentPending, releases.DeploymentInProgress,
		releases.DeploymentSucceeded, releases.DeploymentFailed, releases.DeploymentRolledBack,
	} {
		createDeployment(t, s, newDeployment(a, "staging", st))
	}
	createDeployment(t, s, newDeployment(b, "production", releases.DeploymentPending))

	rel, err = c.CountReleases(ctx)
	wantRel := map[releases.Status]int{releases.StatusDeploying: 2, releases.StatusAwaitingSignoff: 1}
	if err != nil || !reflect.DeepEqual(rel, wantRel) {
		t.Errorf("CountReleases = %v, %v; want %v", rel, err, wantRel)
	}
	dep, err = c.CountInFlight(ctx)
	wantDep := map[releases.DeploymentStatus]int{releases.DeploymentPending: 3, releases.DeploymentInProgress: 1}
	if err != nil || !reflect.DeepEqual(dep, wantDep) {
		t.Errorf("CountInFlight = %v, %v; want %v", dep, err, wantDep)
	}
}
