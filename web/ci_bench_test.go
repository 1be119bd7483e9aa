package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases/storetest"
)

// BenchmarkCICreatePostgres measures POST /api/releases with a scoped
// token on PostgreSQL at concurrency 8 (SetParallelism × GOMAXPROCS),
// every create a new release with its audit events (chained) and the
// token's use audited; it reports the p99 latency. Run:
//
//	TEST_DATABASE_URL=postgres://… go test -run '^$' -bench CICreatePostgres -benchtime 2000x ./web/
func BenchmarkCICreatePostgres(b *testing.B) {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		b.Skip("TEST_DATABASE_URL is not set")
	}
	f := newCIFixtureQuota(b, storetest.PostgresSchemaURL(b, base), 0)
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	procs := max(1, 8/runtime.GOMAXPROCS(0))
	b.SetParallelism(procs)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"service": "ledger", "version": "v1.%d", "digest": "sha256:%064x", "idempotency_key": "run-%d"}`, i, i, i)
			req := httptest.NewRequest(http.MethodPost, "/api/releases", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+f.token)
			rec := httptest.NewRecorder()
			start := time.Now()
			f.handler.ServeHTTP(rec, req)
			mine = append(mine, time.Since(start))
			if rec.Code != http.StatusCreated {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	}
}
