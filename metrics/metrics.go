// Package metrics holds releasebot's Prometheus metrics on a registry of its
// own (no package globals, so tests and several servers in one process never
// collide). Packages record through the typed methods of *Metrics; the
// database gauges are read at scrape time by a collector over a Source.
//
// Every recording method is safe on a nil *Metrics and then does nothing,
// so a package can hold an optional recorder without checking for nil.
package metrics

import (
	"database/sql"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/releasebot/releasebot/releases"
)

// Outcomes, the values of the "outcome" labels. Commands use OK, Usage and
// the codes of releases.Code through CommandOutcome; Slack calls use OK,
// RateLimited and Error; webhook attempts use Accepted, Retry and Failed.
const (
	OK          = "ok"           // it worked
	Usage       = "usage"        // the command text did not parse
	Invalid     = "invalid"      // releases.EInvalid
	NotFound    = "not_found"    // releases.ENotFound
	Conflict    = "conflict"     // releases.EConflict
	Forbidden   = "forbidden"    // releases.EForbidden
	TooMany     = "too_many"     // releases.ETooMany: the create quota
	Error       = "error"        // an internal error, or a Slack API error other than 429
	RateLimited = "rate_limited" // Slack answered 429
	Accepted    = "accepted"     // the deployer answered 2xx
	Retry       = "retry"        // 5xx, 408, 429 or a network error: the delivery will be retried
	Failed      = "failed"       // another 4xx, or retries exhausted: the delivery gave up
)

// CommandOutcome maps the error of a command to its outcome label: OK for
// nil, the code of a releases error, Error for anything else.
func CommandOutcome(err error) string {
	if err == nil {
		return OK // without ErrorCode, whose errors.As target is allocated whatever err is
	}
	switch releases.ErrorCode(err) {
	case "":
		return OK
	case releases.EInvalid:
		return Invalid
	case releases.ENotFound:
		return NotFound
	case releases.EConflict:
		return Conflict
	case releases.EForbidden:
		return Forbidden
	case releases.ETooMany:
		return TooMany
	}
	return Error
}

// Metrics records what releasebot does. Make one with New and share it.
type Metrics struct {
	reg *prometheus.Registry

	commands        *prometheus.CounterVec
	slackCalls      *prometheus.CounterVec
	slackLimited    *prometheus.CounterVec
	webhookAttempts *prometheus.CounterVec
	webhookLatency  *prometheus.HistogramVec
	httpRequests    *prometheus.CounterVec
	httpLatency     *prometheus.HistogramVec
}

// Options configure New. Every field is optional.
type Options struct {
	// Source feeds the database gauges (releases by status, queues,
	// pending sign-offs); nil leaves them out.
	Source Source
	// Policy tells which teams' sign-offs a release still needs, for
	// releasebot_signoffs_pending; nil leaves that gauge out.
	Policy *releases.Policy
	// DB adds the connection pool's statistics (go_sql_*).
	DB *sql.DB
	// Version and Commit label releasebot_build_info.
	Version, Commit string
	// Timeout bounds the database queries of one scrape; default 5s.
	Timeout time.Duration
	// Logger hears of failed scrape queries; default discard.
	Logger *slog.Logger
	// Audit feeds releasebot_audit_head_info and
	// releasebot_audit_unsealed_events; nil leaves them out.
	Audit AuditHeads
}

// New returns Metrics on a new registry that also holds the Go runtime and
// process collectors.
func New(opts Options) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "releasebot_commands_total",
			Help: "/release commands handled, by subcommand and outcome.",
		}, []string{"command", "outcome"}),
		slackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "releasebot_slack_api_calls_total",
			Help: "Slack Web API calls, by method and outcome (ok, rate_limited, error).",
		}, []string{"method", "outcome"}),
		slackLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "releasebot_slack_rate_limited_total",
			Help: "Slack Web API calls answered with HTTP 429, by method.",
		}, []string{"method"}),
		webhookAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "releasebot_webhook_attempts_total",
			Help: "Deployment webhook HTTP attempts, by environment and outcome (accepted, retry, failed).",
		}, []string{"environment", "outcome"}),
		webhookLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "releasebot_webhook_delivery_duration_seconds",
			Help:    "Duration of one deployment webhook HTTP attempt, by environment.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"environment"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "releasebot_http_requests_total",
			Help: "HTTP requests served, by method, route and status code.",
		}, []string{"method", "route", "code"}),
		httpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "releasebot_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}, []string{"route"}),
	}
	reg.MustRegister(m.commands, m.slackCalls, m.slackLimited, m.webhookAttempts, m.webhookLatency,
		m.httpRequests, m.httpLatency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(opts.Version, opts.Commit))
	if opts.DB != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(opts.DB, "releasebot"))
	}
	if opts.Source != nil {
		reg.MustRegister(newStoreCollector(opts))
	}
	if opts.Audit != nil {
		reg.MustRegister(newAuditCollector(opts))
	}
	return m
}

func buildInfo(version, commit string) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "releasebot_build_info",
		Help:        "Always 1; the labels tell the running build.",
		ConstLabels: prometheus.Labels{"version": orUnknown(version), "commit": orUnknown(commit), "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// Registry returns the registry, to add collectors or read it in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format. A collector that fails makes the scrape answer what it could,
// with the error logged by that collector, rather than fail whole.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: m.reg})
}

// CommandHandled counts one /release command: name is its subcommand
// ("create", "deploy"; "unknown" when none parsed), outcome one of OK,
// Usage, Invalid, NotFound, Conflict, Forbidden, Error (see CommandOutcome).
func (m *Metrics) CommandHandled(name, outcome string) {
	if m == nil {
		return
	}
	m.commands.WithLabelValues(orUnknown(name), orUnknown(outcome)).Inc()
}

// SlackCall counts one Slack Web API call: method is the API method
// ("chat.postMessage"), outcome OK, RateLimited or Error. A RateLimited
// call also counts in releasebot_slack_rate_limited_total.
func (m *Metrics) SlackCall(method, outcome string) {
	if m == nil {
		return
	}
	method = orUnknown(method)
	m.slackCalls.WithLabelValues(method, orUnknown(outcome)).Inc()
	if outcome == RateLimited {
		m.slackLimited.WithLabelValues(method).Inc()
	}
}

// WebhookAttempt counts one HTTP attempt of a deployment webhook to env and
// observes how long it took; outcome is Accepted, Retry or Failed.
func (m *Metrics) WebhookAttempt(env, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	env = orUnknown(env)
	m.webhookAttempts.WithLabelValues(env, orUnknown(outcome)).Inc()
	m.webhookLatency.WithLabelValues(env).Observe(d.Seconds())
}

// HTTPRequest counts one answered HTTP request. Its labels come from fixed
// sets whatever the client sent, so requests can't grow the registry:
// method is one of HTTPMethods, else "other"; route is the route template
// ("/releases/:id"), never the raw path, with "" (no route matched)
// recorded as "unmatched"; code is the status, "other" outside 100–599.
func (m *Metrics) HTTPRequest(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(httpMethod(method), route, httpCode(status)).Inc()
	m.httpLatency.WithLabelValues(route).Observe(d.Seconds())
}

// HTTPMethods are the values of the "method" label of
// releasebot_http_requests_total besides "other".
var HTTPMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// httpMethod maps a request's method to its label: methods are
// case-sensitive, so "get" is "other" like any invented one.
func httpMethod(method string) string {
	for _, m := range HTTPMethods {
		if method == m {
			return m
		}
	}
	return "other"
}

func httpCode(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
