package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// Argo CD's wire format is in README "Deploy targets" → "Argo CD" and in
// the fixtures of Argo CD's API (argoproj/argo-cd server/application:
// Sync, util/argo SetAppOperation; pkg/apis/application/v1alpha1 types).
const (
	// argocdPollEvery is how often an Argo CD sync is asked about: there
	// is no completion webhook, so polling alone finishes it.
	argocdPollEvery = 15 * time.Second
	// maxArgoAnswer bounds an Argo CD answer: the whole Application,
	// whose resource list and history grow with the app, so far more than
	// a webhook's answer.
	maxArgoAnswer = 8 << 20
	// argoClockSlack is how much earlier than releasebot's request an
	// operation releasebot did not mark may have started and still count
	// as the one it asked for: Argo CD's clocks (the Date of its answer,
	// the controller's startedAt) are read at second precision.
	argoClockSlack = 5 * time.Second
	// Names of the infos a sync carries (operation.info in Argo CD): the
	// deployment's id identifies the operation releasebot started.
	argoInfoDeployment = "releasebot-deployment"
	argoInfoRelease    = "releasebot-release"
	// argoBusy is Argo CD's refusal while an operation runs (400,
	// gRPC FailedPrecondition): the sync can be asked for again later.
	argoBusy = "another operation is already in progress"
)

// Operation phases, sync statuses and health statuses of Argo CD.
const (
	argoSucceeded = "Succeeded"
	argoFailed    = "Failed"
	argoError     = "Error"
	argoSynced    = "Synced"
	argoHealthy   = "Healthy"
	argoDegraded  = "Degraded"
)

// argocdTarget syncs an Argo CD application to the deployment's revision
// and follows the sync by polling the application, since Argo CD calls
// nobody back. Argo CD has no operation id: the operation releasebot
// started is the application's operation that carries the deployment's
// id in its infos, or, for one that carries no releasebot infos, the one
// for the requested revision started no earlier than the request.
//
// The deployment succeeds only when that operation reached Succeeded, the
// application is Synced at that revision and Healthy: an application that
// still shows an older operation, or the old revision Healthy, has not
// deployed anything yet (argo-cd#29410).
type argocdTarget struct {
	server, app, revision string // may hold {service}, {environment}, {version}
	token                 config.Secret
	client                *http.Client
	now                   func() time.Time
}

var _ Poller = (*argocdTarget)(nil)

func newArgoCDTarget(d config.Deploy, deps Deps) (Target, Timing, error) {
	a := d.ArgoCD
	switch {
	case strings.TrimSpace(a.Server) == "":
		return nil, Timing{}, errors.New("server is required")
	case strings.TrimSpace(a.App) == "":
		return nil, Timing{}, errors.New("app is required")
	case a.Token == "":
		return nil, Timing{}, errors.New("token is required")
	}
	rev := a.Revision
	if rev == "" {
		rev = "{version}"
	}
	timing := DeployTiming(d)
	timing.PollEvery = argocdPollEvery
	return &argocdTarget{server: a.Server, app: a.App, revision: rev, token: a.Token,
		client: newClient(deps.Client), now: deps.Now}, timing, nil
}

// argoNames are a request's server, application and revision, with their
// placeholders filled in.
type argoNames struct{ server, app, revision string }

func (t *argocdTarget) names(p Payload) argoNames {
	return argoNames{server: strings.TrimRight(expandNames(t.server, p), "/"),
		app: expandNames(t.app, p), revision: expandNames(t.revision, p)}
}

// appURL is the API path of the application.
func (n argoNames) appURL() string { return n.server + "/api/v1/applications/" + url.PathEscape(n.app) }

// link is the application's page in Argo CD's UI.
func (n argoNames) link() string { return n.server + "/applications/" + url.PathEscape(n.app) }

// what names the sync in the release's thread.
func (n argoNames) what() string { return fmt.Sprintf("Argo CD sync of %s to %s", n.app, n.revision) }

