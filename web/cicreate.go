package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/ci"
	"github.com/releasebot/releasebot/releases"
)

// CIAuth tells who sent a CI request and what it may open;
// *ci.Authenticator satisfies it.
type CIAuth interface {
	// Authenticate reads the Authorization header. Errors of Kind
	// ci.ErrUnauthenticated answer 401.
	Authenticate(ctx context.Context, header string) (ci.Identity, error)
	// Authorize tells whether id may open releases of services
	// (EForbidden otherwise).
	Authorize(id ci.Identity, services []string) error
	// Audit records a use of id and what came of it; for a token revoked
	// since Authenticate, nothing, with releases.ErrTokenRevoked.
	Audit(ctx context.Context, id ci.Identity, detail string) error
	// AuditInTx is Audit inside a create's transaction.
	AuditInTx(ctx context.Context, tx releases.Tx, id ci.Identity, detail string) error
	// Revoked audits the refusal of id after releases.ErrTokenRevoked
	// and returns it (Kind ci.ErrUnauthenticated).
	Revoked(ctx context.Context, id ci.Identity) error
}

var _ CIAuth = (*ci.Authenticator)(nil)

// Opener opens releases for machines; *releases.Coordinator satisfies it.
type Opener interface {
	// Open creates a release, or finds the one that already answers the
	// request (see releases.Coordinator.Open).
	Open(ctx context.Context, actor string, in releases.CreateInput) (*releases.Release, bool, error)
}

var _ Opener = (*releases.Coordinator)(nil)

// maxCreateBody bounds the body of POST /api/releases, as the Slack
// endpoints' bodies are bounded: a create is a few hundred bytes.
const maxCreateBody = 64 << 10

// createRequest is the body of POST /api/releases (DESIGN "CI and
// evidence"). Unknown fields are refused, so a misspelt "digest" is not
// silently a release without one.
type createRequest struct {
	Service        string             `json:"service"`
	Version        string             `json:"version"`
	Digest         string             `json:"digest"`
	Commit         string             `json:"commit"`
	BuildURL       string             `json:"build_url"`
	Notes          string             `json:"notes"`
	Window         string             `json:"window"`
	At             string             `json:"at"`
	Components     []componentRequest `json:"components"`
	IdempotencyKey string             `json:"idempotency_key"`
}

// componentRequest is one component of a create: one, or a train's.
type componentRequest struct {
	Service  string `json:"service"`
	Version  string `json:"version"`
	Digest   string `json:"digest"`
	Commit   string `json:"commit"`
	BuildURL string `json:"build_url"`
}

// createRelease answers POST /api/releases: a CI pipeline opens a release,
// as `/release create` does, with its card in ci.channel. The credential
// is checked before the body is read; the body is bounded. 201 with the
// release for a new one, 200 with the release that already answers a
// repeat (same idempotency_key, or the same service, version and digest
// open); every answer to a token is audited.
func (s *Server) createRelease(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := s.ci.Authenticate(ctx, c.GetHeader("Authorization"))
	if err != nil {
		s.ciUnauthorized(c, err)
		return
	}
	status, in, err := s.readCreate(c)
	if err != nil {
		s.ciRefuse(c, id, status, in, err)
		return
	}
	// Names are case-insensitive (stored lower-case): scope and catalog
	// compare the stored form. A bad name is the coordinator's to refuse.
	services := []string{strings.ToLower(strings.TrimSpace(in.Service))}
	if len(in.Components) > 0 {
		services = services[:0]
		for _, comp := range in.Components {
			services = append(services, strings.ToLower(strings.TrimSpace(comp.Service)))
		}
	}
	if err := s.ci.Authorize(id, services); err != nil {
		s.ciRefuse(c, id, http.StatusForbidden, in, err)
		return
	}
	in.Origin = s.ciOrigin(services[0])
	// A create records the use that made it in its own commit: one
	// commit per request, not two. The answer is what that commit wrote:
	// a new release has no other events yet, so nothing is read back.
	var written []releases.AuditEvent
	in.Also = func(ctx context.Context, tx releases.Tx, r *releases.Release, events []releases.AuditEvent) error {
		written = events
		return s.ci.AuditInTx(ctx, tx, id, useDetail(r, http.StatusCreated))
	}
	r, created, err := s.opener.Open(ctx, id.Actor, in)
	if errors.Is(err, releases.ErrTokenRevoked) {
		s.ciUnauthorized(c, s.ci.Revoked(ctx, id))
		return
	}
	if err != nil {
		status := statusFor(releases.ErrorCode(err))
		if errors.Is(err, releases.ErrKeyReused) {
			status = http.StatusUnprocessableEntity
		}
		s.ciRefuse(c, id, status, in, err)
		return
	}
	if created {
		c.Header("Location", "/api/releases/"+releases.FormatID(r.ID))
		c.JSON(http.StatusCreated, newReleaseDetailJSON(r, written))
		return
	}
	if !s.ciAudit(c, id, useDetail(r, http.StatusOK)) {
		return
	}
	events, err := s.releases.Audit(ctx, r.ID)
	if err != nil {
		s.apiError(c, err)
		return
	}
	c.JSON(http.StatusOK, newReleaseDetailJSON(r, events))
}

