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
}

// Loop starts ready releases when their window opens, their start time
// comes or a freeze ends. Starting is idempotent under the release's lock,
// so replicas running the loop together start each release once.
type Loop struct {
	svc Starter
	cal *Calendar
	now func() time.Time
	log *slog.Logger
}

// NewLoop returns a loop over svc and cal.
func NewLoop(svc Starter, cal *Calendar, now func() time.Time, log *slog.Logger) *Loop {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Loop{svc: svc, cal: cal, now: now, log: log}
}

// Tick starts every ready release that may start now and returns how many
// it started.
func (l *Loop) Tick(ctx context.Context) (int, error) {
	ready, err := l.svc.List(ctx, releases.Filter{Statuses: []releases.Status{releases.StatusReady}, Limit: releases.MaxLimit})
	if err != nil {
		return 0, err
	}
	now := l.now()
	started := 0
	for i := range ready {
		r := &ready[i]
		if r.OverrideBy == "" && !l.cal.allowed(r, now) {
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

// Run ticks every interval until ctx ends.
func (l *Loop) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := l.Tick(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("scheduler tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