// check refuses names a request can't be made with, before anything is
// sent.
func (n argoNames) check() string {
	u, err := url.Parse(n.server)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "the Argo CD server is not an http(s) URL"
	case n.app == "":
		return "the Argo CD application name is empty"
	case n.revision == "":
		return "the Argo CD revision to sync is empty"
	}
	return ""
}

// argoRun is what identifies a sync releasebot started: the application,
// when it was asked for (Argo CD's clock, at second precision), and the
// revision asked for, with the one Argo CD resolved it to (a commit SHA
// for a tag or a branch; "" if unknown). It is kept as the deployment's
// run id "app:20060102T150405Z:resolved:requested" (git refs, SHAs and
// chart versions hold no colon; the requested revision goes last anyway).
type argoRun struct {
	app                 string
	at                  time.Time
	resolved, requested string
}

const argoRunTime = "20060102T150405Z"

func (r argoRun) id() string {
	id := r.app + ":" + r.at.UTC().Format(argoRunTime) + ":" + r.resolved + ":" + r.requested
	if len(id) > releases.MaxRunID || strings.Contains(r.app, ":") || strings.Contains(r.resolved, ":") {
		// Poll then takes the names from the configuration; the time
		// (and the deployment id) still tell the operation apart.
		id = ":" + r.at.UTC().Format(argoRunTime) + "::"
	}
	return id
}

func parseArgoRun(id string) (argoRun, bool) {
	parts := strings.SplitN(id, ":", 4)
	if len(parts) != 4 {
		return argoRun{}, false
	}
	at, err := time.Parse(argoRunTime, parts[1])
	if err != nil {
		return argoRun{}, false
	}
	return argoRun{app: parts[0], at: at, resolved: parts[2], requested: parts[3]}, true
}

// Wire types: the parts of an Application releasebot reads.
type (
	argoApp struct {
		// Operation is the operation asked for and not finished yet; the
		// controller copies it into Status.OperationState as it starts.
		Operation *argoOperation `json:"operation"`
		Status    struct {
			OperationState *argoOperationState `json:"operationState"`
			Sync           struct {
				Status   string `json:"status"`
				Revision string `json:"revision"`
			} `json:"sync"`
			Health struct {
				Status  string `json:"status"`
				Message string `json:"message"`
			} `json:"health"`
		} `json:"status"`
	}
	argoOperation struct {
		Sync *struct {
			Revision string `json:"revision"`
		} `json:"sync"`
		Info        []argoInfo `json:"info"`
		InitiatedBy struct {
			Username  string `json:"username"`
			Automated bool   `json:"automated"`
		} `json:"initiatedBy"`
	}
	argoOperationState struct {
		Operation  argoOperation `json:"operation"`
		Phase      string        `json:"phase"`
		Message    string        `json:"message"`
		StartedAt  time.Time     `json:"startedAt"`
		SyncResult *struct {
			Revision string `json:"revision"`
		} `json:"syncResult"`
	}
	argoInfo struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	// argoSyncRequest is the body of POST …/sync
	// (applicationApplicationSyncRequest).
	argoSyncRequest struct {
		Name     string     `json:"name"`
		Revision string     `json:"revision"`
		Infos    []argoInfo `json:"infos"`
	}
	// argoErrorBody is how Argo CD's API (grpc-gateway) words a refusal.
	argoErrorBody struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
)

func (o *argoOperation) revision() string {
	if o == nil || o.Sync == nil {
		return ""
	}
	return o.Sync.Revision
}

// marker returns the deployment id a releasebot sync carries in its infos.
func (o *argoOperation) marker() (string, bool) {
	if o == nil {
		return "", false
	}
	for _, i := range o.Info {
		if i.Name == argoInfoDeployment {
			return i.Value, true
		}
	}
	return "", false
}

