package webhooks_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

// fakeKind is a kind of deploy target that only this file knows: the
// proof that a kind is one file and a registry entry.
const fakeKind = "fake"

// fakeTarget answers from a script and notes every request. It verifies
// callbacks with productionSecret, to show callbacks are the worker's,
// whatever the kind.
type fakeTarget struct {
	mu     sync.Mutex
	script []webhooks.Outcome
	got    []webhooks.Request
	dls    []time.Time // the deadline of each request's ctx
}

func (f *fakeTarget) Send(ctx context.Context, req webhooks.Request) (webhooks.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, req)
	dl, _ := ctx.Deadline()
	f.dls = append(f.dls, dl)
	out := webhooks.Outcome{Verdict: webhooks.Accepted, Report: releases.StatusReport{Status: releases.DeploymentInProgress}}
	if len(f.script) > 0 {
		out, f.script = f.script[0], f.script[1:]
	}
	return out, nil
}

func (f *fakeTarget) CallbackKey() ([]byte, error) {
	return config.Secret(productionSecret).SigningKey()
}

func (f *fakeTarget) requests() []webhooks.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]webhooks.Request(nil), f.got...)
}

// fakeTiming is the fake kind's own pacing, whatever the deploy block says.
var fakeTiming = webhooks.Timing{Timeout: time.Minute, MaxAttempts: 2, Backoff: 10 * time.Second, FinishWithin: time.Hour}

// newFakeHarness is a harness whose staging is of the fake kind, built by
// a registry of the built-in kinds and the fake one; production stays a
// webhook.
func newFakeHarness(t *testing.T, s *gormstore.Store, script ...webhooks.Outcome) (*harness, *fakeTarget) {
	t.Helper()
	h := newHarness(t, s, defaultEnvs())
	fake := &fakeTarget{script: script}
	h.registry = webhooks.Builtin()
	h.registry[fakeKind] = func(d config.Deploy, _ webhooks.Deps) (webhooks.Target, webhooks.Timing, error) {
		if d.URL != h.cfg.Environments[0].Deploy.URL {
			t.Errorf("the fake factory built the deploy of %s, not staging's", d.URL)
		}
		return fake, fakeTiming, nil
	}
	h.cfg.Environments[0].Deploy.Kind = fakeKind
	h.wire(s)
	return h, fake
}

