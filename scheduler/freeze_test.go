package scheduler_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// freezeAudit returns the audit events that belong to no release, as
// "actor action: detail".
func freezeAudit(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT actor, action, detail FROM audit_events WHERE release_id IS NULL ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var actor, action, detail string
		if err := rows.Scan(&actor, &action, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, actor+" "+action+": "+detail)
	}
	return out
}

// TestAdHocFreeze walks a freeze from chat: only a release manager may
// declare it; nothing starts while it holds — not a release without a
// window, not a window's opening (which its thread is told about) — except
// with a release manager's override; unfreezing lets them go again.
func TestAdHocFreeze(t *testing.T) {
	forEachDB(t, testYAML, func(t *testing.T, e *env) {
		ctx := context.Background()
		until := time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC) // Thu 3 Dec 12:00 CET
		hotfix, api, train := e.create("hotfix", ""), e.create("api", ""), e.create("train", "weekly-train")

		steps := []struct {
			name string
			do   func() error
			want string // in the error; "" for none
		}{
			{name: "an engineer may not freeze", do: func() error {
				_, _, err := e.svc.Freeze(ctx, dave, until, "incident 42")
				return err
			}, want: "Only release managers can freeze deployments; ask one of <@U0RM1>."},
			{name: "a lead may not either", do: func() error {
				_, _, err := e.svc.Freeze(ctx, alice, until, "incident 42")
				return err
			}, want: "Only release managers can freeze deployments"},
			{name: "a time in the past is refused", do: func() error {
				_, _, err := e.svc.Freeze(ctx, rita, t0.Add(-time.Minute), "incident 42")
				return err
			}, want: "has passed"},
			{name: "the release manager freezes", do: func() error {
				_, _, err := e.svc.Freeze(ctx, rita, until, "incident 42")
				return err
			}},
		}
		for _, st := range steps {
			err := st.do()
			switch {
			case st.want == "" && err != nil:
				t.Fatalf("%s: %v", st.name, err)
			case st.want != "" && (err == nil || !strings.Contains(releases.ErrorMessage(err), st.want)):
				t.Fatalf("%s: error %v, want one saying %q", st.name, err, st.want)
			}
		}
		assertStrings(t, "the freeze's audit trail", freezeAudit(t, e.store.DB()),
			[]string{"U0RM1 freeze: until 2026-12-03T11:00:00Z: incident 42"})

		// Ready during the freeze: nothing starts, and the threads say why.
		for _, r := range []*releases.Release{hotfix, api, train} {
			e.ready(r.ID)
		}
		e.at(opening.Add(-time.Hour))
		rep := e.at(opening)
		assertStrings(t, "fired", refs(rep.Fired), []string{"window:weekly-train@2026-12-01T13:00:00Z"})
		e.at(opening.Add(time.Minute))
		for _, r := range []*releases.Release{hotfix, api, train} {
			if st := e.get(r.ID).Status; st != releases.StatusReady {
				t.Fatalf("%s is %s during the freeze", releases.FormatID(r.ID), st)
			}
		}
		held := `releasebot: is held by the ad-hoc freeze "incident 42" until Thu 3 Dec 2026 12:00 CET`
		assertStrings(t, "api's thread", e.events(api.ID, releases.ActionWaiting), []string{held})
		assertStrings(t, "the train release's thread", e.events(train.ID, releases.ActionWaiting), []string{
			`releasebot: is held by the ad-hoc freeze "incident 42" until Thu 3 Dec 2026 12:00 CET, then waits until Thu 3 Dec 2026 14:00 CET`,
			`releasebot: skips the weekly-train opening of Tue 1 Dec 2026 14:00 CET because it is held by the ad-hoc freeze "incident 42" until Thu 3 Dec 2026 12:00 CET, then waits until Thu 3 Dec 2026 14:00 CET`,
		})

		// Deploying now: refused, unless a release manager overrides.
		overrides := []struct {
			name  string
			actor string
			why   string
			want  string
		}{
			{name: "its creator, without override", actor: dave, want: `R-1 is held by the ad-hoc freeze "incident 42" until Thu 3 Dec 2026 12:00 CET; a release manager can start it now with --override "reason".`},
			{name: "a lead's override", actor: alice, why: "urgent", want: "Only release managers can override windows and freezes"},
			{name: "the creator's override", actor: dave, why: "urgent", want: "Only release managers can override"},
			{name: "the release manager's override", actor: rita, why: "the fix for incident 42"},
		}
		for _, o := range overrides {
			_, err := e.svc.Deploy(ctx, o.actor, hotfix.ID, "", o.why)
			switch {
			case o.want == "" && err != nil:
				t.Fatalf("%s: %v", o.name, err)
			case o.want != "" && (err == nil || !strings.Contains(releases.ErrorMessage(err), o.want)):
				t.Fatalf("%s: error %v, want one saying %q", o.name, err, o.want)
			}
		}
		if got := e.get(hotfix.ID); got.Status != releases.StatusDeploying || got.OverrideBy != rita {
			t.Fatalf("the hotfix is %s, overridden by %q; want deploying, by rita", got.Status, got.OverrideBy)
		}
		assertStrings(t, "the override's audit", e.events(hotfix.ID, releases.ActionOverride), []string{"U0RM1: the fix for incident 42"})
		if started := e.events(hotfix.ID, releases.ActionDeploymentStarted); len(started) != 1 || !strings.HasPrefix(started[0], rita+": ") {
			t.Fatalf("deployment_started events %q; want one by the release manager", started)
		}

		// Unfreezing: only a release manager; then the rest starts.
		if _, err := e.svc.Unfreeze(ctx, carol); releases.ErrorCode(err) != releases.EForbidden {
			t.Fatalf("a lead's unfreeze: %v, want forbidden", err)
		}
		e.clock.Set(opening.Add(20 * time.Hour)) // Wed 2 Dec, 10:00 CET
		lifted, err := e.svc.Unfreeze(ctx, rita)
		if err != nil || len(lifted) != 1 || lifted[0].Reason != "incident 42" {
			t.Fatalf("Unfreeze = %+v, %v", lifted, err)
		}
		if _, err := e.svc.Unfreeze(ctx, rita); releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("a second unfreeze: %v, want a conflict", err)
		}
		e.tick()
		if st := e.get(api.ID).Status; st != releases.StatusDeploying {
			t.Fatalf("api is %s after the unfreeze, want deploying", st)
		}
		if st := e.get(train.ID).Status; st != releases.StatusReady {
			t.Fatalf("the train release is %s after the unfreeze, want ready: its window is closed", st)
		}
		e.at(opening.Add(48 * time.Hour)) // Thu 3 Dec 14:00 CET
		if st := e.get(train.ID).Status; st != releases.StatusDeploying {
			t.Fatalf("the train release is %s at Thursday's opening, want deploying", st)
		}
		audit := freezeAudit(t, e.store.DB())
		if len(audit) != 2 || !strings.HasPrefix(audit[1], `U0RM1 unfreeze: ended "incident 42" (declared until 2026-12-03T11:00:00Z)`) {
			t.Fatalf("audit of freezes %q; want the freeze and its end", audit)
		}
	})
}

