package webhooks_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

const glEscaped = "/api/v4/projects/acme%2Fpayments-api/"

// TestGitLabTriggerAndPollFallback: the trigger carries the trigger token,
// ref and releasebot's variables plus the service's vars as form fields to
// the URL-encoded project path; the pipeline id and link are kept; with no
// webhook token the pipeline is polled every 15s with the read token until
// it succeeds.
func TestGitLabTriggerAndPollFallback(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		h := newGitLabHarness(t, s, f, config.GitLab{Token: glRead}, nil)
		h.cfg.Services = []config.Service{{Name: "payments-api", Teams: []string{"payments"},
			Vars: map[string]map[string]string{"staging": {"REPLICAS": "2", "RELEASEBOT_VERSION": "not-this"}}}}
		h.wireGitLab()
		r := h.release("v1.4.0")
		id := r.Deployments[0].ID
		did := releases.FormatDeploymentID(id)
		h.runOnce()

		trig := f.triggers()
		if len(trig) != 1 {
			t.Fatalf("%d trigger requests, want 1", len(trig))
		}
		got := trig[0]
		if got.path != glEscaped+"trigger/pipeline" || !strings.HasPrefix(got.contentType, "multipart/form-data") ||
			len(got.query) != 0 || got.privateToken != "" {
			t.Errorf("trigger: %s ?%v, content type %q, PRIVATE-TOKEN %q; want a form to %strigger/pipeline with no query and no PRIVATE-TOKEN",
				got.path, got.query, got.contentType, got.privateToken, glEscaped)
		}
		want := map[string]string{
			"token": glTrigger, "ref": "main",
			"variables[RELEASEBOT_DEPLOYMENT_ID]":    did,
			"variables[RELEASEBOT_RELEASE_ID]":       releases.FormatID(r.ID),
			"variables[RELEASEBOT_SERVICE]":          "payments-api",
			"variables[RELEASEBOT_VERSION]":          "v1.4.0",
			"variables[RELEASEBOT_PREVIOUS_VERSION]": "",
			"variables[RELEASEBOT_ENVIRONMENT]":      "staging",
			"variables[RELEASEBOT_CALLBACK_URL]":     "https://bot.example.com/webhooks/deployments/" + did + "/status",
			"variables[REPLICAS]":                    "2",
		}
		if !reflect.DeepEqual(got.form, want) {
			t.Errorf("trigger form\n got %v\nwant %v", got.form, want)
		}
		d := h.deployment(id)
		link := f.webURL("acme/payments-api", 257)
		if d.Status != releases.DeploymentInProgress || d.RunKind != "gitlab" || d.RunID != "257" || d.URL != link || d.Message != "GitLab pipeline 257" {
			t.Fatalf("after the trigger: %s, run %s %q, %q (%s); want in_progress following gitlab 257, %s",
				d.Status, d.RunKind, d.RunID, d.Message, d.URL, link)
		}

		h.clock.Advance(14 * time.Second)
		h.runOnce()
		if polls := f.requests(http.MethodGet, "/pipelines/257"); len(polls) != 0 {
			t.Fatalf("polled %d times before 15s passed", len(polls))
		}
		f.set(257, "running")
		h.clock.Advance(time.Second)
		h.runOnce()
		polls := f.requests(http.MethodGet, "/pipelines/257")
		if len(polls) != 1 || polls[0].path != glEscaped+"pipelines/257" || polls[0].privateToken != glRead {
			t.Fatalf("polls after 15s: %+v; want one GET %spipelines/257 with PRIVATE-TOKEN", polls, glEscaped)
		}
		if d := h.deployment(id); d.Status != releases.DeploymentInProgress {
			t.Fatalf("while running: %s", d.Status)
		}
		f.set(257, "success")
		h.clock.Advance(15 * time.Second)
		h.runOnce()
		d = h.deployment(id)
		if d.Status != releases.DeploymentSucceeded || d.Message != "GitLab pipeline 257 succeeded" || d.URL != link {
			t.Fatalf("after success: %s %q %s", d.Status, d.Message, d.URL)
		}
		if st := h.get(r.ID).Status; st != releases.StatusAwaitingPromotion {
			t.Fatalf("release %s, want awaiting_promotion", st)
		}
		if n := len(f.triggers()); n != 1 {
			t.Fatalf("%d triggers, want 1", n)
		}
	})
}

