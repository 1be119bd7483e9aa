package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// HTTPRecorder hears of every answered request; *metrics.Metrics is one.
type HTTPRecorder interface {
	HTTPRequest(method, route string, status int, d time.Duration)
}

// RequestIDHeader carries a request's id in and out.
const RequestIDHeader = "X-Request-Id"

type ctxKey int

// requestKey holds a request's *requestInfo.
const requestKey ctxKey = 0

// requestInfo is what RequestLog keeps in a request's context: its id,
// and the server's logger, from which the request's own is made when a
// handler first asks for it (most never do).
type requestInfo struct {
	log  *slog.Logger
	id   string
	once sync.Once
	with *slog.Logger
}

// logger is the request's logger: the server's, with its request_id.
func (r *requestInfo) logger() *slog.Logger {
	r.once.Do(func() { r.with = r.log.With("request_id", r.id) })
	return r.with
}

// RequestLog returns the middleware that every route of `serve` should run
// first (router.Use before any route is added). It gives each request an
// id — the caller's X-Request-Id when it is a sane token, a new random one
// otherwise — echoes it in the answer, puts a logger carrying it in the
// request's context (LoggerFrom), recovers panics as 500 "Internal error",
// and logs one line per request: method, path, route, status, duration.
//
// It never logs the query string, which may hold the dashboard token, nor
// any header. Every value it logs, and every value logged through the
// request's logger, is cut to MaxLogValue bytes, so a long path, an
// invented method or a long error can't make a line of unbounded size.
// Health checks and scrapes that succeed are logged at debug level, so
// probes don't drown the log. rec may be nil.
func RequestLog(log *slog.Logger, rec HTTPRecorder) gin.HandlerFunc {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = boundLogger(log)
	return func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Header(RequestIDHeader, id)
		req := &requestInfo{log: log, id: id}
		ctx := context.WithValue(c.Request.Context(), requestKey, req)
		c.Request = c.Request.WithContext(ctx)

		defer func() {
			if p := recover(); p != nil {
				if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(p) // the server's own way to abort a response
				}
				req.logger().ErrorContext(ctx, "panic serving request", "method", c.Request.Method,
					"path", c.Request.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !c.Writer.Written() {
					c.Header("Content-Type", "text/plain; charset=utf-8")
					c.String(http.StatusInternalServerError, "Internal error (request %s).\n", id)
				}
				c.Abort()
			}
			end := time.Now()
			d := end.Sub(start)
			status, route := c.Writer.Status(), c.FullPath()
			level := slog.LevelInfo
			switch {
			case status >= 500:
				level = slog.LevelError
			case status < 400 && quietRoutes[route]:
				level = slog.LevelDebug
			}
			// The same line as through req.logger(), without making that
			// logger for every request, and the record made here rather
			// than by LogAttrs, which would read the clock and the
			// caller's frame again.
			if h := log.Handler(); h.Enabled(ctx, level) {
				r := slog.NewRecord(end, level, "http request", accessLogPC())
				r.AddAttrs(slog.String("request_id", id), slog.String("method", c.Request.Method),
					slog.String("path", c.Request.URL.Path), slog.String("route", route), slog.Int("status", status),
					slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.Int("bytes", c.Writer.Size()))
				_ = h.Handle(ctx, r)
			}
			if rec != nil {
				rec.HTTPRequest(c.Request.Method, route, status, d)
			}
		}()
		c.Next()
	}
}

// accessPC is the frame that a handler adding the source names for the
// access line, as LogAttrs would give it: found at the first line rather
// than for every request.
var accessPC atomic.Uintptr

// accessLogPC returns accessPC, finding it in its caller's frame first.
func accessLogPC() uintptr {
	if pc := accessPC.Load(); pc != 0 {
		return pc
	}
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:]) // skip runtime.Callers and accessLogPC
	accessPC.Store(pcs[0])
	return pcs[0]
}

// quietRoutes are polled by machines; their successes are logged at debug.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/static/*file": true}

// validRequestID accepts ids of 1–128 characters from a safe alphabet, so
// a caller can't forge log lines or stuff the log.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == ':':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// LoggerFrom returns the request's logger (with its request_id) that
// RequestLog put in ctx, or fallback when there is none.
func LoggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if r, ok := ctx.Value(requestKey).(*requestInfo); ok {
		return r.logger()
	}
	return fallback
}

// RequestID returns the id RequestLog gave the request, or "".
func RequestID(ctx context.Context) string {
	if r, ok := ctx.Value(requestKey).(*requestInfo); ok {
		return r.id
	}
	return ""
}

// logger is the request's logger, or the server's.
func (s *Server) logger(c *gin.Context) *slog.Logger {
	return LoggerFrom(c.Request.Context(), s.log)
}