// startedBy says who started an operation, for a thread.
func (o *argoOperation) startedBy() string {
	switch {
	case o == nil:
		return ""
	case o.InitiatedBy.Automated:
		return "automated sync"
	case o.InitiatedBy.Username != "":
		return o.InitiatedBy.Username
	}
	return ""
}

func (s *argoOperationState) resultRevision() string {
	if s == nil || s.SyncResult == nil {
		return ""
	}
	return s.SyncResult.Revision
}

// Send asks Argo CD to sync the application to the revision, once. A
// retry after an attempt that got no answer first looks at the
// application: if the earlier attempt's sync was taken (an operation
// carries this deployment's id), it follows that one instead of asking
// again.
func (t *argocdTarget) Send(ctx context.Context, req Request) (Outcome, error) {
	n := t.names(req.Payload)
	if reason := n.check(); reason != "" {
		return Outcome{Verdict: Failed, Local: true, Reason: reason}, nil
	}
	marker := req.Payload.DeploymentID
	if req.Attempt > 1 {
		if out, done := t.adopt(ctx, req, n, marker); done {
			return out, nil
		}
	}
	body, err := json.Marshal(argoSyncRequest{Name: n.app, Revision: n.revision, Infos: []argoInfo{
		{Name: argoInfoDeployment, Value: marker}, {Name: argoInfoRelease, Value: req.Payload.ReleaseID}}})
	if err != nil {
		return Outcome{}, fmt.Errorf("encode the sync of %s: %w", marker, err)
	}
	resp, answer, out := t.call(ctx, req, http.MethodPost, n.appURL()+"/sync", body)
	if resp == nil {
		return out, nil
	}
	code := resp.StatusCode
	if code < 200 || code > 299 {
		return t.refusal(resp, answer, n, "sync"), nil
	}
	run := argoRun{app: n.app, at: t.argoNow(resp), requested: n.revision}
	var app argoApp
	if json.Unmarshal(answer, &app) == nil {
		// The answer is the application with the operation just set:
		// Argo CD's resolution of the revision.
		if m, _ := app.Operation.marker(); m == marker {
			run.resolved = app.Operation.revision()
		}
	}
	return Outcome{Verdict: Accepted, Code: code, Report: releases.StatusReport{
		Status: releases.DeploymentInProgress, RunID: run.id(), URL: n.link(), Message: n.what()}}, nil
}

// adopt looks for the sync an earlier attempt at this delivery started.
// done: the outcome stands (the sync is followed, or the application could
// not be read: try again later); otherwise the sync is to be asked for.
func (t *argocdTarget) adopt(ctx context.Context, req Request, n argoNames, marker string) (Outcome, bool) {
	resp, answer, out := t.call(ctx, req, http.MethodGet, n.appURL(), nil)
	if resp == nil {
		out.Reason = "reading the application before syncing again: " + out.Reason
		return out, true
	}
	if code := resp.StatusCode; code < 200 || code > 299 {
		return t.refusal(resp, answer, n, "read"), true
	}
	var app argoApp
	if err := json.Unmarshal(answer, &app); err != nil {
		return Outcome{Verdict: Retry, Code: resp.StatusCode, Reason: "Argo CD's application is not JSON: " + err.Error()}, true
	}
	run := argoRun{app: n.app, requested: n.revision}
	st := app.Status.OperationState
	switch {
	case isMarked(app.Operation, marker) && (st == nil || !isMarked(&st.Operation, marker)):
		// Asked for, not started yet: it will start after now.
		run.at, run.resolved = t.argoNow(resp), app.Operation.revision()
	case st != nil && isMarked(&st.Operation, marker):
		run.at, run.resolved = st.StartedAt.Truncate(time.Second), st.Operation.revision()
	default:
		return Outcome{}, false
	}
	return Outcome{Verdict: Accepted, Code: resp.StatusCode, Report: releases.StatusReport{
		Status: releases.DeploymentInProgress, RunID: run.id(), URL: n.link(),
		Message: n.what() + " (the earlier attempt's sync, followed: not asked for again)"}}, true
}

