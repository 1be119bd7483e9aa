package webhooks_test

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestGitHubDispatchAndWebhook: a deployment dispatches the workflow once
// with the token, GitHub's headers and the deployment as string inputs
// within GitHub's limits; the run GitHub names is followed and linked; the
// signed workflow_run webhook finishes it, and the thread says which run.
func TestGitHubDispatchAndWebhook(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		h := newGitHubHarness(t, s, githubDeploy(f, ghSecret))
		r := h.release("v1.2.3")
		id := r.Deployments[0].ID
		h.runOnce()
		ds := f.dispatches()
		if len(ds) != 1 {
			t.Fatalf("%d dispatches, want 1", len(ds))
		}
		d0 := ds[0]
		if d0.path != "/repos/acme/payments-api/actions/workflows/deploy.yml/dispatches" || d0.auth != "Bearer "+ghToken ||
			d0.accept != "application/vnd.github+json" || d0.version != "2022-11-28" {
			t.Fatalf("dispatch request %s auth %q accept %q version %q", d0.path, d0.auth, d0.accept, d0.version)
		}
		ref, inputs, details := dispatchOf(t, d0)
		want := map[string]any{"deployment_id": dID(id), "release_id": releases.FormatID(r.ID), "service": "payments-api",
			"version": "v1.2.3", "previous_version": "", "environment": "staging",
			"callback_url": "https://bot.example.com/webhooks/deployments/" + dID(id) + "/status", "vars": "{}"}
		if ref != "main" || !details || !reflect.DeepEqual(inputs, want) {
			t.Fatalf("dispatch ref %q, return_run_details %v, inputs\n got %v\nwant %v", ref, details, inputs, want)
		}
		d := h.deployment(id)
		wantURL := "https://github.com/acme/payments-api/actions/runs/30433642"
		if d.Status != releases.DeploymentInProgress || d.RunKind != "github_actions" || d.RunID != "30433642" || d.URL != wantURL ||
			!strings.Contains(d.Message, "GitHub Actions run 30433642") {
			t.Fatalf("after the dispatch: %s run %s %q url %q message %q", d.Status, d.RunKind, d.RunID, d.URL, d.Message)
		}
		body := completed(t, "acme/payments-api", 30433642, "deploy "+dID(id)+" payments-api v1.2.3 to staging", "success")
		if rec := h.deliver("workflow_run", "72d3162e-cc78-11e3-81ab-4c9367dc0958", hubSignature(ghSecret, body), body); rec.Code != http.StatusOK {
			t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
		}
		if got := h.get(r.ID).Status; got != releases.StatusDeployed {
			t.Fatalf("after the webhook: %s, want deployed", got)
		}
		trail := strings.Join(h.audit(r.ID), "\n")
		if !strings.Contains(trail, "GitHub Actions run 30433642 succeeded ("+wantURL+")") {
			t.Fatalf("the thread doesn't say which run:\n%s", trail)
		}
		if len(f.dispatches()) != 1 {
			t.Fatalf("%d dispatches, want 1", len(f.dispatches()))
		}
	})
}

// TestGitHubInputsWithinLimits: vars go as one JSON string input, so the
// inputs stay 8 whatever the vars; vars over GitHub's 65,535 characters
// fail the deployment without a dispatch, saying why.
func TestGitHubInputsWithinLimits(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret, deploy: githubDeploy(f, "")}})
		vars := map[string]string{}
		for i := range 40 {
			vars["VAR_"+strconv.Itoa(i)] = "value " + strconv.Itoa(i)
		}
		h.cfg.Services = []config.Service{{Name: "payments-api", Teams: []string{"payments"},
			Vars: map[string]map[string]string{"staging": vars}}}
		h.wire(s)
		h.release("v1")
		h.runOnce()
		ds := f.dispatches()
		if len(ds) != 1 {
			t.Fatalf("%d dispatches, want 1", len(ds))
		}
		_, inputs, _ := dispatchOf(t, ds[0])
		var got map[string]string
		if len(inputs) != 8 || json.Unmarshal([]byte(inputs["vars"].(string)), &got) != nil || !reflect.DeepEqual(got, vars) {
			t.Fatalf("%d inputs, vars %v", len(inputs), inputs["vars"])
		}

		f.finish(firstRunID, "success")
		h.clock.Advance(15 * time.Second)
		h.runOnce()

		vars["BIG"] = strings.Repeat("x", 70000)
		h.wire(s)
		r := h.release("v2")
		h.runOnce()
		if n := len(f.dispatches()); n != 1 {
			t.Fatalf("%d dispatches; inputs over the limit were sent", n)
		}
		d := last(h.get(r.ID).Deployments)
		if d.Status != releases.DeploymentFailed || !strings.Contains(d.Message, "over GitHub's limit of 65535") {
			t.Fatalf("oversized inputs: %s %q", d.Status, d.Message)
		}
	})
}

