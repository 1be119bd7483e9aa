package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// GitHub's REST API, as the fixtures in shared/fixtures/github and
// INTEGRATIONS.md describe it.
const (
	// DefaultGitHubAPI is the REST API's base when api_url is not set.
	DefaultGitHubAPI = "https://api.github.com"
	// gitHubAPIVersion is the REST API version the requests are written
	// against (X-GitHub-Api-Version).
	gitHubAPIVersion = "2022-11-28"
	// maxDispatchInputs is GitHub's limit on the JSON of a dispatch's
	// inputs: "The maximum payload for inputs is 65,535 characters."
	// (workflow syntax, on.workflow_dispatch.inputs). The count limit is
	// 25 (10 on older servers); the inputs are a fixed 8.
	maxDispatchInputs = 65535
	// pendingRunPrefix starts the run id recorded when GitHub dispatched
	// the workflow but named no run (204, older GitHub Enterprise) and the
	// run could not be listed yet: "pending:D-17". Polls and the
	// workflow_run webhook find the run by the deployment id in its name.
	pendingRunPrefix = "pending:"
	// runLookback bounds how far back Send looks for a run an earlier
	// attempt dispatched (created>=now-runLookback): attempts of one
	// delivery are at most hours apart.
	runLookback = 24 * time.Hour
	// clockSkew widens lookups by created time: GitHub's clock and ours
	// may differ.
	clockSkew = 10 * time.Minute
)

// PollEvery of GitHub Actions runs: without a webhook secret polls finish
// the deployment; with one the workflow_run webhook does, and polls are
// the fallback.
const (
	gitHubPollEvery         = 15 * time.Second
	gitHubPollEveryWebhooks = 2 * time.Minute
)

// githubTarget dispatches a workflow (workflow_dispatch) with the
// deployment as its inputs, follows the run it started — by the run id
// GitHub answers with (return_run_details), or else by the deployment id
// the workflow's run-name carries — and maps the run's conclusion to the
// deployment's status. It polls the run; the workflow_run webhook on POST
// /webhooks/github finishes it sooner when a webhook secret is set.
type githubTarget struct {
	repo, workflow, ref string // may hold {service}, {environment}, {version}
	api                 string // REST base, no trailing slash
	token               config.Secret
	webhookSecret       config.Secret
	repoRE              *regexp.Regexp // repo, its placeholders matching any one segment's text
	client              *http.Client
	now                 func() time.Time
}

var _ Poller = (*githubTarget)(nil)

func newGitHubTarget(d config.Deploy, deps Deps) (Target, Timing, error) {
	g := d.GitHubActions
	t := &githubTarget{repo: strings.TrimSpace(g.Repo), workflow: strings.TrimSpace(g.Workflow), ref: strings.TrimSpace(g.Ref),
		api: strings.TrimRight(strings.TrimSpace(g.APIURL), "/"), token: g.Token, webhookSecret: g.WebhookSecret,
		client: newClient(deps.Client), now: deps.Now}
	if t.api == "" {
		t.api = DefaultGitHubAPI
	}
	if u, err := url.Parse(t.api); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, Timing{}, fmt.Errorf("api_url %q is not an http(s) URL", g.APIURL)
	}
	switch {
	case strings.Count(t.repo, "/") != 1 || strings.HasPrefix(t.repo, "/") || strings.HasSuffix(t.repo, "/"):
		return nil, Timing{}, fmt.Errorf("repo %q is not OWNER/NAME", g.Repo)
	case t.workflow == "":
		return nil, Timing{}, fmt.Errorf("workflow is required (a file name such as deploy.yml, or an id)")
	case t.ref == "":
		return nil, Timing{}, fmt.Errorf("ref is required (the branch or tag the workflow runs on)")
	case t.token == "":
		return nil, Timing{}, fmt.Errorf("token is required")
	}
	t.repoRE = repoPattern(t.repo)
	timing := DeployTiming(d)
	timing.PollEvery = gitHubPollEvery
	if t.webhookSecret != "" {
		timing.PollEvery = gitHubPollEveryWebhooks
	}
	return t, timing, nil
}

// dispatchBody is the body of "Create a workflow dispatch event".
type dispatchBody struct {
	Ref              string            `json:"ref"`
	Inputs           map[string]string `json:"inputs"`
	ReturnRunDetails bool              `json:"return_run_details"`
}

