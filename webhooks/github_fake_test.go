package webhooks_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/webhooks"
)

// The fake GitHub answers with the documents of shared/fixtures/github
// (copied to testdata/github; provenance in shared/fixtures/SOURCES.md),
// their ids, names and states set for the run at hand.
const (
	ghRepo     = "acme/payments-api"
	ghWorkflow = "deploy.yml"
	ghToken    = "ghp_test_token_0123456789"
	ghSecret   = "github-webhook-secret"
	firstRunID = 30433642 // the id of workflow-run-get.json
)

// ghRequest is one request the fake GitHub got.
type ghRequest struct {
	method, path, query   string
	auth, accept, version string
	body                  []byte
}

// ghRun is a workflow run of the fake.
type ghRun struct {
	id                 int64
	title              string // run-name, as the example workflow sets it
	status, conclusion string
	listed             bool // the runs list shows it (GitHub lists a new run after a moment)
	inputs             map[string]string
}

// fakeGitHub is GitHub's REST API for one repository and workflow: it
// dispatches, lists and gets runs, checks the auth headers and GitHub's
// limits on inputs, and records every request.
type fakeGitHub struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	got      []ghRequest
	runs     []*ghRun
	details  bool          // answer a dispatch 200 with run details; false: 204 (older GitHub Enterprise)
	lag      int           // lists that don't show a new run yet
	delay    time.Duration // real time before answering a dispatch (a timeout), after creating the run
	dispatch []answer      // scripted answers to dispatches, instead of creating a run
	get      []answer      // scripted answers to GET run, before the real ones
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t, details: true}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// fixture reads a GitHub fixture as a JSON object.
func fixture(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/github/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fakeGitHub) runURL(id int64) (api, html string) {
	return fmt.Sprintf("%s/repos/%s/actions/runs/%d", f.srv.URL, ghRepo, id), fmt.Sprintf("https://github.com/%s/actions/runs/%d", ghRepo, id)
}

