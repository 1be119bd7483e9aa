package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// GitLab pacing: without a webhook token polls alone finish a pipeline's
// deployment, so they come often; with one the pipeline webhook does, and
// polls are the fallback.
const (
	gitlabPollEvery         = 15 * time.Second
	gitlabPollEveryWithHook = 2 * time.Minute
	// gitlabLookback bounds how far back a retry looks for the pipeline
	// of an earlier attempt when the deployment has no finish_within (with
	// one, no earlier attempt is older than it).
	gitlabLookback = 24 * time.Hour
	// gitlabCandidates is how many recent trigger pipelines of the ref a
	// retry checks for the deployment's id.
	gitlabCandidates = 20
	// maxGitLabAnswer bounds what is read of one GitLab API answer (a page
	// of pipelines is a few KiB).
	maxGitLabAnswer = 1 << 20
)

// The pipeline variables every trigger sets; each var of the catalog goes
// under its own name besides.
const (
	gitlabVarDeploymentID = "RELEASEBOT_DEPLOYMENT_ID"
)

// gitlabTarget triggers a pipeline with a trigger token (POST
// /api/v4/projects/:id/trigger/pipeline) and keeps its id. Without a
// read_api token it is not a Poller: the pipeline webhook (POST
// /webhooks/gitlab) or finish_within finish the deployment. With one,
// gitlabPoller polls the pipeline and a retry looks for the pipeline of an
// earlier attempt before it triggers another.
type gitlabTarget struct {
	base      string // https://gitlab.example.com, no trailing slash
	project   string // id or path; may hold placeholders
	ref       string
	trigger   config.Secret
	token     config.Secret // read_api; empty: no polls, no look-up
	hookToken config.Secret // X-Gitlab-Token of pipeline webhooks
	client    *http.Client
	now       func() time.Time
	lookback  time.Duration
}

// gitlabPoller is a gitlabTarget with a token that reads pipelines.
type gitlabPoller struct{ *gitlabTarget }

var _ Poller = gitlabPoller{}

func newGitLabTarget(d config.Deploy, deps Deps) (Target, Timing, error) {
	g := d.GitLab
	base := strings.TrimRight(g.URL, "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, Timing{}, releases.Errorf(releases.EInvalid, "url must be the http(s) address of the GitLab instance, like https://gitlab.com")
	}
	switch {
	case g.Project == "":
		return nil, Timing{}, releases.Errorf(releases.EInvalid, "project is required: a numeric id or a path like group/project")
	case g.Ref == "":
		return nil, Timing{}, releases.Errorf(releases.EInvalid, "ref is required: the branch or tag the pipeline runs on")
	case g.TriggerToken == "":
		return nil, Timing{}, releases.Errorf(releases.EInvalid, "trigger_token is required: a pipeline trigger token of the project")
	}
	timing := DeployTiming(d)
	timing.PollEvery = gitlabPollEvery
	if g.WebhookToken != "" {
		timing.PollEvery = gitlabPollEveryWithHook
	}
	t := &gitlabTarget{base: base, project: g.Project, ref: g.Ref, trigger: g.TriggerToken, token: g.Token,
		hookToken: g.WebhookToken, client: newClient(deps.Client), now: deps.Now, lookback: gitlabLookback}
	if d.FinishWithin > 0 {
		t.lookback = d.FinishWithin
	}
	if t.token == "" {
		return t, timing, nil
	}
	return gitlabPoller{t}, timing, nil
}

// asGitLab returns the gitlab target t is, if it is one.
func asGitLab(t Target) (*gitlabTarget, bool) {
	switch g := t.(type) {
	case *gitlabTarget:
		return g, true
	case gitlabPoller:
		return g.gitlabTarget, true
	}
	return nil, false
}

// api is the URL of a project's API resource; the project is one path
// segment, so a path's slashes are escaped (group%2Fproject).
func (t *gitlabTarget) api(project, rest string) string {
	return t.base + "/api/v4/projects/" + url.PathEscape(project) + "/" + rest
}

// gitlabPipeline is what releasebot reads of a pipeline.
type gitlabPipeline struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	WebURL string `json:"web_url"`
}