// TestGitHub204MatchedByRunName: GitHub answers 204 without run details
// and lists the run only a moment later: the deployment follows
// "pending:D-n" until a poll finds the run by the deployment id in its
// name, then links it and finishes with it.
func TestGitHub204MatchedByRunName(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		f.details, f.lag = false, 1
		h := newGitHubHarness(t, s, githubDeploy(f, ""))
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		d := h.deployment(id)
		if d.Status != releases.DeploymentInProgress || d.RunID != "pending:"+dID(id) || d.URL != "" {
			t.Fatalf("after a 204: %s run %q url %q", d.Status, d.RunID, d.URL)
		}
		h.clock.Advance(15 * time.Second)
		h.runOnce()
		d = h.deployment(id)
		if d.Status != releases.DeploymentInProgress || d.URL != "https://github.com/acme/payments-api/actions/runs/30433642" ||
			!strings.Contains(d.Message, "GitHub Actions run 30433642") {
			t.Fatalf("after the run was listed: %s url %q message %q", d.Status, d.URL, d.Message)
		}
		f.finish(30433642, "success")
		h.clock.Advance(15 * time.Second)
		h.runOnce()
		if got := h.get(r.ID).Status; got != releases.StatusDeployed {
			t.Fatalf("after the run finished: %s", got)
		}
		if n := len(f.dispatches()); n != 1 {
			t.Fatalf("%d dispatches", n)
		}
	})
}

// TestGitHub204WebhookBindsByRunName: the workflow_run webhook of a run
// dispatched without run details finds its deployment by the id in the
// run's name; a run naming another deployment, or from another workflow,
// finishes nothing.
func TestGitHub204WebhookBindsByRunName(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		f.details, f.lag = false, 5
		h := newGitHubHarness(t, s, githubDeploy(f, ghSecret))
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		if d := h.deployment(id); d.RunID != "pending:"+dID(id) {
			t.Fatalf("run %q", d.RunID)
		}
		other := completed(t, ghRepo, 555, "deploy "+dID(id)+"0 payments-api v1 to staging", "success")
		if rec := h.deliver("workflow_run", "g-1", hubSignature(ghSecret, other), other); rec.Code != http.StatusAccepted {
			t.Fatalf("a run of another deployment: %d %s", rec.Code, rec.Body)
		}
		body := completed(t, ghRepo, 30433642, "deploy "+dID(id)+" payments-api v1 to staging", "failure")
		if rec := h.deliver("workflow_run", "g-2", hubSignature(ghSecret, body), body); rec.Code != http.StatusOK {
			t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
		}
		d := h.deployment(id)
		if d.Status != releases.DeploymentFailed || d.Message != "GitHub Actions run 30433642 failed: failure" ||
			d.URL != "https://github.com/acme/payments-api/actions/runs/30433642" {
			t.Fatalf("after the webhook: %s %q %q", d.Status, d.Message, d.URL)
		}
	})
}

// TestGitHubRetryAfterTimeoutAdoptsTheRun: GitHub dispatched the run but
// its answer came too late; the next attempt finds that run by the
// deployment id in its name and follows it instead of dispatching again.
func TestGitHubRetryAfterTimeoutAdoptsTheRun(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		f.delay = 2 * time.Second
		dep := githubDeploy(f, "")
		dep.Timeout = 300 * time.Millisecond
		h := newGitHubHarness(t, s, dep)
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentPending || f.runCount() != 1 {
			t.Fatalf("after the timeout: %s, %d runs", d.Status, f.runCount())
		}
		f.mu.Lock()
		f.delay = 0
		f.mu.Unlock()
		h.clock.Advance(time.Minute)
		h.runOnce()
		d := h.deployment(id)
		if d.Status != releases.DeploymentInProgress || d.RunID != "30433642" || d.Attempts != 2 ||
			!strings.Contains(d.Message, "dispatched by an earlier attempt") {
			t.Fatalf("after the retry: %s run %q attempts %d %q", d.Status, d.RunID, d.Attempts, d.Message)
		}
		if n := len(f.dispatches()); n != 1 || f.runCount() != 1 {
			t.Fatalf("%d dispatches, %d runs: the retry dispatched again", n, f.runCount())
		}
	})
}

