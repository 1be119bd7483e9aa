package web_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/web"
)

// maxLogLine is what a test accepts as the longest log line: a handful of
// fields, each cut to a fixed size.
const maxLogLine = 8 << 10

// manyStatuses is the query of the security review: 40,000 status values.
func manyStatuses() string {
	return "status=" + strings.TrimSuffix(strings.Repeat("ready,", 40000), ",")
}

// TestListFilterBounds: the filters of GET /api/releases and of the
// dashboard's list are deduplicated and capped; anything beyond a cap or
// nonsensical is a 400 with a sentence that does not echo the input back
// in full, and no ERROR is logged.
func TestListFilterBounds(t *testing.T) {
	d := newDashboard(t, nil)
	seedStory(t, d)
	long := strings.Repeat("x", 1000)
	repeated := strings.TrimSuffix(strings.Repeat("status=ready&", 21), "&")
	tests := []struct {
		name    string
		query   string
		code    int
		message string // "" for any sentence
	}{
		{name: "40,000 statuses", query: manyStatuses(), code: 400},
		{name: "status repeated beyond the cap", query: repeated, code: 400,
			message: "Give at most 20 status values; got 21."},
		{name: "statuses within the cap, duplicated", query: "status=ready,ready&status=ready", code: 200},
		{name: "unknown status, long", query: "status=" + long, code: 400},
		{name: "service twice", query: "service=a&service=b", code: 400, message: "Give service only once."},
		{name: "team twice", query: "team=a&team=b", code: 400, message: "Give team only once."},
		{name: "team too long", query: "team=" + strings.Repeat("t", 101), code: 400,
			message: "A team name has at most 100 characters; got 101."},
		{name: "limit twice", query: "limit=1&limit=2", code: 400, message: "Give limit only once."},
		{name: "cursor twice", query: "cursor=a&cursor=b", code: 400, message: "Give cursor only once."},
		{name: "service too long", query: "service=" + strings.Repeat("s", 101), code: 400,
			message: "A service name has at most 100 characters; got 101."},
		{name: "limit absurd", query: "limit=" + long, code: 400},
		{name: "query too long", query: "service=ledger&x=" + strings.Repeat("x", 3000), code: 400,
			message: "The query string is too long (at most 2048 bytes); drop some filters."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(d.logs.String())
			got := d.fixture.get(t, "/api/releases?"+tt.query)
			if got.Code != tt.code {
				t.Fatalf("status %d, want %d: %.300s", got.Code, tt.code, got.Raw)
			}
			if tt.code == 200 {
				return
			}
			msg, _ := got.Body["error"].(string)
			if len(got.Body) != 1 || !strings.HasSuffix(msg, ".") {
				t.Errorf("body %.300s, want {\"error\": a sentence}", got.Raw)
			}
			if tt.message != "" && msg != tt.message {
				t.Errorf("error %q, want %q", msg, tt.message)
			}
			if len(got.Raw) > 400 {
				t.Errorf("the answer is %d bytes; it echoes the input: %.300s", len(got.Raw), got.Raw)
			}
			if logged := d.logs.String()[before:]; strings.Contains(logged, "level=ERROR") {
				t.Errorf("a refused filter logged an ERROR:\n%.1000s", logged)
			}

			page := d.page(t, "/?"+tt.query)
			if page.Code != tt.code {
				t.Errorf("dashboard: status %d, want %d", page.Code, tt.code)
			}
			if tt.message != "" {
				mustContain(t, "dashboard", page.Body, strings.ReplaceAll(tt.message, `"`, "&#34;"))
			}
		})
	}

	t.Run("duplicates are dropped", func(t *testing.T) {
		page := d.page(t, "/?status=awaiting_signoff,awaiting_signoff&status=awaiting_signoff")
		if page.Code != 200 {
			t.Fatalf("status %d", page.Code)
		}
		mustContain(t, "dashboard", page.Body, `<option value="awaiting_signoff" selected>awaiting sign-off</option>`)
	})
}

// failing is a Releases whose every call fails with a very long error.
type failing struct{ err error }

