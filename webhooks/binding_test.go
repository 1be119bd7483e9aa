package webhooks_test

import (
	"context"
	"net/http"
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

// statusBody is a callback body for deployment did.
func statusBody(did, status string) []byte {
	return []byte(`{"deployment_id": "` + did + `", "status": "` + status + `"}`)
}

// TestCallbackBoundToDeployment: a callback captured for one deployment
// does nothing to another. Its body names its deployment, so replayed
// onto another path it is refused; and its webhook-id, once accepted for
// one deployment, is refused for any other — also by a replica that
// starts afresh on the same database.
func TestCallbackBoundToDeployment(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h := newHarness(t, s, defaultEnvs())
		r4 := h.release("v1")
		h.runOnce()
		// Another service: it deploys to staging at the same time.
		r5 := h.ok(h.svc.Create(ctx, dave, releases.CreateInput{Service: "ledger", Version: "v7"}))
		r5 = h.ok(h.svc.SignOff(ctx, alice, r5.ID, "payments"))
		h.runOnce()
		d4, d5 := r4.Deployments[0].ID, r5.Deployments[0].ID
		did4, did5 := releases.FormatDeploymentID(d4), releases.FormatDeploymentID(d5)
		now := h.clock.Now()

		captured := statusBody(did4, "succeeded")
		hdr := signed(t, stagingSecret, "msg_captured", now, captured)
		if rec := h.callback(did4, hdr, captured); rec.Code != http.StatusNoContent {
			t.Fatalf("D-4's own callback: %d %s", rec.Code, rec.Body)
		}
		before := len(h.audit(r5.ID))
		steps := []struct {
			name string
			did  string
			hdr  http.Header
			body []byte
			want int
		}{
			{name: "captured callback replayed onto another deployment", did: did5, hdr: hdr, body: captured, want: 400},
			{name: "its webhook-id on another deployment", did: did5, body: statusBody(did5, "succeeded"),
				hdr: signed(t, stagingSecret, "msg_captured", now, statusBody(did5, "succeeded")), want: 409},
			{name: "its webhook-id again on its own deployment", did: did4, hdr: hdr, body: captured, want: 204},
		}
		for _, st := range steps {
			if rec := h.callback(st.did, st.hdr, st.body); rec.Code != st.want {
				t.Fatalf("%s: %d %s, want %d", st.name, rec.Code, rec.Body, st.want)
			}
		}
		// A replica that starts afresh remembers the id too.
		h.wire(s)
		body := statusBody(did5, "failed")
		if rec := h.callback(did5, signed(t, stagingSecret, "msg_captured", now.Add(time.Minute), body), body); rec.Code != http.StatusConflict {
			t.Fatalf("webhook-id on another deployment after a restart: %d %s, want 409", rec.Code, rec.Body)
		}
		if got := h.deployment(d5).Status; got != releases.DeploymentInProgress {
			t.Fatalf("%s is %s after refused callbacks, want in_progress", did5, got)
		}
		if after := h.audit(r5.ID); len(after) != before {
			t.Fatalf("refused callbacks changed %s's audit trail: %v", releases.FormatID(r5.ID), after[before:])
		}
		// A fresh id works.
		h.report(d5, stagingSecret, "succeeded")
	})
}

// TestCallbackForUnsentDeployment: a deployment that was never sent — one
// queued behind another release's, or held by a freeze — takes no
// callback: 409, and nothing changes.
func TestCallbackForUnsentDeployment(t *testing.T) {
	t.Run("queued", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
			h := newHarness(t, s, defaultEnvs())
			h.release("v1")
			h.runOnce()
			r2 := h.release("v2") // waits for v1's staging deployment
			h.runOnce()
			checkUnsent(t, h, r2)
		})
	})
	t.Run("held by a freeze", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
			h, freeze := newFreezeHarness(t, s)
			freeze.set(&releases.Hold{Until: h.clock.Now().Add(time.Hour), Note: `is held by the freeze "x"`})
			r := h.release("v1")
			h.runOnce()
			checkUnsent(t, h, r)
		})
	})
}

func checkUnsent(t *testing.T, h *harness, r *releases.Release) {
	t.Helper()
	d := h.deployment(r.Deployments[0].ID)
	if d.Status != releases.DeploymentPending || d.Attempts != 0 {
		t.Fatalf("deployment %s after %d attempts, want pending and never sent", d.Status, d.Attempts)
	}
	did := releases.FormatDeploymentID(d.ID)
	before := len(h.audit(r.ID))
	for _, status := range []string{"succeeded", "in_progress", "failed"} {
		body := statusBody(did, status)
		rec := h.callback(did, signed(t, stagingSecret, "msg_unsent_"+status, h.clock.Now(), body), body)
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "not been sent") {
			t.Fatalf("%s for a deployment never sent: %d %s, want 409 saying why", status, rec.Code, rec.Body)
		}
	}
	if got := h.deployment(d.ID); got.Status != releases.DeploymentPending {
		t.Fatalf("deployment %s after refused callbacks, want pending", got.Status)
	}
	if got := h.get(r.ID); got.Status != releases.StatusDeploying {
		t.Fatalf("release %s after refused callbacks, want deploying", got.Status)
	}
	if after := h.audit(r.ID); len(after) != before {
		t.Fatalf("refused callbacks changed the audit trail: %v", after[before:])
	}
}

