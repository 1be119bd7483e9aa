package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// testRuns: a deployment that follows a target's run is found by the run,
// handed out for polling once per round when due, and no longer once it
// has finished.
func testRuns(t *testing.T, s releases.Store) {
	ds := deliveryStore(t, s)
	ctx := t.Context()
	r := createRelease(t, s, newRelease("api", "v1"))
	d := createDeployment(t, s, newDeployment(r, "staging", releases.DeploymentInProgress))
	other := createDeployment(t, s, newDeployment(r, "production", releases.DeploymentInProgress))
	d.RunKind, d.RunID, d.PollAt = "github_actions", "30433642", at(1)
	inTx(t, s, func(tx releases.Tx) error { return tx.UpdateDeployment(ctx, d) })

	got, err := ds.DeploymentByRun(ctx, "github_actions", "30433642")
	if err != nil || got.ID != d.ID || got.RunID != "30433642" || !got.PollAt.Equal(at(1)) {
		t.Fatalf("DeploymentByRun = %+v, %v; want %s polled at %s", got, err, releases.FormatDeploymentID(d.ID), at(1))
	}
	for _, miss := range [][2]string{{"gitlab", "30433642"}, {"github_actions", "1"}, {"github_actions", ""}} {
		if _, err := ds.DeploymentByRun(ctx, miss[0], miss[1]); !errors.Is(err, releases.ErrNotFound) {
			t.Errorf("DeploymentByRun(%q, %q) = %v, want ErrNotFound", miss[0], miss[1], err)
		}
	}
	if wake, err := ds.NextDeliveryWake(ctx, at(0)); err != nil || !wake.Equal(at(1)) {
		t.Errorf("NextDeliveryWake before the poll = %s, %v; want %s", wake, err, at(1))
	}

	next := func(releases.Deployment) time.Time { return at(2) }
	due, err := ds.ClaimRuns(ctx, at(0), 10, next)
	if err != nil || len(due) != 0 {
		t.Fatalf("ClaimRuns before the run is due = %v, %v; want none", deploymentIDs(ptrs(due)...), err)
	}
	due, err = ds.ClaimRuns(ctx, at(1), 10, next)
	assertEqual(t, "runs due at their poll", deploymentIDs(ptrs(due)...), deploymentIDs(d))
	if err != nil || !due[0].PollAt.Equal(at(2)) {
		t.Fatalf("claimed run polls next at %s (%v), want %s", due[0].PollAt, err, at(2))
	}
	again, err := ds.ClaimRuns(ctx, at(1), 10, next)
	if err != nil || len(again) != 0 {
		t.Fatalf("a second claim in the same round got %v, %v; want none", deploymentIDs(ptrs(again)...), err)
	}
	_ = other // in progress without a run: never polled

	d.Status, d.FinishedAt, d.PollAt = releases.DeploymentSucceeded, at(3), at(3)
	inTx(t, s, func(tx releases.Tx) error { return tx.UpdateDeployment(ctx, d) })
	if due, err := ds.ClaimRuns(ctx, at(10), 10, next); err != nil || len(due) != 0 {
		t.Fatalf("ClaimRuns after the deployment finished = %v, %v; want none", deploymentIDs(ptrs(due)...), err)
	}
}
