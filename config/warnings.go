package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/releasebot/releasebot/internal/cronzone"
)

// warningHorizon is how far ahead Warnings looks for skipped openings.
const warningHorizon = 2 // years

// Warnings returns non-fatal notes about the configuration, as of now: a
// window or summary whose schedule names a wall-clock time that does not
// exist on a daylight-saving day in its zone (cron skips that opening, e.g.
// "30 2 * * *" in Europe/Berlin in spring), a schedule that never fires, or
// a deploy target's API reached over http:// (api_url, a GitLab url, an
// Argo CD server).
func (c *Config) Warnings() []Problem { return c.WarningsAt(time.Now()) }

// WarningsAt is Warnings as of the given time; it looks at the openings in
// the two years that follow.
func (c *Config) WarningsAt(now time.Time) []Problem {
	w := &warner{cfg: c, now: now, gaps: map[*time.Location][]gap{}}
	for i, win := range c.Windows {
		w.schedule(fmt.Sprintf("windows[%d].schedule", i), win.Schedule, win.Cron, win.line)
	}
	for i, s := range c.Summaries {
		w.schedule(fmt.Sprintf("summaries[%d].schedule", i), s.Schedule, s.Cron, s.line)
	}
	w.out = append(w.out, c.notes...)
	sortProblems(w.out)
	return w.out
}

type warner struct {
	cfg  *Config
	now  time.Time
	gaps map[*time.Location][]gap
	out  []Problem
}

// gap is a span of wall-clock time that a zone skips when its clocks move
// forward. from and to are wall times expressed in UTC so that their
// fields read as the local clock would: [from, to) does not exist.
type gap struct{ from, to time.Time }

func (w *warner) schedule(path, spec string, sched cron.Schedule, line int) {
	ss, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return
	}
	add := func(format string, args ...any) {
		w.out = append(w.out, Problem{File: w.cfg.Source, Line: line, Message: path + ": " + fmt.Sprintf(format, args...)})
	}
	if sched.Next(w.now).IsZero() { // cron gives up after five years
		add("%q never fires (no matching date in the next five years)", spec)
		return
	}
	loc := ss.Location
	if loc == nil {
		loc = time.UTC
	}
	gaps, ok := w.gaps[loc]
	if !ok {
		gaps = dstGaps(loc, w.now, w.now.AddDate(warningHorizon, 0, 0))
		w.gaps[loc] = gaps
	}
	var hits []string
	for _, g := range gaps {
		if m, ok := firstMatch(ss, g); ok {
			hits = append(hits, fmt.Sprintf("%s on %s (clocks jump from %s to %s)",
				m.Format("15:04"), m.Format("2006-01-02"), g.from.Format("15:04"), g.to.Format("15:04")))
		}
	}
	if len(hits) > 0 {
		add("%q names a time that does not exist in %s: %s; cron skips that opening", spec, loc, strings.Join(hits, ", "))
	}
}

// dstGaps finds the forward clock changes of loc between from and to.
func dstGaps(loc *time.Location, from, to time.Time) []gap {
	var gaps []gap
	for _, tr := range cronzone.Transitions(loc, from, to) {
		if tr.Forward {
			gaps = append(gaps, gap{from: tr.From, to: tr.To})
		}
	}
	return gaps
}

// firstMatch returns the first minute in g that the schedule names.
func firstMatch(s *cron.SpecSchedule, g gap) (time.Time, bool) {
	for m := g.from.Truncate(time.Minute); m.Before(g.to); m = m.Add(time.Minute) {
		if !m.Before(g.from) && cronzone.Matches(s, m) {
			return m, true
		}
	}
	return time.Time{}, false
}
