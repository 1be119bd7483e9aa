package webhooks

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// GitLabOptions configure POST /webhooks/gitlab. Deployments and Runs are
// required.
type GitLabOptions struct {
	Deployments Deployments
	Runs        RunFinder
	// Environments are the resolved targets; the gitlab ones' webhook
	// tokens verify the hooks.
	Environments []Environment
	Now          func() time.Time // paces polls of adopted pipelines; default time.Now
	Logger       *slog.Logger     // refused hooks, duplicate pipelines; default discard
}

// MaxGitLabHookBody is the largest pipeline hook body read: GitLab's
// pipeline events list every job of the pipeline, so they are larger than
// a status callback.
const MaxGitLabHookBody = 256 << 10

// GitLabActor is the actor audit events of pipeline hooks name.
const GitLabActor = "gitlab"

// RegisterGitLab adds POST /webhooks/gitlab to r: GitLab's pipeline
// webhooks (X-Gitlab-Event: Pipeline Hook), which finish the deployment
// following the pipeline when it reaches a final status. The secret token
// (X-Gitlab-Token) is checked in constant time, before the body is read,
// against the webhook_token of every gitlab target, and then against the
// one of the deployment's own target. Answers: 200 recorded (a repeat, or
// a deployment that already finished, changes nothing), 202 ignored
// (another event, a status that is not final, a pipeline releasebot does
// not follow), 400 a body that is not a pipeline event, 401 a missing or
// wrong token, 413 a body over 256 KiB. A refusal changes nothing.
//
// A pipeline releasebot does not follow yet but whose
// RELEASEBOT_DEPLOYMENT_ID names a deployment waiting to retry its trigger
// (the answer to the trigger was lost) is adopted: the deployment follows
// it and the retry is not sent. One named by a deployment that already
// follows another pipeline is a duplicate, logged and ignored.
func RegisterGitLab(r gin.IRouter, opts GitLabOptions) {
	if opts.Deployments == nil || opts.Runs == nil {
		panic("webhooks: GitLabOptions.Deployments and Runs are required")
	}
	h := &gitlabHooks{deployments: opts.Deployments, runs: opts.Runs, envs: map[targetKey]Environment{},
		now: opts.Now, log: opts.Logger}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for _, e := range opts.Environments {
		h.envs[targetKey{e.Service, e.Name}] = e
		if g, ok := asGitLab(e.Target); ok && g.hookToken != "" {
			h.tokens = append(h.tokens, g.hookToken)
		}
	}
	r.POST("/webhooks/gitlab", h.serve)
}

type gitlabHooks struct {
	deployments Deployments
	runs        RunFinder
	envs        map[targetKey]Environment // as Worker.target looks them up
	tokens      []config.Secret           // every gitlab target's webhook token
	now         func() time.Time
	log         *slog.Logger
}

