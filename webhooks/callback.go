package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

// Deployments is what the status callback needs of the domain;
// *releases.Coordinator is one.
type Deployments interface {
	// Deployment returns one deployment. Errors: ENotFound.
	Deployment(ctx context.Context, id int64) (*releases.Deployment, error)
	// ReportDeployment records a deployer's status. Errors: ENotFound,
	// EInvalid for an unknown status, EConflict when the deployment already
	// finished otherwise; a repeat is no error.
	ReportDeployment(ctx context.Context, actor string, deploymentID int64, rep releases.StatusReport) (*releases.Release, error)
}

var _ Deployments = (*releases.Coordinator)(nil)

// CallbackOptions configure the status callback endpoint. Deployments and
// Environments are required.
type CallbackOptions struct {
	Deployments  Deployments
	Environments []Environment    // whose targets' callback keys verify the callbacks
	Now          func() time.Time // checks the timestamp; default time.Now
	Logger       *slog.Logger     // refused callbacks and internal errors; default discard
}

// MaxCallbackBody is the largest status callback body accepted.
const MaxCallbackBody = 64 << 10

// CallbackActor is the actor audit events of callbacks name.
const CallbackActor = "deployer"

// RegisterCallbacks adds POST /webhooks/deployments/:id/status to r: the
// deployers' status reports, signed like the deliveries (Standard Webhooks)
// with the deployment's environment's secret; the body's "deployment_id"
// must name the deployment of the path. Answers: 204 taken (a repeat of the
// current state too), 400 malformed body, unknown status or a
// deployment_id missing or other than the path's, 401 missing or bad
// signature or a timestamp more than 5 minutes off, 404 unknown deployment
// (to a request signed with some environment's secret; 401 to any other),
// 409 a different final state was already recorded, the deployment was
// never sent (still pending), or the webhook-id was already accepted for
// another deployment, 413 a body over 64 KiB. A refusal changes nothing.
func RegisterCallbacks(r gin.IRouter, opts CallbackOptions) {
	if opts.Deployments == nil {
		panic("webhooks: CallbackOptions.Deployments is required")
	}
	h := &callbacks{deployments: opts.Deployments, targets: map[targetKey]Target{}, now: opts.Now, log: opts.Logger}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for _, e := range opts.Environments {
		h.targets[targetKey{e.Service, e.Name}] = e.Target
	}
	r.POST("/webhooks/deployments/:id/status", h.status)
}

type callbacks struct {
	deployments Deployments
	targets     map[targetKey]Target // as Worker.target looks them up
	now         func() time.Time
	log         *slog.Logger
}

// statusBody is a deployer's report. DeploymentID must name the
// deployment of the path: the signature covers the body, so the body binds
// the report to its deployment.
type statusBody struct {
	DeploymentID string `json:"deployment_id"`
	Status       string `json:"status"`
	Message      string `json:"message"`
	URL          string `json:"url"`
}

func (h *callbacks) status(c *gin.Context) {
	ctx := c.Request.Context()
	if c.Request.ContentLength > MaxCallbackBody {
		h.refuse(c, http.StatusRequestEntityTooLarge, "The body is larger than 64 KiB.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxCallbackBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(c, http.StatusRequestEntityTooLarge, "The body is larger than 64 KiB.")
			return
		}
		h.refuse(c, http.StatusBadRequest, "The body could not be read.")
		return
	}
	// Which deployments exist is told only to a deployer: a request for
	// one that doesn't must be signed with some environment's secret.
	id, err := releases.ParseDeploymentID(c.Param("id"))
	if err != nil {
		h.unknown(c, body, "There is no such deployment; ids look like D-17.")
		return
	}
	did := releases.FormatDeploymentID(id)
	d, err := h.deployments.Deployment(ctx, id)
	if releases.ErrorCode(err) == releases.ENotFound {
		h.unknown(c, body, releases.ErrorMessage(err))
		return
	}
	if err != nil {
		h.domainError(c, did, err)
		return
	}
	t, ok := h.targets[targetKey{d.Service, d.Environment}]
	if !ok {
		t = h.targets[targetKey{"", d.Environment}]
	}
	key, err := callbackKey(t)
	if errors.Is(err, ErrNoCallbackKey) {
		h.refuse(c, http.StatusUnauthorized, "Environment "+d.Environment+" has no deploy secret, so its callbacks can't be verified.")
		return
	}
	if err != nil {
		h.log.ErrorContext(ctx, "status callback: unusable deploy secret", "environment", d.Environment, "err", err)
		c.JSON(http.StatusInternalServerError, errorBody{Error: "Internal error."})
		return
	}
	if err := Verify(key, c.Request.Header, body, h.now()); err != nil {
		h.log.WarnContext(ctx, "status callback refused", "deployment", did, "environment", d.Environment, "reason", err.Error(), "remote", c.ClientIP())
		h.refuse(c, http.StatusUnauthorized, "Signature refused: "+err.Error()+".")
		return
	}
	var in statusBody
	if err := json.Unmarshal(body, &in); err != nil {
		h.refuse(c, http.StatusBadRequest, `The body is not a JSON object like {"deployment_id": "`+did+`", "status": "succeeded", "message": "…", "url": "…"}.`)
		return
	}
	if in.DeploymentID != did {
		h.log.WarnContext(ctx, "status callback refused: deployment_id does not match the path", "deployment", did, "remote", c.ClientIP())
		h.refuse(c, http.StatusBadRequest, `The body's "deployment_id" must be "`+did+`", the deployment of the callback URL.`)
		return
	}
	_, err = h.deployments.ReportDeployment(ctx, CallbackActor, id, releases.StatusReport{
		Status: releases.DeploymentStatus(in.Status), Message: in.Message, URL: in.URL,
		WebhookID: c.Request.Header.Get(HeaderID)})
	if err != nil {
		h.domainError(c, did, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// unknown answers a callback about no deployment: 404 with msg if one of
// the environments' secrets signed it, else 401.
func (h *callbacks) unknown(c *gin.Context, body []byte, msg string) {
	for _, t := range h.targets {
		if key, err := callbackKey(t); err == nil && Verify(key, c.Request.Header, body, h.now()) == nil {
			h.refuse(c, http.StatusNotFound, msg)
			return
		}
	}
	h.refuse(c, http.StatusUnauthorized, "Signature refused: no environment's deploy secret signed this request.")
}

type errorBody struct {
	Error string `json:"error"`
}

func (h *callbacks) refuse(c *gin.Context, status int, msg string) {
	c.JSON(status, errorBody{Error: msg})
}

// domainError answers an error of the release service: its sentence for
// people, or "Internal error." (logged) for anything else.
func (h *callbacks) domainError(c *gin.Context, did string, err error) {
	status := http.StatusInternalServerError
	switch releases.ErrorCode(err) {
	case releases.ENotFound:
		status = http.StatusNotFound
	case releases.EInvalid:
		status = http.StatusBadRequest
	case releases.EConflict:
		status = http.StatusConflict
	default:
		h.log.ErrorContext(c.Request.Context(), "status callback failed", "deployment", did, "err", err)
	}
	c.JSON(status, errorBody{Error: releases.ErrorMessage(err)})
}
