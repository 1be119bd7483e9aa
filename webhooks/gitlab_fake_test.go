package webhooks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/webhooks"
)

// Credentials of the fake GitLab.
const (
	glTrigger = "glptt-0123456789abcdef0123" // the pipeline trigger token
	glRead    = "glpat-readapi-0123456789"   // a read_api token
	glHook    = "staging-hook-token-3f9a"    // staging's webhook secret token
)

// glPipeline is a pipeline the fake GitLab holds.
type glPipeline struct {
	id                   int64
	project, ref, status string
	source               string
	vars                 map[string]string
	iid, projectID       int64
}

// glRequest is one request as the fake GitLab saw it.
type glRequest struct {
	method, path, contentType, privateToken string
	query                                   url.Values
	form                                    map[string]string // multipart fields of a POST
}

// fakeGitLab answers the trigger, pipeline and variables APIs as the
// fixtures in testdata/gitlab show, and records every request.
type fakeGitLab struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	projects map[string]int64 // path → id
	next     int64
	pipes    []*glPipeline
	got      []glRequest
	script   []answer // answers to the next triggers instead of a pipeline
	hang     int      // the next triggers start their pipeline but answer only after the client gave up
	response map[string]any
}

func newFakeGitLab(t *testing.T) *fakeGitLab {
	t.Helper()
	f := &fakeGitLab{t: t, projects: map[string]int64{"acme/payments-api": 123, "acme/payments-prod": 124}, next: 257}
	if err := json.Unmarshal(readFixture(t, "trigger-pipeline-response.json"), &f.response); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/gitlab/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fakeGitLab) URL() string { return f.srv.URL }

func (f *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
	req := glRequest{method: r.Method, path: r.URL.EscapedPath(), contentType: r.Header.Get("Content-Type"),
		privateToken: r.Header.Get("PRIVATE-TOKEN"), query: r.URL.Query()}
	if r.Method == http.MethodPost {
		// GitLab takes form fields either way.
		var err error
		if strings.HasPrefix(req.contentType, "multipart/form-data") {
			err = r.ParseMultipartForm(1 << 20)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			f.t.Errorf("fake GitLab: %s is not a form: %v", req.path, err)
		}
		req.form = map[string]string{}
		for k, v := range r.PostForm {
			req.form[k] = strings.Join(v, ",")
		}
	}
	f.mu.Lock()
	f.got = append(f.got, req)
	rest, ok := strings.CutPrefix(req.path, "/api/v4/projects/")
	seg, sub, _ := strings.Cut(rest, "/")
	project, _ := url.PathUnescape(seg)
	pid, known := f.projects[project]
	if !ok || !known || strings.Contains(seg, "/") {
		f.mu.Unlock()
		writeJSON(w, http.StatusNotFound, `{"message": "404 Project Not Found"}`)
		return
	}
	if r.Method == http.MethodPost && sub == "trigger/pipeline" {
		f.trigger(w, r, req, project, pid) // unlocks
		return
	}
	defer f.mu.Unlock()
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, `{"message": "405 Method Not Allowed"}`)
		return
	}
	if req.privateToken != glRead {
		writeJSON(w, http.StatusUnauthorized, `{"message": "401 Unauthorized"}`)
		return
	}
	parts := strings.Split(sub, "/")
	switch {
	case sub == "pipelines":
		var out []map[string]any
		for _, p := range slices.Backward(f.pipes) {
			if p.project == project && (req.query.Get("ref") == "" || p.ref == req.query.Get("ref")) &&
				(req.query.Get("source") == "" || p.source == req.query.Get("source")) {
				out = append(out, f.pipelineJSON(p))
			}
		}
		writeValue(w, http.StatusOK, out)
	case len(parts) >= 2 && parts[0] == "pipelines":
		p := f.pipeline(project, parts[1])
		switch {
		case p == nil:
			writeJSON(w, http.StatusNotFound, `{"message": "404 Not found"}`)
		case len(parts) == 3 && parts[2] == "variables":
			vars := []map[string]string{}
			for _, k := range slices.Sorted(maps.Keys(p.vars)) {
				vars = append(vars, map[string]string{"variable_type": "env_var", "key": k, "value": p.vars[k]})
			}
			writeValue(w, http.StatusOK, vars)
		case len(parts) == 2:
			writeValue(w, http.StatusOK, f.pipelineJSON(p))
		default:
			writeJSON(w, http.StatusNotFound, `{"error": "404 Not Found"}`)
		}
	default:
		writeJSON(w, http.StatusNotFound, `{"error": "404 Not Found"}`)
	}
}

