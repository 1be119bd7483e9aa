package webhooks_test

import (
	"encoding/json"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

func TestDeliveryBodyAndHeaders(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h := newHarness(t, s, defaultEnvs())
		r := h.release("v2.4.0")
		if n := h.runOnce(); n != 1 {
			t.Fatalf("worker handled %d, want 1", n)
		}
		got := h.deployers["staging"].requests()
		if len(got) != 1 {
			t.Fatalf("staging got %d requests, want 1", len(got))
		}
		req := got[0]
		if req.verifyErr != nil {
			t.Errorf("the official Standard Webhooks library refuses the signature: %v", req.verifyErr)
		}
		if want := strconv.FormatInt(h.clock.Now().Unix(), 10); req.timestamp != want {
			t.Errorf("webhook-timestamp %q, want the clock's %s", req.timestamp, want)
		}
		if req.contentType != "application/json" {
			t.Errorf("Content-Type %q", req.contentType)
		}
		if !strings.HasPrefix(req.id, "msg_") || !strings.HasPrefix(req.signature, "v1,") {
			t.Errorf("webhook-id %q, webhook-signature %q", req.id, req.signature)
		}
		// Our own signer agrees with the library on the same message.
		key, _ := config.Secret(stagingSecret).SigningKey()
		ts, _ := strconv.ParseInt(req.timestamp, 10, 64)
		if sig := webhooks.Sign(key, req.id, time.Unix(ts, 0), req.raw); sig != req.signature {
			t.Errorf("Sign = %q, header %q", sig, req.signature)
		}
		d := r.Deployments[0]
		want := webhooks.Payload{
			Type: "deployment.requested", DeploymentID: releases.FormatDeploymentID(d.ID), ReleaseID: releases.FormatID(r.ID),
			Service: "payments-api", Version: "v2.4.0", PreviousVersion: "", Environment: "staging",
			RequestedBy: dave, ApprovedBy: []string{alice},
			CallbackURL: "https://bot.example.com/webhooks/deployments/" + releases.FormatDeploymentID(d.ID) + "/status",
		}
		if !reflect.DeepEqual(req.payload, want) {
			t.Errorf("payload\n got %+v\nwant %+v", req.payload, want)
		}
		// Every field is in the JSON, previous_version as "" and approved_by as a list.
		var raw map[string]any
		if err := json.Unmarshal(req.raw, &raw); err != nil {
			t.Fatal(err)
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range raw {
				if !yield(k) {
					return
				}
			}
		})
		wantKeys := []string{"approved_by", "callback_url", "deployment_id", "environment", "previous_version",
			"release_id", "requested_by", "service", "type", "version"}
		if !slices.Equal(keys, wantKeys) || raw["previous_version"] != "" {
			t.Errorf("JSON keys %v (previous_version %#v), want %v", keys, raw["previous_version"], wantKeys)
		}
		// 202 without a final status: accepted, in progress.
		if got := h.deployment(d.ID); got.Status != releases.DeploymentInProgress || got.Attempts != 1 {
			t.Errorf("after 202: %s with %d attempts, want in_progress with 1", got.Status, got.Attempts)
		}
		if n := h.runOnce(); n != 0 {
			t.Errorf("a second run handled %d, want nothing left", n)
		}
		if len(h.deployers["staging"].requests()) != 1 {
			t.Error("an accepted delivery was sent again")
		}
	})
}

