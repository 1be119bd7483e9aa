package slack_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
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
