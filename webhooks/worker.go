package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// Metrics counts webhook attempts; *metrics.Metrics is one.
type Metrics interface {
	WebhookAttempt(env, outcome string, d time.Duration)
}

// Store is what the worker needs of the database; *gormstore.Store is one.
type Store interface {
	releases.DeliveryStore
	Release(ctx context.Context, id int64) (*releases.Release, error)
}

// Reporter records deployment outcomes; *releases.Coordinator is one.
type Reporter interface {
	ReportDeployment(ctx context.Context, actor string, deploymentID int64, rep releases.StatusReport) (*releases.Release, error)
	TimeOut(ctx context.Context, deploymentID int64) (*releases.Release, error)
	NoteHeld(ctx context.Context, deploymentID int64, h releases.Hold) (*releases.Release, error)
}

// Worker delivers pending deployments to their environments' targets —
// retried with backoff, one at a time per service and environment —
// records what the deployers answered, and times out deployments that got
// no final status within their environment's finish_within.
//
// All state lives in the database: any number of workers, in one process
// or in replicas, share the work, each delivery is claimed by one of them
// at a time, and a delivery a worker dropped (a crash, kill -9) is taken
// up again with its webhook id once its claim lapses.
type Worker struct {
	store       Store
	reporter    Reporter
	envs        map[targetKey]Environment
	publicURL   string
	log         *slog.Logger
	now         func() time.Time
	jitter      func() float64
	after       func(time.Duration) <-chan time.Time
	concurrency int
	lease       time.Duration
	kick        chan struct{}
	metrics     Metrics
	freeze      func(ctx context.Context, now time.Time) (*releases.Hold, error)
}

// Options configure a Worker. Store, Reporter and Environments are
// required.
type Options struct {
	Metrics  Metrics // optional: webhook attempts by environment and outcome
	Store    Store
	Reporter Reporter
	// Environments are the resolved targets (Registry.Resolve).
	Environments []Environment
	PublicURL    string       // base of callback URLs; default http://localhost:8080
	Logger       *slog.Logger // default discard

	// Now is the clock of attempts, retries, claims and timeouts; default
	// time.Now. Share the release service's.
	Now func() time.Time
	// Jitter returns a number in [0, 1) that spreads retries; default
	// math/rand/v2. Tests fix it.
	Jitter func() float64
	// After is how Run waits; default time.After. Tests drive it.
	After func(time.Duration) <-chan time.Time
	// Concurrency is how many deliveries are sent at once; default 8.
	Concurrency int
	// Freeze returns the freeze in force at now, if any
	// (scheduler.Calendar.Hold): deployments that were waiting to be sent
	// when it began are held until it ends, and their threads say so.
	// Nil: no freezes.
	Freeze func(ctx context.Context, now time.Time) (*releases.Hold, error)
}

// Retry timing limits.
const (
	// MaxBackoff caps the doubling retry delay.
	MaxBackoff = 5 * time.Minute
	// MaxRetryAfter caps how long a deployer's Retry-After may hold a
	// delivery.
	MaxRetryAfter = time.Hour
	// leaseMargin is how long beyond its environment's slowest timeout a
	// worker holds a claim: time to record the outcome.
	leaseMargin = 30 * time.Second
)

