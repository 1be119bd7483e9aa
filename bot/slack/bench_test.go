package slack_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack"
	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/internal/logbuf"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
	"github.com/releasebot/releasebot/web"
)

// concurrency is how many slash commands are in flight at once.
const concurrency = 8

// BenchmarkSlashCommand measures the slash-command handler — signature
// check, parsing, the release service on a real SQLite file, the answer —
// with 8 signed requests in flight at a time, and reports the latency of
// one request at the 50th and 99th percentile (target: p99 < 50 ms).
//
//	go test ./bot/ -run '^$' -bench SlashCommand -benchtime 2000x
func BenchmarkSlashCommand(b *testing.B) {
	h := newHarness(b, "sqlite://"+filepath.Join(b.TempDir(), "bench.db"))
	if r := h.command(dave, relChan, createText); !strings.HasPrefix(r.Text, "Opened R-1") {
		b.Fatalf("seed: %q", r.Text)
	}
	var version atomic.Int64
	for _, bc := range []struct {
		name string
		text func() string
		want string
	}{
		{name: "status", text: func() string { return "status R-1" }, want: "*R-1 · payments-api v2.4.0*"},
		{name: "create", text: func() string { return fmt.Sprintf("create bench-api v1.0.%d", version.Add(1)) }, want: "Opened R-"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			latencies := make([]time.Duration, b.N)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range concurrency {
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						// Build and sign outside the measured time: that is
						// Slack's work, not ours.
						req := h.signer.New("", slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: bc.text(),
							ResponseURL: "https://hooks.slack.com/commands/1/2"}.Request())
						start := time.Now()
						w := h.serve(req)
						latencies[i] = time.Since(start)
						if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), bc.want) {
							b.Errorf("HTTP %d %.200s", w.Code, w.Body)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}

// BenchmarkStatusStack measures one signed `/release status R-1` through
// the handler stack serve runs: gin in release mode, web.RequestLog writing
// its JSON line to a file (held and written out in batches, as serve does)
// and counting the request in metrics, the Slack
// adapter's signature check and form parsing, the bot, and the answer's
// JSON. The release is read from the coordinator's cache, as it is under
// load. Requests are built and signed before the loop: that is Slack's work.
//
//	go test ./bot/slack -run '^$' -bench StatusStack -count 5
func BenchmarkStatusStack(b *testing.B) {
	for _, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			h := newHarness(b, db.URL(b))
			if r := h.command(dave, relChan, createText); !strings.HasPrefix(r.Text, "Opened R-1") {
				b.Fatalf("seed: %q", r.Text)
			}
			handler := h.serveStack(b)
			form := slacktest.SlashCommand{UserID: dave, UserName: "dave", ChannelID: relChan, ChannelName: "releases",
				Text: "status R-1", ResponseURL: "https://hooks.slack.com/commands/1/2"}.Request()
			signed := h.signer.New("", form)
			const want = "*R-1 · payments-api v2.4.0*"
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for b.Loop() {
				req := signed.Clone(context.Background())
				req.Body = io.NopCloser(bytes.NewReader(form.Body))
				w := deadlineRecorder{httptest.NewRecorder()}
				handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), want) {
					b.Fatalf("HTTP %d %.300s", w.Code, w.Body)
				}
			}
			// CPU time, unlike ns/op, is not inflated by other processes
			// waiting for the same cores.
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// deadlineRecorder takes read deadlines, as net/http's connections do:
// verify sets one, and a recorder's refusal would cost an error that a
// served request does not.
type deadlineRecorder struct{ *httptest.ResponseRecorder }

func (deadlineRecorder) SetReadDeadline(time.Time) error { return nil }

// serveStack is the router serve builds around the Slack endpoints, on h's
// store and configuration, logging as serve does to a file.
func (h *harness) serveStack(b *testing.B) http.Handler {
	f, err := os.Create(filepath.Join(b.TempDir(), "serve.log"))
	if err != nil {
		b.Fatal(err)
	}
	logs := logbuf.New(f) // as serve holds its lines
	b.Cleanup(func() { logs.Close(); f.Close() })
	log := slog.New(logbuf.FlushAt(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}), logs, slog.LevelWarn))
	m := metrics.New(metrics.Options{})
	cal := scheduler.NewCalendar(wire.Timetable(h.cfg))
	bt := bot.New(bot.Options{Coordinator: h.svc, Now: h.svc.Now, Posts: h.store, Settings: wire.Bot(h.cfg), Calendar: cal, Logger: log, Metrics: m})
	s := slack.NewSlack(slack.SlackOptions{Bot: bt, Chat: slack.NewSlackChat(token, h.slack.URL+"/", nil), Claims: h.store,
		SigningSecret: secret, Now: h.clock.Now, Logger: log})
	gin.SetMode(gin.ReleaseMode)
	defer gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(web.RequestLog(log, m))
	s.Register(r)
	return r
}