// TestFakeTargetKind drives releases through a kind of target added in
// this file alone: the worker claims, retries, times, and takes callbacks
// for it as for any other, and the next environment's webhook follows.
func TestFakeTargetKind(t *testing.T) {
	retry := webhooks.Outcome{Verdict: webhooks.Retry, Reason: "busy", RetryAfter: 30 * time.Second}
	tests := []struct {
		name    string
		script  []webhooks.Outcome
		advance []time.Duration // before each further run of the worker
		sent    []int           // requests the fake has had after each run
		report  bool            // the deployer calls back succeeded
		overdue bool            // then the fake's finish_within passes
		want    releases.DeploymentStatus
		wantMsg string
	}{
		{name: "finished in its answer", sent: []int{1}, want: releases.DeploymentSucceeded, wantMsg: "done by the fake",
			script: []webhooks.Outcome{{Verdict: webhooks.Accepted,
				Report: releases.StatusReport{Status: releases.DeploymentSucceeded, Message: "done by the fake"}}}},
		{name: "retried after its Retry-After, then called back", script: []webhooks.Outcome{retry},
			advance: []time.Duration{29 * time.Second, time.Second}, sent: []int{1, 1, 2}, report: true, want: releases.DeploymentSucceeded},
		{name: "out of its own attempts", script: []webhooks.Outcome{retry, retry},
			advance: []time.Duration{30 * time.Second}, sent: []int{1, 2}, want: releases.DeploymentFailed, wantMsg: "gave up after 2 attempts: busy"},
		{name: "no final status within its finish_within", sent: []int{1}, overdue: true,
			want: releases.DeploymentTimedOut, wantMsg: "no final status in time"},
		{name: "refused", sent: []int{1}, script: []webhooks.Outcome{{Verdict: webhooks.Failed, Reason: "no such service"}},
			want: releases.DeploymentFailed, wantMsg: "no such service"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
				h, fake := newFakeHarness(t, s, tc.script...)
				r := h.release("v1") // created and signed off: staging's deployment is pending
				id := r.Deployments[0].ID
				h.runOnce()
				sent := []int{len(fake.requests())}
				for _, d := range tc.advance {
					h.clock.Advance(d)
					h.runOnce()
					sent = append(sent, len(fake.requests()))
				}
				if !slices.Equal(sent, tc.sent) {
					t.Fatalf("the fake target had %v requests after each run, want %v", sent, tc.sent)
				}
				reqs := fake.requests()
				for i, req := range reqs {
					if req.Attempt != i+1 || req.WebhookID != reqs[0].WebhookID || req.Timeout != time.Minute {
						t.Errorf("request %d: attempt %d, webhook id %q (first %q), timeout %s", i, req.Attempt, req.WebhookID, reqs[0].WebhookID, req.Timeout)
					}
					p := req.Payload
					if p.Type != webhooks.TypeDeploymentRequested || p.Environment != "staging" || p.Version != "v1" ||
						p.DeploymentID != releases.FormatDeploymentID(id) || !strings.HasPrefix(p.CallbackURL, "https://bot.example.com/webhooks/deployments/D-") {
						t.Errorf("request %d: payload %+v", i, p)
					}
				}
				if d := fake.dls[0]; d.IsZero() {
					t.Error("the worker sent without a timeout")
				}
				if got := len(h.deployers["staging"].requests()); got != 0 {
					t.Errorf("staging's webhook got %d requests; its kind is the fake", got)
				}
				if tc.report {
					if d := h.deployment(id); d.Status != releases.DeploymentInProgress {
						t.Fatalf("before the callback: %s, want in_progress", d.Status)
					}
					h.report(id, productionSecret, "succeeded")
				}
				if tc.overdue {
					h.clock.Advance(time.Hour - time.Second)
					h.runOnce()
					if d := h.deployment(id); d.Status != releases.DeploymentInProgress {
						t.Fatalf("within the fake's hour: %s, want in_progress", d.Status)
					}
					h.clock.Advance(time.Second)
					h.runOnce()
				}
				if d := h.deployment(id); d.Status != tc.want || d.Message != tc.wantMsg {
					t.Fatalf("staging: %s %q, want %s %q", d.Status, d.Message, tc.want, tc.wantMsg)
				}
				if tc.want != releases.DeploymentSucceeded {
					return
				}
				// Production is a webhook, manual: deploy it, and the
				// release is deployed.
				r = h.ok(h.svc.Deploy(ctx, dave, r.ID, "production", ""))
				h.runOnce()
				prod := last(r.Deployments)
				if got := h.deployers["production"].requests(); len(got) != 1 || got[0].verifyErr != nil {
					t.Fatalf("production's webhook: %+v", got)
				}
				h.report(prod.ID, productionSecret, "succeeded")
				if got := h.get(r.ID).Status; got != releases.StatusDeployed {
					t.Fatalf("release %s, want deployed", got)
				}
			})
		})
	}
}

// TestResolveRefusesUnknownKinds: an environment of a kind the registry
// lacks stops the wiring with an error that names it.
func TestResolveRefusesUnknownKinds(t *testing.T) {
	envs := []config.Environment{{Name: "staging", Deploy: config.Deploy{Kind: fakeKind}}}
	_, err := webhooks.Builtin().Resolve(envs, nil, webhooks.Deps{})
	if err == nil || !strings.Contains(err.Error(), `environment staging: deploy target kind "fake" is not known`) {
		t.Fatalf("err = %v", err)
	}
}
