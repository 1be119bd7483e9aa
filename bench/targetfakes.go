package main

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// The fakes of GitHub, GitLab and Argo CD answer with the documents of
// shared/fixtures (copied to bench/fixtures; provenance in
// shared/fixtures/SOURCES.md), their ids and states set for the request
// at hand. They check the auth each kind sends, note when the first
// request for each deployment arrived, and leave every run in progress:
// the bench measures how fast releasebot asks, not how it follows a run.
//
//go:embed fixtures/*.json
var fixtures embed.FS

// fixture reads a fixture as a JSON object, a fresh copy each time.
func fixture(name string) map[string]any {
	b, err := fixtures.ReadFile("fixtures/" + name)
	if err != nil {
		panic(err) // embedded: only a typo in name gets here
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("fixture %s: %v", name, err))
	}
	return m
}

// maxTargetBody bounds what a fake reads of a request: releasebot sends a
// few KiB at most.
const maxTargetBody = 1 << 20

// arrivals notes, per deployment, when the first request for it reached a
// fake, and counts what else came.
type arrivals struct {
	mu        sync.Mutex
	first     map[string]time.Time // deployment id → first request's arrival
	byRelease map[string]string    // release id → its (first) deployment id
	waiters   map[string]chan struct{}
	starts    int // requests that start a run (dispatch, trigger, sync)
	others    int // polls and look-ups
	refused   int // wrong auth or a malformed request
}

func newArrivals() *arrivals {
	return &arrivals{first: map[string]time.Time{}, byRelease: map[string]string{}, waiters: map[string]chan struct{}{}}
}

// started records a request that starts a run for deployment of release.
func (a *arrivals) started(release, deployment string, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.starts++
	if _, seen := a.first[deployment]; seen {
		return
	}
	a.first[deployment] = at
	if _, ok := a.byRelease[release]; !ok {
		a.byRelease[release] = deployment
	}
	if ch, ok := a.waiters[release]; ok {
		close(ch)
		delete(a.waiters, release)
	}
}

func (a *arrivals) other() {
	a.mu.Lock()
	a.others++
	a.mu.Unlock()
}

func (a *arrivals) refuse(w http.ResponseWriter, code int, body string) {
	a.mu.Lock()
	a.refused++
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// firstFor waits for the first request for release's deployment and
// returns when it arrived.
func (a *arrivals) firstFor(release string, timeout time.Duration) (time.Time, bool) {
	a.mu.Lock()
	if d, ok := a.byRelease[release]; ok {
		at := a.first[d]
		a.mu.Unlock()
		return at, true
	}
	ch, ok := a.waiters[release]
	if !ok {
		ch = make(chan struct{})
		a.waiters[release] = ch
	}
	a.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(timeout):
		return time.Time{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.first[a.byRelease[release]], true
}

// counts: deployments started, requests that started a run (more than
// deployments means a duplicate), other requests, refused requests.
func (a *arrivals) counts() (deployments, starts, others, refused int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.first), a.starts, a.others, a.refused
}

func replyJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeGitHub is GitHub's REST API for workflow dispatches: a dispatch
// answers 200 with run details (return_run_details), a run answers
// in_progress, and the list of runs (asked before a retry) is empty.
type fakeGitHub struct {
	*httptest.Server
	*arrivals
	token   string
	nextRun atomic.Int64
}

func newFakeGitHub(token string) *fakeGitHub {
	f := &fakeGitHub{arrivals: newArrivals(), token: token}
	f.nextRun.Store(30433642) // the id of workflow-run-get.json
	mux := http.NewServeMux()
	mux.HandleFunc("POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches", f.dispatch)
	mux.HandleFunc("GET /repos/{owner}/{repo}/actions/runs/{id}", f.run)
	mux.HandleFunc("GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs", func(w http.ResponseWriter, r *http.Request) {
		if f.authorized(w, r) {
			f.other()
			replyJSON(w, http.StatusOK, map[string]any{"total_count": 0, "workflow_runs": []any{}})
		}
	})
	f.Server = httptest.NewServer(mux)
	return f
}

func (f *fakeGitHub) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+f.token || r.Header.Get("Accept") != "application/vnd.github+json" {
		f.refuse(w, http.StatusUnauthorized, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`)
		return false
	}
	return true
}

func (f *fakeGitHub) dispatch(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if !f.authorized(w, r) {
		return
	}
	var in struct {
		Ref              string            `json:"ref"`
		Inputs           map[string]string `json:"inputs"`
		ReturnRunDetails bool              `json:"return_run_details"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTargetBody)).Decode(&in); err != nil ||
		in.Ref == "" || in.Inputs["deployment_id"] == "" || !in.ReturnRunDetails {
		f.refuse(w, http.StatusUnprocessableEntity, `{"message":"Invalid request."}`)
		return
	}
	f.started(in.Inputs["release_id"], in.Inputs["deployment_id"], at)
	id := f.nextRun.Add(1)
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	m := fixture("github-workflow-dispatch-response-200.json")
	m["workflow_run_id"] = id
	m["run_url"] = fmt.Sprintf("%s/repos/%s/actions/runs/%d", f.URL, repo, id)
	m["html_url"] = fmt.Sprintf("https://github.com/%s/actions/runs/%d", repo, id)
	replyJSON(w, http.StatusOK, m)
}