// pipelineEvent is what releasebot reads of a pipeline hook.
type pipelineEvent struct {
	ObjectKind string `json:"object_kind"`
	Attrs      struct {
		ID        int64  `json:"id"`
		Status    string `json:"status"`
		Source    string `json:"source"`
		URL       string `json:"url"`
		Variables []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"variables"`
	} `json:"object_attributes"`
	Project struct {
		ID   int64  `json:"id"`
		Path string `json:"path_with_namespace"`
	} `json:"project"`
	Builds []struct {
		Name          string `json:"name"`
		Status        string `json:"status"`
		FailureReason string `json:"failure_reason"`
		AllowFailure  bool   `json:"allow_failure"`
	} `json:"builds"`
}

func (h *gitlabHooks) serve(c *gin.Context) {
	token := c.GetHeader("X-Gitlab-Token")
	if !h.anyToken(token) {
		h.log.WarnContext(c.Request.Context(), "gitlab hook refused: X-Gitlab-Token is not a gitlab target's webhook_token", "remote", c.ClientIP())
		h.answer(c, http.StatusUnauthorized, "error", "X-Gitlab-Token is missing or is not the webhook_token of any gitlab target.")
		return
	}
	if ev := c.GetHeader("X-Gitlab-Event"); ev != "Pipeline Hook" {
		h.answer(c, http.StatusAccepted, "ignored", "Only Pipeline Hook events are followed, not "+strconv.Quote(clipAnswer([]byte(ev)))+".")
		return
	}
	if c.Request.ContentLength > MaxGitLabHookBody {
		h.answer(c, http.StatusRequestEntityTooLarge, "error", "The body is larger than 256 KiB.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxGitLabHookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.answer(c, http.StatusRequestEntityTooLarge, "error", "The body is larger than 256 KiB.")
			return
		}
		h.answer(c, http.StatusBadRequest, "error", "The body could not be read.")
		return
	}
	var ev pipelineEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.ObjectKind != "pipeline" || ev.Attrs.ID <= 0 {
		h.answer(c, http.StatusBadRequest, "error", `The body is not a pipeline event: {"object_kind": "pipeline", "object_attributes": {"id": …, "status": …}, …}.`)
		return
	}
	runID := strconv.FormatInt(ev.Attrs.ID, 10)
	d, err := h.runs.DeploymentByRun(c.Request.Context(), config.KindGitLab, runID)
	switch {
	case errors.Is(err, releases.ErrNotFound):
		h.unfollowed(c, ev, token)
		return
	case err != nil:
		h.log.ErrorContext(c.Request.Context(), "gitlab hook: find the deployment of a pipeline", "pipeline", runID, "err", err)
		h.answer(c, http.StatusInternalServerError, "error", "Internal error.")
		return
	}
	if _, ok := h.check(c, *d, ev, token); !ok {
		return
	}
	rep, final := pipelineReport(runID, ev.Attrs.Status, ev.Attrs.URL, failedJobs(ev))
	if !final {
		h.answer(c, http.StatusAccepted, "ignored", fmt.Sprintf("Pipeline %s is %s; only final statuses are recorded.", runID, clipAnswer([]byte(ev.Attrs.Status))))
		return
	}
	rep.RunKind, rep.RunID = config.KindGitLab, runID
	h.record(c, d.ID, rep)
}

// check says whether the hook may speak for deployment d: the token is
// the webhook_token of d's own target, and the event's project is that
// target's. Otherwise it has answered.
func (h *gitlabHooks) check(c *gin.Context, d releases.Deployment, ev pipelineEvent, token string) (Environment, bool) {
	did := releases.FormatDeploymentID(d.ID)
	env, ok := h.envs[targetKey{d.Service, d.Environment}]
	if !ok {
		env, ok = h.envs[targetKey{"", d.Environment}]
	}
	g, isGitLab := asGitLab(env.Target)
	if !ok || !isGitLab || g.hookToken == "" || !tokenEqual(g.hookToken.Reveal(), token) {
		h.log.WarnContext(c.Request.Context(), "gitlab hook refused: not the webhook_token of the deployment's target",
			"deployment", did, "pipeline", ev.Attrs.ID, "remote", c.ClientIP())
		h.answer(c, http.StatusUnauthorized, "error", "X-Gitlab-Token is not the webhook_token of the target of the deployment this pipeline is for.")
		return Environment{}, false
	}
	project := expandNames(g.project, Payload{Service: d.Service, Environment: d.Environment, Version: d.Version})
	if project != strconv.FormatInt(ev.Project.ID, 10) && !strings.EqualFold(project, ev.Project.Path) {
		h.answer(c, http.StatusAccepted, "ignored", fmt.Sprintf("Pipeline %d of project %s is not one releasebot follows.", ev.Attrs.ID, clipAnswer([]byte(ev.Project.Path))))
		return Environment{}, false
	}
	return env, true
}

// unfollowed answers a hook about a pipeline no deployment follows. If its
// RELEASEBOT_DEPLOYMENT_ID names a deployment that follows no run yet and
// has not finished — its trigger got through but the answer was lost, and
// the retry waits — the deployment adopts the pipeline, so the retry is not
// sent. If that deployment already follows another pipeline, this one is a
// duplicate: logged, so someone can cancel it, and otherwise ignored.
func (h *gitlabHooks) unfollowed(c *gin.Context, ev pipelineEvent, token string) {
	runID := strconv.FormatInt(ev.Attrs.ID, 10)
	ignore := func() {
		h.answer(c, http.StatusAccepted, "ignored", "No deployment follows pipeline "+runID+".")
	}
	var did string
	for _, v := range ev.Attrs.Variables {
		if v.Key == gitlabVarDeploymentID {
			did = v.Value
		}
	}
	id, err := releases.ParseDeploymentID(did)
	if did == "" || err != nil {
		ignore()
		return
	}
	d, err := h.deployments.Deployment(c.Request.Context(), id)
	if err != nil {
		ignore()
		return
	}
	env, ok := h.check(c, *d, ev, token)
	if !ok {
		return
	}
	switch {
	case d.RunID != "":
		h.log.WarnContext(c.Request.Context(), "duplicate GitLab pipeline: the deployment follows another one; cancel this one in GitLab",
			"deployment", releases.FormatDeploymentID(d.ID), "pipeline", runID, "follows", d.RunKind+" "+d.RunID, "url", ev.Attrs.URL)
		h.answer(c, http.StatusAccepted, "ignored", fmt.Sprintf("Pipeline %s is a duplicate: %s follows pipeline %s.", runID, releases.FormatDeploymentID(d.ID), d.RunID))
		return
	case d.Status.Final(), ev.Attrs.Source != "trigger":
		ignore()
		return
	}
	rep, _ := pipelineReport(runID, ev.Attrs.Status, ev.Attrs.URL, failedJobs(ev))
	rep.RunKind, rep.RunID = config.KindGitLab, runID
	if _, polls := env.Target.(Poller); polls && !rep.Status.Final() {
		rep.PollAt = h.now().Add(env.Timing.pollEvery())
	}
	h.log.InfoContext(c.Request.Context(), "gitlab hook: the deployment adopts the pipeline an earlier trigger started",
		"deployment", releases.FormatDeploymentID(d.ID), "pipeline", runID)
	h.record(c, d.ID, rep)
}

// record reports rep for deployment id: 200, also for a repeat or a
// deployment that finished otherwise (nothing changes then).
func (h *gitlabHooks) record(c *gin.Context, id int64, rep releases.StatusReport) {
	did := releases.FormatDeploymentID(id)
	_, err := h.deployments.ReportDeployment(c.Request.Context(), GitLabActor, id, rep)
	switch releases.ErrorCode(err) {
	case "":
		c.JSON(http.StatusOK, gin.H{"deployment": did, "status": rep.Status})
	case releases.EConflict, releases.ENotFound:
		h.answer(c, http.StatusOK, "ignored", releases.ErrorMessage(err))
	default:
		h.log.ErrorContext(c.Request.Context(), "gitlab hook: record the pipeline's status", "deployment", did, "err", err)
		h.answer(c, http.StatusInternalServerError, "error", "Internal error.")
	}
}

// anyToken says whether token is some gitlab target's webhook token; it
// compares with every one, in constant time.
func (h *gitlabHooks) anyToken(token string) bool {
	found := false
	for _, t := range h.tokens {
		if tokenEqual(t.Reveal(), token) {
			found = true
		}
	}
	return token != "" && found
}

// tokenEqual compares two secrets in time that tells nothing of where
// they differ, nor of their lengths (both are hashed first).
func tokenEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1 && a != ""
}

// failedJobs names the jobs that failed a pipeline (allowed failures
// aside), for the deployment's message: "test-build: script_failure".
func failedJobs(ev pipelineEvent) string {
	var out []string
	for _, b := range ev.Builds {
		if b.Status != "failed" || b.AllowFailure {
			continue
		}
		if len(out) == 3 {
			out = append(out, "…")
			break
		}
		s := b.Name
		if b.FailureReason != "" {
			s += ": " + b.FailureReason
		}
		out = append(out, s)
	}
	return clipAnswer([]byte(strings.Join(out, ", ")))
}

func (h *gitlabHooks) answer(c *gin.Context, status int, key, msg string) {
	c.JSON(status, gin.H{key: msg})
}
