package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// deliveryStore returns s as a releases.DeliveryStore, or skips the test.
func deliveryStore(t *testing.T, s releases.Store) releases.DeliveryStore {
	t.Helper()
	ds, ok := s.(releases.DeliveryStore)
	if !ok {
		t.Skipf("%T does not implement releases.DeliveryStore", s)
	}
	return ds
}

// finishWithin gives staging 30 minutes and production no deadline.
func finishWithin(_, env string) time.Duration {
	if env == "staging" {
		return 30 * time.Minute
	}
	return 0
}

func claim(t *testing.T, ds releases.DeliveryStore, now time.Time, limit int) []releases.Delivery {
	t.Helper()
	got, err := ds.ClaimDeliveries(t.Context(), releases.DeliveryClaim{Now: now, Lease: time.Minute, Limit: limit, FinishWithin: finishWithin})
	if err != nil {
		t.Fatalf("ClaimDeliveries at %s: %v", now.UTC().Format(time.RFC3339Nano), err)
	}
	return got
}

func claimedIDs(ds []releases.Delivery) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, releases.FormatDeploymentID(d.Deployment.ID))
	}
	return out
}

func deploymentIDs(ds ...*releases.Deployment) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, releases.FormatDeploymentID(d.ID))
	}
	return out
}

func finish(t *testing.T, s releases.Store, d *releases.Deployment, st releases.DeploymentStatus, when time.Time) {
	t.Helper()
	d.Status, d.UpdatedAt, d.FinishedAt = st, when, when
	if !st.Final() {
		d.FinishedAt = time.Time{}
	}
	inTx(t, s, func(tx releases.Tx) error { return tx.UpdateDeployment(t.Context(), d) })
}