// step is one attempt a retry test expects.
type step struct {
	answer answer
	delay  time.Duration // test-clock time since the previous attempt
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		deploy       config.Deploy
		steps        []step
		deadURL      bool // the deployer is not listening: network errors
		wantAttempts int
		wantStatus   releases.DeploymentStatus
		wantRelease  releases.Status
		wantMessage  string
		wantURL      string
	}{
		{
			name: "500, 500, 200 deploys on the third attempt, backoff doubling",
			steps: []step{
				{answer: answer{status: 500, body: "boom"}},
				{answer: answer{status: 500}, delay: 2 * time.Second},
				{answer: answer{status: 200, body: `{"status": "succeeded", "message": "all green"}`}, delay: 4 * time.Second},
			},
			wantAttempts: 3, wantStatus: releases.DeploymentSucceeded, wantRelease: releases.StatusDeployed, wantMessage: "all green",
		},
		{
			name:         "a 400 fails at once",
			steps:        []step{{answer: answer{status: 400, body: "unknown service\npayments-api"}}},
			wantAttempts: 1, wantStatus: releases.DeploymentFailed, wantRelease: releases.StatusFailed,
			wantMessage: "HTTP 400 Bad Request: unknown service payments-api",
		},
		{
			name:         "a redirect is not followed and fails",
			steps:        []step{{answer: answer{status: 302, header: map[string]string{"Location": "/elsewhere"}}}},
			wantAttempts: 1, wantStatus: releases.DeploymentFailed, wantRelease: releases.StatusFailed,
			wantMessage: "HTTP 302 Found: the deployer redirected; redirects are not followed",
		},
		{
			name: "429 Retry-After is honoured",
			steps: []step{
				{answer: answer{status: 429, header: map[string]string{"Retry-After": "120"}}},
				{answer: answer{status: 202}, delay: 120 * time.Second},
			},
			wantAttempts: 2, wantStatus: releases.DeploymentInProgress, wantRelease: releases.StatusDeploying,
		},
		{
			name: "408 and 503 are retried",
			steps: []step{
				{answer: answer{status: 408}},
				{answer: answer{status: 503}, delay: 2 * time.Second},
				{answer: answer{status: 202}, delay: 4 * time.Second},
			},
			wantAttempts: 3, wantStatus: releases.DeploymentInProgress, wantRelease: releases.StatusDeploying,
		},
		{
			name:   "retries exhausted fail with the last error",
			deploy: config.Deploy{Retries: 2, Backoff: time.Minute},
			steps: []step{
				{answer: answer{status: 502}},
				{answer: answer{status: 503}, delay: time.Minute},
				{answer: answer{status: 504, body: "gateway timeout"}, delay: 2 * time.Minute},
			},
			wantAttempts: 3, wantStatus: releases.DeploymentFailed, wantRelease: releases.StatusFailed,
			wantMessage: "gave up after 3 attempts: HTTP 504 Gateway Timeout: gateway timeout",
		},
		{
			name:   "backoff is capped at 5 minutes",
			deploy: config.Deploy{Backoff: 2 * time.Minute},
			steps: []step{
				{answer: answer{status: 500}},
				{answer: answer{status: 500}, delay: 2 * time.Minute},
				{answer: answer{status: 500}, delay: 4 * time.Minute},
				{answer: answer{status: 200}, delay: 5 * time.Minute},
			},
			wantAttempts: 4, wantStatus: releases.DeploymentInProgress, wantRelease: releases.StatusDeploying,
		},
		{
			name:   "an attempt that outlasts the timeout is retried",
			deploy: config.Deploy{Timeout: 50 * time.Millisecond},
			steps: []step{
				{answer: answer{status: 200, delay: 2 * time.Second}},
				{answer: answer{status: 202}, delay: 2 * time.Second},
			},
			wantAttempts: 2, wantStatus: releases.DeploymentInProgress, wantRelease: releases.StatusDeploying,
		},
		{
			name:         "network errors are retried",
			deploy:       config.Deploy{Retries: 1},
			deadURL:      true,
			wantAttempts: 2, wantStatus: releases.DeploymentFailed, wantRelease: releases.StatusFailed,
			wantMessage: "gave up after 2 attempts: no answer: ",
		},
		{
			name:         "a 2xx with a failed status finishes it, with the deployer's message and link",
			steps:        []step{{answer: answer{status: 200, body: `{"status": "failed", "message": "migration 12 failed", "url": "https://ci.example.com/run/9"}`}}},
			wantAttempts: 1, wantStatus: releases.DeploymentFailed, wantRelease: releases.StatusFailed,
			wantMessage: "migration 12 failed", wantURL: "https://ci.example.com/run/9",
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
				e := env{name: "staging", secret: stagingSecret, deploy: tc.deploy}
				if tc.deadURL {
					e.deploy.URL = deadURL(t)
				}
				h := newHarness(t, s, []env{e})
				dep := h.deployers["staging"]
				for _, st := range tc.steps {
					dep.answer(st.answer)
				}
				r := h.release("v" + strconv.Itoa(i+1))
				id := r.Deployments[0].ID
				start := h.clock.Now()
				for range 20 {
					h.runOnce()
					if h.deployment(id).Status != releases.DeploymentPending {
						break
					}
					// Not a moment before the retry is due, then exactly when it is.
					wake, err := s.NextDeliveryWake(ctx, h.clock.Now())
					if err != nil || wake.IsZero() {
						t.Fatalf("pending without a retry time: %v %v", wake, err)
					}
					h.clock.Set(wake.Add(-time.Millisecond))
					if n := h.runOnce(); n != 0 {
						t.Fatalf("attempt %d went out before its retry time", h.deployment(id).Attempts+1)
					}
					h.clock.Set(wake)
				}
				got := h.deployment(id)
				if got.Attempts != tc.wantAttempts || got.Status != tc.wantStatus {
					t.Errorf("deployment %s after %d attempts, want %s after %d", got.Status, got.Attempts, tc.wantStatus, tc.wantAttempts)
				}
				if !strings.HasPrefix(got.Message, tc.wantMessage) || (tc.wantMessage == "" && got.Message != "") || got.URL != tc.wantURL {
					t.Errorf("message %q, url %q; want %q…, %q", got.Message, got.URL, tc.wantMessage, tc.wantURL)
				}
				if rs := h.get(r.ID).Status; rs != tc.wantRelease {
					t.Errorf("release %s, want %s", rs, tc.wantRelease)
				}
				reqs := dep.requests()
				if !tc.deadURL && len(reqs) != len(tc.steps) {
					t.Fatalf("%d requests, want %d", len(reqs), len(tc.steps))
				}
				for k, req := range reqs {
					if req.id != reqs[0].id || req.verifyErr != nil {
						t.Errorf("attempt %d: webhook-id %q (first %q), signature %v", k+1, req.id, reqs[0].id, req.verifyErr)
					}
					if req.timestamp != strconv.FormatInt(req.clockAt.Unix(), 10) {
						t.Errorf("attempt %d: webhook-timestamp %s, want the time of the attempt %d", k+1, req.timestamp, req.clockAt.Unix())
					}
					prev := start
					if k > 0 {
						prev = reqs[k-1].clockAt
					}
					if d := req.clockAt.Sub(prev); d != tc.steps[k].delay {
						t.Errorf("attempt %d came %s after the previous, want %s", k+1, d, tc.steps[k].delay)
					}
				}
				// The thread tells the outcome with the deployer's words.
				if tc.wantStatus.Final() {
					audit := h.audit(r.ID)
					want := "deployment_status: " + releases.FormatDeploymentID(id) + " deployment of " + r.Version + " to staging: " + string(tc.wantStatus)
					if !slices.ContainsFunc(audit, func(l string) bool {
						return strings.HasPrefix(l, want) && strings.Contains(l, tc.wantMessage) && strings.Contains(l, tc.wantURL)
					}) {
						t.Errorf("audit lacks %q with the message and link:\n%s", want, strings.Join(audit, "\n"))
					}
				}
			})
		})
	}
}

