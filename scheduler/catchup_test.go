package scheduler_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// TestCatchUpAfterDowntime: the only replica stops after Tuesday's train
// and a new one starts during Thursday's. It opens Thursday's window once,
// late; Thursday's reminder, whose window has opened by then, is recorded
// as missed and logged. Further ticks, and further restarts, do nothing.
func TestCatchUpAfterDowntime(t *testing.T) {
	forEachDB(t, testYAML, func(t *testing.T, e *env) {
		thursday := opening.Add(48 * time.Hour)
		tue := e.create("api", "weekly-train")
		e.ready(tue.ID)
		e.at(t0)
		e.at(opening.Add(-2 * time.Hour))
		e.at(opening)
		if st := e.get(tue.ID).Status; st != releases.StatusDeploying {
			t.Fatalf("Tuesday's release is %s", st)
		}
		e.clock.Set(opening.Add(3 * time.Hour))
		thu := e.create("web", "weekly-train")
		e.ready(thu.ID)
		e.at(opening.Add(3*time.Hour + time.Second)) // the replica's last tick

		// Down until Thursday 14:30 CET; a new replica comes up.
		e.sched = e.newScheduler("replica-2")
		rep := e.at(thursday.Add(30 * time.Minute))
		assertStrings(t, "caught up", refs(rep.Fired), []string{"window:weekly-train@2026-12-03T13:00:00Z"})
		assertStrings(t, "missed", refs(rep.Missed), []string{"reminder:weekly-train@2026-12-03T11:00:00Z"})
		got := e.get(thu.ID)
		if got.Status != releases.StatusDeploying || len(got.Deployments) != 1 || !got.Deployments[0].CreatedAt.Equal(thursday.Add(30*time.Minute)) {
			t.Fatalf("Thursday's release: %s, %+v; want it started once, at the catch-up", got.Status, got.Deployments)
		}
		for _, want := range []string{"catching up a firing missed while no replica ran", "firing=window:weekly-train@2026-12-03T13:00:00Z",
			"missed firing", "firing=reminder:weekly-train@2026-12-03T11:00:00Z"} {
			if !strings.Contains(e.logs.String(), want) {
				t.Errorf("the log lacks %q:\n%s", want, e.logs.String())
			}
		}

		// Once: more ticks, another restart, a third replica.
		for _, owner := range []string{"replica-2", "replica-3", "replica-1"} {
			if owner != "replica-2" {
				e.sched = e.newScheduler(owner)
			}
			for _, at := range []time.Time{thursday.Add(31 * time.Minute), thursday.Add(32 * time.Minute)} {
				if rep := e.at(at); len(rep.Fired)+len(rep.Missed)+rep.Started != 0 {
					t.Fatalf("%s at %v did something again: %+v", owner, at, rep)
				}
			}
		}
		assertStrings(t, "window firings", e.firings("window:weekly-train"), []string{"done@2026-12-01T13:00:00Z", "done@2026-12-03T13:00:00Z"})
		assertStrings(t, "reminder firings", e.firings("reminder:weekly-train"), []string{"done@2026-12-01T11:00:00Z", "missed@2026-12-03T11:00:00Z"})
		if d := e.get(thu.ID).Deployments; len(d) != 1 {
			t.Fatalf("Thursday's release has %d deployments", len(d))
		}
	})
}