func testClaimDeliveries(t *testing.T, s releases.Store) {
	ds := deliveryStore(t, s)
	ctx := t.Context()
	api1 := createRelease(t, s, newRelease("api", "v1"))
	api2 := createRelease(t, s, newRelease("api", "v2"))
	web := createRelease(t, s, newRelease("web", "v1"))
	dep := func(r *releases.Release, env string, st releases.DeploymentStatus) *releases.Deployment {
		return createDeployment(t, s, newDeployment(r, env, st))
	}
	if got := claim(t, ds, at(0), 10); len(got) != 0 {
		t.Fatalf("claim on an empty store: %v", claimedIDs(got))
	}
	apiStaging := dep(api1, "staging", releases.DeploymentPending)
	behind := dep(api2, "staging", releases.DeploymentPending) // waits for apiStaging
	webStaging := dep(web, "staging", releases.DeploymentPending)
	running := dep(api1, "production", releases.DeploymentInProgress)
	blocked := dep(api2, "production", releases.DeploymentPending) // waits for running
	dep(web, "production", releases.DeploymentSucceeded)

	// The first claim takes the head of each service's environment, oldest
	// first, and counts an attempt; the first attempt fixes the webhook id
	// and, where the environment has one, the deadline.
	now := at(10).Add(500 * time.Millisecond)
	first := claim(t, ds, now, 10)
	assertEqual(t, "first claim", claimedIDs(first), deploymentIDs(apiStaging, webStaging))
	ids := map[string]bool{}
	for i, want := range []*releases.Deployment{apiStaging, webStaging} {
		got := first[i]
		want.Attempts, want.UpdatedAt = 1, now
		assertEqual(t, "claimed deployment", got.Deployment, *want)
		if !strings.HasPrefix(got.WebhookID, "msg_") || len(got.WebhookID) < 20 || ids[got.WebhookID] {
			t.Errorf("webhook id %q: want a fresh msg_… id", got.WebhookID)
		}
		ids[got.WebhookID] = true
		assertEqual(t, "claim times", []time.Time{got.ClaimedUntil, got.FinishBy}, []time.Time{now.Add(time.Minute), now.Add(30 * time.Minute)})
		if got.LastError != "" {
			t.Errorf("last error of a first attempt %q", got.LastError)
		}
	}
	assertEqual(t, "attempts are stored", load(t, s, api1.ID).Deployments, []releases.Deployment{*apiStaging, *running})

	// Claimed deliveries stay with their claimer until the lease lapses;
	// the ones behind them wait.
	if got := claim(t, ds, now.Add(59*time.Second), 10); len(got) != 0 {
		t.Fatalf("claim while leased: %v", claimedIDs(got))
	}

	// A failed attempt is due again at the given time, with the same id.
	if err := ds.RetryDelivery(ctx, apiStaging.ID, at(15), "HTTP 500 Internal Server Error"); err != nil {
		t.Fatal(err)
	}
	webAgain := claim(t, ds, at(12), 10) // webStaging's lease lapsed; apiStaging is not due
	assertEqual(t, "claim after the lease lapsed", claimedIDs(webAgain), deploymentIDs(webStaging))
	if got := webAgain[0]; got.WebhookID != first[1].WebhookID || got.Deployment.Attempts != 2 || !got.FinishBy.Equal(first[1].FinishBy) {
		t.Errorf("second claim of %s: id %q, attempts %d, finish by %v; want %q, 2, %v", releases.FormatDeploymentID(webStaging.ID),
			got.WebhookID, got.Deployment.Attempts, got.FinishBy, first[1].WebhookID, first[1].FinishBy)
	}
	finish(t, s, webStaging, releases.DeploymentInProgress, at(12)) // the deployer accepted it
	if got := claim(t, ds, at(15).Add(-time.Microsecond), 10); len(got) != 0 {
		t.Fatalf("claim before the retry is due: %v", claimedIDs(got))
	}
	retried := claim(t, ds, at(15), 10)
	assertEqual(t, "claim of the due retry", claimedIDs(retried), deploymentIDs(apiStaging))
	if got := retried[0]; got.WebhookID != first[0].WebhookID || got.Deployment.Attempts != 2 ||
		got.LastError != "HTTP 500 Internal Server Error" || !got.FinishBy.Equal(first[0].FinishBy) {
		t.Errorf("retry: id %q, attempts %d, last error %q, finish by %v", got.WebhookID, got.Deployment.Attempts, got.LastError, got.FinishBy)
	}

	// Once the head of a queue finishes, the next in it may go; a retry of a
	// deployment that finished meanwhile changes nothing.
	finish(t, s, apiStaging, releases.DeploymentSucceeded, at(16))
	if err := ds.RetryDelivery(ctx, apiStaging.ID, at(30), "late"); err != nil {
		t.Fatal(err)
	}
	next := claim(t, ds, at(17), 10)
	assertEqual(t, "claim after the head finished", claimedIDs(next), deploymentIDs(behind))
	if got := next[0].Deployment.PreviousVersion; got != "v1" {
		t.Errorf("previous version of a deployment that queued behind v1: %q, want v1 (what it replaces now)", got)
	}
	assertEqual(t, "finished deployment untouched by a late retry", load(t, s, api1.ID).Deployments[0], *apiStaging)

	// Limit, and the in-progress deployment still holds production.
	finish(t, s, behind, releases.DeploymentFailed, at(18))
	if got := claim(t, ds, at(19), 10); len(got) != 0 {
		t.Fatalf("claim while production is busy: %v", claimedIDs(got))
	}
	finish(t, s, running, releases.DeploymentSucceeded, at(19))
	other := createRelease(t, s, newRelease("ledger", "v1"))
	ledger := dep(other, "production", releases.DeploymentPending)
	limited := claim(t, ds, at(20), 1)
	assertEqual(t, "claim with limit 1", claimedIDs(limited), deploymentIDs(blocked))
	if got := limited[0]; !got.FinishBy.IsZero() {
		t.Errorf("production has no finish_within, got finish by %v", got.FinishBy)
	}
	assertEqual(t, "next claim", claimedIDs(claim(t, ds, at(20), 1)), deploymentIDs(ledger))

	// A rollback keeps the versions it was created with.
	old := createRelease(t, s, newRelease("search", "v0"))
	dep(old, "staging", releases.DeploymentSucceeded)
	current := createRelease(t, s, newRelease("search", "v2"))
	rb := newDeployment(current, "staging", releases.DeploymentPending)
	rb.Type, rb.Version, rb.PreviousVersion = releases.TypeRollback, "v1", "v2"
	createDeployment(t, s, rb)
	got := claim(t, ds, at(20).Add(30*time.Second), 10) // the claims above still hold
	assertEqual(t, "claim of a rollback", claimedIDs(got), deploymentIDs(rb))
	if d := got[0].Deployment; d.Version != "v1" || d.PreviousVersion != "v2" {
		t.Errorf("claimed rollback %s, was %s; want v1, was v2", d.Version, d.PreviousVersion)
	}
}

