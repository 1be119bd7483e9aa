package releases_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// People of the test policy.
const (
	alice = "U0ALICE" // payments lead
	bob   = "U0BOB"   // payments lead
	carol = "U0CAROL" // risk lead
	dan   = "U0DAN"   // risk lead
	dave  = "U0DAVE"  // an engineer
	rita  = "U0RM1"   // release manager
)

func testPolicy() releases.Policy {
	return releases.Policy{
		ReleaseManagers:         []string{rita},
		RequireDistinctApprover: true,
		Teams: []releases.Team{
			{Name: "payments", Leads: []string{alice, bob}, Approvals: 1},
			{Name: "risk", Leads: []string{carol, dan}, Approvals: 2},
		},
		Environments: []releases.Environment{{Name: "staging"}, {Name: "production", Manual: true}},
		Windows:      []string{"weekly-train"},
	}
}

func newClock() *clock { return testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) }

// gate is a Gate whose answer the test sets.
type gate struct {
	mu   sync.Mutex
	wait releases.Wait
}

func (g *gate) Check(context.Context, releases.FreezeReader, *releases.Release, time.Time) (releases.Wait, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.wait, nil
}

func (g *gate) set(w releases.Wait) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.wait = w
}

// recorder is a Notifier that keeps every change.
type recorder struct {
	mu      sync.Mutex
	changes []releases.Change
}

func (r *recorder) ReleaseChanged(_ context.Context, c releases.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
}

func (r *recorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.changes {
		for _, e := range c.Events {
			out = append(out, e.Action)
		}
	}
	return out
}

type env struct {
	t     *testing.T
	svc   *releases.Coordinator
	store releases.Store
	clock *clock
	gate  *gate
	rec   *recorder
}

// forEachStore runs fn on a fresh service over SQLite and, when configured,
// PostgreSQL.
func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		c, g, rec := newClock(), &gate{wait: releases.Wait{Open: true}}, &recorder{}
		svc := releases.NewCoordinator(releases.Options{Store: s, Policy: testPolicy(), Now: c.Now, Gate: g,
			Notifiers: []releases.Notifier{rec}})
		fn(t, &env{t: t, svc: svc, store: s, clock: c, gate: g, rec: rec})
	})
}

// ok fails the test on err and returns r.
func (e *env) ok(r *releases.Release, err error) *releases.Release {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("unexpected error: %v", err)
	}
	return r
}

var ctx = context.Background()

// create opens a payments-api release by dave.
func (e *env) create(t *testing.T, version string) *releases.Release {
	t.Helper()
	return e.ok(e.svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: version}))
}

// approveAll signs r off by every team.
func (e *env) approveAll(t *testing.T, id int64) *releases.Release {
	t.Helper()
	e.ok(e.svc.SignOff(ctx, alice, id, "payments"))
	e.ok(e.svc.SignOff(ctx, carol, id, "risk"))
	return e.ok(e.svc.SignOff(ctx, dan, id, "risk"))
}

// report reports status for r's newest deployment, marking it sent
// first: a deployer reports only on what it was sent.
func (e *env) report(t *testing.T, r *releases.Release, status releases.DeploymentStatus) *releases.Release {
	t.Helper()
	d := r.Deployments[len(r.Deployments)-1]
	e.markSent(t, d.ID)
	return e.ok(e.svc.ReportDeployment(ctx, "deployer", d.ID, releases.StatusReport{Status: status}))
}

// markSent marks deployment id as sent to its deployer.
func (e *env) markSent(t *testing.T, id int64) {
	t.Helper()
	if err := storetest.MarkSent(ctx, e.store, id); err != nil {
		t.Fatal(err)
	}
}

// send claims every delivery that is due, as the webhook worker does before
// it calls the deployers.
func (e *env) send(t *testing.T) {
	t.Helper()
	ds, ok := e.store.(releases.DeliveryStore)
	if !ok {
		t.Fatalf("%T is no DeliveryStore", e.store)
	}
	if _, err := ds.ClaimDeliveries(ctx, releases.DeliveryClaim{Now: e.clock.Now(), Lease: time.Minute, Limit: 100}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) audit(t *testing.T, id int64) []string {
	t.Helper()
	events, err := e.store.AuditEvents(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.Action
	}
	return out
}

type clock = testclock.Clock