func (f *fakeGitHub) run(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.other()
	var id int64
	if _, err := fmt.Sscan(r.PathValue("id"), &id); err != nil {
		replyJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	m := fixture("github-workflow-run-get.json")
	m["id"], m["event"], m["status"], m["conclusion"] = id, "workflow_dispatch", "in_progress", nil
	m["url"] = fmt.Sprintf("%s/repos/%s/actions/runs/%d", f.URL, repo, id)
	m["html_url"] = fmt.Sprintf("https://github.com/%s/actions/runs/%d", repo, id)
	replyJSON(w, http.StatusOK, m)
}

// fakeGitLab is GitLab's pipeline trigger API: a trigger answers 201 with
// the new pipeline, and the pipeline answers running.
type fakeGitLab struct {
	*httptest.Server
	*arrivals
	trigger, token string
	nextPipeline   atomic.Int64
}

func newFakeGitLab(trigger, token string) *fakeGitLab {
	f := &fakeGitLab{arrivals: newArrivals(), trigger: trigger, token: token}
	f.nextPipeline.Store(257) // the id of trigger-pipeline-response.json
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v4/projects/{project}/trigger/pipeline", f.triggerPipeline)
	mux.HandleFunc("GET /api/v4/projects/{project}/pipelines/{id}", f.pipeline)
	mux.HandleFunc("GET /api/v4/projects/{project}/pipelines", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("PRIVATE-TOKEN") != f.token {
			f.refuse(w, http.StatusUnauthorized, `{"message":"401 Unauthorized"}`)
			return
		}
		f.other()
		replyJSON(w, http.StatusOK, []any{})
	})
	f.Server = httptest.NewServer(mux)
	return f
}

func (f *fakeGitLab) triggerPipeline(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	r.Body = http.MaxBytesReader(w, r.Body, maxTargetBody)
	if err := r.ParseMultipartForm(maxTargetBody); err != nil {
		f.refuse(w, http.StatusBadRequest, `{"error":"token is missing"}`)
		return
	}
	if r.PostFormValue("token") != f.trigger {
		f.refuse(w, http.StatusNotFound, `{"message":"404 Not Found"}`) // GitLab's answer to a wrong trigger token
		return
	}
	dep := r.PostFormValue("variables[RELEASEBOT_DEPLOYMENT_ID]")
	if r.PostFormValue("ref") == "" || dep == "" {
		f.refuse(w, http.StatusBadRequest, `{"message":{"base":["Reference not found"]}}`)
		return
	}
	f.started(r.PostFormValue("variables[RELEASEBOT_RELEASE_ID]"), dep, at)
	id := f.nextPipeline.Add(1)
	m := fixture("gitlab-trigger-pipeline-response.json")
	m["id"], m["ref"] = id, r.PostFormValue("ref")
	m["web_url"] = fmt.Sprintf("%s/%s/-/pipelines/%d", f.URL, r.PathValue("project"), id)
	replyJSON(w, http.StatusCreated, m)
}

