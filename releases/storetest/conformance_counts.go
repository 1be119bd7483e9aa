package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
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

// testCountsFollowStatusChanges: after every step of a mix of creates (open
// and final) and changes of status (open to open, open to final, final to
// final), CountReleases equals a direct count of each status.
func testCountsFollowStatusChanges(t *testing.T, s releases.Store) {
	c, ok := s.(Counter)
	if !ok {
		t.Skipf("%T does not implement storetest.Counter", s)
	}
	ctx := t.Context()
	check := func(step string) {
		t.Helper()
		got, err := c.CountReleases(ctx)
		if err != nil {
			t.Fatalf("%s: CountReleases: %v", step, err)
		}
		want := map[releases.Status]int{}
		for _, st := range releases.Statuses {
			n, err := s.Count(ctx, releases.Filter{Statuses: []releases.Status{st}})
			if err != nil {
				t.Fatalf("%s: Count %s: %v", step, st, err)
			}
			if n > 0 {
				want[st] = n
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CountReleases = %v; a direct count gives %v", step, got, want)
		}
	}
	check("empty")

	var rs []*releases.Release
	for i, st := range []releases.Status{
		releases.StatusAwaitingSignoff, releases.StatusAwaitingSignoff, releases.StatusReady,
		releases.StatusDeployed, releases.StatusDeployed, releases.StatusCancelled, releases.StatusFailed,
	} {
		r := newRelease("api", "v"+strconv.Itoa(i))
		r.Status = st
		rs = append(rs, createRelease(t, s, r))
	}
	check("after the creates")

	for _, step := range []struct {
		i  int
		to releases.Status
	}{
		{0, releases.StatusReady}, {0, releases.StatusDeploying}, {0, releases.StatusDeployed},
		{1, releases.StatusRejected}, {2, releases.StatusCancelled},
		{3, releases.StatusRolledBack}, {3, releases.StatusFailed}, {6, releases.StatusRolledBack},
		{0, releases.StatusRolledBack},
	} {
		r := rs[step.i]
		r.Status = step.to
		inTx(t, s, func(tx releases.Tx) error { return tx.UpdateRelease(ctx, r) })
		check(fmt.Sprintf("after %s became %s", r.Version, step.to))
	}

	// A change of other fields leaves the counts alone; so does a rolled-back
	// transaction.
	rs[4].Reason = "shipped"
	inTx(t, s, func(tx releases.Tx) error { return tx.UpdateRelease(ctx, rs[4]) })
	check("after a change of reason")
	errUndo := errors.New("undo")
	err := s.Tx(ctx, func(tx releases.Tx) error {
		r := *rs[4]
		r.Status = releases.StatusRolledBack
		if err := tx.UpdateRelease(ctx, &r); err != nil {
			return err
		}
		return errUndo
	})
	if !errors.Is(err, errUndo) {
		t.Fatalf("Tx = %v, want %v", err, errUndo)
	}
	check("after a rolled-back transaction")
}