// deadURL is an address nothing listens on.
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/hook"
}

func TestRedirectTargetIsNeverCalled(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		c := newClock()
		elsewhere := newDeployer(t, stagingSecret, c)
		h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret}})
		h.deployers["staging"].answer(answer{status: http.StatusTemporaryRedirect, header: map[string]string{"Location": elsewhere.URL()}})
		h.release("v1")
		h.runOnce()
		if n := len(elsewhere.requests()); n != 0 {
			t.Fatalf("the redirect target got %d requests", n)
		}
	})
}

func TestFinishWithin(t *testing.T) {
	t.Run("accepted, no final status in time", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
			h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret, deploy: config.Deploy{FinishWithin: 30 * time.Minute}}})
			r := h.release("v1")
			id := r.Deployments[0].ID
			h.runOnce() // 202: in progress
			h.clock.Advance(30*time.Minute - time.Second)
			h.runOnce()
			if got := h.deployment(id).Status; got != releases.DeploymentInProgress {
				t.Fatalf("before finish_within: %s", got)
			}
			h.report(id, stagingSecret, "in_progress") // progress does not extend the deadline
			h.clock.Advance(time.Second)
			if n := h.runOnce(); n != 1 {
				t.Fatalf("sweep handled %d, want 1", n)
			}
			if got := h.deployment(id).Status; got != releases.DeploymentTimedOut {
				t.Fatalf("after finish_within: %s, want timed_out", got)
			}
			if got := h.get(r.ID).Status; got != releases.StatusFailed {
				t.Fatalf("release %s, want failed", got)
			}
			if got := h.audit(r.ID); !slices.Contains(got, "deployment_status: "+releases.FormatDeploymentID(id)+
				" deployment of v1 to staging: timed_out — no final status in time") {
				t.Errorf("audit lacks the timeout:\n%s", strings.Join(got, "\n"))
			}
			// A late final status is refused: the deployment has finished.
			did := releases.FormatDeploymentID(id)
			body := []byte(`{"deployment_id": "` + did + `", "status": "succeeded"}`)
			if rec := h.callback(did, signed(t, stagingSecret, "msg_late", h.clock.Now(), body), body); rec.Code != http.StatusConflict {
				t.Fatalf("late success: %d, want 409", rec.Code)
			}
		})
	})
	t.Run("still retrying when the time is up", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
			h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret,
				deploy: config.Deploy{FinishWithin: 5 * time.Minute, Backoff: 4 * time.Minute}}})
			h.deployers["staging"].answer(answer{status: 503}, answer{status: 503})
			r := h.release("v1")
			h.runOnce()                      // 503; next attempt in 4m
			h.clock.Advance(4 * time.Minute) // 503; next in 8m, past the deadline
			h.runOnce()
			h.clock.Advance(time.Minute)
			h.runOnce()
			if got := h.deployment(r.Deployments[0].ID); got.Status != releases.DeploymentTimedOut || got.Attempts != 2 {
				t.Fatalf("retrying past finish_within: %s after %d attempts, want timed_out after 2", got.Status, got.Attempts)
			}
		})
	})
}