func isMarked(o *argoOperation, marker string) bool {
	m, ok := o.marker()
	return ok && m == marker
}

// Poll reads the application once and says whether the sync releasebot
// started has deployed the revision: its operation Succeeded and the
// application is Synced at the revision and Healthy (succeeded), its
// operation Failed or Error (failed), or not yet (in progress, also while
// the application shows another operation or is Degraded: finish_within
// bounds the wait).
func (t *argocdTarget) Poll(ctx context.Context, req Request, d releases.Deployment) (Outcome, error) {
	run, ok := parseArgoRun(d.RunID)
	if !ok {
		return Outcome{Verdict: Failed, Reason: fmt.Sprintf("the Argo CD run id %q is not one releasebot wrote", d.RunID)}, nil
	}
	n := t.names(req.Payload)
	if run.app != "" {
		n.app, n.revision = run.app, run.requested
	} else {
		run.app, run.requested = n.app, n.revision
	}
	if reason := n.check(); reason != "" {
		return Outcome{Verdict: Failed, Reason: reason}, nil
	}
	resp, answer, out := t.call(ctx, req, http.MethodGet, n.appURL(), nil)
	if resp == nil {
		return out, nil
	}
	if code := resp.StatusCode; code < 200 || code > 299 {
		return t.refusal(resp, answer, n, "read"), nil
	}
	var app argoApp
	if err := json.Unmarshal(answer, &app); err != nil {
		return Outcome{Verdict: Retry, Code: resp.StatusCode, Reason: "Argo CD's application is not JSON: " + err.Error()}, nil
	}
	rep := judge(&app, run, n, releases.FormatDeploymentID(d.ID))
	return Outcome{Verdict: Accepted, Code: resp.StatusCode, Report: rep}, nil
}

// judge reads an application's state against the sync releasebot started
// (run, marked with the deployment id marker).
func judge(app *argoApp, run argoRun, n argoNames, marker string) releases.StatusReport {
	rep := releases.StatusReport{Status: releases.DeploymentInProgress, URL: n.link()}
	st := app.Status.OperationState
	if st == nil || !isOurs(st, run, marker) {
		switch {
		case isMarked(app.Operation, marker) || st == nil:
			rep.Message = n.what() + ": waiting for Argo CD to start it"
		default:
			other := fmt.Sprintf("%s to %s", st.Phase, orUnknown(firstNonEmpty(st.resultRevision(), st.Operation.revision())))
			if by := st.Operation.startedBy(); by != "" {
				other += " by " + by
			}
			rep.Message = fmt.Sprintf("%s: waiting for it; Argo CD still shows another operation (%s)", n.what(), other)
		}
		return rep
	}
	switch st.Phase {
	case argoFailed, argoError:
		rep.Status = releases.DeploymentFailed
		rep.Message = fmt.Sprintf("%s: %s", n.what(), strings.ToLower(st.Phase))
		if st.Message != "" {
			rep.Message += ": " + st.Message
		}
		return rep
	case argoSucceeded:
	default:
		rep.Message = fmt.Sprintf("%s: %s", n.what(), orUnknown(st.Phase))
		return rep
	}
	sync, health := app.Status.Sync, app.Status.Health
	revs := []string{run.requested, run.resolved, st.resultRevision(), st.Operation.revision()}
	switch {
	case sync.Status != argoSynced || !contains(revs, sync.Revision):
		rep.Message = fmt.Sprintf("%s: sync succeeded; waiting for the application to be Synced at it (now %s at %s)",
			n.what(), orUnknown(sync.Status), orUnknown(sync.Revision))
	case health.Status == argoDegraded:
		rep.Message = fmt.Sprintf("%s: synced, but the application is Degraded", n.what())
		if health.Message != "" {
			rep.Message += ": " + health.Message
		}
		rep.Message += "; waiting for it to recover until finish_within"
	case health.Status != argoHealthy:
		rep.Message = fmt.Sprintf("%s: synced; health %s", n.what(), orUnknown(health.Status))
	default:
		rep.Status = releases.DeploymentSucceeded
		rep.Message = n.what() + ": succeeded, Synced and Healthy"
	}
	return rep
}

