package scheduler

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/releasebot/releasebot/internal/cronzone"
)

// Daylight saving time, and what it does to cron schedules:
//
//   - Spring forward: a wall-clock time in the hour the clocks skip (02:30
//     in Europe/Berlin on the last Sunday of March) does not exist, and
//     cron skips that day's run. Windows and summaries do the same, and
//     `/release windows` and `releasebot config check` say so.
//   - Fall back: the hour before the change shows twice. robfig/cron runs
//     at both 02:30s. A schedule with a fixed hour ("30 2 * * *") means
//     "once a day at 02:30", so Next keeps the first and drops the repeat,
//     as Vixie cron does; one whose hour field is "*" ("*/30 * * * *")
//     means "every so often", and runs in both hours.

// starBit marks a cron field written as "*".
const starBit = cronzone.StarBit

// Transition is a change of a zone's offset (see cronzone.Transition).
type Transition = cronzone.Transition

// Transitions returns the offset changes of loc in [from, to).
func Transitions(loc *time.Location, from, to time.Time) []Transition {
	return cronzone.Transitions(loc, from, to)
}

// Next returns the first time sched names after t, as cron.Schedule.Next
// does, except that the second occurrence of a wall-clock time repeated
// when the clocks go back is skipped for schedules with a fixed hour. It
// returns zero when sched never fires again.
func Next(sched cron.Schedule, t time.Time) time.Time {
	n := sched.Next(t)
	ss, ok := sched.(*cron.SpecSchedule)
	if !ok || ss.Hour&starBit != 0 {
		return n
	}
	for i := 0; i < 120 && !n.IsZero() && repeated(n, ss.Location); i++ {
		n = sched.Next(n)
	}
	return n
}

// repeated reports whether t is the second occurrence of its wall-clock
// time in loc: the clocks went back over it shortly before.
func repeated(t time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	_, now := t.In(loc).Zone()
	_, before := t.Add(-3 * time.Hour).In(loc).Zone()
	back := time.Duration(before-now) * time.Second
	if back <= 0 || back > 3*time.Hour {
		return false
	}
	return sameWall(t.Add(-back).In(loc), t.In(loc))
}

func sameWall(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay() && a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}

// dstNote says how the transition tr affects sched (written spec), or ""
// when it names no affected time. Wall times are shown as the clock reads.
func dstNote(what, spec string, sched cron.Schedule, tr Transition) string {
	ss, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return ""
	}
	loc := ss.Location
	if loc == nil {
		loc = time.UTC
	}
	var hits []string
	for m := tr.From; m.Before(tr.To) && len(hits) < 3; m = m.Add(time.Minute) {
		if cronzone.Matches(ss, m) {
			hits = append(hits, m.Format("15:04"))
		}
	}
	if len(hits) == 0 {
		return ""
	}
	day := tr.From.Format("Mon 2 Jan 2006")
	times := joinAnd(hits)
	verb := map[bool]string{true: "does not exist", false: "do not exist"}[len(hits) == 1]
	if tr.Forward {
		return fmt.Sprintf("%s (%q): %s on %s %s in %s (clocks jump from %s to %s), so that opening is skipped.",
			what, spec, times, day, verb, loc, tr.From.Format("15:04"), tr.To.Format("15:04"))
	}
	verb = map[bool]string{true: "shows", false: "show"}[len(hits) == 1]
	how := "it opens once, at the first"
	if ss.Hour&starBit != 0 {
		how = "it opens at both"
	}
	return fmt.Sprintf("%s (%q): %s on %s %s twice in %s (clocks go back from %s to %s); %s.",
		what, spec, times, day, verb, loc, tr.To.Format("15:04"), tr.From.Format("15:04"), how)
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	out := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		out += ", " + p
	}
	return out + " and " + parts[len(parts)-1]
}

// DSTNotes says how the clock changes between from and to affect the
// windows' openings: skipped in spring, once or twice in autumn.
func (c *Calendar) DSTNotes(from, to time.Time) []string {
	var notes []string
	zones := map[*time.Location][]Transition{}
	for _, name := range c.names {
		w := c.windows[name]
		ss, ok := w.Cron.(*cron.SpecSchedule)
		if !ok {
			continue
		}
		loc := ss.Location
		if loc == nil {
			loc = time.UTC
		}
		trs, seen := zones[loc]
		if !seen {
			trs = Transitions(loc, from, to)
			zones[loc] = trs
		}
		for _, tr := range trs {
			if n := dstNote("Window "+w.Name, w.Schedule, w.Cron, tr); n != "" {
				notes = append(notes, n)
			}
		}
	}
	return notes
}