// TestWindowInAConfiguredFreeze checks openings that a freeze from the
// configuration holds: skipped with a note in the thread, once, and the
// release goes at the next moment the calendar allows.
func TestWindowInAConfiguredFreeze(t *testing.T) {
	tests := []struct {
		name    string
		freeze  string      // the freezes: section
		startAt time.Time   // when the release starts
		ready   string      // the thread's note when it became ready
		note    string      // the thread's note at the skipped opening
		fired   string      // the opening's firing detail
		ticks   []time.Time // after the opening
	}{
		{name: "a freeze over the whole day: the next opening (Thursday)",
			freeze:  "freezes: [{name: maintenance, start: 2026-12-01T00:00:00+01:00, end: 2026-12-02T00:00:00+01:00}]",
			ticks:   []time.Time{opening.Add(time.Hour), opening.Add(47 * time.Hour), opening.Add(48 * time.Hour)},
			startAt: opening.Add(48 * time.Hour),
			ready:   "releasebot: is held by the freeze maintenance until Wed 2 Dec 2026 00:00 CET, then waits until Thu 3 Dec 2026 14:00 CET",
			note:    "releasebot: skips the weekly-train opening of Tue 1 Dec 2026 14:00 CET because it is held by the freeze maintenance until Wed 2 Dec 2026 00:00 CET, then waits until Thu 3 Dec 2026 14:00 CET",
			fired:   "held by the freeze maintenance: R-1"},
		{name: "a freeze that ends inside the opening: when it ends",
			freeze:  "freezes: [{name: lunch, start: 2026-12-01T12:00:00+01:00, end: 2026-12-01T15:00:00+01:00}]",
			ticks:   []time.Time{opening.Add(time.Hour - time.Second), opening.Add(time.Hour)},
			startAt: opening.Add(time.Hour),
			ready:   "releasebot: waits for the window weekly-train; its opening at Tue 1 Dec 2026 14:00 CET falls in the freeze lunch, so it goes Tue 1 Dec 2026 15:00 CET",
			note:    "releasebot: skips the weekly-train opening of Tue 1 Dec 2026 14:00 CET because it is held by the freeze lunch until Tue 1 Dec 2026 15:00 CET",
			fired:   "held by the freeze lunch: R-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachDB(t, testYAML+tc.freeze+"\n", func(t *testing.T, e *env) {
				r := e.create("api", "weekly-train")
				e.ready(r.ID)
				e.at(opening)
				e.at(opening.Add(time.Second)) // a second look changes nothing
				waits := e.events(r.ID, releases.ActionWaiting)
				assertStrings(t, "waiting notes", waits, []string{tc.ready, tc.note})
				fs, _ := e.store.Firings(context.Background(), "window:weekly-train", opening, opening.Add(time.Second))
				if len(fs) != 1 || fs[0].Detail != tc.fired {
					t.Fatalf("firing %+v, want detail %q", fs, tc.fired)
				}
				for _, tick := range tc.ticks {
					e.at(tick)
					if got := e.get(r.ID).Status; tick.Before(tc.startAt) != (got == releases.StatusReady) {
						t.Fatalf("at %v it is %s; it should start at %v", tick, got, tc.startAt)
					}
				}
				if d := e.get(r.ID).Deployments; len(d) != 1 || !d[0].CreatedAt.Equal(tc.startAt) {
					t.Fatalf("deployments %+v, want one started at %v", d, tc.startAt)
				}
				if waits := e.events(r.ID, releases.ActionWaiting); len(waits) != 2 {
					t.Fatalf("waiting notes %q; the skip is told once", waits)
				}
			})
		})
	}
}

// TestHoldNamesTheFreezeInForce: what the webhook worker asks before it
// sends a deployment that was waiting — nothing outside a freeze, the
// freeze and its end inside one.
func TestHoldNamesTheFreezeInForce(t *testing.T) {
	cal := scheduler.NewCalendar(wire.Timetable(parseConfig(t, testYAML+
		"freezes: [{name: lunch, start: 2026-12-01T12:00:00+01:00, end: 2026-12-01T15:00:00+01:00}]\n")))
	ctx := context.Background()
	start, end := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{start.Add(-time.Second), end, end.Add(time.Hour)} {
		if h, err := cal.Hold(ctx, at); err != nil || h != nil {
			t.Fatalf("Hold at %v = %+v, %v; want none", at, h, err)
		}
	}
	h, err := cal.Hold(ctx, start)
	if err != nil || h == nil {
		t.Fatalf("Hold at the freeze's start = %+v, %v", h, err)
	}
	if want := "is held by the freeze lunch until Tue 1 Dec 2026 15:00 CET"; h.Note != want || !h.Until.Equal(end) {
		t.Fatalf("Hold = %q until %v, want %q until %v", h.Note, h.Until, want, end)
	}
}