// testClaimOrder drives the ordering rules of releases.PlanDeliveries
// through a store: a freeze holds a first attempt but not a release with
// an override, a rollback passes the deployment it holds, the thread hears
// of a hold once, and rollbacks that must wait do not starve other lanes.
func testClaimOrder(t *testing.T, s releases.Store) {
	ds := deliveryStore(t, s)
	rollback := func(r *releases.Release, env string) *releases.Deployment {
		d := newDeployment(r, env, releases.DeploymentPending)
		d.Type, d.Version, d.PreviousVersion = releases.TypeRollback, "v0", r.Version
		return createDeployment(t, s, d)
	}
	// Rollbacks queued behind a deployment in progress come first by id.
	busy := createRelease(t, s, newRelease("ledger", "v1"))
	running := newDeployment(busy, "staging", releases.DeploymentInProgress)
	running.Attempts = 1 // the deployer has it
	createDeployment(t, s, running)
	for range 3 {
		rollback(busy, "staging")
	}
	fresh := createDeployment(t, s, newDeployment(createRelease(t, s, newRelease("cards", "v1")), "staging", releases.DeploymentPending))
	assertEqual(t, "claim past rollbacks that wait", claimedIDs(claim(t, ds, at(0), 2)), deploymentIDs(fresh))
	finish(t, s, fresh, releases.DeploymentSucceeded, at(0))

	api := createRelease(t, s, newRelease("api", "v2"))
	forward := createDeployment(t, s, newDeployment(api, "production", releases.DeploymentPending))
	back := rollback(api, "production")
	forced := newRelease("web", "v2")
	forced.OverrideBy, forced.OverrideReason = rita, "hotfix"
	overridden := createDeployment(t, s, newDeployment(createRelease(t, s, forced), "production", releases.DeploymentPending))
	freeze := &releases.Hold{Until: at(30), Note: `is held by the freeze "incident" until 12:00`}
	var told []string
	claimFrozen := func(now time.Time) []string {
		t.Helper()
		got, err := ds.ClaimDeliveries(t.Context(), releases.DeliveryClaim{Now: now, Lease: time.Minute, Limit: 10, Freeze: freeze,
			Held: func(d releases.Deployment) { told = append(told, releases.FormatDeploymentID(d.ID)) }})
		if err != nil {
			t.Fatalf("ClaimDeliveries during a freeze: %v", err)
		}
		return claimedIDs(got)
	}
	assertEqual(t, "claim during a freeze", claimFrozen(at(1)), deploymentIDs(back, overridden))
	assertEqual(t, "held, and told", told, deploymentIDs(forward))
	finish(t, s, back, releases.DeploymentSucceeded, at(1))
	finish(t, s, overridden, releases.DeploymentSucceeded, at(1))
	if got := claimFrozen(at(1).Add(30 * time.Second)); len(got) != 0 {
		t.Fatalf("claim before the held deployment is looked at again: %v", got)
	}
	assertEqual(t, "held again, not told again", [2][]string{claimFrozen(at(2)), told}, [2][]string{{}, deploymentIDs(forward)})
	assertEqual(t, "claim after the freeze", claimedIDs(claim(t, ds, at(3), 10)), deploymentIDs(forward))
}