func TestManualPromotionWaits(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h := newHarness(t, s, defaultEnvs())
		h.deployers["staging"].answer(answer{status: 200, body: `{"status": "succeeded"}`})
		r := h.release("v1")
		h.runOnce()
		if got := h.get(r.ID); got.Status != releases.StatusAwaitingPromotion {
			t.Fatalf("after staging: %s, want awaiting_promotion", got.Status)
		}
		h.clock.Advance(24 * time.Hour)
		h.runOnce()
		if n := len(h.deployers["production"].requests()); n != 0 {
			t.Fatalf("production got %d requests before the promotion", n)
		}
		const bob = "U0BOB" // not allowed to promote
		if _, err := h.svc.Deploy(ctx, bob, r.ID, "production", ""); releases.ErrorCode(err) != releases.EForbidden {
			t.Fatalf("promotion by a stranger: %v", err)
		}
		h.ok(h.svc.Deploy(ctx, alice, r.ID, "production", ""))
		h.deployers["production"].answer(answer{status: 200, body: `{"status": "succeeded"}`})
		h.runOnce()
		got := h.deployers["production"].requests()
		if len(got) != 1 {
			t.Fatalf("production got %d requests after the promotion, want 1", len(got))
		}
		p := got[0].payload
		if p.Type != webhooks.TypeDeploymentRequested || p.Environment != "production" || p.Version != "v1" ||
			p.RequestedBy != alice || !slices.Equal(p.ApprovedBy, []string{alice}) || got[0].verifyErr != nil {
			t.Fatalf("production payload %+v (signature %v)", p, got[0].verifyErr)
		}
		if got := h.get(r.ID).Status; got != releases.StatusDeployed {
			t.Fatalf("after production: %s, want deployed", got)
		}
	})
}

