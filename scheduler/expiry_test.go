package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestReleasesAwaitingSignoffExpire: a release still awaiting sign-off
// after limits.signoff_expiry is cancelled by releasebot, once, however
// many replicas tick together; a younger one and a ready one are left
// alone.
func TestReleasesAwaitingSignoffExpire(t *testing.T) {
	yaml := testYAML + "limits: {signoff_expiry: 72h}\n"
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			c := testclock.New(t0)
			cfg := parseConfig(t, yaml)
			url := db.URL(t)
			a := newEnv(t, storetest.Open(t, url, c.Now), cfg, c, "replica-1")
			b := newEnv(t, storetest.Open(t, url, c.Now), cfg, c, "replica-2")

			old := a.create("payments-api", "")
			ready := a.create("ledger", "weekly-train")
			a.ready(ready.ID)
			c.Advance(time.Hour)
			young := a.create("risk-engine", "")

			// A minute before its time, nothing expires.
			c.Set(t0.Add(72*time.Hour - time.Minute))
			a.tick()
			if got := a.get(old.ID).Status; got != releases.StatusAwaitingSignoff {
				t.Fatalf("a minute before its expiry %s is %s", releases.FormatID(old.ID), got)
			}

			// At its time, both replicas tick together.
			c.Set(t0.Add(72 * time.Hour))
			done := make(chan struct{})
			go func() { defer close(done); b.tick() }()
			a.tick()
			<-done

			got := a.get(old.ID)
			if got.Status != releases.StatusCancelled || got.Reason != "expired after 3 days without all sign-offs" {
				t.Fatalf("%s after its expiry: %s, reason %q; want cancelled, expired", releases.FormatID(old.ID), got.Status, got.Reason)
			}
			var cancels []releases.AuditEvent
			for _, e := range must(a.svc.Audit(ctx, old.ID)) {
				if e.Action == releases.ActionCancelled {
					cancels = append(cancels, e)
				}
			}
			want := releases.FormatID(old.ID) + " expired after 3 days without all sign-offs; cancelled."
			if len(cancels) != 1 || cancels[0].Actor != releases.SystemActor || cancels[0].Detail != want {
				t.Fatalf("cancellations in the audit: %+v; want one by %s: %q", cancels, releases.SystemActor, want)
			}
			for _, r := range []*releases.Release{ready, young} {
				if st := a.get(r.ID).Status; st == releases.StatusCancelled {
					t.Errorf("%s (%s) was cancelled", releases.FormatID(r.ID), r.Service)
				}
			}

			// The younger one goes an hour later.
			c.Set(t0.Add(73 * time.Hour))
			a.tick()
			if st := a.get(young.ID).Status; st != releases.StatusCancelled {
				t.Fatalf("%s an hour later: %s; want cancelled", releases.FormatID(young.ID), st)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
