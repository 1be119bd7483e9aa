// Package scheduler knows when things may happen: release windows, one-off
// start times and freezes as pure functions of time, and a thin loop that
// starts ready releases when their moment comes.
package scheduler

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// Calendar answers whether a release may start at a given time, from the
// configured windows and freezes. It is the service's releases.Gate.
type Calendar struct {
	windows map[string]config.Window
	freezes []config.Freeze
	loc     *time.Location
}

// NewCalendar returns the calendar of cfg.
func NewCalendar(cfg *config.Config) *Calendar {
	c := &Calendar{windows: map[string]config.Window{}, freezes: cfg.Freezes, loc: cfg.Location}
	if c.loc == nil {
		c.loc = time.UTC
	}
	for _, w := range cfg.Windows {
		c.windows[w.Name] = w
	}
	return c
}

var _ releases.Gate = (*Calendar)(nil)

// horizon bounds how far ahead the calendar looks for the next moment a
// release may start.
const horizon = 400 * 24 * time.Hour

// Check tells whether r may start at now and, when not, why and from when.
func (c *Calendar) Check(_ context.Context, r *releases.Release, now time.Time) (releases.Wait, error) {
	if c.allowed(r, now) {
		return releases.Wait{Open: true}, nil
	}
	w := releases.Wait{Until: c.nextAllowed(r, now)}
	var when string
	if !w.Until.IsZero() {
		when = " " + c.Format(w.Until)
	}
	switch f, frozen := c.FreezeAt(now); {
	case frozen:
		w.Frozen = true
		w.Reason = fmt.Sprintf("is held by the freeze %s until %s", f.Name, c.Format(f.End))
		if !w.Until.IsZero() && w.Until.After(f.End) {
			w.Reason += fmt.Sprintf(", then waits until%s", when)
		}
	case !r.StartAt.IsZero() && now.Before(r.StartAt):
		w.Reason = "is scheduled for " + c.Format(r.StartAt)
	case r.Window != "":
		w.Reason = "waits for the window " + r.Window
		if when != "" {
			w.Reason += ", which opens" + when
		}
	default:
		w.Reason = "can't start yet"
	}
	if w.Until.IsZero() {
		w.Reason += " (no opening in the next year)"
	}
	return w, nil
}

// allowed reports whether r may start at t.
func (c *Calendar) allowed(r *releases.Release, t time.Time) bool {
	if _, frozen := c.FreezeAt(t); frozen {
		return false
	}
	if !r.StartAt.IsZero() && t.Before(r.StartAt) {
		return false
	}
	if r.Window == "" {
		return true
	}
	_, open := c.OpenAt(r.Window, t)
	return open
}

// nextAllowed returns the first moment after now that r may start, or zero
// when there is none within the horizon. Only a window opening, the start
// time or a freeze's end can turn "not allowed" into "allowed", so those are
// the moments to try.
func (c *Calendar) nextAllowed(r *releases.Release, now time.Time) time.Time {
	limit := now.Add(horizon)
	candidates := []time.Time{}
	if r.StartAt.After(now) {
		candidates = append(candidates, r.StartAt)
	}
	for _, f := range c.freezes {
		if f.End.After(now) && f.End.Before(limit) {
			candidates = append(candidates, f.End)
		}
	}
	if w, ok := c.windows[r.Window]; ok && w.Cron != nil {
		for t, i := w.Cron.Next(now), 0; !t.IsZero() && t.Before(limit) && i < 5000; t, i = w.Cron.Next(t), i+1 {
			candidates = append(candidates, t)
		}
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].Before(candidates[j]) })
	for _, t := range candidates {
		if c.allowed(r, t) {
			return t
		}
	}
	return time.Time{}
}

// Opening is one opening of a release window.
type Opening struct {
	Window     string
	Start, End time.Time
}

// OpenAt returns the opening of window that is open at t, if any.
func (c *Calendar) OpenAt(window string, t time.Time) (Opening, bool) {
	w, ok := c.windows[window]
	if !ok || w.Cron == nil {
		return Opening{}, false
	}
	// The only opening that can still be open at t is the first one after
	// t - duration.
	start := w.Cron.Next(t.Add(-w.Duration))
	if start.IsZero() || start.After(t) {
		return Opening{}, false
	}
	return Opening{Window: w.Name, Start: start, End: start.Add(w.Duration)}, true
}

// Upcoming returns the openings of every window that start after from and
// before to, in time order, at most max of them.
func (c *Calendar) Upcoming(from, to time.Time, max int) []Opening {
	var out []Opening
	for _, w := range c.windows {
		if w.Cron == nil {
			continue
		}
		for t, i := w.Cron.Next(from), 0; !t.IsZero() && t.Before(to) && i < max; t, i = w.Cron.Next(t), i+1 {
			out = append(out, Opening{Window: w.Name, Start: t, End: t.Add(w.Duration)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Start.Equal(out[j].Start) {
			return out[i].Window < out[j].Window
		}
		return out[i].Start.Before(out[j].Start)
	})
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// FreezeAt returns the freeze in force at t, if any.
func (c *Calendar) FreezeAt(t time.Time) (config.Freeze, bool) {
	for _, f := range c.freezes {
		if f.Active(t) {
			return f, true
		}
	}
	return config.Freeze{}, false
}

// Freezes returns the freezes that have not ended by t, soonest first.
func (c *Calendar) Freezes(t time.Time) []config.Freeze {
	var out []config.Freeze
	for _, f := range c.freezes {
		if f.End.After(t) {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// Format renders t in the configured zone for people: "Tue 1 Dec 14:00 CET".
func (c *Calendar) Format(t time.Time) string {
	return t.In(c.loc).Format("Mon 2 Jan 2006 15:04 MST")
}
