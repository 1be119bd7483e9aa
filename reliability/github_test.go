package reliability

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
)

// ghToken is the github_actions target's token (a canary too: it must
// not leak either).
const ghToken = "ghp_CANARY-github-token-4d1e"

// githubFake is GitHub's REST API for one workflow, as the fixtures in
// shared/fixtures/github show it: a dispatch answers 200 with run
// details, GET run answers the run, in progress until the test finishes
// it. It records every request.
type githubFake struct {
	*httptest.Server
	mu         sync.Mutex
	dispatches []string // the deployment_id input of each dispatch
	gets       []string // the paths of GET run requests
	others     []string // any other request
	badAuth    int
	conclusion string // "" while the run is in progress
}

const ghRunID = 30433642

func newGitHubFake(t *testing.T) *githubFake {
	f := &githubFake{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *githubFake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+ghToken || r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" {
		f.badAuth++
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message": "Bad credentials"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	html := fmt.Sprintf("https://github.com/acme/payments-api/actions/runs/%d", ghRunID)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/repos/acme/payments-api/actions/workflows/deploy.yml/dispatches":
		var in struct {
			Inputs map[string]string `json:"inputs"`
		}
		_ = json.Unmarshal(body, &in)
		f.dispatches = append(f.dispatches, in.Inputs["deployment_id"])
		fmt.Fprintf(w, `{"workflow_run_id": %d, "run_url": "%s/repos/acme/payments-api/actions/runs/%d", "html_url": %q}`,
			ghRunID, f.URL, ghRunID, html)
	case r.Method == http.MethodGet && r.URL.Path == fmt.Sprintf("/repos/acme/payments-api/actions/runs/%d", ghRunID):
		f.gets = append(f.gets, r.URL.Path)
		status, conclusion := "in_progress", "null"
		if f.conclusion != "" {
			status, conclusion = "completed", `"`+f.conclusion+`"`
		}
		fmt.Fprintf(w, `{"id": %d, "name": "Deploy", "display_title": "deploy D-1", "event": "workflow_dispatch", "status": %q, "conclusion": %s, "html_url": %q, "path": ".github/workflows/deploy.yml@main"}`,
			ghRunID, status, conclusion, html)
	default:
		f.others = append(f.others, r.Method+" "+r.URL.String())
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message": "Not Found"}`)
	}
}

func (f *githubFake) counts() (dispatches, gets int, others []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.dispatches), len(f.gets), append([]string(nil), f.others...)
}

// writeGitHubConfig writes releasebot.yaml whose one environment deploys
// through GitHub Actions at api (no webhook secret: polls finish it).
func writeGitHubConfig(t testing.TB, dir, api string) string {
	t.Helper()
	yaml := `timezone: UTC
release_managers: [U0RM1]
require_distinct_approver: true
teams:
  - name: payments
    channel: C0PAY
    leads: [U0ALICE, U0BOB]
    approvals: 1
  - name: risk
    channel: C0RISK
    leads: [U0CAROL]
    approvals: 1
environments:
  - name: staging
    deploy:
      github_actions:
        repo: acme/payments-api
        workflow: deploy.yml
        ref: main
        token: ${GITHUB_TOKEN}
        api_url: ` + api + `
      timeout: 2s
      retries: 5
      backoff: 50ms
      finish_within: 5m
    promote: auto
`
	path := filepath.Join(dir, "releasebot.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGitHubRunSurvivesKill: serve dispatches a GitHub Actions run and is
// killed (-9) while the run is in flight; the restarted serve follows the
// same run, by polling it, to deployed, and never dispatches again.
// (It needs the github_actions: keys of releasebot.yaml, parsed by the
// catalog's config work, branch i12-catalog.)
func TestGitHubRunSurvivesKill(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel()
			gh := newGitHubFake(t)
			dir := t.TempDir()
			fake := slacktest.New(t)
			fake.Token = slackToken
			srv := newServer(t, dir, db.URL(t), writeGitHubConfig(t, dir, gh.URL), fake, "GITHUB_TOKEN="+ghToken)
			srv.start()
			if t.Failed() {
				t.FailNow()
			}
			st := &stack{t: t, dir: dir, fake: fake, srv: srv}
			id, reqs := st.create("create payments-api v1.0.0")
			st.react("EvG1", alice, reqs[payChan])
			st.react("EvG2", carol, reqs[rskChan])
			waitFor(t, 20*time.Second, "the dispatch, recorded as in progress", func() bool {
				r, err := srv.release(id)
				n, _, _ := gh.counts()
				return err == nil && n == 1 && len(r.Deployments) == 1 && r.Deployments[0].Status == "in_progress"
			})
			srv.kill()
			gh.mu.Lock()
			gh.conclusion = "success"
			gh.mu.Unlock()
			srv.start()
			if t.Failed() {
				t.FailNow()
			}
			// The run is polled 15 s after the dispatch.
			r := st.waitStatus(id, "deployed", 60*time.Second)
			dispatches, gets, others := gh.counts()
			if dispatches != 1 || gets < 1 || len(others) > 0 || gh.badAuth > 0 {
				t.Fatalf("GitHub saw %d dispatches (want 1), %d polls of run %d, other requests %v, %d with bad auth",
					dispatches, gets, ghRunID, others, gh.badAuth)
			}
			var trail []string
			for _, e := range r.Audit {
				trail = append(trail, e.Action+": "+e.Detail)
			}
			if !strings.Contains(strings.Join(trail, "\n"), fmt.Sprintf("GitHub Actions run %d succeeded", ghRunID)) {
				t.Fatalf("the audit trail doesn't name the run:\n%s", strings.Join(trail, "\n"))
			}
			if strings.Contains(srv.logText(), ghToken) {
				t.Fatalf("serve's log holds the GitHub token")
			}
		})
	}
}