// TestGitLabWebhook: a pipeline hook finishes the deployment once; a
// missing or wrong token, or the token of another gitlab target, gets 401
// and changes nothing; other events, running statuses and oversized
// bodies change nothing either.
func TestGitLabWebhook(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		h := newGitLabHarness(t, s, f, config.GitLab{WebhookToken: glHook}, nil)
		// Production triggers another project, with a token of its own.
		h.cfg.Environments[1].Deploy = config.Deploy{Kind: config.KindGitLab, Timeout: time.Second, Retries: 1,
			GitLab: config.GitLab{URL: f.URL(), Project: "acme/payments-prod", Ref: "main", TriggerToken: glTrigger, WebhookToken: "prod-hook-token"}}
		h.wireGitLab()
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		vars := map[string]string{"RELEASEBOT_DEPLOYMENT_ID": releases.FormatDeploymentID(id)}
		success := pipelineHook(t, f, "acme/payments-api", 123, 257, "success", "trigger", vars)
		big := append(success[:len(success)-1:len(success)-1], []byte(`,"pad":"`+strings.Repeat("x", 256<<10)+`"}`)...)
		statuses := func() int {
			n := 0
			for _, e := range h.audit(r.ID) {
				if strings.HasPrefix(e, releases.ActionDeploymentStatus) {
					n++
				}
			}
			return n
		}
		before := statuses()
		for _, c := range []struct {
			name, token, event string
			body               []byte
			code               int
		}{
			{"no token", "", "Pipeline Hook", success, http.StatusUnauthorized},
			{"wrong token", "guess", "Pipeline Hook", success, http.StatusUnauthorized},
			{"token of another target", "prod-hook-token", "Pipeline Hook", success, http.StatusUnauthorized},
			{"another event", glHook, "Push Hook", success, http.StatusAccepted},
			// The token is checked before anything else, the body above all.
			{"wrong token, another event", "guess", "Push Hook", success, http.StatusUnauthorized},
			{"wrong token, over 256 KiB", "guess", "Pipeline Hook", big, http.StatusUnauthorized},
			{"still running", glHook, "Pipeline Hook", pipelineHook(t, f, "acme/payments-api", 123, 257, "running", "trigger", vars), http.StatusAccepted},
			{"another project's pipeline 257", glHook, "Pipeline Hook", pipelineHook(t, f, "acme/other", 999, 257, "success", "trigger", vars), http.StatusAccepted},
			{"an unknown pipeline", glHook, "Pipeline Hook", pipelineHook(t, f, "acme/payments-api", 123, 9999, "success", "push", nil), http.StatusAccepted},
			{"not a pipeline event", glHook, "Pipeline Hook", []byte(`{"object_kind": "push"}`), http.StatusBadRequest},
			{"over 256 KiB", glHook, "Pipeline Hook", big, http.StatusRequestEntityTooLarge},
		} {
			if rec := h.gitlabHook(c.token, c.event, "uuid-"+c.name, c.body); rec.Code != c.code {
				t.Errorf("%s: %d %s, want %d", c.name, rec.Code, rec.Body, c.code)
			}
			if d := h.deployment(id); d.Status != releases.DeploymentInProgress || statuses() != before {
				t.Fatalf("%s changed the deployment: %s", c.name, d.Status)
			}
		}
		for i := range 2 { // GitLab delivers it twice
			if rec := h.gitlabHook(glHook, "Pipeline Hook", "uuid-success", success); rec.Code != http.StatusOK {
				t.Fatalf("success hook #%d: %d %s", i+1, rec.Code, rec.Body)
			}
		}
		d := h.deployment(id)
		if d.Status != releases.DeploymentSucceeded || d.Message != "GitLab pipeline 257 succeeded" || d.URL != f.webURL("acme/payments-api", 257) {
			t.Fatalf("after the hook: %s %q %s", d.Status, d.Message, d.URL)
		}
		if n := statuses(); n != before+1 {
			t.Fatalf("%d status events after two deliveries of one hook, want %d", n, before+1)
		}
		// A retried job later fails the pipeline: the deployment stays done.
		failed := pipelineHook(t, f, "acme/payments-api", 123, 257, "failed", "trigger", vars)
		if rec := h.gitlabHook(glHook, "Pipeline Hook", "uuid-failed", failed); rec.Code != http.StatusOK {
			t.Fatalf("a late failure: %d %s", rec.Code, rec.Body)
		}
		if d := h.deployment(id); d.Status != releases.DeploymentSucceeded || statuses() != before+1 {
			t.Fatalf("a late failure changed the deployment: %s", d.Status)
		}
		if st := h.get(r.ID).Status; st != releases.StatusAwaitingPromotion {
			t.Fatalf("release %s", st)
		}
	})
}

