package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// Starter is what the loop needs of the release service.
type Starter interface {
	List(ctx context.Context, f releases.Filter) ([]releases.Release, error)
	StartIfDue(ctx context.Context, id int64) (*releases.Release, error)
	// ExpireDue cancels the releases that awaited sign-off too long.
	ExpireDue(ctx context.Context) ([]int64, error)
}

// Loop starts ready releases whenever the calendar lets them: a release
// without a window at once, a start time when it comes, a window's release
// while it is open, anything a freeze held when the freeze ends. Starting
// is idempotent under the release's lock, so replicas running the loop
// together start each release once. The Scheduler runs it on every tick;
// window openings themselves are the Scheduler's firings.
type Loop struct {
	svc Starter
	cal *Calendar
	now func() time.Time
	log *slog.Logger

	lastExpiry time.Time // when this loop last looked for releases to expire
}

// expireEvery is how often the loop looks for releases whose sign-offs
// did not come in time: the expiry is days, a minute late is on time.
const expireEvery = time.Minute

// NewLoop returns a loop over svc and cal.
func NewLoop(svc Starter, cal *Calendar, now func() time.Time, log *slog.Logger) *Loop {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Loop{svc: svc, cal: cal, now: now, log: log}
}

// Tick starts every ready release that may start now and returns how many
// it started. Once a minute it also cancels the releases that awaited
// sign-off longer than the configured expiry: each under its lock, so that
// replicas doing it together cancel each release once.
func (l *Loop) Tick(ctx context.Context) (int, error) {
	now := l.now()
	if now.Sub(l.lastExpiry) >= expireEvery || now.Before(l.lastExpiry) {
		l.lastExpiry = now
		expired, err := l.svc.ExpireDue(ctx)
		for _, id := range expired {
			l.log.Info("scheduler: release expired awaiting sign-off; cancelled", "release", releases.FormatID(id))
		}
		if err != nil {
			l.log.Error("expire releases awaiting sign-off", "err", err)
		}
	}
	fs, err := l.cal.load(ctx, l.cal.adhoc, now)
	if err != nil {
		return 0, err
	}
	ready, err := listAll(ctx, l.svc, releases.StatusReady)
	if err != nil {
		return 0, err
	}
	started := 0
	for i := range ready {
		r := &ready[i]
		if r.OverrideBy == "" && !l.cal.allowed(fs, r, now) {
			continue
		}
		got, err := l.svc.StartIfDue(ctx, r.ID)
		if err != nil {
			l.log.Error("start release", "release", releases.FormatID(r.ID), "err", err)
			continue
		}
		if got.Status != releases.StatusReady {
			started++
		}
	}
	return started, nil
}

// listAll returns every release in one of statuses, newest first, a page
// at a time.
func listAll(ctx context.Context, svc interface {
	List(ctx context.Context, f releases.Filter) ([]releases.Release, error)
}, statuses ...releases.Status) ([]releases.Release, error) {
	var out []releases.Release
	f := releases.Filter{Statuses: statuses, Limit: releases.MaxLimit}
	for {
		page, err := svc.List(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < f.Limit {
			return out, nil
		}
		f.Before = page[len(page)-1].ID
	}
}

// Run ticks until ctx ends, on the interval's boundaries of the clock (on
// the whole second for 1s), so that a window opening on the minute is seen
// within milliseconds.
func (l *Loop) Run(ctx context.Context, interval time.Duration) {
	for {
		if _, err := l.Tick(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("scheduler tick", "err", err)
		}
		if !sleep(ctx, untilBoundary(l.now(), interval)) {
			return
		}
	}
}

// boundarySlack lands a tick just after a boundary, not just before it.
const boundarySlack = 5 * time.Millisecond

// untilBoundary is how long from now to the next multiple of interval.
func untilBoundary(now time.Time, interval time.Duration) time.Duration {
	if interval <= 0 {
		interval = time.Second
	}
	return interval - time.Duration(now.UnixNano()%int64(interval)) + boundarySlack
}

// sleep waits d, or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
