package web_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/web"
)

// recorder is an HTTPRecorder that remembers what it heard.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) HTTPRequest(method, route string, status int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, method+" "+route+" "+http.StatusText(status))
}

func TestRequestLog(t *testing.T) {
	gin.SetMode(gin.TestMode)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &recorder{}
	r := gin.New()
	r.Use(web.RequestLog(log, rec))
	r.GET("/releases/:id", func(c *gin.Context) {
		// Handlers find the request's logger in the context.
		web.LoggerFrom(c.Request.Context(), nil).Info("inside the handler")
		c.String(http.StatusOK, "ok %s", web.RequestID(c.Request.Context()))
	})
	r.GET("/boom", func(*gin.Context) { panic("kaboom") })
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })

	get := func(path, id string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	hexID := regexp.MustCompile(`^[0-9a-f]{24}$`)

	tests := []struct {
		name   string
		id     string
		wantID func(string) bool
	}{
		{name: "the caller's id", id: "abc-123.X_9:z", wantID: func(s string) bool { return s == "abc-123.X_9:z" }},
		{name: "none: a new one", id: "", wantID: hexID.MatchString},
		{name: "forged log line: a new one", id: "x\" level=ERROR msg=\"owned", wantID: hexID.MatchString},
		{name: "too long: a new one", id: strings.Repeat("a", 129), wantID: hexID.MatchString},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get("/releases/R-1?token=s3cret&status=ready", tt.id)
			id := w.Header().Get("X-Request-Id")
			if !tt.wantID(id) {
				t.Errorf("X-Request-Id %q", id)
			}
			if w.Body.String() != "ok "+id {
				t.Errorf("the handler saw request id %q, want %q", w.Body.String(), "ok "+id)
			}
			logged := logs.String()
			for _, want := range []string{
				`msg="inside the handler" request_id=` + id,
				`msg="http request" request_id=` + id + ` method=GET path=/releases/R-1 route=/releases/:id status=200 duration_ms=`,
			} {
				if !strings.Contains(logged, want) {
					t.Errorf("log lacks %q:\n%s", want, logged)
				}
			}
		})
	}

	t.Run("no query string in the log", func(t *testing.T) {
		if logged := logs.String(); strings.Contains(logged, "s3cret") || strings.Contains(logged, "status=ready") {
			t.Errorf("the log holds the query string:\n%s", logged)
		}
	})

	t.Run("panic", func(t *testing.T) {
		w := get("/boom", "req-1")
		if w.Code != http.StatusInternalServerError || w.Body.String() != "Internal error (request req-1).\n" {
			t.Errorf("panic answered %d %q", w.Code, w.Body)
		}
		logged := logs.String()
		for _, want := range []string{`level=ERROR msg="panic serving request" request_id=req-1`, "panic=kaboom",
			`level=ERROR msg="http request" request_id=req-1 method=GET path=/boom route=/boom status=500`} {
			if !strings.Contains(logged, want) {
				t.Errorf("log lacks %q", want)
			}
		}
	})

	t.Run("probes log at debug", func(t *testing.T) {
		get("/healthz", "probe-1")
		if !strings.Contains(logs.String(), `level=DEBUG msg="http request" request_id=probe-1`) {
			t.Errorf("a successful probe is not at debug level:\n%s", logs)
		}
	})

	t.Run("metrics hear the route, not the path", func(t *testing.T) {
		get("/nowhere", "")
		rec.mu.Lock()
		defer rec.mu.Unlock()
		joined := strings.Join(rec.seen, "\n")
		for _, want := range []string{"GET /releases/:id OK", "GET /boom Internal Server Error", "GET  Not Found"} {
			if !strings.Contains(joined, want) {
				t.Errorf("recorder lacks %q:\n%s", want, joined)
			}
		}
	})
}

// The access line is made without LogAttrs; a handler that adds the source
// still names RequestLog, on every line, not the first alone.
func TestRequestLogSource(t *testing.T) {
	gin.SetMode(gin.TestMode)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{AddSource: true}))
	r := gin.New()
	r.Use(web.RequestLog(log, nil))
	r.GET("/x", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	for range 2 {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), logs)
	}
	for _, line := range lines {
		var l struct {
			Msg    string `json:"msg"`
			Source struct {
				Function, File string
			} `json:"source"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l.Msg != "http request" || !strings.HasPrefix(l.Source.Function, "github.com/releasebot/releasebot/web.RequestLog") ||
			!strings.HasSuffix(l.Source.File, "web/reqlog.go") {
			t.Errorf("access line's source: %s", line)
		}
	}
}