// TestGitLabFailedPipeline: a failed pipeline fails the deployment, with
// the failed jobs when the hook names them, and canceled by polling.
func TestGitLabFailedPipeline(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		h := newGitLabHarness(t, s, f, config.GitLab{WebhookToken: glHook, Token: glRead}, nil)
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		// The fixture's builds: test-build failed with script_failure.
		body := pipelineHook(t, f, "acme/payments-api", 123, 257, "failed", "trigger", nil)
		if rec := h.gitlabHook(glHook, "Pipeline Hook", "u1", body); rec.Code != http.StatusOK {
			t.Fatalf("hook: %d %s", rec.Code, rec.Body)
		}
		d := h.deployment(id)
		if d.Status != releases.DeploymentFailed || d.Message != "GitLab pipeline 257 failed: test-build: script_failure" {
			t.Fatalf("after a failed pipeline: %s %q", d.Status, d.Message)
		}
		if st := h.get(r.ID).Status; st != releases.StatusFailed {
			t.Fatalf("release %s, want failed", st)
		}

		r2 := h.release("v2")
		id2 := last(r2.Deployments).ID
		h.runOnce()
		f.set(258, "canceled")
		h.clock.Advance(2 * time.Minute) // with a webhook token, polls come every 2m
		h.runOnce()
		if d := h.deployment(id2); d.Status != releases.DeploymentFailed || d.Message != "GitLab pipeline 258 was canceled" {
			t.Fatalf("after a canceled pipeline: %s %q", d.Status, d.Message)
		}
	})
}

// TestGitLabPipelineNeverFinishes: a pipeline that keeps running is timed
// out at finish_within, and no longer polled.
func TestGitLabPipelineNeverFinishes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		h := newGitLabHarness(t, s, f, config.GitLab{Token: glRead}, func(d *config.Deploy) { d.FinishWithin = 10 * time.Minute })
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		f.set(257, "running")
		for range 39 { // 9m45s of polls every 15s
			h.clock.Advance(15 * time.Second)
			h.runOnce()
		}
		if d := h.deployment(id); d.Status != releases.DeploymentInProgress {
			t.Fatalf("before finish_within: %s", d.Status)
		}
		polled := len(f.requests(http.MethodGet, "/pipelines/257"))
		if polled != 39 {
			t.Fatalf("%d polls in 9m45s, want 39", polled)
		}
		h.clock.Advance(15 * time.Second)
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentTimedOut {
			t.Fatalf("at finish_within: %s, want timed_out", d.Status)
		}
		h.clock.Advance(time.Hour)
		h.runOnce()
		if n := len(f.requests(http.MethodGet, "/pipelines/257")); n > polled+1 {
			t.Fatalf("%d polls after it timed out", n-polled)
		}
		if st := h.get(r.ID).Status; st != releases.StatusFailed {
			t.Fatalf("release %s", st)
		}
	})
}