func TestSecondReleaseQueuesPerEnvironment(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		envs := defaultEnvs()
		envs[1].manual = false
		h := newHarness(t, s, envs)
		staging, production := h.deployers["staging"], h.deployers["production"]
		r1 := h.release("v1")
		h.runOnce() // staging accepts v1 (202): in progress
		r2 := h.release("v2")
		d1, d2 := r1.Deployments[0].ID, r2.Deployments[0].ID
		want := "deployment_queued: " + releases.FormatDeploymentID(d2) + " waits for " + releases.FormatID(r1.ID) +
			"'s deployment to staging (" + releases.FormatDeploymentID(d1) + ") to finish"
		if got := last(h.audit(r2.ID)); got != want {
			t.Fatalf("queued note %q, want %q", got, want)
		}
		h.clock.Advance(10 * time.Minute)
		if h.runOnce(); len(staging.requests()) != 1 {
			t.Fatalf("staging got v2 while v1 is in flight")
		}
		h.report(d1, stagingSecret, "succeeded") // v1 moves to production; staging is free for v2
		if n := h.runOnce(); n != 2 {
			t.Fatalf("worker handled %d, want v2 to staging and v1 to production", n)
		}
		if got := last(staging.requests()).payload; got.Version != "v2" || got.PreviousVersion != "v1" {
			t.Fatalf("staging second request %+v", got)
		}
		p1 := last(production.requests()).payload // accepted: in progress
		if p1.Version != "v1" || p1.PreviousVersion != "" {
			t.Fatalf("production first request %+v", p1)
		}
		d2id, _ := releases.ParseDeploymentID(last(staging.requests()).payload.DeploymentID)
		h.report(d2id, stagingSecret, "succeeded") // v2 wants production, which v1 holds
		h.runOnce()
		if n := len(production.requests()); n != 1 {
			t.Fatalf("production got %d requests while v1 is in flight there, want 1", n)
		}
		if got := last(h.audit(r2.ID)); !strings.HasPrefix(got, "deployment_queued: ") || !strings.Contains(got, "to production") {
			t.Fatalf("v2's production queue note %q", got)
		}
		p1id, _ := releases.ParseDeploymentID(p1.DeploymentID)
		h.report(p1id, productionSecret, "succeeded")
		h.runOnce()
		if got := last(production.requests()).payload; len(production.requests()) != 2 || got.Version != "v2" || got.PreviousVersion != "v1" {
			t.Fatalf("production after v1 finished: %d requests, last %+v", len(production.requests()), got)
		}
		if got := h.get(r1.ID).Status; got != releases.StatusDeployed {
			t.Fatalf("v1: %s", got)
		}
	})
}

func TestRollbackSendsThePreviousVersion(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret}})
		dep := h.deployers["staging"]
		dep.answer(answer{status: 200, body: `{"status": "succeeded"}`}, answer{status: 200, body: `{"status": "succeeded"}`})
		h.release("v1")
		h.runOnce()
		r2 := h.release("v2")
		h.runOnce()
		if got := h.get(r2.ID).Status; got != releases.StatusDeployed {
			t.Fatalf("v2: %s", got)
		}
		r2 = h.ok(h.svc.Rollback(ctx, dave, r2.ID, "", "error rate up"))
		rb := last(r2.Deployments)
		h.runOnce() // 202: the rollback is in progress
		got := last(dep.requests())
		want := webhooks.Payload{Type: "rollback.requested", DeploymentID: releases.FormatDeploymentID(rb.ID),
			ReleaseID: releases.FormatID(r2.ID), Service: "payments-api", Version: "v1", PreviousVersion: "v2",
			Environment: "staging", RequestedBy: dave, ApprovedBy: []string{alice},
			CallbackURL: "https://bot.example.com/webhooks/deployments/" + releases.FormatDeploymentID(rb.ID) + "/status"}
		if !reflect.DeepEqual(got.payload, want) || got.verifyErr != nil {
			t.Fatalf("rollback payload\n got %+v\nwant %+v (signature %v)", got.payload, want, got.verifyErr)
		}
		h.report(rb.ID, stagingSecret, "succeeded")
		if got := h.get(r2.ID).Status; got != releases.StatusRolledBack {
			t.Fatalf("after the rollback: %s, want rolled_back", got)
		}
	})
}

func TestLogTargetsLogAndSucceed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h := newHarness(t, s, []env{{name: "staging", log: true}, {name: "production", log: true}})
		r := h.release("v1")
		if err := h.worker.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		got := h.get(r.ID)
		if got.Status != releases.StatusDeployed || got.Deployments[0].Message != "logged by the log:staging target; nothing was called" {
			t.Fatalf("release %s, deployments %+v", got.Status, got.Deployments)
		}
		for _, want := range []string{`"callback_url":"https://bot.example.com/webhooks/deployments/D-`, `"environment":"production"`} {
			if !strings.Contains(h.logs.String(), want) {
				t.Errorf("logs lack %s:\n%s", want, h.logs)
			}
		}
	})
}