// Send triggers the pipeline once. A retry (attempt > 1) with a token
// first looks for a pipeline an earlier attempt started (its trigger may
// have got through though its answer did not) and follows that one
// instead of triggering a second.
func (t *gitlabTarget) Send(ctx context.Context, req Request) (Outcome, error) {
	p := req.Payload
	project, ref := expandNames(t.project, p), expandNames(t.ref, p)
	if req.Attempt > 1 && t.token != "" {
		pl, out, ok := t.earlier(ctx, req, project, ref)
		if !ok {
			return out, nil
		}
		if pl != nil {
			return Outcome{Verdict: Accepted, Code: http.StatusOK, Report: t.started(*pl)}, nil
		}
	}
	body, ctype, err := triggerForm(t.trigger.Reveal(), ref, p)
	if err != nil {
		return Outcome{}, fmt.Errorf("encode the trigger of %s: %w", p.DeploymentID, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, t.api(project, "trigger/pipeline"), bytes.NewReader(body))
	if err != nil {
		return Outcome{Verdict: Failed, Local: true, Reason: "the GitLab url or project is not usable"}, nil
	}
	hr.Header.Set("Content-Type", ctype)
	hr.Header.Set("User-Agent", "releasebot")
	resp, err := t.client.Do(hr)
	if err != nil {
		return Outcome{Verdict: Retry, Reason: describeError(err, req.Timeout)}, nil
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		var pl gitlabPipeline
		if json.Unmarshal(answer, &pl) != nil || pl.ID <= 0 {
			return Outcome{Code: code, Verdict: Failed,
				Reason: fmt.Sprintf("GitLab answered HTTP %d but named no pipeline: %s", code, clipAnswer(answer))}, nil
		}
		return Outcome{Code: code, Verdict: Accepted, Report: t.started(pl)}, nil
	}
	return t.refusal(resp, answer, "trigger a pipeline of "+project), nil
}

// started is the report of a pipeline the target follows from now on.
func (t *gitlabTarget) started(pl gitlabPipeline) releases.StatusReport {
	id := strconv.FormatInt(pl.ID, 10)
	return releases.StatusReport{Status: releases.DeploymentInProgress, RunKind: config.KindGitLab, RunID: id,
		URL: pl.WebURL, Message: "GitLab pipeline " + id}
}

// triggerForm is the trigger request's body, multipart form fields as
// GitLab documents them: token, ref and variables[KEY]. Releasebot's own
// variables come first, then each var under its own name, sorted; a var
// named like one of releasebot's is left out.
func triggerForm(token, ref string, p Payload) ([]byte, string, error) {
	own := [][2]string{
		{gitlabVarDeploymentID, p.DeploymentID},
		{"RELEASEBOT_RELEASE_ID", p.ReleaseID},
		{"RELEASEBOT_SERVICE", p.Service},
		{"RELEASEBOT_VERSION", p.Version},
		{"RELEASEBOT_PREVIOUS_VERSION", p.PreviousVersion},
		{"RELEASEBOT_ENVIRONMENT", p.Environment},
		{"RELEASEBOT_CALLBACK_URL", p.CallbackURL},
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields := [][2]string{{"token", token}, {"ref", ref}}
	taken := map[string]bool{}
	for _, kv := range own {
		fields = append(fields, [2]string{"variables[" + kv[0] + "]", kv[1]})
		taken[kv[0]] = true
	}
	keys := make([]string, 0, len(p.Vars))
	for k := range p.Vars {
		if !taken[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fields = append(fields, [2]string{"variables[" + k + "]", p.Vars[k]})
	}
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// refusal is the outcome of an answer other than 2xx to an attempt to do
// what: 408, 429 and 5xx are retried, after Retry-After if GitLab sent
// one; anything else fails with GitLab's message.
func (t *gitlabTarget) refusal(resp *http.Response, answer []byte, what string) Outcome {
	code := resp.StatusCode
	head := fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
	if msg := gitlabMessage(answer); msg != "" {
		head += ": " + msg
	}
	switch {
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return Outcome{Code: code, Verdict: Retry, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), t.now()), Reason: head}
	case code >= 300 && code <= 399:
		head += " (redirects are not followed: configure the GitLab url it redirects to)"
	case code == http.StatusNotFound && strings.HasPrefix(what, "trigger"):
		// GitLab's documented causes of a 404 to a trigger.
		head += " (the project does not exist for this token, or the token is a personal access token, not a trigger token)"
	}
	return Outcome{Code: code, Verdict: Failed, Reason: "GitLab refused to " + what + ": " + head}
}

// gitlabMessage reads GitLab's error answer, {"message": …} or
// {"error": …}, where the message may be a string or an object of field
// errors; otherwise the answer itself, clipped.
func gitlabMessage(answer []byte) string {
	var body struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(answer, &body) == nil {
		for _, raw := range []json.RawMessage{body.Message, body.Error} {
			var s string
			switch {
			case len(raw) == 0:
				continue
			case json.Unmarshal(raw, &s) == nil:
				return clipAnswer([]byte(s))
			}
			return clipAnswer(raw)
		}
	}
	return clipAnswer(answer)
}

// earlier looks for a pipeline an earlier attempt at req's delivery
// started: the project's latest trigger pipelines of ref updated within
// the lookback, whose RELEASEBOT_DEPLOYMENT_ID variable is the
// deployment's. ok false: the look-up failed, out says how; then nothing
// is triggered, since a second pipeline may be what the look-up missed.
func (t *gitlabTarget) earlier(ctx context.Context, req Request, project, ref string) (*gitlabPipeline, Outcome, bool) {
	q := url.Values{
		"ref": {ref}, "source": {"trigger"}, "order_by": {"id"}, "sort": {"desc"},
		"per_page":      {strconv.Itoa(gitlabCandidates)},
		"updated_after": {t.now().Add(-t.lookback).UTC().Format(time.RFC3339)},
	}
	var list []gitlabPipeline
	if out, ok := t.getJSON(ctx, req, t.api(project, "pipelines?"+q.Encode()), &list,
		"list the pipelines of "+project+" (to find one an earlier attempt started)"); !ok {
		return nil, out, false
	}
	for i, pl := range list {
		if i == gitlabCandidates {
			break
		}
		var vars []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		}
		if out, ok := t.getJSON(ctx, req, t.api(project, "pipelines/"+strconv.FormatInt(pl.ID, 10)+"/variables"), &vars,
			fmt.Sprintf("show the variables of pipeline %d (to find one an earlier attempt started)", pl.ID)); !ok {
			return nil, out, false
		}
		for _, v := range vars {
			if v.Key == gitlabVarDeploymentID && v.Value == req.Payload.DeploymentID {
				return &pl, Outcome{}, true
			}
		}
	}
	return nil, Outcome{}, true
}

// getJSON reads one GitLab API resource with the read token into v. ok
// false: out is the Retry or Failed the attempt comes to.
func (t *gitlabTarget) getJSON(ctx context.Context, req Request, u string, v any, what string) (Outcome, bool) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Outcome{Verdict: Failed, Local: true, Reason: "the GitLab url or project is not usable"}, false
	}
	hr.Header.Set("PRIVATE-TOKEN", t.token.Reveal())
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "releasebot")
	resp, err := t.client.Do(hr)
	if err != nil {
		return Outcome{Verdict: Retry, Reason: "could not " + what + ": " + describeError(err, req.Timeout)}, false
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxGitLabAnswer))
	if resp.StatusCode != http.StatusOK {
		return t.refusal(resp, answer, what), false
	}
	if err := json.Unmarshal(answer, v); err != nil {
		return Outcome{Code: resp.StatusCode, Verdict: Retry, Reason: "could not " + what + ": GitLab's answer is not the JSON expected"}, false
	}
	return Outcome{Code: resp.StatusCode}, true
}