// TestGitLabRetryAdoptsTheEarlierPipeline: the trigger got through but
// its answer did not; the retry finds the pipeline by its
// RELEASEBOT_DEPLOYMENT_ID and follows it instead of triggering another.
func TestGitLabRetryAdoptsTheEarlierPipeline(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		h := newGitLabHarness(t, s, f, config.GitLab{Token: glRead},
			func(d *config.Deploy) { d.Timeout = 200 * time.Millisecond })
		// Another deployment's pipeline of the same ref, newer: not it.
		f.mu.Lock()
		f.pipes = append(f.pipes, &glPipeline{id: 250, project: "acme/payments-api", ref: "main", status: "success",
			source: "trigger", vars: map[string]string{"RELEASEBOT_DEPLOYMENT_ID": "D-999"}})
		f.mu.Unlock()
		f.hangTriggers(1)
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentPending || d.RunID != "" || f.pipelineCount() != 2 {
			t.Fatalf("after the lost answer: %s run %q, %d pipelines", d.Status, d.RunID, f.pipelineCount())
		}
		h.clock.Advance(2 * time.Second)
		h.runOnce()
		if n := len(f.triggers()); n != 1 {
			t.Fatalf("%d triggers, want 1: the retry triggered a second pipeline", n)
		}
		lists := f.requests(http.MethodGet, glEscaped+"pipelines")
		if len(lists) != 1 {
			t.Fatalf("%d pipeline lists, want 1", len(lists))
		}
		q := lists[0].query
		// No earlier attempt is older than finish_within (the harness's 30m).
		if q.Get("ref") != "main" || q.Get("source") != "trigger" || q.Get("updated_after") != h.clock.Now().Add(-30*time.Minute).UTC().Format(time.RFC3339) || lists[0].privateToken != glRead {
			t.Errorf("the list asked %v with PRIVATE-TOKEN %q", q, lists[0].privateToken)
		}
		d := h.deployment(id)
		if d.Status != releases.DeploymentInProgress || d.RunID != "257" || d.URL != f.webURL("acme/payments-api", 257) {
			t.Fatalf("after the retry: %s run %q %s; want it to follow pipeline 257", d.Status, d.RunID, d.URL)
		}
		f.set(257, "success")
		h.clock.Advance(15 * time.Second)
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentSucceeded {
			t.Fatalf("after the adopted pipeline succeeded: %s", d.Status)
		}
	})
}

