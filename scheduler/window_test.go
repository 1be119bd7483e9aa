package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// TestReleasesStartWhenTheCalendarLetsThem walks releases through the
// weekly train (Tue 1 Dec 2026, 14:00–16:00 CET = 13:00–15:00 UTC), with
// the clock moved by the test and the scheduler ticked by hand.
func TestReleasesStartWhenTheCalendarLetsThem(t *testing.T) {
	tests := []struct {
		name      string
		window    string
		at        string      // --at, UTC; "" for none
		readyAt   time.Time   // when the last sign-off comes
		ticks     []time.Time // the scheduler ticks then
		startedAt time.Time   // when its first deployment must start; zero: never (within the ticks)
		waiting   string      // the thread's "waiting" note, if it waits
	}{
		{name: "ready outside its window waits for the opening", window: "weekly-train", readyAt: t0,
			ticks:     []time.Time{t0.Add(time.Hour), opening.Add(-time.Second), opening, opening.Add(time.Second)},
			startedAt: opening, waiting: "releasebot: waits for the window weekly-train, which opens Tue 1 Dec 2026 14:00 CET"},
		{name: "ready inside its open window starts at once", window: "weekly-train", readyAt: opening.Add(30 * time.Minute),
			startedAt: opening.Add(30 * time.Minute)},
		{name: "ready after its window closed waits for the next one (Thursday)", window: "weekly-train", readyAt: opening.Add(2 * time.Hour),
			ticks:     []time.Time{opening.Add(3 * time.Hour), opening.Add(48*time.Hour - time.Second), opening.Add(48 * time.Hour)},
			startedAt: opening.Add(48 * time.Hour), waiting: "releasebot: waits for the window weekly-train, which opens Thu 3 Dec 2026 14:00 CET"},
		{name: "without a window it starts as soon as it is ready", readyAt: t0.Add(5 * time.Minute), startedAt: t0.Add(5 * time.Minute)},
		{name: "--at starts it at that time", at: "2026-12-01T11:30:00Z", readyAt: t0,
			ticks:     []time.Time{t0.Add(89 * time.Minute), t0.Add(90 * time.Minute)},
			startedAt: t0.Add(90 * time.Minute), waiting: "releasebot: is scheduled for Tue 1 Dec 2026 12:30 CET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachDB(t, testYAML, func(t *testing.T, e *env) {
				in := releases.CreateInput{Service: "payments-api", Version: "v2.4.0", Window: tc.window, Origin: "C0REL"}
				if tc.at != "" {
					in.StartAt, _ = time.Parse(time.RFC3339, tc.at)
				}
				r := e.ok(e.svc.Create(context.Background(), dave, in))
				e.clock.Set(tc.readyAt)
				e.ready(r.ID)
				for _, tick := range tc.ticks {
					e.at(tick)
					st := e.get(r.ID).Status
					if before := tick.Before(tc.startedAt); before && st != releases.StatusReady {
						t.Fatalf("at %v, before its start at %v, it is %s", tick, tc.startedAt, st)
					}
				}
				got := e.get(r.ID)
				if got.Status != releases.StatusDeploying || len(got.Deployments) != 1 {
					t.Fatalf("it is %s with %d deployments, want deploying with one", got.Status, len(got.Deployments))
				}
				if d := got.Deployments[0]; !d.CreatedAt.Equal(tc.startedAt) || d.Environment != "staging" || d.RequestedBy != dave {
					t.Fatalf("deployment %+v; want it to staging, created at %v, requested by its creator", d, tc.startedAt)
				}
				want := []string{}
				if tc.waiting != "" {
					want = append(want, tc.waiting)
				}
				assertStrings(t, "waiting notes in its thread", e.events(r.ID, releases.ActionWaiting), want)
			})
		})
	}
}

// TestWindowOpeningIsAFiring checks that each opening is claimed and
// recorded, and that ticking again changes nothing.
func TestWindowOpeningIsAFiring(t *testing.T) {
	forEachDB(t, testYAML, func(t *testing.T, e *env) {
		a, b := e.create("api", "weekly-train"), e.create("web", "weekly-train")
		other := e.create("ledger", "")
		e.ready(a.ID)
		e.ready(b.ID)
		if got := e.get(other.ID).Status; got != releases.StatusAwaitingSignoff {
			t.Fatalf("ledger is %s", got)
		}
		e.at(opening.Add(-2 * time.Hour)) // the reminder: nobody to remind
		rep := e.at(opening)
		assertStrings(t, "fired", refs(rep.Fired), []string{"window:weekly-train@2026-12-01T13:00:00Z"})
		for _, id := range []int64{a.ID, b.ID} {
			if st := e.get(id).Status; st != releases.StatusDeploying {
				t.Fatalf("%s is %s after the opening", releases.FormatID(id), st)
			}
		}
		for range 3 {
			if rep := e.at(opening.Add(time.Second)); len(rep.Fired)+rep.Started != 0 {
				t.Fatalf("a later tick did something: %+v", rep)
			}
		}
		assertStrings(t, "recorded firings", e.firings("window:weekly-train"), []string{"done@2026-12-01T13:00:00Z"})
		fs, _ := e.store.Firings(context.Background(), "window:weekly-train", t0, t0.Add(24*time.Hour))
		if fs[0].Detail != "started R-1, R-2" || fs[0].Attempts != 1 {
			t.Fatalf("firing %+v; want one attempt that started R-1, R-2", fs[0])
		}
	})
}