// Poll reads the pipeline d follows: success succeeds, failed, canceled
// and skipped fail; anything else is still running.
func (t gitlabPoller) Poll(ctx context.Context, req Request, d releases.Deployment) (Outcome, error) {
	project := expandNames(t.project, req.Payload)
	var pl gitlabPipeline
	out, ok := t.getJSON(ctx, req, t.api(project, "pipelines/"+url.PathEscape(d.RunID)), &pl, "show pipeline "+d.RunID)
	if !ok {
		return out, nil
	}
	rep, _ := pipelineReport(d.RunID, pl.Status, pl.WebURL, "")
	return Outcome{Verdict: Accepted, Code: out.Code, Report: rep}, nil
}

// pipelineReport maps a pipeline's status to a deployment's; final says
// whether it finishes the deployment. detail is added to a failure's
// message (the failed jobs).
func pipelineReport(id, status, link, detail string) (rep releases.StatusReport, final bool) {
	name := "GitLab pipeline " + id
	rep = releases.StatusReport{Status: releases.DeploymentInProgress, Message: name, URL: link}
	switch status {
	case "success":
		rep.Status, rep.Message = releases.DeploymentSucceeded, name+" succeeded"
	case "failed":
		rep.Status, rep.Message = releases.DeploymentFailed, name+" failed"
	case "canceled":
		rep.Status, rep.Message = releases.DeploymentFailed, name+" was canceled"
	case "skipped":
		rep.Status, rep.Message = releases.DeploymentFailed, name+" was skipped"
	case "manual":
		// Waiting for a person to play a job: not done, and not failed.
		rep.Message = name + " waits for a manual job"
	}
	if rep.Status == releases.DeploymentFailed && detail != "" {
		rep.Message += ": " + detail
	}
	return rep, rep.Status.Final()
}