// TestGitLabHookAdoptsWithoutToken: without a read token nothing can be
// looked up, but the pipeline's first hook names the deployment, which
// adopts it before its retry; a second pipeline for a deployment that
// already follows one is reported as a duplicate and changes nothing.
func TestGitLabHookAdoptsWithoutToken(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		h := newGitLabHarness(t, s, f, config.GitLab{WebhookToken: glHook},
			func(d *config.Deploy) { d.Timeout = 200 * time.Millisecond })
		f.hangTriggers(1)
		r := h.release("v1")
		id := r.Deployments[0].ID
		did := releases.FormatDeploymentID(id)
		h.runOnce()
		vars := map[string]string{"RELEASEBOT_DEPLOYMENT_ID": did, "RELEASEBOT_VERSION": "v1"}
		// A pipeline someone ran by hand with the variable is not adopted.
		if rec := h.gitlabHook(glHook, "Pipeline Hook", "u0", pipelineHook(t, f, "acme/payments-api", 123, 256, "running", "web", vars)); rec.Code != http.StatusAccepted {
			t.Fatalf("a web pipeline: %d %s", rec.Code, rec.Body)
		}
		if d := h.deployment(id); d.Status != releases.DeploymentPending || d.RunID != "" {
			t.Fatalf("after a web pipeline's hook: %s run %q; want pending its retry", d.Status, d.RunID)
		}
		if rec := h.gitlabHook(glHook, "Pipeline Hook", "u1", pipelineHook(t, f, "acme/payments-api", 123, 257, "pending", "trigger", vars)); rec.Code != http.StatusOK {
			t.Fatalf("the first hook: %d %s", rec.Code, rec.Body)
		}
		if d := h.deployment(id); d.Status != releases.DeploymentInProgress || d.RunID != "257" {
			t.Fatalf("after the hook: %s run %q; want it to follow 257", d.Status, d.RunID)
		}
		h.clock.Advance(time.Minute)
		h.runOnce()
		if n := len(f.triggers()); n != 1 {
			t.Fatalf("%d triggers, want 1", n)
		}
		if n := len(f.requests(http.MethodGet, "")); n != 0 {
			t.Fatalf("%d GETs without a read token", n)
		}
		dup := pipelineHook(t, f, "acme/payments-api", 123, 300, "success", "trigger", vars)
		rec := h.gitlabHook(glHook, "Pipeline Hook", "u2", dup)
		if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), "duplicate") {
			t.Fatalf("a duplicate pipeline's hook: %d %s", rec.Code, rec.Body)
		}
		if !strings.Contains(h.logs.String(), "duplicate GitLab pipeline") {
			t.Errorf("the duplicate was not logged:\n%s", h.logs)
		}
		if d := h.deployment(id); d.Status != releases.DeploymentInProgress || d.RunID != "257" {
			t.Fatalf("after the duplicate: %s run %q", d.Status, d.RunID)
		}
		if rec := h.gitlabHook(glHook, "Pipeline Hook", "u4", pipelineHook(t, f, "acme/payments-api", 123, 257, "success", "trigger", vars)); rec.Code != http.StatusOK {
			t.Fatalf("the success hook: %d %s", rec.Code, rec.Body)
		}
		if d := h.deployment(id); d.Status != releases.DeploymentSucceeded {
			t.Fatalf("after success: %s", d.Status)
		}
		if st := h.get(r.ID).Status; st != releases.StatusAwaitingPromotion {
			t.Fatalf("release %s", st)
		}
	})
}

// TestGitLabTriggerRefusals: GitLab's 4xx fails the deployment with
// GitLab's message; 5xx and 429 are retried.
func TestGitLabTriggerRefusals(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		h := newGitLabHarness(t, s, f, config.GitLab{}, nil)
		f.answerTriggers(answer{status: 400, body: `{"message": {"base": ["Reference not found"]}}`})
		r := h.release("v1")
		h.runOnce()
		d := h.deployment(r.Deployments[0].ID)
		if d.Status != releases.DeploymentFailed || !strings.Contains(d.Message, "HTTP 400 Bad Request") || !strings.Contains(d.Message, "Reference not found") {
			t.Fatalf("after a 400: %s %q", d.Status, d.Message)
		}

		f.answerTriggers(answer{status: 502, body: "<html>bad gateway</html>"}, answer{status: 429, body: `{"message": "slow down"}`})
		r2 := h.release("v2")
		id2 := last(r2.Deployments).ID
		h.runOnce()
		h.clock.Advance(2 * time.Second)
		h.runOnce()
		if d := h.deployment(id2); d.Status != releases.DeploymentPending {
			t.Fatalf("after 502 and 429: %s %q, want pending a retry", d.Status, d.Message)
		}
		h.clock.Advance(4 * time.Second)
		h.runOnce()
		if d := h.deployment(id2); d.Status != releases.DeploymentInProgress || d.RunID != "257" || len(f.triggers()) != 4 {
			t.Fatalf("after the third attempt: %s run %q, %d triggers", d.Status, d.RunID, len(f.triggers()))
		}
	})
}

