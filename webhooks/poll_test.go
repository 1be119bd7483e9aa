package webhooks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

// pollKind is a kind of target, known to this file alone, that starts a
// run and is asked about it until it finishes: the seam CI kinds use.
const pollKind = "fake_run"

type pollTarget struct {
	mu    sync.Mutex
	sends int
	polls []string              // run ids asked about
	state releases.StatusReport // what the next poll answers
}

func (p *pollTarget) Send(_ context.Context, req webhooks.Request) (webhooks.Outcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sends++
	return webhooks.Outcome{Verdict: webhooks.Accepted, Code: 200, Report: releases.StatusReport{
		Status: releases.DeploymentInProgress, RunID: "run-" + req.Payload.DeploymentID,
		URL: "https://ci.example.com/runs/" + req.Payload.DeploymentID}}, nil
}

func (p *pollTarget) Poll(_ context.Context, _ webhooks.Request, d releases.Deployment) (webhooks.Outcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.polls = append(p.polls, d.RunID)
	return webhooks.Outcome{Verdict: webhooks.Accepted, Code: 200, Report: p.state}, nil
}

func (p *pollTarget) answer(rep releases.StatusReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = rep
}

func (p *pollTarget) counts() (int, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sends, append([]string(nil), p.polls...)
}

// TestPolledTargetKind: a run a target started is recorded with the
// deployment, asked about every PollEvery — by a new worker too, as after
// a restart — and finished by the poll that sees it finish; it is sent
// once.
func TestPolledTargetKind(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h := newHarness(t, s, defaultEnvs())
		fake := &pollTarget{state: releases.StatusReport{Status: releases.DeploymentInProgress}}
		h.registry = webhooks.Builtin()
		h.registry[pollKind] = func(config.Deploy, webhooks.Deps) (webhooks.Target, webhooks.Timing, error) {
			return fake, webhooks.Timing{Timeout: time.Second, MaxAttempts: 3, FinishWithin: time.Hour, PollEvery: time.Minute}, nil
		}
		h.cfg.Environments[0].Deploy.Kind = pollKind
		h.wire(s)
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		d := h.deployment(id)
		want := "run-" + releases.FormatDeploymentID(id)
		if d.Status != releases.DeploymentInProgress || d.RunKind != pollKind || d.RunID != want ||
			d.URL != "https://ci.example.com/runs/"+releases.FormatDeploymentID(id) {
			t.Fatalf("after the send: %s, run %s %q, url %q; want in_progress following %s", d.Status, d.RunKind, d.RunID, d.URL, want)
		}
		if sends, polls := fake.counts(); sends != 1 || len(polls) != 0 {
			t.Fatalf("sends %d, polls %v before the first poll is due", sends, polls)
		}
		h.clock.Advance(time.Minute)
		h.runOnce()
		if _, polls := fake.counts(); len(polls) != 1 || polls[0] != want {
			t.Fatalf("polls after a minute: %v, want one of %s", polls, want)
		}
		// A restart: a new worker over the same database follows the run.
		h.wire(s)
		h.clock.Advance(30 * time.Second)
		h.runOnce()
		if _, polls := fake.counts(); len(polls) != 1 {
			t.Fatalf("polled again before PollEvery passed: %v", polls)
		}
		fake.answer(releases.StatusReport{Status: releases.DeploymentSucceeded, Message: "run finished"})
		h.clock.Advance(30 * time.Second)
		h.runOnce()
		d = h.deployment(id)
		if d.Status != releases.DeploymentSucceeded || d.Message != "run finished" {
			t.Fatalf("after the run finished: %s %q, want succeeded", d.Status, d.Message)
		}
		h.clock.Advance(time.Hour)
		h.runOnce()
		if sends, polls := fake.counts(); sends != 1 || len(polls) != 2 {
			t.Fatalf("sends %d, polls %v; want 1 send and 2 polls, none after it finished", sends, polls)
		}
	})
}