// runJSON is workflow-run-get.json made into run r.
func (f *fakeGitHub) runJSON(r *ghRun) map[string]any {
	m := fixture(f.t, "workflow-run-get.json")
	api, html := f.runURL(r.id)
	m["id"], m["name"], m["display_title"], m["event"] = r.id, "Deploy", r.title, "workflow_dispatch"
	m["status"], m["url"], m["html_url"], m["path"] = r.status, api, html, ".github/workflows/"+ghWorkflow+"@main"
	m["conclusion"] = nil
	if r.conclusion != "" {
		m["conclusion"] = r.conclusion
	}
	return m
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rq := ghRequest{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization"),
		accept: r.Header.Get("Accept"), version: r.Header.Get("X-GitHub-Api-Version"), body: body}
	f.mu.Lock()
	f.got = append(f.got, rq)
	f.mu.Unlock()
	if rq.auth != "Bearer "+ghToken {
		reply(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	if rq.accept != "application/vnd.github+json" || rq.version != "2022-11-28" {
		reply(w, http.StatusBadRequest, map[string]string{"message": "unexpected Accept or X-GitHub-Api-Version"})
		return
	}
	base := "/repos/" + ghRepo + "/actions/"
	switch {
	case r.Method == http.MethodPost && r.URL.Path == base+"workflows/"+ghWorkflow+"/dispatches":
		f.dispatchRun(w, r, body)
	case r.Method == http.MethodGet && r.URL.Path == base+"workflows/"+ghWorkflow+"/runs":
		f.list(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, base+"runs/"):
		f.getRun(w, strings.TrimPrefix(r.URL.Path, base+"runs/"))
	default:
		reply(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}

func (f *fakeGitHub) dispatchRun(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		Ref              string         `json:"ref"`
		Inputs           map[string]any `json:"inputs"`
		ReturnRunDetails bool           `json:"return_run_details"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Ref == "" {
		reply(w, http.StatusUnprocessableEntity, map[string]string{"message": "Invalid request."})
		return
	}
	// GitHub's limits: 25 inputs (10 on older servers), 65,535 characters.
	raw, _ := json.Marshal(in.Inputs)
	if len(in.Inputs) > 10 || utf8.RuneCount(raw) > 65535 {
		reply(w, http.StatusUnprocessableEntity, map[string]string{"message": "inputs are too large"})
		return
	}
	inputs := map[string]string{}
	for k, v := range in.Inputs {
		s, ok := v.(string)
		if !ok {
			reply(w, http.StatusUnprocessableEntity, map[string]string{"message": "For 'properties/" + k + "', is not a string."})
			return
		}
		inputs[k] = s
	}
	f.mu.Lock()
	if len(f.dispatch) > 0 {
		a := f.dispatch[0]
		f.dispatch = f.dispatch[1:]
		f.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
		return
	}
	run := &ghRun{id: firstRunID + int64(len(f.runs)), status: "queued", inputs: inputs, listed: f.lag == 0,
		title: fmt.Sprintf("deploy %s %s %s to %s", inputs["deployment_id"], inputs["service"], inputs["version"], inputs["environment"])}
	f.runs = append(f.runs, run)
	details, delay := f.details && in.ReturnRunDetails, f.delay
	f.mu.Unlock()
	if delay > 0 {
		select { // the client gives up first
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if !details {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	m := fixture(f.t, "workflow-dispatch-response-200.json")
	m["workflow_run_id"] = run.id
	m["run_url"], m["html_url"] = f.runURL(run.id)
	reply(w, http.StatusOK, m)
}

func (f *fakeGitHub) list(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("event") != "workflow_dispatch" || !strings.HasPrefix(r.URL.Query().Get("created"), ">=") {
		f.t.Errorf("list runs without event=workflow_dispatch and created>=: %s", r.URL.RawQuery)
	}
	f.mu.Lock()
	if f.lag > 0 {
		f.lag--
	} else {
		for _, run := range f.runs {
			run.listed = true
		}
	}
	var runs []any
	for i := len(f.runs) - 1; i >= 0; i-- { // newest first
		if f.runs[i].listed {
			runs = append(runs, f.runJSON(f.runs[i]))
		}
	}
	f.mu.Unlock()
	if runs == nil {
		runs = []any{}
	}
	reply(w, http.StatusOK, map[string]any{"total_count": len(runs), "workflow_runs": runs})
}

func (f *fakeGitHub) getRun(w http.ResponseWriter, id string) {
	f.mu.Lock()
	if len(f.get) > 0 {
		a := f.get[0]
		f.get = f.get[1:]
		f.mu.Unlock()
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
		return
	}
	defer f.mu.Unlock()
	for _, run := range f.runs {
		if strconv.FormatInt(run.id, 10) == id {
			reply(w, http.StatusOK, f.runJSON(run))
			return
		}
	}
	reply(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

// finish completes run id with conclusion.
func (f *fakeGitHub) finish(id int64, conclusion string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, run := range f.runs {
		if run.id == id {
			run.status, run.conclusion = "completed", conclusion
			return
		}
	}
	f.t.Fatalf("no run %d", id)
}

func (f *fakeGitHub) requests() []ghRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ghRequest(nil), f.got...)
}

// dispatches are the dispatch requests received.
func (f *fakeGitHub) dispatches() []ghRequest {
	var out []ghRequest
	for _, r := range f.requests() {
		if r.method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeGitHub) runCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.runs)
}

// githubDeploy is a staging deploy through the fake; secret "" for none.
func githubDeploy(f *fakeGitHub, secret string) config.Deploy {
	return config.Deploy{Kind: config.KindGitHubActions, GitHubActions: config.GitHubActions{
		Repo: "acme/{service}", Workflow: ghWorkflow, Ref: "main", Token: ghToken,
		WebhookSecret: config.Secret(secret), APIURL: f.srv.URL + "/"}}
}

// newGitHubHarness is a harness whose one environment, staging, deploys
// through the fake GitHub, with POST /webhooks/github mounted.
func newGitHubHarness(t *testing.T, s *gormstore.Store, d config.Deploy) *harness {
	t.Helper()
	h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret, deploy: d}})
	h.mountGitHub()
	return h
}

func (h *harness) mountGitHub() {
	webhooks.RegisterGitHub(h.router, webhooks.GitHubOptions{Deployments: h.svc, Runs: h.store, Environments: h.envs})
}

// completed is workflow-run-completed.json made into the completion of run
// id in repo, named title, with conclusion.
func completed(t testing.TB, repo string, id int64, title, conclusion string) []byte {
	m := fixture(t, "workflow-run-completed.json")
	wr := m["workflow_run"].(map[string]any)
	wr["id"], wr["display_title"], wr["conclusion"], wr["event"] = id, title, conclusion, "workflow_dispatch"
	wr["html_url"] = fmt.Sprintf("https://github.com/%s/actions/runs/%d", repo, id)
	wr["path"] = ".github/workflows/" + ghWorkflow
	m["repository"].(map[string]any)["full_name"] = repo
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hubSignature is X-Hub-Signature-256 of body under secret, computed here
// independently of the package (and checked against GitHub's vector).
func hubSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// deliver posts a GitHub webhook delivery to /webhooks/github.
func (h *harness) deliver(event, delivery, signature string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	rec := httptest.NewRecorder()
	h.router.ServeHTTP(rec, req)
	return rec
}

// dispatchOf decodes a recorded dispatch.
func dispatchOf(t testing.TB, r ghRequest) (ref string, inputs map[string]any, details bool) {
	t.Helper()
	var in struct {
		Ref              string         `json:"ref"`
		Inputs           map[string]any `json:"inputs"`
		ReturnRunDetails bool           `json:"return_run_details"`
	}
	if err := json.Unmarshal(r.body, &in); err != nil {
		t.Fatalf("dispatch body: %v\n%s", err, r.body)
	}
	return in.Ref, in.Inputs, in.ReturnRunDetails
}

// dID is D-n.
func dID(id int64) string { return releases.FormatDeploymentID(id) }
