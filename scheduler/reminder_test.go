package scheduler_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// TestRemindersOncePerTeamPerOpening ticks the clock past the reminder
// time (two hours before each train) again and again: each team missing
// sign-offs for a release in the window is nudged once per opening.
func TestRemindersOncePerTeamPerOpening(t *testing.T) {
	forEachDB(t, testYAML, func(t *testing.T, e *env) {
		ctx := context.Background()
		none := e.create("api", "weekly-train")    // both teams missing
		half := e.create("web", "weekly-train")    // risk missing
		full := e.create("ledger", "weekly-train") // ready
		loose := e.create("batch", "")             // no window
		e.ok(e.svc.SignOff(ctx, alice, half.ID, "payments"))
		e.ready(full.ID)
		_ = loose

		tuesday := opening.Add(-2 * time.Hour)  // Tue 12:00 CET
		thursday := tuesday.Add(48 * time.Hour) // Thu 12:00 CET
		steps := []struct {
			name string
			at   time.Time
			do   func()
			want []string // every reminder so far
		}{
			{name: "a second before the reminder time", at: tuesday.Add(-time.Second), want: []string{}},
			{name: "the reminder time", at: tuesday, want: []string{"R-1/payments", "R-1/risk", "R-2/risk"}},
			{name: "a second later", at: tuesday.Add(time.Second), want: []string{"R-1/payments", "R-1/risk", "R-2/risk"}},
			{name: "half an hour later", at: tuesday.Add(30 * time.Minute), want: []string{"R-1/payments", "R-1/risk", "R-2/risk"}},
			{name: "the opening", at: opening, want: []string{"R-1/payments", "R-1/risk", "R-2/risk"}},
			{name: "R-2 signed off, R-1 half, before Thursday", at: thursday.Add(-time.Hour), do: func() {
				e.ok(e.svc.SignOff(ctx, carol, half.ID, "risk"))
				e.ok(e.svc.SignOff(ctx, bob, none.ID, "payments"))
			}, want: []string{"R-1/payments", "R-1/risk", "R-2/risk"}},
			{name: "Thursday's reminder time", at: thursday, want: []string{"R-1/payments", "R-1/risk", "R-2/risk", "R-1/risk"}},
			{name: "and again", at: thursday.Add(time.Minute), want: []string{"R-1/payments", "R-1/risk", "R-2/risk", "R-1/risk"}},
		}
		for _, st := range steps {
			e.clock.Set(st.at)
			if st.do != nil {
				st.do()
			}
			e.tick()
			e.tick()
			assertStrings(t, st.name, e.ann.reminded(), st.want)
		}

		first := e.ann.reminders[0]
		if want := "reminder:weekly-train@2026-12-01T11:00:00Z/R-1/payments"; first.key != want {
			t.Errorf("key %q, want %q", first.key, want)
		}
		r := first.r
		if r.Channel != "C0PAY" || !slices.Equal(r.Leads, []string{alice, bob}) || r.Have != 0 || r.Need != 1 ||
			r.Window != "weekly-train" || !r.Opening.Equal(opening) || r.Release.ID != none.ID {
			t.Errorf("reminder %+v; want payments' channel and leads, 0 of 1, before the Tuesday train", r)
		}
		assertStrings(t, "reminder firings", e.firings("reminder:weekly-train"),
			[]string{"done@2026-12-01T11:00:00Z", "done@2026-12-03T11:00:00Z"})
	})
}

// TestNoRemindersForAFrozenOpening: nothing would go then.
func TestNoRemindersForAFrozenOpening(t *testing.T) {
	yaml := testYAML + "freezes: [{name: audit, start: 2026-12-01T13:00:00+01:00, end: 2026-12-01T18:00:00+01:00}]\n"
	forEachDB(t, yaml, func(t *testing.T, e *env) {
		e.create("api", "weekly-train")
		e.at(opening.Add(-2*time.Hour - time.Second))
		e.at(opening.Add(-2 * time.Hour))
		assertStrings(t, "reminders", e.ann.reminded(), []string{})
		fs, _ := e.store.Firings(context.Background(), "reminder:weekly-train", t0, opening)
		if len(fs) != 1 || fs[0].Status != releases.FiringDone || fs[0].Detail != "no reminders: the opening falls in the freeze audit" {
			t.Fatalf("firings %+v", fs)
		}
	})
}

var _ scheduler.Announcer = (*announcer)(nil)