// NewWorker returns a worker for the resolved environments.
func NewWorker(opts Options) *Worker {
	w := &Worker{store: opts.Store, reporter: opts.Reporter,
		publicURL: opts.PublicURL, log: opts.Logger, now: opts.Now, jitter: opts.Jitter, after: opts.After,
		concurrency: opts.Concurrency, kick: make(chan struct{}, 1), metrics: opts.Metrics, freeze: opts.Freeze}
	w.envs = map[targetKey]Environment{}
	if w.publicURL == "" {
		w.publicURL = "http://localhost:8080"
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.jitter == nil {
		w.jitter = rand.Float64
	}
	if w.after == nil {
		w.after = time.After
	}
	if w.concurrency <= 0 {
		w.concurrency = 8
	}
	slowest := defaultTimeout
	for _, e := range opts.Environments {
		w.envs[targetKey{e.Service, e.Name}] = e
		slowest = max(slowest, e.Timing.Timeout)
	}
	w.lease = slowest + leaseMargin
	return w
}

// Lease is how long a claim on a delivery holds: after it lapses, another
// worker may send the delivery again.
func (w *Worker) Lease() time.Duration { return w.lease }

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

// Run delivers and times out deployments until ctx ends. It wakes when
// kicked (a deployment was created or finished), when the next retry,
// lapsing claim or deadline falls due, and at least every poll, which
// also picks up what other replicas left. Deliveries go out concurrently;
// when ctx ends, those in flight finish their attempt (bounded by its
// timeout) and record the outcome before Run returns.
func (w *Worker) Run(ctx context.Context, poll time.Duration) {
	slots := make(chan struct{}, w.concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	send := context.WithoutCancel(ctx)
	for {
		// Claim first: a kick means a deployment is waiting to go out.
		for ctx.Err() == nil {
			free := cap(slots) - len(slots)
			if free == 0 {
				break
			}
			ds, err := w.claim(ctx, free)
			if err != nil {
				if ctx.Err() == nil {
					w.log.Error("claim deliveries", "err", err)
				}
				break
			}
			for _, d := range ds {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() { <-slots; w.Kick() }()
					if err := w.deliver(send, d); err != nil {
						w.log.Error("deliver deployment", "deployment", releases.FormatDeploymentID(d.Deployment.ID), "err", err)
					}
				})
			}
			if len(ds) < free {
				break
			}
		}
		if _, err := w.Sweep(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("deployment timeouts", "err", err)
		}
		if _, err := w.PollRuns(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("poll runs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-w.after(w.wait(ctx, poll)):
		}
	}
}

// wait returns how long Run may sleep: until the next retry, lapsing claim
// or deadline, at most poll.
func (w *Worker) wait(ctx context.Context, poll time.Duration) time.Duration {
	now := w.now()
	next, err := w.store.NextDeliveryWake(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("next delivery", "err", err)
		}
		return poll
	}
	if next.IsZero() {
		return poll
	}
	return min(max(next.Sub(now), 10*time.Millisecond), poll)
}

// Drain delivers until nothing more is due now, including what finished
// deliveries unblock.
func (w *Worker) Drain(ctx context.Context) error {
	for {
		n, err := w.RunOnce(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// RunOnce times out overdue deployments, then claims the deliveries that
// are due now (up to the worker's concurrency), sends them and records the
// outcomes before it returns. It returns how many deployments it handled;
// the terminal shell calls it until that is 0. A failed attempt that will
// be retried counts as handled; its retry is not due yet.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	swept, err := w.Sweep(ctx)
	if err != nil {
		return swept, err
	}
	ds, err := w.claim(ctx, w.concurrency)
	if err != nil {
		return swept, err
	}
	errs := make([]error, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { errs[i] = w.deliver(ctx, d) })
	}
	wg.Wait()
	polled, err := w.PollRuns(ctx)
	return swept + len(ds) + polled, errors.Join(append(errs, err)...)
}

// PollRuns asks the targets about the runs that are due a poll (up to the
// worker's concurrency), records what they say, and returns how many it
// asked about. Each run's next poll is set as it is claimed, so a run whose
// poll is lost (a crash, no answer) is asked about again a round later.
func (w *Worker) PollRuns(ctx context.Context) (int, error) {
	now := w.now()
	ds, err := w.store.ClaimRuns(ctx, now, w.concurrency, func(d releases.Deployment) time.Time {
		e, _ := w.target(d.Service, d.Environment)
		return now.Add(e.Timing.pollEvery())
	})
	if err != nil {
		return 0, fmt.Errorf("claim runs: %w", err)
	}
	errs := make([]error, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { errs[i] = w.poll(ctx, d) })
	}
	wg.Wait()
	return len(ds), errors.Join(errs...)
}

// poll asks d's target once about d's run and records the answer.
func (w *Worker) poll(ctx context.Context, d releases.Deployment) error {
	env, ok := w.target(d.Service, d.Environment)
	if !ok {
		return w.report(ctx, d.ID, releases.StatusReport{Status: releases.DeploymentFailed,
			Message: fmt.Sprintf("environment %s is not configured any more", d.Environment)})
	}
	p, ok := env.Target.(Poller)
	if !ok {
		// The target changed kind since the run started: its webhook or
		// the deadline finishes the deployment.
		return nil
	}
	r, err := w.store.Release(ctx, d.ReleaseID)
	if err != nil {
		return fmt.Errorf("load %s: %w", releases.FormatID(d.ReleaseID), err)
	}
	req := w.request(r, &d, env, "")
	pctx, cancel := context.WithTimeout(ctx, req.Timeout)
	out, err := p.Poll(pctx, req, d)
	cancel()
	if err != nil {
		return fmt.Errorf("poll %s run %s of %s: %w", d.RunKind, d.RunID, releases.FormatDeploymentID(d.ID), err)
	}
	w.log.Info("deployment run polled", "deployment", releases.FormatDeploymentID(d.ID), "environment", d.Environment,
		"run_kind", d.RunKind, "run_id", d.RunID, "status", out.Code, "outcome", out.summary())
	switch out.Verdict {
	case Accepted:
		rep := out.Report
		rep.RunKind, rep.RunID, rep.PollAt = d.RunKind, d.RunID, time.Time{}
		return w.recordAnswer(ctx, d.ID, rep)
	case Failed:
		return w.report(ctx, d.ID, releases.StatusReport{Status: releases.DeploymentFailed, Message: out.Reason})
	}
	return nil // Retry: the next round asks again
}