// TestGitHubPollFallback: with a webhook secret the run is polled every
// 2 minutes, not sooner; when no webhook comes, the poll that sees the run
// completed finishes the deployment; cancelled fails it with the reason.
func TestGitHubPollFallback(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		h := newGitHubHarness(t, s, githubDeploy(f, ghSecret))
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		f.finish(30433642, "success")
		h.clock.Advance(time.Minute)
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentInProgress {
			t.Fatalf("polled before 2 minutes: %s", d.Status)
		}
		h.clock.Advance(time.Minute)
		h.runOnce()
		if got := h.get(r.ID).Status; got != releases.StatusDeployed {
			t.Fatalf("after the poll: %s", got)
		}
		gets := 0
		for _, rq := range f.requests() {
			if rq.path == "/repos/acme/payments-api/actions/runs/30433642" && rq.auth == "Bearer "+ghToken {
				gets++
			}
		}
		if gets != 1 {
			t.Fatalf("%d polls of the run, want 1", gets)
		}

		r2 := h.release("v2")
		h.runOnce()
		f.finish(30433643, "cancelled")
		h.clock.Advance(2 * time.Minute)
		h.runOnce()
		d := last(h.get(r2.ID).Deployments)
		if d.Status != releases.DeploymentFailed || d.Message != "GitHub Actions run 30433643 failed: cancelled" {
			t.Fatalf("cancelled run: %s %q", d.Status, d.Message)
		}
	})
}

// TestGitHubWebhookBadSignature: a delivery with a bad or missing
// signature, or signed with another secret, gets 401 and changes nothing.
// GitHub's own test vector verifies.
func TestGitHubWebhookBadSignature(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		h := newGitHubHarness(t, s, githubDeploy(f, ghSecret))
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		before := h.audit(r.ID)
		body := completed(t, ghRepo, 30433642, "deploy", "success")
		for name, sig := range map[string]string{
			"missing":      "",
			"other secret": hubSignature("not-the-secret", body),
			"sha1":         "sha1=" + strings.Repeat("0", 40),
			"garbled":      "sha256=zz",
			"other body":   hubSignature(ghSecret, append([]byte(" "), body...)),
		} {
			if rec := h.deliver("workflow_run", "bad-"+name, sig, body); rec.Code != http.StatusUnauthorized {
				t.Errorf("%s signature: %d %s", name, rec.Code, rec.Body)
			}
		}
		if d := h.deployment(id); d.Status != releases.DeploymentInProgress || !reflect.DeepEqual(h.audit(r.ID), before) {
			t.Fatalf("a refused webhook changed something: %s", d.Status)
		}
		// A body naming a repository no target has is refused too.
		elsewhere := completed(t, "evil/repo", 30433642, "deploy", "success")
		if rec := h.deliver("workflow_run", "bad-repo", hubSignature(ghSecret, elsewhere), elsewhere); rec.Code != http.StatusUnauthorized {
			t.Fatalf("another repository: %d %s", rec.Code, rec.Body)
		}

		// GitHub's vector: the body is not a webhook (400), but it is
		// verified — a wrong signature for it is 401.
		var vec struct {
			Secret, Payload string
			Header          string `json:"expected_header_value"`
		}
		b, _ := os.ReadFile("testdata/github/webhook-signature-vector.json")
		if err := json.Unmarshal(b, &vec); err != nil {
			t.Fatal(err)
		}
		if got := hubSignature(vec.Secret, []byte(vec.Payload)); got != vec.Header {
			t.Fatalf("the test's own signer: %s, GitHub's vector %s", got, vec.Header)
		}
		h.cfg.Environments[0].Deploy.GitHubActions.WebhookSecret = config.Secret(vec.Secret)
		h.wire(s)
		h.mountGitHub()
		if rec := h.deliver("ping", "v-1", vec.Header, []byte(vec.Payload)); rec.Code != http.StatusBadRequest {
			t.Fatalf("GitHub's vector: %d %s, want 400 (verified, not JSON)", rec.Code, rec.Body)
		}
		if rec := h.deliver("ping", "v-2", vec.Header[:len(vec.Header)-1]+"0", []byte(vec.Payload)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("GitHub's vector with a wrong signature: %d %s", rec.Code, rec.Body)
		}
	})
}

