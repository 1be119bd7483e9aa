// Package cronzone holds what cron schedules and time zones need of each
// other: the instants a zone's clocks change, and whether a schedule names
// a wall-clock time. The configuration check and the scheduler share it.
package cronzone

import (
	"time"

	"github.com/robfig/cron/v3"
)

// StarBit marks a cron field written as "*" (cron's own constant is
// unexported); it changes how day-of-month and day-of-week combine.
const StarBit = 1 << 63

// Transition is a change of a zone's offset: clocks jump forward (a gap of
// wall-clock times that do not exist) or back (an overlap that shows twice).
type Transition struct {
	At      time.Time // the instant of the change
	Forward bool
	// From and To bound the wall-clock times skipped (forward) or shown
	// twice (back), [From, To), as the clock reads them: their fields are
	// the zone's, held in UTC.
	From, To time.Time
}

// Transitions returns the offset changes of loc in [from, to). It steps an
// hour at a time (no zone changes twice within an hour) and bisects to the
// second.
func Transitions(loc *time.Location, from, to time.Time) []Transition {
	offset := func(unix int64) int {
		_, off := time.Unix(unix, 0).In(loc).Zone()
		return off
	}
	var out []Transition
	start := from.Truncate(time.Hour).Unix()
	off := offset(start)
	for t := start; t < to.Unix(); t += 3600 {
		next := offset(t + 3600)
		if next == off {
			continue
		}
		lo, hi := t, t+3600 // offset(lo) == off, offset(hi) == next
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if offset(mid) == off {
				lo = mid
			} else {
				hi = mid
			}
		}
		at := time.Unix(hi, 0)
		if !at.Before(from) && at.Before(to) {
			// Wall times as the clock reads them, held in UTC fields.
			w := at.In(loc)
			wall := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
			d := time.Duration(next-off) * time.Second
			tr := Transition{At: at, Forward: d > 0}
			if tr.Forward {
				tr.From, tr.To = wall.Add(-d), wall // never shown
			} else {
				tr.From, tr.To = wall, wall.Add(-d) // shown twice
			}
			out = append(out, tr)
		}
		off = next
	}
	return out
}

// matches reports whether the schedule names the wall time w (read from
// w's fields, whatever its zone), following cron's day rule: if either day
// field is *, both must match, otherwise either may.
func Matches(s *cron.SpecSchedule, w time.Time) bool {
	has := func(field uint64, v int) bool { return field&(1<<uint(v)) != 0 }
	if !has(s.Month, int(w.Month())) || !has(s.Hour, w.Hour()) || !has(s.Minute, w.Minute()) || !has(s.Second, w.Second()) {
		return false
	}
	dom, dow := has(s.Dom, w.Day()), has(s.Dow, int(w.Weekday()))
	if s.Dom&StarBit != 0 || s.Dow&StarBit != 0 {
		return dom && dow
	}
	return dom || dow
}
