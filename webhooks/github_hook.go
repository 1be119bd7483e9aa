package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// GitHubOptions configure POST /webhooks/github. Deployments and Runs
// are required.
type GitHubOptions struct {
	Deployments Deployments
	Runs        RunFinder
	// Environments are the resolved targets: the github_actions ones
	// with a webhook_secret verify the deliveries of their repo.
	Environments []Environment
	Logger       *slog.Logger // refused deliveries and internal errors; default discard
}

// MaxGitHubWebhookBody is the largest GitHub webhook body accepted. A
// workflow_run delivery is some 20-30 KB (the fixture is 21.9 KB); the
// bound leaves room for long commit messages.
const MaxGitHubWebhookBody = 256 << 10

// GitHubActor is the actor audit events of GitHub's webhooks name.
const GitHubActor = "github"

// GitHub webhook headers (docs "Webhook events and payloads", delivery
// headers).
const (
	headerGitHubEvent     = "X-GitHub-Event"
	headerGitHubDelivery  = "X-GitHub-Delivery"
	headerGitHubSignature = "X-Hub-Signature-256"
)

// RegisterGitHub adds POST /webhooks/github to r: GitHub's workflow_run
// webhooks, which finish the deployments whose runs completed. A delivery
// is verified (X-Hub-Signature-256, HMAC-SHA256 of the raw body) with the
// webhook_secret of a github_actions target whose repo is the delivery's
// repository.full_name, before anything else is read of it. Answers: 200
// recorded, a ping, or a repeat (a delivery that came before, or a run of
// a deployment that already finished: nothing changes); 202 ignored (an
// event other than workflow_run, an action other than completed, a run no
// deployment follows); 400 a body that is not a webhook; 401 missing or
// bad signature, or no target with a webhook secret for the repository;
// 413 a body over 256 KiB. A refusal changes nothing.
func RegisterGitHub(r gin.IRouter, opts GitHubOptions) {
	if opts.Deployments == nil || opts.Runs == nil {
		panic("webhooks: GitHubOptions.Deployments and Runs are required")
	}
	h := &githubHook{deployments: opts.Deployments, runs: opts.Runs, targets: map[targetKey]Target{}, log: opts.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for _, e := range opts.Environments {
		h.targets[targetKey{e.Service, e.Name}] = e.Target
		if g, ok := e.Target.(*githubTarget); ok && g.webhookSecret != "" {
			h.hooks = append(h.hooks, g)
		}
	}
	r.POST("/webhooks/github", h.serve)
}

type githubHook struct {
	deployments Deployments
	runs        RunFinder
	targets     map[targetKey]Target // as Worker.target looks them up
	hooks       []*githubTarget      // the targets with a webhook secret
	log         *slog.Logger
}

// githubEvent is what releasebot reads of a webhook delivery.
type githubEvent struct {
	Action     string `json:"action"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	WorkflowRun *workflowRun `json:"workflow_run"`
}

func (h *githubHook) serve(c *gin.Context) {
	ctx := c.Request.Context()
	if c.Request.ContentLength > MaxGitHubWebhookBody {
		h.answer(c, http.StatusRequestEntityTooLarge, "refused", "The body is larger than 256 KiB.")
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxGitHubWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.answer(c, http.StatusRequestEntityTooLarge, "refused", "The body is larger than 256 KiB.")
			return
		}
		h.answer(c, http.StatusBadRequest, "refused", "The body could not be read.")
		return
	}
	// The signature covers the raw bytes, whatever the hook's content
	// type; the secret depends on the repository the body names, so that
	// alone is read before the signature is checked.
	doc, formErr := githubJSON(c.Request.Header.Get("Content-Type"), raw)
	var ev githubEvent
	parseErr := json.Unmarshal(doc, &ev)
	repo := ev.Repository.FullName
	verified := h.verify(c.Request.Header.Get(headerGitHubSignature), raw, repo)
	if verified == nil {
		h.log.WarnContext(ctx, "github webhook refused: signature", "repository", releases.ScrubText(repo, 100, false),
			"delivery", releases.ScrubText(c.Request.Header.Get(headerGitHubDelivery), 100, false), "remote", c.ClientIP())
		msg := "Signature refused: X-Hub-Signature-256 does not match the webhook_secret of any github_actions target of this repository."
		if len(h.hooks) == 0 {
			msg = "No github_actions target has a webhook_secret, so GitHub's webhooks can't be verified."
		}
		h.answer(c, http.StatusUnauthorized, "refused", msg)
		return
	}
	if formErr != nil || parseErr != nil {
		h.answer(c, http.StatusBadRequest, "refused", "The body is not a GitHub webhook payload (JSON, or form-encoded with a payload field).")
		return
	}
	switch event := c.GetHeader(headerGitHubEvent); {
	case event == "ping":
		h.answer(c, http.StatusOK, "pong", "")
		return
	case event != "workflow_run":
		h.answer(c, http.StatusAccepted, "ignored", "Only workflow_run events are used.")
		return
	case ev.Action != "completed" || ev.WorkflowRun == nil || ev.WorkflowRun.ID <= 0:
		h.answer(c, http.StatusAccepted, "ignored", "Only completed workflow runs are used.")
		return
	}
	run := *ev.WorkflowRun
	d, t, pending := h.deployment(ctx, run, repo, verified)
	if d == nil {
		h.answer(c, http.StatusAccepted, "ignored", "No deployment follows workflow run "+strconv.FormatInt(run.ID, 10)+".")
		return
	}
	did := releases.FormatDeploymentID(d.ID)
	rep := runReport(run, t.names(Payload{Service: d.Service, Environment: d.Environment, Version: d.Version}))
	if rep.Status == releases.DeploymentInProgress {
		h.answer(c, http.StatusAccepted, "ignored", "The run has no conclusion yet.")
		return
	}
	rep.RunKind = config.KindGitHubActions
	if pending {
		// The deployment keeps its pending:D-17 run id; the run is named in
		// the message and the link.
		rep.RunKind, rep.RunID = "", ""
	}
	if id := c.GetHeader(headerGitHubDelivery); id != "" && len(id) <= 100 && releases.ScrubText(id, 100, false) == id {
		rep.WebhookID = "github:" + id
	}
	_, err = h.deployments.ReportDeployment(ctx, GitHubActor, d.ID, rep)
	switch releases.ErrorCode(err) {
	case "":
		h.answer(c, http.StatusOK, "recorded", did+": "+string(rep.Status))
	case releases.EConflict:
		h.answer(c, http.StatusOK, "unchanged", releases.ErrorMessage(err))
	case releases.ENotFound:
		h.answer(c, http.StatusAccepted, "ignored", releases.ErrorMessage(err))
	default:
		h.log.ErrorContext(ctx, "github webhook: record the run's outcome", "deployment", did, "err", err)
		h.answer(c, http.StatusInternalServerError, "error", "Internal error.")
	}
}

// verify returns the target whose webhook secret signed raw, among those
// whose repo is repo (all of them when the body names none, as an
// organization's ping); nil when none did.
func (h *githubHook) verify(header string, raw []byte, repo string) *githubTarget {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	sig, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(sig) != sha256.Size {
		return nil
	}
	for _, t := range h.hooks {
		if repo != "" && !t.repoRE.MatchString(repo) {
			continue
		}
		if hmac.Equal(sig, githubSignature([]byte(t.webhookSecret.Reveal()), raw)) {
			return t
		}
	}
	return nil
}

// githubSignature is HMAC-SHA256 of body under secret, as GitHub signs
// its deliveries (X-Hub-Signature-256 is "sha256=" and its hex).
func githubSignature(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// deployment finds the deployment a completed run belongs to, and its
// target: the one that follows the run's id, or — for a run GitHub did not
// name when it was dispatched — the one whose run id is pending:D-17 for a
// D-17 in the run's name (pending true). The deployment's target must be a
// github_actions target of the delivery's repository whose secret signed
// the delivery: a delivery signed for one repository finishes nothing of
// another's.
func (h *githubHook) deployment(ctx context.Context, run workflowRun, repo string, signer *githubTarget) (*releases.Deployment, *githubTarget, bool) {
	check := func(d *releases.Deployment, err error) (*releases.Deployment, *githubTarget) {
		if err != nil {
			if !errors.Is(err, releases.ErrNotFound) {
				h.log.ErrorContext(ctx, "github webhook: find the run's deployment", "run", run.ID, "err", err)
			}
			return nil, nil
		}
		t := h.targetOf(d)
		if t == nil || t.webhookSecret != signer.webhookSecret {
			return nil, nil
		}
		p := Payload{Service: d.Service, Environment: d.Environment, Version: d.Version}
		if !strings.EqualFold(expandNames(t.repo, p), repo) {
			return nil, nil
		}
		return d, t
	}
	if d, t := check(h.runs.DeploymentByRun(ctx, config.KindGitHubActions, strconv.FormatInt(run.ID, 10))); d != nil {
		return d, t, false
	}
	if run.Event != "" && run.Event != "workflow_dispatch" {
		return nil, nil, false
	}
	for _, title := range []string{run.DisplayTitle, run.Name} {
		for _, m := range deploymentIDs.FindAllStringSubmatch(title, 4) {
			d, t := check(h.runs.DeploymentByRun(ctx, config.KindGitHubActions, pendingRunPrefix+m[1]))
			if d != nil && t.sameWorkflow(run, Payload{Service: d.Service, Environment: d.Environment, Version: d.Version}) {
				return d, t, true
			}
		}
	}
	return nil, nil, false
}

// targetOf is the target deployment d went to, if it is github_actions.
func (h *githubHook) targetOf(d *releases.Deployment) *githubTarget {
	t, ok := h.targets[targetKey{d.Service, d.Environment}]
	if !ok {
		t = h.targets[targetKey{"", d.Environment}]
	}
	g, _ := t.(*githubTarget)
	return g
}

// sameWorkflow says whether run is of the workflow t dispatches for p:
// its file (run.path, .github/workflows/deploy.yml, maybe @ref) or id.
func (t *githubTarget) sameWorkflow(run workflowRun, p Payload) bool {
	w := expandNames(t.workflow, p)
	if id, err := strconv.ParseInt(w, 10, 64); err == nil {
		return run.WorkflowID == 0 || run.WorkflowID == id
	}
	if run.Path == "" {
		return true
	}
	file, _, _ := strings.Cut(run.Path, "@")
	return path.Base(file) == path.Base(w)
}

// githubJSON returns the JSON document of a delivery: the body, or the
// payload field of a form-encoded one.
func githubJSON(contentType string, raw []byte) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt != "application/x-www-form-urlencoded" {
		return raw, nil
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, err
	}
	return []byte(form.Get("payload")), nil
}

type githubAnswer struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

func (h *githubHook) answer(c *gin.Context, code int, status, msg string) {
	c.JSON(code, githubAnswer{Status: status, Message: msg})
}
