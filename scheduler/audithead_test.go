package scheduler_test

import (
	"testing"

	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// TestSummaryCarriesAuditHead: a summary built with an Audit reader holds
// the chain's head as the store has it, so the head is posted with it.
func TestSummaryCarriesAuditHead(t *testing.T) {
	forEachDB(t, testYAML, func(t *testing.T, e *env) {
		ctx := t.Context()
		r := e.ok(e.svc.Create(ctx, dave, releases.CreateInput{Service: "api", Version: "v1"}))
		e.ok(e.svc.SignOff(ctx, alice, r.ID, "payments"))
		if _, _, err := e.store.Seal(ctx, 0); err != nil {
			t.Fatal(err)
		}
		want, err := e.store.AuditHead(ctx)
		if err != nil || want.Seq == 0 {
			t.Fatalf("head %+v, %v; want some events sealed", want, err)
		}
		sched := scheduler.New(wire.Scheduler(e.cfg, scheduler.Options{Calendar: e.cal, Releases: e.svc, Firings: e.store,
			History: e.store, Now: e.clock.Now, Audit: e.store}))
		sum, err := sched.BuildSummary(ctx, wire.Summary(e.cfg.Summaries[0]), t0.AddDate(0, 0, -7), t0)
		if err != nil {
			t.Fatal(err)
		}
		if sum.AuditHead == nil || *sum.AuditHead != want {
			t.Fatalf("summary's audit head %+v, want %+v", sum.AuditHead, want)
		}
		// Without a reader, none (the other summary tests).
		sum, err = e.sched.BuildSummary(ctx, wire.Summary(e.cfg.Summaries[0]), t0.AddDate(0, 0, -7), t0)
		if err != nil || sum.AuditHead != nil {
			t.Fatalf("summary without an Audit reader: head %+v, %v", sum.AuditHead, err)
		}
	})
}