func testOverdueDeployments(t *testing.T, s releases.Store) {
	ds := deliveryStore(t, s)
	ctx := t.Context()
	overdue := func(now time.Time) []string {
		t.Helper()
		got, err := ds.OverdueDeployments(ctx, now, 0)
		if err != nil {
			t.Fatalf("OverdueDeployments: %v", err)
		}
		return deploymentIDs(ptrs(got)...)
	}
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("web", "v1"))
	r3 := createRelease(t, s, newRelease("ledger", "v1"))
	a := createDeployment(t, s, newDeployment(r1, "staging", releases.DeploymentPending))
	b := createDeployment(t, s, newDeployment(r2, "staging", releases.DeploymentPending))
	c := createDeployment(t, s, newDeployment(r3, "production", releases.DeploymentPending)) // no deadline there
	claim(t, ds, at(0), 10)
	finish(t, s, b, releases.DeploymentInProgress, at(1))
	deadline := at(30)
	assertEqual(t, "overdue before the deadline", overdue(deadline.Add(-time.Microsecond)), []string{})
	assertEqual(t, "overdue at the deadline", overdue(deadline), deploymentIDs(a, b))
	finish(t, s, a, releases.DeploymentSucceeded, at(2))
	assertEqual(t, "overdue once one finished", overdue(at(60)), deploymentIDs(b))
	got, err := ds.OverdueDeployments(ctx, at(60), 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("OverdueDeployments with limit 1 = %d, %v", len(got), err)
	}
	_ = c
}

func testNextDeliveryWake(t *testing.T, s releases.Store) {
	ds := deliveryStore(t, s)
	ctx := t.Context()
	wake := func(now time.Time) time.Time {
		t.Helper()
		got, err := ds.NextDeliveryWake(ctx, now)
		if err != nil {
			t.Fatalf("NextDeliveryWake: %v", err)
		}
		return got
	}
	if got := wake(at(0)); !got.IsZero() {
		t.Fatalf("wake on an empty store %v, want none", got)
	}
	r := createRelease(t, s, newRelease("api", "v1"))
	d := createDeployment(t, s, newDeployment(r, "staging", releases.DeploymentPending))
	if got := wake(at(0)); !got.IsZero() {
		t.Fatalf("wake with a due delivery %v, want none (it is due now, not later)", got)
	}
	claim(t, ds, at(0), 1)
	assertEqual(t, "wake while claimed: the lease", wake(at(0)), at(1))
	if err := ds.RetryDelivery(ctx, d.ID, at(0).Add(10*time.Second), "HTTP 503"); err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "wake after a failed attempt: the retry", wake(at(0)), at(0).Add(10*time.Second))
	assertEqual(t, "wake after the retry is due: the deadline", wake(at(0).Add(10*time.Second)), at(30))
	finish(t, s, d, releases.DeploymentSucceeded, at(2))
	if got := wake(at(2)); !got.IsZero() {
		t.Fatalf("wake after it finished %v, want none", got)
	}
}

// testClaimRace has claimers race over deliveries of many services: each
// is claimed exactly once while the leases hold.
func testClaimRace(t *testing.T, s releases.Store) {
	ds := deliveryStore(t, s)
	const n = 60
	for i := range n {
		r := createRelease(t, s, newRelease(fmt.Sprintf("svc-%02d", i), "v1"))
		createDeployment(t, s, newDeployment(r, "staging", releases.DeploymentPending))
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for {
				got, err := ds.ClaimDeliveries(t.Context(), releases.DeliveryClaim{Now: at(0), Lease: time.Minute, Limit: 4})
				if err != nil {
					t.Errorf("ClaimDeliveries: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.Deployment.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d deliveries claimed, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("D-%d claimed %d times", id, k)
		}
	}
}

func ptrs(ds []releases.Deployment) []*releases.Deployment {
	out := make([]*releases.Deployment, len(ds))
	for i := range ds {
		out[i] = &ds[i]
	}
	return out
}