// ciUnauthorized answers a refused credential (Kind ci.ErrUnauthenticated)
// with 401, any other error as the API does.
func (s *Server) ciUnauthorized(c *gin.Context, err error) {
	if errors.Is(err, ci.ErrUnauthenticated) {
		c.Header("WWW-Authenticate", `Bearer realm="releasebot"`)
		c.JSON(http.StatusUnauthorized, errorJSON{Error: releases.ErrorMessage(err)})
		return
	}
	s.apiError(c, err)
}

// useDetail is the audit detail of a create that answered status with r.
func useDetail(r *releases.Release, status int) string {
	return fmt.Sprintf("POST /api/releases %s %s: %d %s", r.Service, r.Version, status, releases.FormatID(r.ID))
}

// readCreate reads and checks the body's form; the domain checks the
// values. It answers the status of a refusal with the error.
func (s *Server) readCreate(c *gin.Context) (int, releases.CreateInput, error) {
	var in releases.CreateInput
	if c.Request.ContentLength > maxCreateBody {
		return http.StatusRequestEntityTooLarge, in, tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxCreateBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, in, tooLarge()
	case err != nil:
		return http.StatusBadRequest, in, releases.Errorf(releases.EInvalid, "The request body could not be read.")
	}
	var req createRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return http.StatusBadRequest, in, releases.Errorf(releases.EInvalid, "The body is not a create request: %s. Send JSON like {\"service\": \"payments-api\", \"version\": \"v2.4.1\", \"digest\": \"sha256:…\"}.", jsonProblem(err))
	}
	if dec.More() {
		return http.StatusBadRequest, in, releases.Errorf(releases.EInvalid, "The body holds more than one JSON value; send one object.")
	}
	if err := mergeComponents(&req); err != nil {
		return http.StatusUnprocessableEntity, in, err
	}
	in = releases.CreateInput{Service: req.Service, Version: req.Version, Digest: req.Digest, Commit: req.Commit,
		BuildURL: req.BuildURL, Notes: req.Notes, Window: req.Window, IdempotencyKey: req.IdempotencyKey}
	for _, c := range req.Components {
		if c.Service == "" || c.Version == "" {
			return http.StatusBadRequest, in, releases.Errorf(releases.EInvalid, "Give every component a service and a version.")
		}
		in.Components = append(in.Components, releases.ComponentInput{Service: c.Service, Version: c.Version, Digest: c.Digest})
	}
	if len(in.Components) > 0 {
		in.Service, in.Version = in.Components[0].Service, in.Components[0].Version
	}
	if in.Service == "" || in.Version == "" {
		return http.StatusBadRequest, in, releases.Errorf(releases.EInvalid, "Give service and version (or components with them).")
	}
	if req.At != "" {
		at, err := time.Parse(time.RFC3339, req.At)
		if err != nil {
			return http.StatusBadRequest, in, releases.Errorf(releases.EInvalid, "at must be an RFC 3339 time like 2026-12-01T14:00:00Z; got %s.", quoteCut(req.At))
		}
		in.StartAt = at
	}
	return http.StatusOK, in, nil
}

