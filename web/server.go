// Package web serves the HTTP routes of `releasebot serve` that are not
// Slack's: the health checks and the JSON API, and later the dashboard
// pages. It speaks to the domain only through the small Releases interface,
// so it never sees a database or Slack.
package web

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

// Releases is what the web routes need of the domain; *releases.Service
// satisfies it.
type Releases interface {
	// Get returns one release with its sign-offs and deployments.
	// Errors: ENotFound.
	Get(ctx context.Context, id int64) (*releases.Release, error)
	// List returns releases newest first. Errors: EInvalid for an unknown
	// status or a limit outside 1–200.
	List(ctx context.Context, f releases.Filter) ([]releases.Release, error)
	// Audit returns a release's audit trail, oldest first. Errors: ENotFound.
	Audit(ctx context.Context, id int64) ([]releases.AuditEvent, error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
}

var _ Releases = (*releases.Service)(nil)

// Options configure the web routes. Releases is required.
type Options struct {
	Releases Releases
	Logger   *slog.Logger // internal errors and failed readiness checks; default discard
}

// Server holds the dependencies of the web handlers. Each topic (health,
// API, later the dashboard) adds its handlers as methods in a file of its
// own.
type Server struct {
	releases Releases
	log      *slog.Logger
}

// New returns a Server over opts. It panics when opts.Releases is nil: that
// is a wiring mistake, better found at start than on the first request.
func New(opts Options) *Server {
	if opts.Releases == nil {
		panic("web: Options.Releases is required")
	}
	s := &Server{releases: opts.Releases, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Register adds the web routes to r: GET /healthz, GET /readyz,
// GET /api/releases and GET /api/releases/:id.
func Register(r gin.IRouter, opts Options) { New(opts).Register(r) }

// Register adds the server's routes to r.
func (s *Server) Register(r gin.IRouter) {
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)

	api := r.Group("/api")
	api.GET("/releases", s.listReleases)
	api.GET("/releases/:id", s.getRelease)
}

// statusFor maps an error code of the domain to an HTTP status.
func statusFor(code releases.Code) int {
	switch code {
	case releases.EInvalid:
		return http.StatusBadRequest
	case releases.ENotFound:
		return http.StatusNotFound
	case releases.EConflict:
		return http.StatusConflict
	case releases.EForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// errorJSON is the body of every API error.
type errorJSON struct {
	Error string `json:"error"`
}

// apiError answers err as JSON. Errors for people carry their own sentence;
// anything else may hold infrastructure details (a DSN, a host name), so it
// is logged and the client only learns "Internal error.".
func (s *Server) apiError(c *gin.Context, err error) {
	status := statusFor(releases.ErrorCode(err))
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(c.Request.Context(), "web request failed",
			"method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	c.JSON(status, errorJSON{Error: releases.ErrorMessage(err)})
}