func (f *fakeGitLab) pipeline(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("PRIVATE-TOKEN") != f.token {
		f.refuse(w, http.StatusUnauthorized, `{"message":"401 Unauthorized"}`)
		return
	}
	f.other()
	var id int64
	if _, err := fmt.Sscan(r.PathValue("id"), &id); err != nil {
		replyJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
		return
	}
	m := fixture("gitlab-trigger-pipeline-response.json")
	m["id"], m["status"] = id, "running"
	m["web_url"] = fmt.Sprintf("%s/%s/-/pipelines/%d", f.URL, r.PathValue("project"), id)
	replyJSON(w, http.StatusOK, m)
}

// fakeArgoCD is Argo CD's application API: a sync answers 200 with the
// application, its operation set to the sync asked for; reading the
// application shows that operation running.
type fakeArgoCD struct {
	*httptest.Server
	*arrivals
	token string

	mu  sync.Mutex
	ops map[string]map[string]any // app → the operation of its last sync
}

func newFakeArgoCD(token string) *fakeArgoCD {
	f := &fakeArgoCD{arrivals: newArrivals(), token: token, ops: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/applications/{app}/sync", f.sync)
	mux.HandleFunc("GET /api/v1/applications/{app}", f.application)
	f.Server = httptest.NewServer(mux)
	return f
}

func (f *fakeArgoCD) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.refuse(w, http.StatusUnauthorized, `{"error":"invalid session: token signature is invalid","code":16,"message":"invalid session: token signature is invalid"}`)
		return false
	}
	return true
}

func (f *fakeArgoCD) sync(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if !f.authorized(w, r) {
		return
	}
	var in struct {
		Name     string `json:"name"`
		Revision string `json:"revision"`
		Infos    []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"infos"`
	}
	app := r.PathValue("app")
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTargetBody)).Decode(&in); err != nil || in.Name != app {
		f.refuse(w, http.StatusBadRequest, `{"error":"invalid request","code":3,"message":"invalid request"}`)
		return
	}
	var dep, rel string
	info := []any{}
	for _, i := range in.Infos {
		switch i.Name {
		case "releasebot-deployment":
			dep = i.Value
		case "releasebot-release":
			rel = i.Value
		}
		info = append(info, map[string]any{"name": i.Name, "value": i.Value})
	}
	if dep == "" {
		f.refuse(w, http.StatusBadRequest, `{"error":"no releasebot-deployment info","code":3,"message":"no releasebot-deployment info"}`)
		return
	}
	f.started(rel, dep, at)
	op := map[string]any{"sync": map[string]any{"revision": in.Revision}, "info": info,
		"initiatedBy": map[string]any{"username": "releasebot"}}
	f.mu.Lock()
	f.ops[app] = op
	f.mu.Unlock()
	m := f.app(app)
	m["operation"] = op // Argo CD's answer: the application with the operation just set
	replyJSON(w, http.StatusOK, m)
}

// app is application-status.json named app.
func (f *fakeArgoCD) app(name string) map[string]any {
	m := fixture("argocd-application-status.json")
	m["metadata"] = map[string]any{"name": name, "namespace": "argocd"}
	return m
}

func (f *fakeArgoCD) application(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.other()
	app := r.PathValue("app")
	f.mu.Lock()
	op := f.ops[app]
	f.mu.Unlock()
	m := f.app(app)
	if op != nil { // the controller took the operation up: running
		if st, ok := m["status"].(map[string]any); ok {
			st["operationState"] = map[string]any{"operation": op, "phase": "Running",
				"message": "one or more tasks are running", "startedAt": time.Now().UTC().Format(time.RFC3339)}
		}
	}
	replyJSON(w, http.StatusOK, m)
}

// describe says what a fake saw, for the report's notes.
func describe(name string, a *arrivals) string {
	d, s, o, bad := a.counts()
	return fmt.Sprintf("%s: %d deployments, %d run-starting requests, %d polls and look-ups, %d refused", name, d, s, o, bad)
}