// isOurs says whether an operation is the sync releasebot started for the
// run: it carries the deployment's id, or, carrying no releasebot infos
// (a sync that replaced releasebot's to the same revision), it is for
// that revision and started no earlier than the request.
func isOurs(st *argoOperationState, run argoRun, marker string) bool {
	if m, ok := st.Operation.marker(); ok {
		return m == marker
	}
	if st.StartedAt.Before(run.at.Add(-argoClockSlack)) {
		return false
	}
	want := []string{run.requested, run.resolved}
	return contains(want, st.Operation.revision()) || contains(want, st.resultRevision())
}

// contains says whether v is one of the non-empty values in s.
func contains(s []string, v string) bool {
	if v == "" {
		return false
	}
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// call makes one request to Argo CD's API with the bearer token and reads
// the answer, bounded. Without an answer (resp nil), out says why: a
// Retry.
func (t *argocdTarget) call(ctx context.Context, req Request, method, u string, body []byte) (*http.Response, []byte, Outcome) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, Outcome{Verdict: Failed, Reason: "the Argo CD server URL is not usable"}
	}
	hr.Header.Set("Authorization", "Bearer "+t.token.Reveal())
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "releasebot")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client.Do(hr)
	if err != nil {
		return nil, nil, Outcome{Verdict: Retry, Reason: describeError(err, req.Timeout)}
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxArgoAnswer+1))
	if err != nil {
		return nil, nil, Outcome{Verdict: Retry, Code: resp.StatusCode, Reason: describeError(err, req.Timeout)}
	}
	if len(answer) > maxArgoAnswer {
		return nil, nil, Outcome{Verdict: Retry, Code: resp.StatusCode,
			Reason: fmt.Sprintf("Argo CD's answer is larger than %d MiB", maxArgoAnswer>>20)}
	}
	return resp, answer, Outcome{}
}

// refusal reads a non-2xx answer to a sync or read (doing): "another
// operation is already in progress", 408, 429 and 5xx are asked again;
// anything else fails the deployment with Argo CD's message.
func (t *argocdTarget) refusal(resp *http.Response, answer []byte, n argoNames, doing string) Outcome {
	code := resp.StatusCode
	msg := clipAnswer(answer)
	var e argoErrorBody
	if json.Unmarshal(answer, &e) == nil && firstNonEmpty(e.Message, e.Error) != "" {
		msg = clipAnswer([]byte(firstNonEmpty(e.Message, e.Error)))
	}
	head := fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
	if msg != "" {
		head += ": " + msg
	}
	what := fmt.Sprintf("Argo CD refused the %s of %s", doing, n.app)
	if doing == "sync" {
		what += " to " + n.revision
	}
	switch {
	case strings.Contains(strings.ToLower(msg), argoBusy):
		return Outcome{Verdict: Retry, Code: code, Reason: fmt.Sprintf("%s for now: %s", what, head)}
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return Outcome{Verdict: Retry, Code: code, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), t.now()),
			Reason: fmt.Sprintf("%s: %s", what, head)}
	case code >= 300 && code <= 399:
		return Outcome{Verdict: Failed, Code: code,
			Reason: fmt.Sprintf("%s: HTTP %d: Argo CD redirected; redirects are not followed, configure the final server URL", what, code)}
	}
	return Outcome{Verdict: Failed, Code: code, Reason: fmt.Sprintf("%s: %s", what, head)}
}

// argoNow is Argo CD's time of an answer (its Date header), which its
// controller's startedAt is compared with; releasebot's clock if there is
// none.
func (t *argocdTarget) argoNow(resp *http.Response) time.Time {
	if at, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return at.UTC()
	}
	return t.now().UTC().Truncate(time.Second)
}