// TestGitLabWrongTriggerToken: GitLab's 404 (its answer to a personal
// access token in place of a trigger token) fails with a hint.
func TestGitLabWrongTriggerToken(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		h := newGitLabHarness(t, s, f, config.GitLab{}, nil)
		h.cfg.Environments[0].Deploy.GitLab.TriggerToken = "glpat-personal"
		h.wireGitLab()
		r := h.release("v1")
		h.runOnce()
		d := h.deployment(r.Deployments[0].ID)
		if d.Status != releases.DeploymentFailed || !strings.Contains(d.Message, "HTTP 404") || !strings.Contains(d.Message, "not a trigger token") {
			t.Fatalf("%s %q", d.Status, d.Message)
		}
	})
}

// TestGitLabRollbackSendsThePreviousVersion: a rollback triggers the same
// pipeline with the version to go back to.
func TestGitLabRollbackSendsThePreviousVersion(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		gl := config.GitLab{URL: f.URL(), Project: "acme/{service}", Ref: "main", TriggerToken: glTrigger, Token: glRead}
		h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret, deploy: config.Deploy{Kind: config.KindGitLab, GitLab: gl}}})
		h.wireGitLab()
		finish := func(pipeline int64) {
			t.Helper()
			f.set(pipeline, "success")
			h.clock.Advance(15 * time.Second)
			h.runOnce()
		}
		h.release("v1")
		h.runOnce()
		finish(257)
		r2 := h.release("v2")
		h.runOnce()
		finish(258)
		if st := h.get(r2.ID).Status; st != releases.StatusDeployed {
			t.Fatalf("v2: %s", st)
		}
		r2 = h.ok(h.svc.Rollback(ctx, dave, r2.ID, "", "error rate up"))
		rb := last(r2.Deployments)
		h.runOnce()
		form := last(f.triggers()).form
		if len(f.triggers()) != 3 || form["variables[RELEASEBOT_VERSION]"] != "v1" || form["variables[RELEASEBOT_PREVIOUS_VERSION]"] != "v2" ||
			form["variables[RELEASEBOT_DEPLOYMENT_ID]"] != releases.FormatDeploymentID(rb.ID) {
			t.Fatalf("rollback trigger: %d triggers, last %v", len(f.triggers()), form)
		}
		finish(259)
		if st := h.get(r2.ID).Status; st != releases.StatusRolledBack {
			t.Fatalf("after the rollback pipeline: %s", st)
		}
	})
}

// TestGitLabCrashMidTrigger: a worker claims the delivery, its trigger
// reaches GitLab, and it dies (kill -9) before recording anything. Once
// the claim lapses, the next worker finds the pipeline and follows it: no
// second pipeline.
func TestGitLabCrashMidTrigger(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitLab(t)
		h := newGitLabHarness(t, s, f, config.GitLab{Token: glRead}, nil)
		r := h.release("v1")
		id := r.Deployments[0].ID
		got, err := h.store.ClaimDeliveries(ctx, releases.DeliveryClaim{Now: h.clock.Now(), Lease: h.worker.Lease(), Limit: 10})
		if err != nil || len(got) != 1 {
			t.Fatalf("claim: %v, %v", got, err)
		}
		// What the dead worker sent.
		form := url.Values{"token": {glTrigger}, "ref": {"main"},
			"variables[RELEASEBOT_DEPLOYMENT_ID]": {releases.FormatDeploymentID(id)}}
		resp, err := http.PostForm(f.URL()+glEscaped+"trigger/pipeline", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h.wireGitLab() // the restart
		h.runOnce()
		if n := len(f.triggers()); n != 1 {
			t.Fatalf("%d triggers while the dead worker's claim holds", n)
		}
		h.clock.Advance(h.worker.Lease())
		h.runOnce()
		d := h.deployment(id)
		if n := len(f.triggers()); n != 1 || d.Status != releases.DeploymentInProgress || d.RunID != "257" {
			t.Fatalf("after the claim lapsed: %d triggers, %s following %q; want 1 trigger and pipeline 257 followed", n, d.Status, d.RunID)
		}
	})
}