// TestGitHubDuplicateDelivery: the same delivery twice, and a second
// delivery about the same run, take effect once; a ping and other events
// change nothing.
func TestGitHubDuplicateDelivery(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		h := newGitHubHarness(t, s, githubDeploy(f, ghSecret))
		r := h.release("v1")
		h.runOnce()
		ping := []byte(`{"zen": "Keep it logically awesome.", "hook_id": 1, "repository": {"full_name": "acme/payments-api"}}`)
		if rec := h.deliver("ping", "p-1", hubSignature(ghSecret, ping), ping); rec.Code != http.StatusOK {
			t.Fatalf("ping: %d %s", rec.Code, rec.Body)
		}
		push := []byte(`{"ref": "refs/heads/main", "repository": {"full_name": "acme/payments-api"}}`)
		if rec := h.deliver("push", "p-2", hubSignature(ghSecret, push), push); rec.Code != http.StatusAccepted {
			t.Fatalf("push: %d %s", rec.Code, rec.Body)
		}
		before := len(h.audit(r.ID))
		body := completed(t, ghRepo, 30433642, "deploy", "success")
		for i, delivery := range []string{"d-1", "d-1", "d-2"} {
			if rec := h.deliver("workflow_run", delivery, hubSignature(ghSecret, body), body); rec.Code != http.StatusOK {
				t.Fatalf("delivery %d: %d %s", i, rec.Code, rec.Body)
			}
		}
		// One status event, then the release's deployed event.
		if got := h.get(r.ID).Status; got != releases.StatusDeployed || len(h.audit(r.ID)) != before+2 {
			t.Fatalf("after three deliveries: %s, audit %v", got, h.audit(r.ID)[before:])
		}
		// A conflicting later delivery (the run was re-run and failed)
		// changes nothing either.
		failed := completed(t, ghRepo, 30433642, "deploy", "failure")
		if rec := h.deliver("workflow_run", "d-3", hubSignature(ghSecret, failed), failed); rec.Code != http.StatusOK {
			t.Fatalf("late failure: %d %s", rec.Code, rec.Body)
		}
		if got := h.get(r.ID).Status; got != releases.StatusDeployed || len(h.audit(r.ID)) != before+2 {
			t.Fatalf("after a late delivery: %s", got)
		}
		unknown := completed(t, ghRepo, 999, "something else", "success")
		if rec := h.deliver("workflow_run", "d-4", hubSignature(ghSecret, unknown), unknown); rec.Code != http.StatusAccepted {
			t.Fatalf("unknown run: %d %s", rec.Code, rec.Body)
		}
	})
}

// TestGitHubRunNeverFinishes: a run that stays in progress is polled until
// finish_within passes, then the deployment times out.
func TestGitHubRunNeverFinishes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		h := newGitHubHarness(t, s, githubDeploy(f, ""))
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		for range 4 * 29 {
			h.clock.Advance(15 * time.Second)
			h.runOnce()
		}
		if d := h.deployment(id); d.Status != releases.DeploymentInProgress {
			t.Fatalf("before finish_within: %s", d.Status)
		}
		h.clock.Advance(time.Minute + time.Second)
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentTimedOut {
			t.Fatalf("after finish_within: %s", d.Status)
		}
		n := len(f.requests())
		h.clock.Advance(time.Hour)
		h.runOnce()
		if len(f.requests()) != n || len(f.dispatches()) != 1 {
			t.Fatalf("GitHub asked again after the timeout: %d requests, %d dispatches", len(f.requests())-n, len(f.dispatches()))
		}
	})
}

