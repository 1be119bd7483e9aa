package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// Store is what the worker reads of releases.
type Store interface {
	PendingDeployments(ctx context.Context, limit int) ([]releases.Deployment, error)
	InFlight(ctx context.Context, service, env string) ([]releases.Deployment, error)
	Release(ctx context.Context, id int64) (*releases.Release, error)
}

// Reporter records deployment outcomes; *releases.Service is one.
type Reporter interface {
	ReportDeployment(ctx context.Context, actor string, deploymentID int64, rep releases.StatusReport) (*releases.Release, error)
}

// Worker sends pending deployments to their environments' targets, one at
// a time per service and environment, oldest first.
type Worker struct {
	store     Store
	reporter  Reporter
	targets   map[string]config.Deploy
	publicURL string
	log       *slog.Logger
	kick      chan struct{}

	mu     sync.Mutex
	warned map[int64]bool
}

// Options configure a Worker.
type Options struct {
	Store        Store
	Reporter     Reporter
	Environments []config.Environment
	PublicURL    string
	Logger       *slog.Logger
}

// NewWorker returns a worker for the configured environments.
func NewWorker(opts Options) *Worker {
	w := &Worker{store: opts.Store, reporter: opts.Reporter, targets: map[string]config.Deploy{},
		publicURL: opts.PublicURL, log: opts.Logger, kick: make(chan struct{}, 1), warned: map[int64]bool{}}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	for _, e := range opts.Environments {
		w.targets[e.Name] = e.Deploy
	}
	return w
}

// ReleaseChanged wakes the worker when a deployment may have become
// sendable: one was created, or one finished and freed its environment.
func (w *Worker) ReleaseChanged(_ context.Context, c releases.Change) {
	for _, e := range c.Events {
		switch e.Action {
		case releases.ActionDeploymentStarted, releases.ActionRollbackStarted, releases.ActionDeploymentStatus:
			w.Kick()
			return
		}
	}
}

// Kick asks the running worker to look for work now.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run sends deployments until ctx ends, woken by Kick and every poll.
func (w *Worker) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := w.Drain(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("deployment worker", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-t.C:
		}
	}
}

// Drain sends every deployment that can go now, including those that the
// finished ones unblock.
func (w *Worker) Drain(ctx context.Context) error {
	for {
		n, err := w.RunOnce(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// RunOnce sends the deployments that can go now and returns how many it
// handled.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	pending, err := w.store.PendingDeployments(ctx, 100)
	if err != nil {
		return 0, err
	}
	type target struct{ service, env string }
	seen := map[target]bool{}
	handled := 0
	for _, d := range pending {
		key := target{d.Service, d.Environment}
		if seen[key] {
			continue // only the oldest pending deployment of a target may go
		}
		seen[key] = true
		inflight, err := w.store.InFlight(ctx, d.Service, d.Environment)
		if err != nil {
			return handled, err
		}
		if len(inflight) > 0 && inflight[0].ID != d.ID {
			continue // an earlier one occupies the environment
		}
		ok, err := w.send(ctx, d)
		if err != nil {
			return handled, err
		}
		if ok {
			handled++
		}
	}
	return handled, nil
}

// send delivers one deployment; it reports whether it changed anything.
func (w *Worker) send(ctx context.Context, d releases.Deployment) (bool, error) {
	id := releases.FormatDeploymentID(d.ID)
	target, ok := w.targets[d.Environment]
	if !ok {
		_, err := w.reporter.ReportDeployment(ctx, releases.SystemActor, d.ID, releases.StatusReport{
			Status: releases.DeploymentFailed, Message: fmt.Sprintf("environment %s is not configured any more", d.Environment)})
		return err == nil, err
	}
	if !target.IsLog() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.warned[d.ID] {
			w.warned[d.ID] = true
			w.log.Warn("HTTP deploy targets are not implemented yet; the deployment stays pending", "deployment", id, "environment", d.Environment)
		}
		return false, nil
	}
	r, err := w.store.Release(ctx, d.ReleaseID)
	if err != nil {
		return false, fmt.Errorf("send %s: %w", id, err)
	}
	p := NewPayload(r, &d, w.publicURL)
	w.log.Info("deploy target "+target.URL+" would receive",
		"type", p.Type, "deployment_id", p.DeploymentID, "release_id", p.ReleaseID, "service", p.Service,
		"version", p.Version, "previous_version", p.PreviousVersion, "environment", p.Environment,
		"requested_by", p.RequestedBy, "approved_by", p.ApprovedBy, "callback_url", p.CallbackURL)
	_, err = w.reporter.ReportDeployment(ctx, releases.SystemActor, d.ID, releases.StatusReport{
		Status: releases.DeploymentSucceeded, Message: "logged by the " + target.URL + " target; nothing was called"})
	if releases.ErrorCode(err) == releases.EConflict {
		return false, nil // another worker finished it first
	}
	return err == nil, err
}
