package scheduler

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// Calendar answers whether a release may start at a given time, from the
// configured windows and freezes and the ad-hoc freezes in the store. It
// is the coordinator's releases.Gate.
type Calendar struct {
	windows map[string]releases.Window
	names   []string          // configured order
	freezes []releases.Freeze // configured
	loc     *time.Location
	adhoc   releases.FreezeReader // nil: configured freezes only
}

// CalendarOption configures NewCalendar.
type CalendarOption func(*Calendar)

// WithFreezes makes the calendar honour the ad-hoc freezes kept by fr (the
// store) where it answers outside the release service's transactions:
// `/release windows`, reminders, summaries and the scheduler's loop.
func WithFreezes(fr releases.FreezeReader) CalendarOption {
	return func(c *Calendar) { c.adhoc = fr }
}

// Timetable is what a calendar is built from: the configured windows and
// freezes, and the zone they are read in. Main projects it from the
// configuration.
type Timetable struct {
	// Location is the configured zone; nil: UTC.
	Location *time.Location
	// Windows, in configured order.
	Windows []releases.Window
	// Freezes are the configured ones (each with a Name).
	Freezes []releases.Freeze
}

// NewCalendar returns the calendar of tt.
func NewCalendar(tt Timetable, opts ...CalendarOption) *Calendar {
	c := &Calendar{windows: map[string]releases.Window{}, loc: tt.Location}
	if c.loc == nil {
		c.loc = time.UTC
	}
	for _, w := range tt.Windows {
		c.windows[w.Name] = w
		c.names = append(c.names, w.Name)
	}
	for _, f := range tt.Freezes {
		c.freezes = append(c.freezes, releases.Freeze{Name: f.Name, Start: f.Start.UTC(), End: f.End.UTC()})
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

var _ releases.Gate = (*Calendar)(nil)

// horizon bounds how far ahead the calendar looks for the next moment a
// release may start.
const horizon = 400 * 24 * time.Hour

// Check tells whether r may start at now and, when not, why and from when.
// It reads the ad-hoc freezes through fr, the caller's transaction.
func (c *Calendar) Check(ctx context.Context, fr releases.FreezeReader, r *releases.Release, now time.Time) (releases.Wait, error) {
	fs, err := c.load(ctx, fr, now)
	if err != nil {
		return releases.Wait{}, err
	}
	return c.check(fs, r, now), nil
}

// load returns the configured freezes and those of fr (nil: none) that have
// not ended by t.
func (c *Calendar) load(ctx context.Context, fr releases.FreezeReader, t time.Time) ([]releases.Freeze, error) {
	var fs []releases.Freeze
	for _, f := range c.freezes {
		if f.End.After(t) {
			fs = append(fs, f)
		}
	}
	if fr != nil {
		more, err := fr.Freezes(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("ad-hoc freezes: %w", err)
		}
		fs = append(fs, more...)
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Start.Before(fs[j].Start) })
	return fs, nil
}

// check is Check over the freezes fs.
func (c *Calendar) check(fs []releases.Freeze, r *releases.Release, now time.Time) releases.Wait {
	if c.allowed(fs, r, now) {
		return releases.Wait{Open: true}
	}
	w := releases.Wait{Until: c.nextAllowed(fs, r, now)}
	var when string
	if !w.Until.IsZero() {
		when = " " + c.Format(w.Until)
	}
	switch f, frozen := freezeAt(fs, now); {
	case frozen:
		w.Frozen = true
		w.Reason = fmt.Sprintf("is held by %s until %s", f.Label(), c.Format(f.End))
		if !w.Until.IsZero() && w.Until.After(f.End) {
			w.Reason += fmt.Sprintf(", then waits until%s", when)
		}
	case !r.StartAt.IsZero() && now.Before(r.StartAt):
		w.Reason = "is scheduled for " + c.Format(r.StartAt)
		if !w.Until.IsZero() && w.Until.After(r.StartAt) {
			w.Reason += "; a freeze holds that time, so it waits until" + when
		}
	case r.Window != "":
		w.Reason = "waits for the window " + r.Window
		o, ok := c.NextOpening(r.Window, now)
		switch f, frozen := freezeAt(fs, o.Start); {
		case w.Until.IsZero():
		case ok && o.Start.Equal(w.Until):
			w.Reason += ", which opens" + when
		case ok && frozen:
			w.Reason += fmt.Sprintf("; its opening at %s falls in %s, so it goes%s", c.Format(o.Start), f.Label(), when)
		default:
			w.Reason += "; it goes" + when
		}
	default:
		w.Reason = "can't start yet"
	}
	if w.Until.IsZero() {
		w.Reason += " (no opening in the next year)"
	}
	return w
}

// allowed reports whether r may start at t, given the freezes fs.
func (c *Calendar) allowed(fs []releases.Freeze, r *releases.Release, t time.Time) bool {
	if _, frozen := freezeAt(fs, t); frozen {
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
func (c *Calendar) nextAllowed(fs []releases.Freeze, r *releases.Release, now time.Time) time.Time {
	limit := now.Add(horizon)
	candidates := []time.Time{}
	if r.StartAt.After(now) {
		candidates = append(candidates, r.StartAt)
	}
	for _, f := range fs {
		if f.End.After(now) && f.End.Before(limit) {
			candidates = append(candidates, f.End)
		}
	}
	if w, ok := c.windows[r.Window]; ok && w.Cron != nil {
		for t, i := c.next(w, now), 0; !t.IsZero() && t.Before(limit) && i < 5000; t, i = c.next(w, t), i+1 {
			candidates = append(candidates, t)
		}
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].Before(candidates[j]) })
	for _, t := range candidates {
		if c.allowed(fs, r, t) {
			return t
		}
	}
	return time.Time{}
}

func freezeAt(fs []releases.Freeze, t time.Time) (releases.Freeze, bool) {
	for _, f := range fs {
		if f.Active(t) {
			return f, true
		}
	}
	return releases.Freeze{}, false
}

// next returns the first opening of w after t.
func (c *Calendar) next(w releases.Window, t time.Time) time.Time { return Next(w.Cron, t) }

// NextOpening returns the first opening of window after t; false for an
// unknown window or one that never opens again.
func (c *Calendar) NextOpening(window string, t time.Time) (releases.Opening, bool) {
	w, ok := c.windows[window]
	if !ok || w.Cron == nil {
		return releases.Opening{}, false
	}
	start := c.next(w, t)
	if start.IsZero() {
		return releases.Opening{}, false
	}
	return releases.Opening{Window: w.Name, Start: start, End: start.Add(w.Duration)}, true
}

// OpenAt returns the opening of window that is open at t, if any.
func (c *Calendar) OpenAt(window string, t time.Time) (releases.Opening, bool) {
	// The only opening that can still be open at t is the first one after
	// t - duration.
	w, ok := c.windows[window]
	if !ok {
		return releases.Opening{}, false
	}
	o, ok := c.NextOpening(window, t.Add(-w.Duration))
	if !ok || o.Start.After(t) {
		return releases.Opening{}, false
	}
	return o, true
}

// Upcoming returns the openings of every window that start after from and
// before to, in time order, at most max of them.
func (c *Calendar) Upcoming(from, to time.Time, max int) []releases.Opening {
	var out []releases.Opening
	for _, name := range c.names {
		w := c.windows[name]
		if w.Cron == nil {
			continue
		}
		for t, i := c.next(w, from), 0; !t.IsZero() && t.Before(to) && i < max; t, i = c.next(w, t), i+1 {
			out = append(out, releases.Opening{Window: w.Name, Start: t, End: t.Add(w.Duration)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
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

// Windows returns the configured windows, in configured order.
func (c *Calendar) Windows() []releases.Window {
	out := make([]releases.Window, len(c.names))
	for i, name := range c.names {
		out[i] = c.windows[name]
	}
	return out
}

// FreezeAt returns the freeze in force at t, if any: configured or ad hoc.
func (c *Calendar) FreezeAt(ctx context.Context, t time.Time) (releases.Freeze, bool, error) {
	fs, err := c.load(ctx, c.adhoc, t)
	if err != nil {
		return releases.Freeze{}, false, err
	}
	f, ok := freezeAt(fs, t)
	return f, ok, nil
}

// Hold returns the freeze in force at t as a hold on deployments waiting
// to be sent (see releases.DeliveryClaim); nil when none is.
func (c *Calendar) Hold(ctx context.Context, t time.Time) (*releases.Hold, error) {
	f, frozen, err := c.FreezeAt(ctx, t)
	if err != nil || !frozen {
		return nil, err
	}
	return &releases.Hold{Until: f.End, Note: fmt.Sprintf("is held by %s until %s", f.Label(), c.Format(f.End))}, nil
}

// Freezes returns the freezes, configured and ad hoc, that have not ended
// by t, soonest first.
func (c *Calendar) Freezes(ctx context.Context, t time.Time) ([]releases.Freeze, error) {
	return c.load(ctx, c.adhoc, t)
}

// Format renders t in the configured zone for people: "Tue 1 Dec 2026 14:00 CET".
func (c *Calendar) Format(t time.Time) string {
	return t.In(c.loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// Location is the configured zone.
func (c *Calendar) Location() *time.Location { return c.loc }