// Sweep times out every deployment whose finish_within has passed without
// a final status, and returns how many it timed out. TimeOut leaves a
// deployment that finished meanwhile alone, so replicas sweeping together
// change each deployment once.
func (w *Worker) Sweep(ctx context.Context) (int, error) {
	overdue, err := w.store.OverdueDeployments(ctx, w.now(), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range overdue {
		if _, err := w.reporter.TimeOut(ctx, d.ID); err != nil {
			return n, fmt.Errorf("time out %s: %w", releases.FormatDeploymentID(d.ID), err)
		}
		w.log.Warn("deployment timed out: no final status within finish_within",
			"deployment", releases.FormatDeploymentID(d.ID), "environment", d.Environment)
		n++
	}
	return n, nil
}

func (w *Worker) claim(ctx context.Context, limit int) ([]releases.Delivery, error) {
	now := w.now()
	c := releases.DeliveryClaim{Now: now, Lease: w.lease, Limit: limit,
		FinishWithin: func(service, env string) time.Duration {
			e, _ := w.target(service, env)
			return e.Timing.FinishWithin
		}}
	if w.freeze != nil {
		hold, err := w.freeze(ctx, now)
		if err != nil {
			return nil, fmt.Errorf("freezes: %w", err)
		}
		c.Freeze = hold
		c.Held = func(d releases.Deployment) {
			w.log.Info("deployment held by a freeze", "deployment", releases.FormatDeploymentID(d.ID),
				"environment", d.Environment, "hold", hold.Note)
			if _, err := w.reporter.NoteHeld(ctx, d.ID, *hold); err != nil {
				w.log.Error("note a held deployment in its thread", "deployment", releases.FormatDeploymentID(d.ID), "err", err)
			}
		}
	}
	return w.store.ClaimDeliveries(ctx, c)
}

// deliver makes one attempt at a claimed delivery and records its outcome:
// accepted (and maybe finished), due again later, or failed. A delivery
// that has used up its attempts (its earlier claims lapsed: a crash, or an
// outcome that could not be recorded) is not sent again but failed. An
// error means the outcome could not be recorded; the claim then lapses and
// the delivery is taken up again, within its retry budget.
func (w *Worker) deliver(ctx context.Context, dl releases.Delivery) error {
	d := dl.Deployment
	env, ok := w.target(d.Service, d.Environment)
	if !ok {
		return w.report(ctx, d.ID, releases.StatusReport{Status: releases.DeploymentFailed,
			Message: fmt.Sprintf("environment %s is not configured any more", d.Environment)})
	}
	timing := env.Timing
	if budget := timing.MaxAttempts; budget > 0 && d.Attempts > budget {
		// Only a lapsed claim gets here: a failed last attempt is
		// recorded as failed below.
		w.log.Warn("deployment webhook: out of attempts, not sent again", "deployment", releases.FormatDeploymentID(d.ID),
			"webhook_id", dl.WebhookID, "environment", d.Environment, "attempt", d.Attempts)
		return w.report(ctx, d.ID, releases.StatusReport{Status: releases.DeploymentFailed,
			Message: fmt.Sprintf("gave up after %d attempts: the outcome of the last one was not recorded", budget)})
	}
	r, err := w.store.Release(ctx, d.ReleaseID)
	if err != nil {
		return fmt.Errorf("load %s: %w", releases.FormatID(d.ReleaseID), err)
	}
	req := w.request(r, &d, env, dl.WebhookID)
	start := time.Now()
	out, err := w.send(ctx, env.Target, req)
	took := time.Since(start)
	if err != nil {
		return err
	}
	again := out.Verdict == Retry && timing.retriesLeft(d.Attempts)
	if !out.Local {
		w.noteAttempt(req, out, again, took)
	}
	switch {
	case out.Verdict == Accepted && out.Local:
		return w.report(ctx, d.ID, out.Report)
	case out.Verdict == Accepted:
		if _, polls := env.Target.(Poller); polls && out.Report.RunID != "" && out.Report.Status == releases.DeploymentInProgress {
			out.Report.RunKind = env.Kind
			out.Report.PollAt = w.now().Add(timing.pollEvery())
		}
		return w.recordAnswer(ctx, d.ID, out.Report)
	case again:
		next := w.now().Add(w.retryDelay(timing, d.Attempts, out.RetryAfter))
		return w.store.RetryDelivery(ctx, d.ID, next, releases.ScrubText(out.Reason, releases.MaxNote, false))
	case out.Verdict == Retry:
		return w.report(ctx, d.ID, releases.StatusReport{Status: releases.DeploymentFailed,
			Message: fmt.Sprintf("gave up after %d attempts: %s", d.Attempts, out.Reason)})
	}
	return w.report(ctx, d.ID, releases.StatusReport{Status: releases.DeploymentFailed, Message: out.Reason})
}

// targetKey names a resolved target: a catalog service's own in an
// environment, or (service "") the environment's.
type targetKey struct{ service, env string }

// target returns where a service's deployments to env go: the service's
// own target there, else the environment's.
func (w *Worker) target(service, env string) (Environment, bool) {
	if e, ok := w.envs[targetKey{service, env}]; ok {
		return e, true
	}
	e, ok := w.envs[targetKey{"", env}]
	return e, ok
}

// request is the request of an attempt at deployment d of release r.
func (w *Worker) request(r *releases.Release, d *releases.Deployment, env Environment, webhookID string) Request {
	p := NewPayload(r, d, w.publicURL)
	if len(env.Vars) > 0 {
		p.Vars = env.Vars
	}
	return Request{Payload: p, WebhookID: webhookID, Attempt: d.Attempts, Timeout: env.Timing.timeout()}
}

// noteAttempt logs and counts an attempt that reached out; again says it
// will be retried.
func (w *Worker) noteAttempt(req Request, out Outcome, again bool, took time.Duration) {
	p := req.Payload
	w.log.Info("deployment webhook", "deployment", p.DeploymentID, "webhook_id", req.WebhookID,
		"environment", p.Environment, "attempt", req.Attempt, "status", out.Code, "took", took.Round(time.Millisecond),
		"outcome", out.summary())
	if w.metrics == nil {
		return
	}
	result := "failed"
	switch {
	case out.Verdict == Accepted:
		result = "accepted"
	case again:
		result = "retry"
	}
	w.metrics.WebhookAttempt(p.Environment, result, took)
}

// send makes one request to target within the environment's timeout.
func (w *Worker) send(ctx context.Context, target Target, req Request) (Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	return target.Send(ctx, req)
}

// recordAnswer records what a deployer answered to a delivery it took. If
// that fails, the status alone is recorded: the deployer has the delivery,
// and sending it again because its words could not be stored would only
// repeat the failure every time the claim lapsed.
func (w *Worker) recordAnswer(ctx context.Context, id int64, rep releases.StatusReport) error {
	err := w.report(ctx, id, rep)
	if err == nil || (rep.Message == "" && rep.URL == "") {
		return err
	}
	w.log.Error("record the deployer's answer; recording its status alone", "deployment", releases.FormatDeploymentID(id), "err", err)
	return w.report(ctx, id, releases.StatusReport{Status: rep.Status,
		Message: "the deployer's message could not be recorded"})
}

// report records an outcome. A deployment that finished otherwise
// meanwhile (the deployer called back first, or it timed out) keeps that.
func (w *Worker) report(ctx context.Context, id int64, rep releases.StatusReport) error {
	_, err := w.reporter.ReportDeployment(ctx, releases.SystemActor, id, rep)
	switch releases.ErrorCode(err) {
	case "", releases.EConflict, releases.ENotFound:
		return nil
	}
	return fmt.Errorf("record %s of %s: %w", rep.Status, releases.FormatDeploymentID(id), err)
}

// retryDelay is the wait before the next attempt after attempt number n
// failed: the environment's backoff doubled n-1 times, capped at
// MaxBackoff, give or take 20% jitter; longer when the deployer asked for
// it with Retry-After.
func (w *Worker) retryDelay(timing Timing, n int, retryAfter time.Duration) time.Duration {
	d := timing.Backoff
	if d <= 0 {
		d = defaultBackoff
	}
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	d = min(time.Duration(float64(d)*(0.8+0.4*w.jitter())), MaxBackoff)
	if retryAfter > d {
		d = min(retryAfter, MaxRetryAfter)
	}
	return d
}
