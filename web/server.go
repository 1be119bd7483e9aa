// Package web serves the HTTP routes of `releasebot serve` that are not
// Slack's or the deployers': the health checks, the JSON API, the
// read-only dashboard (releases, one release's timeline, the windows
// calendar), the iCalendar feed and /metrics. It speaks to the domain only
// through small interfaces, so it never sees a database or Slack.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

// Releases is what the web routes need of the domain; *releases.Coordinator
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

var _ Releases = (*releases.Coordinator)(nil)

// Calendar is what the windows page, the calendar feed and the "next
// step" of a ready release need of the schedule; *scheduler.Calendar
// satisfies it (the tests check; web does not import scheduler). It is
// asked on every request, so ad-hoc freezes declared while the bot runs
// show up at once.
type Calendar interface {
	// Check tells whether a ready release may start now and, if not, why;
	// it reads ad-hoc freezes through fr.
	releases.Gate
	// Upcoming returns the openings of every window that start after from
	// and before to, in time order, at most max of them.
	Upcoming(from, to time.Time, max int) []releases.Opening
	// Freezes returns the freezes, configured and ad hoc, that have not
	// ended by t, soonest first.
	Freezes(ctx context.Context, t time.Time) ([]releases.Freeze, error)
}

// Options configure the web routes. Releases is required; without the
// others the dashboard still works, with less to say.
type Options struct {
	Releases Releases
	Logger   *slog.Logger // internal errors and failed readiness checks, values cut to MaxLogValue; default discard

	// Calendar feeds /windows, /calendar.ics and the next step of ready
	// releases; nil shows no windows or freezes.
	Calendar Calendar
	// Freezes reads the ad-hoc freezes for Calendar.Check (the store); nil
	// counts configured freezes only in a ready release's next step.
	Freezes releases.FreezeReader
	// Policy tells how many sign-offs each team owes; nil shows the
	// sign-offs given without what is missing.
	Policy *releases.Policy
	// Location is the zone the dashboard shows times in (the configured
	// timezone); UTC is on hover. Default UTC.
	Location *time.Location
	// UserName shows a user id by name (config's users:); default the id.
	UserName func(id string) string
	// Now is the clock of "upcoming" and "in 3 h"; default time.Now.
	Now func() time.Time
	// PublicURL is the dashboard's base URL for links in /calendar.ics
	// (RELEASEBOT_PUBLIC_URL); default: taken from the request.
	PublicURL string
	// Token, when set, protects the dashboard pages, /calendar.ics and
	// /api/* (RELEASEBOT_DASHBOARD_TOKEN): a request must carry it as
	// "Authorization: Bearer TOKEN" or "?token=TOKEN" (which also sets a
	// cookie), or bear that cookie. /healthz, /readyz, /metrics and /static
	// stay open.
	Token string
	// Metrics, when set, is served at GET /metrics (see metrics.Handler).
	Metrics http.Handler
	// CI, with Opener, serves POST /api/releases: CI credentials only,
	// never the dashboard token. nil: the route is not served.
	CI     CIAuth
	Opener Opener
	// CIOrigin names the channel of a CI-opened release's card, by
	// service (ci.Channel); default none.
	CIOrigin func(service string) string
	// Audit, when set, serves the sealed audit chain at GET /api/audit
	// (the store).
	Audit releases.ChainReader
	// TargetKind names the kind of deploy target configured for service
	// in env (webhook, log, github_actions, gitlab, argocd), for the
	// evidence pack's deployments that recorded no run kind; nil: unknown.
	TargetKind func(service, env string) string
}

// Server holds the dependencies of the web handlers. Each topic (health,
// API, dashboard, windows, calendar feed) adds its handlers as methods in a
// file of its own.
type Server struct {
	releases  Releases
	log       *slog.Logger
	cal       Calendar
	freezes   releases.FreezeReader
	policy    *releases.Policy
	loc       *time.Location
	userName  func(string) string
	now       func() time.Time
	publicURL string
	token     string
	metrics   http.Handler
	ci        CIAuth
	opener    Opener
	ciOrigin  func(string) string
	audit     releases.ChainReader
	kinds     func(service, env string) string
	pages     *pages
	assets    *assets
}

// New returns a Server over opts. It panics when opts.Releases is nil: that
// is a wiring mistake, better found at start than on the first request.
func New(opts Options) *Server {
	if opts.Releases == nil {
		panic("web: Options.Releases is required")
	}
	s := &Server{releases: opts.Releases, log: opts.Logger, cal: opts.Calendar, freezes: opts.Freezes, policy: opts.Policy,
		loc: opts.Location, userName: opts.UserName, now: opts.Now, publicURL: opts.PublicURL,
		token: opts.Token, metrics: opts.Metrics, audit: opts.Audit, ci: opts.CI, opener: opts.Opener, ciOrigin: opts.CIOrigin,
		kinds: opts.TargetKind}
	if s.ci != nil && s.opener == nil {
		panic("web: Options.CI needs Options.Opener")
	}
	if s.ciOrigin == nil {
		s.ciOrigin = func(string) string { return "" }
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = boundLogger(s.log)
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.userName == nil {
		s.userName = func(id string) string { return id }
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.assets = loadAssets()
	s.pages = loadPages(s.funcs())
	return s
}

// Register adds the web routes to r: GET /healthz, /readyz, /metrics (when
// Options.Metrics is set), /static/*, the JSON API /api/releases and
// /api/releases/:id, /api/releases/:id/evidence, /api/audit (when
// Options.Audit is set), POST /api/releases (when Options.CI is set), the
// dashboard /, /releases/:id, /releases/:id/evidence and /windows, and
// /calendar.ics.
func Register(r gin.IRouter, opts Options) { New(opts).Register(r) }

// Register adds the server's routes to r.
func (s *Server) Register(r gin.IRouter) {
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	if s.metrics != nil {
		r.GET("/metrics", gin.WrapH(s.metrics))
	}
	r.GET("/static/*file", s.static)
	if s.ci != nil {
		// CI credentials only: outside the dashboard token's group.
		r.POST("/api/releases", s.createRelease)
	}

	protected := r.Group("", s.requireToken)
	api := protected.Group("/api")
	api.GET("/releases", s.listReleases)
	api.GET("/releases/:id", s.getRelease)
	api.GET("/releases/:id/evidence", s.getEvidence)
	if s.audit != nil {
		api.GET("/audit", s.auditStream)
	}

	protected.GET("/", s.listPage)
	protected.GET("/releases/:id", s.releasePage)
	protected.GET("/releases/:id/evidence", s.evidencePage)
	protected.GET("/windows", s.windowsPage)
	protected.GET("/calendar.ics", s.calendarFeed)
	protected.HEAD("/calendar.ics", s.calendarFeed)
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
	case releases.ETooMany:
		return http.StatusTooManyRequests
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
		s.logger(c).ErrorContext(c.Request.Context(), "web request failed",
			"method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	c.JSON(status, errorJSON{Error: releases.ErrorMessage(err)})
}