// workflowRun is what releasebot reads of a workflow run (REST "Get a
// workflow run", the runs of "List workflow runs", and workflow_run
// webhooks).
type workflowRun struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	DisplayTitle string `json:"display_title"`
	Event        string `json:"event"`
	Status       string `json:"status"`
	Conclusion   string `json:"conclusion"`
	HTMLURL      string `json:"html_url"`
	Path         string `json:"path"`
	WorkflowID   int64  `json:"workflow_id"`
}

// names says what a request is about, with its placeholders filled in.
type ghNames struct{ repo, workflow, ref string }

func (t *githubTarget) names(p Payload) ghNames {
	return ghNames{repo: expandNames(t.repo, p), workflow: expandNames(t.workflow, p), ref: expandNames(t.ref, p)}
}

// repoPath is /repos/OWNER/NAME, each segment escaped.
func (n ghNames) repoPath() string {
	owner, name, _ := strings.Cut(n.repo, "/")
	return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)
}

func (n ghNames) workflowPath() string {
	return n.repoPath() + "/actions/workflows/" + url.PathEscape(n.workflow)
}

// dispatchInputs are the workflow's inputs: fixed names (DESIGN "Target
// details"), every value a string, the vars as one JSON string so that the
// count stays within GitHub's limit. Errors: the inputs are over GitHub's
// 65,535 characters.
func dispatchInputs(p Payload) (map[string]string, error) {
	vars := "{}"
	if len(p.Vars) > 0 {
		b, err := json.Marshal(p.Vars)
		if err != nil {
			return nil, err
		}
		vars = string(b)
	}
	in := map[string]string{
		"deployment_id": p.DeploymentID, "release_id": p.ReleaseID, "service": p.Service, "version": p.Version,
		"previous_version": p.PreviousVersion, "environment": p.Environment, "callback_url": p.CallbackURL, "vars": vars,
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCount(b); n > maxDispatchInputs {
		return nil, fmt.Errorf("the workflow inputs are %d characters, over GitHub's limit of %d: shorten the vars of %s in %s",
			n, maxDispatchInputs, p.Service, p.Environment)
	}
	return in, nil
}

// Send dispatches the workflow once. An attempt after the first looks
// first for a run an earlier attempt dispatched (one that got no answer in
// time, or whose answer was not recorded), by the deployment id in the
// run's name, and follows it instead of dispatching again.
func (t *githubTarget) Send(ctx context.Context, req Request) (Outcome, error) {
	p := req.Payload
	n := t.names(p)
	inputs, err := dispatchInputs(p)
	if err != nil {
		return Outcome{Verdict: Failed, Local: true, Reason: err.Error()}, nil
	}
	if req.Attempt > 1 {
		run, out, ok := t.findRun(ctx, req, n, p.DeploymentID, t.now().Add(-runLookback))
		if !ok {
			out.Reason = "could not look for a run an earlier attempt dispatched, so none is dispatched: " + out.Reason
			return out, nil
		}
		if run != nil {
			rep := runReport(*run, n)
			rep.Message += " (dispatched by an earlier attempt)"
			return Outcome{Verdict: Accepted, Code: out.Code, Report: rep}, nil
		}
	}
	body, err := json.Marshal(dispatchBody{Ref: n.ref, Inputs: inputs, ReturnRunDetails: true})
	if err != nil {
		return Outcome{}, fmt.Errorf("encode the dispatch of %s: %w", p.DeploymentID, err)
	}
	dispatched := t.now()
	code, answer, out := t.do(ctx, req, http.MethodPost, n.workflowPath()+"/dispatches", body)
	if out != nil {
		return *out, nil
	}
	var details struct {
		ID      int64  `json:"workflow_run_id"`
		RunURL  string `json:"run_url"`
		HTMLURL string `json:"html_url"`
	}
	if code == http.StatusOK && json.Unmarshal(answer, &details) == nil && details.ID > 0 {
		link := details.HTMLURL
		if link == "" {
			link = details.RunURL
		}
		id := strconv.FormatInt(details.ID, 10)
		return Outcome{Verdict: Accepted, Code: code, Report: releases.StatusReport{Status: releases.DeploymentInProgress,
			RunID: id, URL: link, Message: fmt.Sprintf("GitHub Actions run %s of %s on %s", id, n.workflow, n.ref)}}, nil
	}
	// 204, no run details (older GitHub Enterprise): the run is found by
	// the deployment id in its name, now if GitHub lists it already, else
	// by the polls and the workflow_run webhook.
	if run, _, ok := t.findRun(ctx, req, n, p.DeploymentID, dispatched.Add(-clockSkew)); ok && run != nil {
		return Outcome{Verdict: Accepted, Code: code, Report: runReport(*run, n)}, nil
	}
	return Outcome{Verdict: Accepted, Code: code, Report: releases.StatusReport{Status: releases.DeploymentInProgress,
		RunID:   pendingRunPrefix + p.DeploymentID,
		Message: fmt.Sprintf("GitHub Actions dispatched %s on %s; its run is found by %s in its name", n.workflow, n.ref, p.DeploymentID)}}, nil
}

// Poll asks GitHub how the run d follows is going: GET the run, or, for a
// run not identified yet (pending:D-17), list the workflow's dispatched
// runs and find the one whose name carries the deployment id.
func (t *githubTarget) Poll(ctx context.Context, req Request, d releases.Deployment) (Outcome, error) {
	n := t.names(req.Payload)
	if strings.HasPrefix(d.RunID, pendingRunPrefix) {
		did := strings.TrimPrefix(d.RunID, pendingRunPrefix)
		run, out, ok := t.findRun(ctx, req, n, did, d.CreatedAt.Add(-clockSkew))
		switch {
		case !ok:
			out.Verdict = Retry // a poll that got no answer asks again next round
			return out, nil
		case run == nil:
			return Outcome{Verdict: Accepted, Code: out.Code, Report: releases.StatusReport{Status: releases.DeploymentInProgress}}, nil
		}
		return Outcome{Verdict: Accepted, Code: out.Code, Report: runReport(*run, n)}, nil
	}
	if _, err := strconv.ParseInt(d.RunID, 10, 64); err != nil {
		return Outcome{Verdict: Failed, Reason: fmt.Sprintf("%q is not a GitHub Actions run id", d.RunID)}, nil
	}
	code, answer, out := t.do(ctx, req, http.MethodGet, n.repoPath()+"/actions/runs/"+d.RunID, nil)
	if out != nil {
		// Refusals too ask again: the token may be fixed, the webhook may
		// still come, and finish_within bounds the wait.
		out.Verdict = Retry
		return *out, nil
	}
	var run workflowRun
	if err := json.Unmarshal(answer, &run); err != nil || run.ID == 0 {
		return Outcome{Verdict: Retry, Code: code, Reason: "GitHub's answer is not a workflow run"}, nil
	}
	return Outcome{Verdict: Accepted, Code: code, Report: runReport(run, n)}, nil
}

// findRun lists the workflow's runs dispatched since `since` and returns
// the first one (lowest id) whose name carries deployment id did. ok false
// means the list could not be had; out then says why (Retry or Failed).
// A run is matched by name only: see README "GitHub Actions".
func (t *githubTarget) findRun(ctx context.Context, req Request, n ghNames, did string, since time.Time) (*workflowRun, Outcome, bool) {
	q := url.Values{}
	q.Set("event", "workflow_dispatch")
	q.Set("created", ">="+since.UTC().Format(time.RFC3339))
	q.Set("per_page", "100")
	code, answer, out := t.do(ctx, req, http.MethodGet, n.workflowPath()+"/runs?"+q.Encode(), nil)
	if out != nil {
		return nil, *out, false
	}
	var list struct {
		Runs []workflowRun `json:"workflow_runs"`
	}
	if err := json.Unmarshal(answer, &list); err != nil {
		return nil, Outcome{Verdict: Retry, Code: code, Reason: "GitHub's answer is not a list of workflow runs"}, false
	}
	var found *workflowRun
	names := namesDeployment(did)
	for i := range list.Runs {
		r := &list.Runs[i]
		if names(*r) && (found == nil || r.ID < found.ID) {
			found = r
		}
	}
	return found, Outcome{Code: code}, true
}

// namesDeployment returns whether a run's name (run-name, display_title)
// carries deployment id did as a word: D-17 matches "deploy D-17 …", not
// "D-170".
func namesDeployment(did string) func(workflowRun) bool {
	if did == "" {
		return func(workflowRun) bool { return false }
	}
	re := regexp.MustCompile(`(^|[^A-Za-z0-9_-])` + regexp.QuoteMeta(did) + `($|[^0-9A-Za-z_-])`)
	return func(run workflowRun) bool { return re.MatchString(run.DisplayTitle) || re.MatchString(run.Name) }
}

// deploymentIDs are the deployment ids in a run's name, for a webhook
// about a run releasebot has not identified yet.
var deploymentIDs = regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])(D-[0-9]{1,18})(?:$|[^0-9A-Za-z_-])`)

// runReport says how run is going: in_progress until it completed, then
// succeeded for the conclusion success and failed for any other, with the
// conclusion as the reason. It names the run and links to it.
func runReport(run workflowRun, n ghNames) releases.StatusReport {
	id := strconv.FormatInt(run.ID, 10)
	rep := releases.StatusReport{Status: releases.DeploymentInProgress, RunID: id, URL: run.HTMLURL,
		Message: fmt.Sprintf("GitHub Actions run %s of %s on %s", id, n.workflow, n.ref)}
	if run.Status != "completed" || run.Conclusion == "" {
		return rep
	}
	switch run.Conclusion {
	case "success":
		rep.Status, rep.Message = releases.DeploymentSucceeded, fmt.Sprintf("GitHub Actions run %s succeeded", id)
	case "neutral", "skipped":
		rep.Status, rep.Message = releases.DeploymentFailed, fmt.Sprintf("GitHub Actions run %s failed: %s (nothing was deployed)", id, run.Conclusion)
	default: // failure, cancelled, timed_out, action_required, stale, startup_failure, …
		rep.Status, rep.Message = releases.DeploymentFailed, fmt.Sprintf("GitHub Actions run %s failed: %s", id,
			releases.ScrubText(run.Conclusion, 40, false))
	}
	return rep
}

// do makes one API request. It returns the status and the answer
// (bounded) for a 2xx; for anything else an outcome: Retry for no
// answer, 408, 429, 5xx and rate limits (after the time GitHub asked
// for), Failed with GitHub's message for the rest.
func (t *githubTarget) do(ctx context.Context, req Request, method, path string, body []byte) (int, []byte, *Outcome) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, t.api+path, rd)
	if err != nil {
		return 0, nil, &Outcome{Verdict: Failed, Local: true, Reason: "the GitHub API URL is not usable"}
	}
	hr.Header.Set("Accept", "application/vnd.github+json")
	hr.Header.Set("Authorization", "Bearer "+t.token.Reveal())
	hr.Header.Set("X-GitHub-Api-Version", gitHubAPIVersion)
	hr.Header.Set("User-Agent", "releasebot")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client.Do(hr)
	if err != nil {
		return 0, nil, &Outcome{Verdict: Retry, Reason: "GitHub: " + describeError(err, req.Timeout)}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxGitHubAnswer))
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return code, answer, nil
	}
	head := fmt.Sprintf("GitHub: HTTP %d %s", code, http.StatusText(code))
	var msg struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(answer, &msg) == nil && msg.Message != "" {
		head += ": " + releases.ScrubText(strings.Join(strings.Fields(msg.Message), " "), 200, false)
	} else if s := clipAnswer(answer); s != "" {
		head += ": " + s
	}
	wait := gitHubRetryAfter(resp.Header, t.now())
	limited := resp.Header.Get("X-RateLimit-Remaining") == "0" || resp.Header.Get("Retry-After") != ""
	switch {
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500,
		code == http.StatusForbidden && limited:
		return code, nil, &Outcome{Code: code, Verdict: Retry, RetryAfter: wait, Reason: head}
	case code >= 300 && code <= 399:
		head += "; redirects are not followed, configure the final api_url"
	}
	return code, nil, &Outcome{Code: code, Verdict: Failed, Reason: head}
}

// maxGitHubAnswer bounds what is read of an API answer: a page of 100
// runs is some 500 KB.
const maxGitHubAnswer = 4 << 20

// gitHubRetryAfter is how long GitHub asked to wait: Retry-After
// (secondary rate limits), else until X-RateLimit-Reset when no requests
// remain (primary rate limit).
func gitHubRetryAfter(h http.Header, now time.Time) time.Duration {
	if d := retryAfter(h.Get("Retry-After"), now); d > 0 {
		return d
	}
	if h.Get("X-RateLimit-Remaining") != "0" {
		return 0
	}
	reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if err != nil {
		return 0
	}
	if d := time.Unix(reset, 0).Sub(now); d > 0 {
		return min(d, MaxRetryAfter)
	}
	return 0
}

// repoPattern matches a repository's full name against a target's repo,
// whose placeholders stand for any one segment's text; GitHub's names are
// case-insensitive.
func repoPattern(repo string) *regexp.Regexp {
	q := regexp.QuoteMeta(repo)
	for _, ph := range []string{"{service}", "{environment}", "{version}"} {
		q = strings.ReplaceAll(q, regexp.QuoteMeta(ph), `[^/]+`)
	}
	return regexp.MustCompile(`(?i)^` + q + `$`)
}