// TestOutsideTextIsCleaned: what a deployer says — in a synchronous answer
// or a callback — is stored the same on SQLite and PostgreSQL: control
// characters (NUL, which PostgreSQL refuses) dropped, the length bounded,
// and its link kept only as http(s) without userinfo.
func TestOutsideTextIsCleaned(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name, message, url string
		wantMessage        string
		wantURL            string
	}{
		{name: "NUL and escapes", message: `built\u0000 ok\u001b[31m red\u007f\r\nnext line`, url: "https://ci.example.com/run/1",
			wantMessage: "built ok[31m red \nnext line", wantURL: "https://ci.example.com/run/1"},
		{name: "userinfo", message: "ok", url: "https://user:secret@ci.example.com/run/2?x=1",
			wantMessage: "ok", wantURL: "https://ci.example.com/run/2?x=1"},
		{name: "NUL in the url", message: "ok", url: `https://ci.example.com/\u0000run`, wantMessage: "ok"},
		{name: "not http", message: "ok", url: "javascript:alert(1)", wantMessage: "ok"},
		{name: "long", message: long, url: "https://ci.example.com/" + long,
			wantMessage: long[:1000-len("…")] + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
				h := newHarness(t, s, defaultEnvs())
				check := func(how string, d releases.Deployment) {
					t.Helper()
					if d.Message != tc.wantMessage || d.URL != tc.wantURL {
						t.Errorf("%s: message %q, url %q; want %q, %q", how, d.Message, d.URL, tc.wantMessage, tc.wantURL)
					}
				}
				// A synchronous answer.
				h.deployers["staging"].answer(answer{status: 200,
					body: `{"status": "in_progress", "message": "` + tc.message + `", "url": "` + tc.url + `"}`})
				r := h.release("v1")
				h.runOnce()
				check("synchronous answer", h.deployment(r.Deployments[0].ID))
				// A callback.
				did := releases.FormatDeploymentID(r.Deployments[0].ID)
				body := []byte(`{"deployment_id": "` + did + `", "status": "succeeded", "message": "` + tc.message + `", "url": "` + tc.url + `"}`)
				if rec := h.callback(did, signed(t, stagingSecret, "msg_text", h.clock.Now(), body), body); rec.Code != http.StatusNoContent {
					t.Fatalf("callback: %d %s", rec.Code, rec.Body)
				}
				check("callback", h.deployment(r.Deployments[0].ID))
				for _, line := range h.audit(r.ID) {
					if strings.ContainsAny(line, "\x00\x1b\x7f\r") || strings.Contains(line, "secret@") {
						t.Errorf("audit line keeps outside control characters or userinfo: %q", line)
					}
				}
			})
		})
	}
}

// flakyReporter fails the first fail reports it is asked to record, as a
// database that refuses a write would.
type flakyReporter struct {
	webhooks.Reporter
	mu   sync.Mutex
	fail int
}

func (f *flakyReporter) ReportDeployment(ctx context.Context, actor string, id int64, rep releases.StatusReport) (*releases.Release, error) {
	f.mu.Lock()
	failing := f.fail > 0
	f.fail--
	f.mu.Unlock()
	if failing {
		return nil, context.DeadlineExceeded // an infrastructure failure, not a domain refusal
	}
	return f.Reporter.ReportDeployment(ctx, actor, id, rep)
}

// TestUnrecordedAnswerIsNotResent: when a deployer's synchronous answer
// can't be recorded, the delivery is not sent again each time its claim
// lapses: its status is recorded without the deployer's words, or — when
// nothing can be recorded — it is sent no more than its retry budget
// allows and then fails.
func TestUnrecordedAnswerIsNotResent(t *testing.T) {
	tests := []struct {
		name     string
		fail     int // reports that fail
		wantSent int
		want     releases.DeploymentStatus
		wantMsg  string
	}{
		{name: "the answer's words can't be stored", fail: 1, wantSent: 1,
			want: releases.DeploymentSucceeded, wantMsg: "the deployer's message could not be recorded"},
		{name: "nothing can be recorded for a while", fail: 4, wantSent: 2,
			want: releases.DeploymentFailed, wantMsg: "gave up after 2 attempts: the outcome of the last one was not recorded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
				h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret, deploy: config.Deploy{Retries: 1}}})
				flaky := &flakyReporter{Reporter: h.svc, fail: tc.fail}
				h.worker = webhooks.NewWorker(webhooks.Options{Store: s, Reporter: flaky, Environments: h.envs,
					PublicURL: publicURL, Now: h.clock.Now, Jitter: func() float64 { return 0.5 }})
				dep := h.deployers["staging"]
				dep.def = answer{status: 200, body: `{"status": "succeeded", "message": "deployed"}`}
				r := h.release("v1")
				id := r.Deployments[0].ID
				for range 6 {
					_, _ = h.worker.RunOnce(ctx) // errors: the outcome was not recorded
					h.clock.Advance(h.worker.Lease() + time.Second)
				}
				if got := len(dep.requests()); got != tc.wantSent {
					t.Errorf("the deployer got the delivery %d times, want %d", got, tc.wantSent)
				}
				if d := h.deployment(id); d.Status != tc.want || d.Message != tc.wantMsg {
					t.Errorf("deployment %s %q, want %s %q", d.Status, d.Message, tc.want, tc.wantMsg)
				}
			})
		})
	}
}

// TestWebhookIDMemoryOutlivesSignatures: a callback's id is remembered at
// least as long as its signature can be replayed (Tolerance either side of
// its timestamp).
func TestWebhookIDMemoryOutlivesSignatures(t *testing.T) {
	if releases.WebhookIDMemory <= 2*webhooks.Tolerance {
		t.Fatalf("webhook ids are forgotten after %s, but a signature stays good for %s", releases.WebhookIDMemory, 2*webhooks.Tolerance)
	}
}