// mergeComponents folds a one-element components list into the request's
// own fields, which it must agree with. Several components are a train:
// they stand alone (no service, version or digest beside them), and a
// train's commit and build link are the request's own, once.
func mergeComponents(req *createRequest) error {
	switch len(req.Components) {
	case 0:
		return nil
	case 1:
	default:
		if req.Service != "" || req.Version != "" || req.Digest != "" {
			return releases.Errorf(releases.EInvalid, "A train is its components: give service, version and digest in each of them, not beside them.")
		}
		for _, c := range req.Components {
			if c.Commit != "" || c.BuildURL != "" {
				return releases.Errorf(releases.EInvalid, "A train keeps one commit and build_url, the request's own: give them beside components, not in %s.", quoteCut(c.Service))
			}
		}
		return nil
	}
	comp := req.Components[0]
	for _, f := range []struct {
		name      string
		top, from *string
	}{
		{"service", &req.Service, &comp.Service}, {"version", &req.Version, &comp.Version},
		{"digest", &req.Digest, &comp.Digest}, {"commit", &req.Commit, &comp.Commit},
		{"build_url", &req.BuildURL, &comp.BuildURL},
	} {
		switch {
		case *f.from == "":
		case *f.top == "":
			*f.top = *f.from
		case *f.top != *f.from:
			return releases.Errorf(releases.EInvalid, "The component's %s %s differs from the request's %s; give it once.", f.name, quoteCut(*f.from), quoteCut(*f.top))
		}
	}
	req.Components = nil
	return nil
}

// jsonProblem says what is wrong with a body in a few words, without
// echoing much of it.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be a %s", typ.Field, jsonType(typ.Field))
	case errors.Is(err, io.EOF):
		return "it is empty"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + quoteCut(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	}
	return "invalid JSON"
}

func jsonType(field string) string {
	if field == "components" {
		return "list of objects"
	}
	return "string"
}

func tooLarge() error {
	return releases.Errorf(releases.EInvalid, "The body is larger than %d KiB.", maxCreateBody>>10)
}

// ciRefuse answers a refusal after authentication, and audits it.
func (s *Server) ciRefuse(c *gin.Context, id ci.Identity, status int, in releases.CreateInput, err error) {
	if status == http.StatusInternalServerError {
		s.apiError(c, err)
		return
	}
	what := strings.TrimSpace(in.Service + " " + in.Version)
	if what == "" {
		what = "(unreadable body)"
	}
	if s.ciAudit(c, id, fmt.Sprintf("POST /api/releases %s: %d %s", cut(what, 120), status, cut(releases.ErrorMessage(err), 200))) {
		c.JSON(status, errorJSON{Error: releases.ErrorMessage(err)})
	}
}

// ciAudit records a use of id and tells whether the answer stands. A
// token revoked since it was authenticated gets 401 instead (answered
// here); any other failure is logged, and the answer stands.
func (s *Server) ciAudit(c *gin.Context, id ci.Identity, detail string) bool {
	ctx := c.Request.Context()
	err := s.ci.Audit(ctx, id, detail)
	if errors.Is(err, releases.ErrTokenRevoked) {
		s.ciUnauthorized(c, s.ci.Revoked(ctx, id))
		return false
	}
	if err != nil {
		s.logger(c).ErrorContext(ctx, "audit of a CI request failed", "actor", id.Actor, "err", err)
	}
	return true
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