// trigger answers POST …/trigger/pipeline; f.mu is held and released.
func (f *fakeGitLab) trigger(w http.ResponseWriter, r *http.Request, req glRequest, project string, pid int64) {
	if req.form["token"] != glTrigger {
		f.mu.Unlock()
		writeJSON(w, http.StatusNotFound, `{"message": "404 Not Found"}`)
		return
	}
	if len(f.script) > 0 {
		a := f.script[0]
		f.script = f.script[1:]
		f.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		writeJSON(w, a.status, a.body)
		return
	}
	p := &glPipeline{id: f.next, iid: f.next - 139, projectID: pid, project: project, ref: req.form["ref"],
		status: "created", source: "trigger", vars: map[string]string{}}
	f.next++
	for k, v := range req.form {
		if name, ok := strings.CutPrefix(k, "variables["); ok {
			p.vars[strings.TrimSuffix(name, "]")] = v
		}
	}
	f.pipes = append(f.pipes, p)
	hang := f.hang > 0
	if hang {
		f.hang--
	}
	body := f.pipelineJSON(p)
	f.mu.Unlock()
	if hang {
		<-r.Context().Done() // the pipeline runs; the answer is lost
		return
	}
	writeValue(w, http.StatusCreated, body)
}

// pipelineJSON is the fixture's pipeline with p's fields. f.mu is held.
func (f *fakeGitLab) pipelineJSON(p *glPipeline) map[string]any {
	out := maps.Clone(f.response)
	out["id"], out["iid"], out["project_id"], out["ref"], out["status"], out["source"] = p.id, p.iid, p.projectID, p.ref, p.status, p.source
	out["web_url"] = f.webURL(p.project, p.id)
	return out
}

func (f *fakeGitLab) webURL(project string, id int64) string {
	return fmt.Sprintf("%s/%s/-/pipelines/%d", f.srv.URL, project, id)
}

func (f *fakeGitLab) pipeline(project, id string) *glPipeline {
	for _, p := range f.pipes {
		if p.project == project && strconv.FormatInt(p.id, 10) == id {
			return p
		}
	}
	return nil
}

// set moves pipeline id to status.
func (f *fakeGitLab) set(id int64, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pipes {
		if p.id == id {
			p.status = status
			return
		}
	}
	f.t.Fatalf("fake GitLab: no pipeline %d", id)
}

func (f *fakeGitLab) requests(method, pathSuffix string) []glRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []glRequest
	for _, r := range f.got {
		if r.method == method && strings.HasSuffix(r.path, pathSuffix) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeGitLab) triggers() []glRequest { return f.requests(http.MethodPost, "/trigger/pipeline") }

func (f *fakeGitLab) pipelineCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pipes)
}

func (f *fakeGitLab) answerTriggers(as ...answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, as...)
}

func (f *fakeGitLab) hangTriggers(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hang += n
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func writeValue(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeJSON(w, status, string(b))
}

// pipelineHook is the fixture pipeline event about pipeline id of project
// path (id pid) in status, started by source with vars.
func pipelineHook(t *testing.T, f *fakeGitLab, path string, pid, id int64, status, source string, vars map[string]string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(readFixture(t, "pipeline-event.json"), &ev); err != nil {
		t.Fatal(err)
	}
	attrs := ev["object_attributes"].(map[string]any)
	attrs["id"], attrs["status"], attrs["source"], attrs["url"] = id, status, source, f.webURL(path, id)
	var vs []map[string]string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		vs = append(vs, map[string]string{"key": k, "value": vars[k]})
	}
	attrs["variables"] = vs
	proj := ev["project"].(map[string]any)
	proj["id"], proj["path_with_namespace"] = pid, path
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gitlabHook posts a pipeline webhook to the harness's router.
func (h *harness) gitlabHook(token, event, uuid string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/gitlab", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Gitlab-Token", token)
	}
	req.Header.Set("X-Gitlab-Event", event)
	req.Header.Set("X-Gitlab-Event-UUID", uuid)
	rec := httptest.NewRecorder()
	h.router.ServeHTTP(rec, req)
	return rec
}

// newGitLabHarness is a harness whose staging triggers pipelines of
// acme/{service} on the fake GitLab with gl's tokens (URL, project, ref
// and trigger token filled in), production a webhook; tweak may change
// staging's deploy. POST /webhooks/gitlab is mounted.
func newGitLabHarness(t *testing.T, s *gormstore.Store, f *fakeGitLab, gl config.GitLab, tweak func(*config.Deploy)) *harness {
	t.Helper()
	gl.URL, gl.Project, gl.Ref, gl.TriggerToken = f.URL(), "acme/{service}", "main", glTrigger
	d := config.Deploy{Kind: config.KindGitLab, GitLab: gl}
	if tweak != nil {
		tweak(&d)
	}
	h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret, deploy: d},
		{name: "production", secret: productionSecret, manual: true}})
	h.wireGitLab()
	return h
}

// wireGitLab rewires the harness (as a restart does) with the GitLab
// webhook endpoint.
func (h *harness) wireGitLab() {
	h.wire(h.store)
	webhooks.RegisterGitLab(h.router, webhooks.GitLabOptions{Deployments: h.svc, Runs: h.store,
		Environments: h.envs, Now: h.clock.Now, Logger: slog.New(slog.NewJSONHandler(h.logs, nil))})
}