// TestGitHubRollback: a rollback dispatches the same workflow with the
// previous version, and its run's success rolls the release back.
func TestGitHubRollback(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		h := newGitHubHarness(t, s, githubDeploy(f, ghSecret))
		var r2 *releases.Release
		for i, v := range []string{"v1", "v2"} {
			r := h.release(v)
			r2 = r
			h.runOnce()
			id := int64(firstRunID + i)
			body := completed(t, ghRepo, id, "deploy", "success")
			if rec := h.deliver("workflow_run", "r-"+v, hubSignature(ghSecret, body), body); rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", v, rec.Code, rec.Body)
			}
			if got := h.get(r.ID).Status; got != releases.StatusDeployed {
				t.Fatalf("%s: %s", v, got)
			}
		}
		r2 = h.ok(h.svc.Rollback(ctx, dave, r2.ID, "", "error rate up"))
		rb := last(r2.Deployments)
		h.runOnce()
		ds := f.dispatches()
		if len(ds) != 3 || ds[2].path != "/repos/acme/payments-api/actions/workflows/deploy.yml/dispatches" {
			t.Fatalf("%d dispatches", len(ds))
		}
		_, inputs, _ := dispatchOf(t, ds[2])
		if inputs["version"] != "v1" || inputs["previous_version"] != "v2" || inputs["deployment_id"] != dID(rb.ID) {
			t.Fatalf("rollback inputs %v", inputs)
		}
		body := completed(t, ghRepo, firstRunID+2, "deploy", "success")
		if rec := h.deliver("workflow_run", "r-rb", hubSignature(ghSecret, body), body); rec.Code != http.StatusOK {
			t.Fatalf("rollback: %d %s", rec.Code, rec.Body)
		}
		if got := h.get(r2.ID).Status; got != releases.StatusRolledBack {
			t.Fatalf("after the rollback: %s", got)
		}
	})
}

// TestGitHubRefusalsAndRateLimits: GitHub's refusals fail the deployment
// with its message; a rate limit is retried after the reset it names.
func TestGitHubRefusalsAndRateLimits(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		h := newGitHubHarness(t, s, githubDeploy(f, ""))
		reset := h.clock.Now().Add(10 * time.Minute).Unix()
		f.dispatch = []answer{
			{status: 403, body: `{"message": "API rate limit exceeded for user ID 1."}`,
				header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)}},
			{status: 422, body: `{"message": "Workflow does not have 'workflow_dispatch' trigger"}`},
		}
		r := h.release("v1")
		id := r.Deployments[0].ID
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentPending {
			t.Fatalf("after a rate limit: %s", d.Status)
		}
		h.clock.Advance(9 * time.Minute)
		h.runOnce()
		if n := len(f.dispatches()); n != 1 {
			t.Fatalf("retried before the rate limit reset: %d dispatches", n)
		}
		h.clock.Advance(2 * time.Minute)
		h.runOnce()
		d := h.deployment(id)
		if d.Status != releases.DeploymentFailed ||
			d.Message != "GitHub: HTTP 422 Unprocessable Entity: Workflow does not have 'workflow_dispatch' trigger" {
			t.Fatalf("after a 422: %s %q", d.Status, d.Message)
		}
		// A wrong token: 401 with GitHub's message.
		h.cfg.Environments[0].Deploy.GitHubActions.Token = "wrong"
		h.wire(s)
		r2 := h.release("v2")
		h.runOnce()
		if d := last(h.get(r2.ID).Deployments); d.Status != releases.DeploymentFailed || !strings.Contains(d.Message, "401 Unauthorized: Bad credentials") {
			t.Fatalf("a wrong token: %s %q", d.Status, d.Message)
		}
	})
}

// TestGitHubExampleWorkflowDeclaresTheInputs: the sample workflow
// declares exactly the inputs a dispatch sends (GitHub refuses undeclared
// ones with 422), and its run-name carries the deployment id that the 204
// path and retries match runs by.
func TestGitHubExampleWorkflowDeclaresTheInputs(t *testing.T) {
	b, err := os.ReadFile("../examples/github-actions/deploy.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		RunName string `yaml:"run-name"`
		On      struct {
			Dispatch struct {
				Inputs map[string]struct {
					Type string `yaml:"type"`
				} `yaml:"inputs"`
			} `yaml:"workflow_dispatch"`
		} `yaml:"on"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		f := newFakeGitHub(t)
		h := newGitHubHarness(t, s, githubDeploy(f, ""))
		h.release("v1")
		h.runOnce()
		_, inputs, _ := dispatchOf(t, f.dispatches()[0])
		if len(inputs) != len(wf.On.Dispatch.Inputs) {
			t.Errorf("the workflow declares %d inputs, a dispatch sends %d", len(wf.On.Dispatch.Inputs), len(inputs))
		}
		for name := range inputs {
			if in, ok := wf.On.Dispatch.Inputs[name]; !ok || in.Type != "string" {
				t.Errorf("input %s: declared %v, type %q", name, ok, in.Type)
			}
		}
	})
	if !strings.Contains(wf.RunName, "${{ inputs.deployment_id }}") {
		t.Errorf("run-name %q lacks the deployment id", wf.RunName)
	}
}