func (f failing) Get(context.Context, int64) (*releases.Release, error) { return nil, f.err }
func (f failing) List(context.Context, releases.Filter) ([]releases.Release, error) {
	return nil, f.err
}
func (f failing) Audit(context.Context, int64) ([]releases.AuditEvent, error) { return nil, f.err }
func (f failing) Ping(context.Context) error                                  { return f.err }

// TestLogLinesBounded: whatever a request carries (a huge path, method or
// query) and however long an internal error's text is, every log line the
// web routes write stays below a fixed size.
func TestLogLinesBounded(t *testing.T) {
	gin.SetMode(gin.TestMode)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := gin.New()
	r.Use(web.RequestLog(log, nil))
	huge := errors.New("pq: " + strings.Repeat("SELECT * FROM releases WHERE status IN ($1, …) ", 10000))
	web.Register(r, web.Options{Releases: failing{err: huge}, Logger: log})
	// Without the request logger in front, the server's own logger is used.
	bare := gin.New()
	web.Register(bare, web.Options{Releases: failing{err: huge}, Logger: log})

	long := strings.Repeat("p", 100_000)
	requests := []struct {
		name    string
		handler http.Handler
		method  string
		target  string
	}{
		{name: "long path", handler: r, method: "GET", target: "/nowhere/" + long},
		{name: "long method", handler: r, method: strings.Repeat("M", 50_000), target: "/"},
		{name: "internal error, API", handler: r, method: "GET", target: "/api/releases"},
		{name: "internal error, page", handler: r, method: "GET", target: "/releases/R-1"},
		{name: "internal error, feed", handler: r, method: "GET", target: "/calendar.ics"},
		{name: "internal error, readiness", handler: r, method: "GET", target: "/readyz"},
		{name: "internal error, no request logger", handler: bare, method: "GET", target: "/api/releases/R-1"},
		{name: "40,000 statuses", handler: r, method: "GET", target: "/api/releases?" + manyStatuses()},
	}
	for _, rq := range requests {
		t.Run(rq.name, func(t *testing.T) {
			before := len(logs.String())
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Method = rq.method
			req.URL = &url.URL{Path: strings.SplitN(rq.target, "?", 2)[0]}
			if _, q, ok := strings.Cut(rq.target, "?"); ok {
				req.URL.RawQuery = q
			}
			rq.handler.ServeHTTP(httptest.NewRecorder(), req)
			logged := logs.String()[before:]
			if logged == "" {
				t.Fatal("nothing logged")
			}
			for _, line := range strings.Split(strings.TrimSuffix(logged, "\n"), "\n") {
				if len(line) > maxLogLine {
					t.Errorf("a log line of %d bytes (at most %d): %.200s…", len(line), maxLogLine, line)
				}
			}
		})
	}
}

// TestMetricsSeriesBounded: invented methods, paths and ids don't become
// new series of the HTTP metrics.
func TestMetricsSeriesBounded(t *testing.T) {
	gin.SetMode(gin.TestMode)
	m := metrics.New(metrics.Options{})
	r := gin.New()
	r.Use(web.RequestLog(nil, m))
	web.Register(r, web.Options{Releases: failing{err: releases.Errorf(releases.ENotFound, "There is no release.")},
		Metrics: m.Handler()})
	send := func(method, target string) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Method = method
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	for i := range 2000 {
		send(fmt.Sprintf("INVENTED%d", i), "/")
		send("GET", fmt.Sprintf("/made-up/%d", i))
		send("GET", fmt.Sprintf("/releases/R-%d", i))
		send("GET", fmt.Sprintf("/static/x%d.css", i))
		send(strings.ToLower("GET"), "/healthz")
	}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true,
		"DELETE": true, "OPTIONS": true, "other": true}
	for _, fam := range families {
		name := fam.GetName()
		if !strings.HasPrefix(name, "releasebot_http_") {
			continue
		}
		if n := len(fam.GetMetric()); n > 10 {
			t.Errorf("%s has %d series after 10,000 invented requests, want a handful", name, n)
		}
		for _, mt := range fam.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "method" && !allowed[l.GetValue()] {
					t.Fatalf("%s has method label %q", name, l.GetValue())
				}
			}
		}
	}
}
