package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// job is one recurring thing the scheduler fires.
type job struct {
	name string // "window:NAME", "reminder:NAME", "summary:NAME": the claim key's first half
	// next returns the first firing after t; zero for none.
	next func(t time.Time) time.Time
	// worth tells whether a firing scheduled at at is still worth acting on
	// at now, and if not, why.
	worth func(at, now time.Time) (bool, string)
	// act does the firing's work and says what it did. It must be
	// idempotent: a firing whose replica died is done again.
	act func(ctx context.Context, at time.Time) (string, error)
}

// Job names.
func windowJob(name string) string   { return "window:" + name }
func reminderJob(name string) string { return "reminder:" + name }
func summaryJob(name string) string  { return "summary:" + name }

func (s *Scheduler) buildJobs() []*job {
	var jobs []*job
	for _, w := range s.cal.Windows() {
		if w.Cron == nil {
			continue
		}
		jobs = append(jobs, &job{
			name: windowJob(w.Name),
			next: func(t time.Time) time.Time { return Next(w.Cron, t) },
			worth: func(at, now time.Time) (bool, string) {
				if end := at.Add(w.Duration); now.Before(end) {
					return true, ""
				}
				return false, fmt.Sprintf("the window closed at %s before a replica ran", s.cal.Format(at.Add(w.Duration)))
			},
			act: func(ctx context.Context, at time.Time) (string, error) { return s.openWindow(ctx, w, at) },
		})
		if before := s.before; before > 0 {
			jobs = append(jobs, &job{
				name: reminderJob(w.Name),
				next: func(t time.Time) time.Time {
					o := Next(w.Cron, t.Add(before))
					if o.IsZero() {
						return o
					}
					return o.Add(-before)
				},
				worth: func(at, now time.Time) (bool, string) {
					if opening := at.Add(before); now.Before(opening) {
						return true, ""
					}
					return false, fmt.Sprintf("the window it reminds of opened at %s before a replica ran", s.cal.Format(at.Add(before)))
				},
				act: func(ctx context.Context, at time.Time) (string, error) { return s.remind(ctx, w, at.Add(before)) },
			})
		}
	}
	for _, sum := range s.summaries {
		if sum.Cron == nil {
			continue
		}
		jobs = append(jobs, &job{
			name: summaryJob(sum.Name),
			next: func(t time.Time) time.Time { return Next(sum.Cron, t) },
			worth: func(at, now time.Time) (bool, string) {
				if now.Sub(at) <= s.grace {
					return true, ""
				}
				return false, fmt.Sprintf("more than %s late (the grace period) when a replica ran", s.grace)
			},
			act: func(ctx context.Context, at time.Time) (string, error) { return s.summarize(ctx, sum, at) },
		})
	}
	return jobs
}

// openWindow starts the window's ready releases; those a freeze holds are
// told so in their threads, once.
func (s *Scheduler) openWindow(ctx context.Context, w releases.Window, at time.Time) (string, error) {
	ready, err := listAll(ctx, s.rel, releases.StatusReady)
	if err != nil {
		return "", err
	}
	opening := fmt.Sprintf("the %s opening of %s", w.Name, s.cal.Format(at))
	var started, held []string
	var errs []error
	sort.Slice(ready, func(i, j int) bool { return ready[i].ID < ready[j].ID }) // oldest first
	for i := range ready {
		r := &ready[i]
		if r.Window != w.Name {
			continue
		}
		got, err := s.rel.StartAtOpening(ctx, r.ID, opening)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", releases.FormatID(r.ID), err))
			continue
		}
		if got.Status == releases.StatusReady {
			held = append(held, releases.FormatID(r.ID))
		} else {
			started = append(started, releases.FormatID(r.ID))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	var parts []string
	if len(started) > 0 {
		parts = append(parts, "started "+strings.Join(started, ", "))
	}
	if len(held) > 0 {
		why := "held"
		if f, frozen, err := s.cal.FreezeAt(ctx, at); err == nil && frozen {
			why = "held by " + f.Label()
		}
		parts = append(parts, why+": "+strings.Join(held, ", "))
	}
	if len(parts) == 0 {
		return "no ready release", nil
	}
	return strings.Join(parts, "; "), nil
}

// remind nudges, before the window w opens at opening, every team still
// missing sign-offs for a release in that window. An opening a freeze
// holds gets no reminders: nothing would go then.
func (s *Scheduler) remind(ctx context.Context, w releases.Window, opening time.Time) (string, error) {
	if f, frozen, err := s.cal.FreezeAt(ctx, opening); err != nil {
		return "", err
	} else if frozen {
		return "no reminders: the opening falls in " + f.Label(), nil
	}
	waiting, err := listAll(ctx, s.rel, releases.StatusAwaitingSignoff)
	if err != nil {
		return "", err
	}
	sort.Slice(waiting, func(i, j int) bool { return waiting[i].ID < waiting[j].ID })
	job := reminderJob(w.Name)
	at := opening.Add(-s.before)
	var nudged []string
	for i := range waiting {
		r := &waiting[i]
		if r.Window != w.Name {
			continue
		}
		for _, sf := range s.policy.Missing(r) {
			team, ok := s.team(sf.Team)
			if !ok {
				continue
			}
			rem := Reminder{Release: *r, Team: team.Name, Channel: team.Channel, Leads: team.Leads,
				Have: sf.Have, Need: sf.Need, Window: w.Name, Opening: opening}
			if err := s.announce.Remind(ctx, key(job, at, releases.FormatID(r.ID)+"/"+team.Name), rem); err != nil {
				return "", fmt.Errorf("remind %s of %s: %w", team.Name, releases.FormatID(r.ID), err)
			}
			nudged = append(nudged, team.Name+" for "+releases.FormatID(r.ID))
		}
	}
	if len(nudged) == 0 {
		return "nobody to remind", nil
	}
	return "nudged " + strings.Join(nudged, ", "), nil
}