// TestMissedFirings: what came due while no replica ran and is no longer
// worth doing is recorded as missed, with why, and logged; a summary
// within its grace period still goes, once.
func TestMissedFirings(t *testing.T) {
	tests := []struct {
		name       string
		down, up   time.Time // last tick before, first tick after
		fired      []string
		missed     []string // firing=why
		summaries  int
		readyStart bool // the train's ready release starts at the restart
	}{
		{name: "a window that opened and closed while down",
			down: t0, up: opening.Add(2 * time.Hour),
			missed: []string{
				"reminder:weekly-train@2026-12-01T11:00:00Z=the window it reminds of opened at Tue 1 Dec 2026 14:00 CET before a replica ran",
				"window:weekly-train@2026-12-01T13:00:00Z=the window closed at Tue 1 Dec 2026 16:00 CET before a replica ran",
			}},
		{name: "two openings while down: the older is superseded, the open one caught up",
			down: t0, up: opening.Add(48*time.Hour + time.Hour),
			fired: []string{"window:weekly-train@2026-12-03T13:00:00Z"},
			missed: []string{
				"reminder:weekly-train@2026-12-01T11:00:00Z=missed while no replica ran; superseded by the firing at 2026-12-03T11:00:00Z",
				"reminder:weekly-train@2026-12-03T11:00:00Z=the window it reminds of opened at Thu 3 Dec 2026 14:00 CET before a replica ran",
				"window:weekly-train@2026-12-01T13:00:00Z=missed while no replica ran; superseded by the firing at 2026-12-03T13:00:00Z",
			},
			readyStart: true},
		{name: "a summary three hours late goes out",
			down: monday.Add(-time.Hour), up: monday.Add(3 * time.Hour),
			fired: []string{"summary:weekly@2026-12-07T08:00:00Z"}, summaries: 1},
		{name: "a summary seven hours late is missed",
			down: monday.Add(-time.Hour), up: monday.Add(7 * time.Hour),
			missed: []string{"summary:weekly@2026-12-07T08:00:00Z=more than 6h0m0s late (the grace period) when a replica ran"}},
		{name: "two summaries missed: the latest, within grace, goes",
			down: monday.Add(-time.Hour), up: monday.AddDate(0, 0, 7).Add(time.Hour),
			fired: []string{"summary:weekly@2026-12-14T08:00:00Z"}, summaries: 1,
			missed: []string{
				// The week down also spans two trains.
				"reminder:weekly-train@2026-12-08T11:00:00Z=missed while no replica ran; superseded by the firing at 2026-12-10T11:00:00Z",
				"reminder:weekly-train@2026-12-10T11:00:00Z=the window it reminds of opened at Thu 10 Dec 2026 14:00 CET before a replica ran",
				"summary:weekly@2026-12-07T08:00:00Z=missed while no replica ran; superseded by the firing at 2026-12-14T08:00:00Z",
				"window:weekly-train@2026-12-08T13:00:00Z=missed while no replica ran; superseded by the firing at 2026-12-10T13:00:00Z",
				"window:weekly-train@2026-12-10T13:00:00Z=the window closed at Thu 10 Dec 2026 16:00 CET before a replica ran",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachDB(t, testYAML, func(t *testing.T, e *env) {
				e.clock.Set(tc.down.Add(-time.Minute))
				r := e.create("api", "weekly-train")
				e.ready(r.ID)
				e.at(tc.down.Add(-time.Minute))
				e.at(tc.down)
				e.sched = e.newScheduler("replica-2")
				rep := e.at(tc.up)
				assertStrings(t, "fired", refs(rep.Fired), nonNil(tc.fired))
				fs, err := e.store.Firings(context.Background(), "", tc.down.AddDate(0, 0, -1), tc.up.Add(time.Second))
				if err != nil {
					t.Fatal(err)
				}
				missed := []string{}
				for _, f := range fs {
					if f.Status == releases.FiringMissed {
						missed = append(missed, scheduleRef(f)+"="+f.Detail)
						if !strings.Contains(e.logs.String(), "firing="+scheduleRef(f)) {
							t.Errorf("missed firing %s is not in the log", scheduleRef(f))
						}
					}
				}
				slices.Sort(missed)
				assertStrings(t, "missed", missed, nonNil(tc.missed))
				if len(e.ann.summaries) != tc.summaries {
					t.Errorf("%d summaries, want %d", len(e.ann.summaries), tc.summaries)
				}
				if started := e.get(r.ID).Status == releases.StatusDeploying; started != tc.readyStart {
					t.Errorf("the train's release started: %v, want %v", started, tc.readyStart)
				}
				if rep := e.at(tc.up.Add(time.Second)); len(rep.Fired)+len(rep.Missed) != 0 {
					t.Errorf("a second tick fired or missed again: %+v", rep)
				}
			})
		})
	}
}

// TestTakeOverFromADeadReplica: a replica claims Tuesday's opening during
// a freeze, tells the thread, and dies before recording that it is done.
// Once its lease lapses, another replica takes the firing over and
// finishes it — without telling the thread twice.
func TestTakeOverFromADeadReplica(t *testing.T) {
	yaml := testYAML + "freezes: [{name: audit, start: 2026-12-01T13:00:00+01:00, end: 2026-12-02T00:00:00+01:00}]\n"
	forEachDB(t, yaml, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := e.create("api", "weekly-train")
		e.ready(r.ID)
		e.at(opening.Add(-time.Minute))

		e.clock.Set(opening)
		won, err := e.store.ClaimFiring(ctx, "window:weekly-train", opening, "dead", opening, time.Minute)
		if err != nil || !won {
			t.Fatalf("the dead replica's claim: %v, %v", won, err)
		}
		const label = "the weekly-train opening of Tue 1 Dec 2026 14:00 CET"
		e.ok(e.svc.StartAtOpening(ctx, r.ID, label)) // what it did before dying

		if rep := e.tick(); len(rep.Fired) != 0 {
			t.Fatalf("the opening fired while the dead replica's lease held: %+v", rep)
		}
		rep := e.at(opening.Add(time.Minute + time.Second))
		assertStrings(t, "taken over", refs(rep.Fired), []string{"window:weekly-train@2026-12-01T13:00:00Z"})
		fs, _ := e.store.Firings(ctx, "window:weekly-train", opening, opening.Add(time.Second))
		if len(fs) != 1 || fs[0].Status != releases.FiringDone || fs[0].Owner != "replica-1" || fs[0].Attempts != 2 {
			t.Fatalf("firing %+v; want it done by replica-1 on the second attempt", fs)
		}
		if notes := e.events(r.ID, releases.ActionWaiting); len(notes) != 2 || !strings.Contains(notes[1], "skips "+label) {
			t.Fatalf("notes %q; want the readiness note and one skip note", notes)
		}
		if !strings.Contains(e.logs.String(), "taking over a firing whose replica stopped mid-way") {
			t.Errorf("the take-over is not logged:\n%s", e.logs.String())
		}
	})
}

func scheduleRef(f releases.Firing) string { return f.Job + "@" + f.At.UTC().Format(time.RFC3339) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
