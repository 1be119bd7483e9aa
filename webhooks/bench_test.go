package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

// BenchmarkSignOffToFirstWebhook measures, for a release without a window,
// the time from the call of the last sign-off to the first webhook request
// arriving at the deployer, with the worker's Run loop as serve runs it.
// It reports the median and the 99th percentile (target: p99 < 100 ms).
func BenchmarkSignOffToFirstWebhook(b *testing.B) {
	for _, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			s := storetest.Open(b, db.URL(b), nil)
			arrived := make(chan time.Time, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived <- time.Now()
				w.WriteHeader(http.StatusOK)
				fmt.Fprint(w, `{"status": "succeeded"}`)
			}))
			defer srv.Close()
			cfg := &config.Config{
				RequireDistinctApprover: true,
				Teams:                   []config.Team{{Name: "payments", Channel: "C0PAY", Leads: []string{alice}, Approvals: 1}},
				Environments: []config.Environment{{Name: "staging", Promote: config.PromoteAuto, Deploy: config.Deploy{
					URL: srv.URL, Secret: stagingSecret, Timeout: 10 * time.Second, Retries: 8, Backoff: 2 * time.Second, FinishWithin: 30 * time.Minute}}},
			}
			svc := releases.NewCoordinator(releases.Options{Store: s, Policy: cfg.Policy()})
			w := webhooks.NewWorker(webhooks.Options{Store: s, Reporter: svc, Environments: resolve(b, cfg.Environments, webhooks.Deps{}), PublicURL: publicURL})
			svc.AddNotifier(w)
			deployed := make(chan struct{}, 1)
			svc.AddNotifier(releases.NotifierFunc(func(_ context.Context, c releases.Change) {
				if c.Release.Status == releases.StatusDeployed {
					deployed <- struct{}{}
				}
			}))
			run, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); w.Run(run, time.Minute) }()
			defer func() { stop(); <-done }()

			latencies := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				r, err := svc.Create(context.Background(), dave, releases.CreateInput{Service: fmt.Sprintf("svc-%d", i), Version: "v1"})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				if _, err := svc.SignOff(context.Background(), alice, r.ID, "payments"); err != nil {
					b.Fatal(err)
				}
				at := <-arrived
				b.StopTimer()
				latencies = append(latencies, at.Sub(start))
				<-deployed // let the outcome be recorded before the next round
				b.StartTimer()
			}
			b.StopTimer()
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				i := min(int(float64(len(latencies))*p), len(latencies)-1)
				return float64(latencies[i].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(pct(1), "max-ms")
		})
	}
}
