package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/web"
)

// The dashboard must answer within 100 ms server-side for a list over
// 10,000 releases and for a release with 200 audit events. These
// benchmarks time the whole handler (queries and template) on SQLite,
// and on PostgreSQL when TEST_DATABASE_URL is set:
//
//	go test -run '^$' -bench 'ListPage|ReleasePage' -benchtime 200x ./web/

const benchReleases = 10_000

// seedMany inserts n releases straight through the store, in one
// transaction (storetest.SeedReleases); the newest 20 are still moving.
func seedMany(b *testing.B, d *dashboard, n int) {
	b.Helper()
	if err := storetest.SeedReleases(context.Background(), d.store, n, 20, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		b.Fatalf("seed: %v", err)
	}
}

// get serves path once and fails b unless it answers 200.
func (d *dashboard) bench(b *testing.B, path string) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		d.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d\n%s", path, rec.Code, rec.Body)
		}
	}
}

func BenchmarkListPage(b *testing.B) {
	for _, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			d := newDashboardAt(b, db.URL(b), nil)
			start := time.Now()
			seedMany(b, d, benchReleases)
			b.Logf("seeded %d releases in %v", benchReleases, time.Since(start).Round(time.Millisecond))
			deep := cursor(fmt.Sprintf("before:%d", benchReleases/2))
			for _, bc := range []struct{ name, path string }{
				{"newest", "/"},
				{"rare status", "/?status=failed"},
				{"common status", "/?status=deployed"},
				{"service", "/?service=svc-07"},
				{"status+service", "/?status=deployed&service=svc-07"},
				{"active", "/?status=awaiting_signoff,ready,deploying,awaiting_promotion"},
				{"deep cursor", "/?cursor=" + deep},
				{"200 per page", "/?limit=200"},
				{"api", "/api/releases?limit=50"},
			} {
				b.Run(strings.ReplaceAll(bc.name, " ", "_"), func(b *testing.B) { d.bench(b, bc.path) })
			}
		})
	}
}

func BenchmarkReleasePage(b *testing.B) {
	for _, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			d := newDashboardAt(b, db.URL(b), nil)
			seedMany(b, d, 1000)
			ctx := context.Background()
			must := mustRelease(b)
			r := must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: "v9.0.0", Notes: "busy"}))
			must(d.svc.SignOff(ctx, alice, r.ID, "payments"))
			r = must(d.svc.SignOff(ctx, carol, r.ID, "risk"))
			d.markSent(b, r.Deployments[0].ID)
			r = must(d.svc.ReportDeployment(ctx, "deployer", r.Deployments[0].ID, releases.StatusReport{Status: releases.DeploymentSucceeded, URL: "https://ci.example.com/runs/1"}))
			err := d.store.Tx(ctx, func(tx releases.Tx) error {
				events, err := tx.AuditEvents(ctx, r.ID)
				if err != nil {
					return err
				}
				for i := len(events); i < 200; i++ {
					e := &releases.AuditEvent{ReleaseID: r.ID, At: d.clock.Now().Add(time.Duration(i) * time.Second),
						Actor: alice, Action: releases.ActionDeploymentStatus, Detail: fmt.Sprintf("D-1 progress %d: rolling out pod %d of 200", i, i)}
					if err := tx.AddAudit(ctx, e); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if events, _ := d.svc.Audit(ctx, r.ID); len(events) != 200 {
				b.Fatalf("%d audit events, want 200", len(events))
			}
			b.Run("200_audit_events", func(b *testing.B) { d.bench(b, "/releases/"+releases.FormatID(r.ID)) })
			b.Run("api", func(b *testing.B) { d.bench(b, "/api/releases/"+releases.FormatID(r.ID)) })
			b.Run("windows", func(b *testing.B) { d.bench(b, "/windows") })
			b.Run("calendar.ics", func(b *testing.B) { d.bench(b, "/calendar.ics") })
		})
	}
}

// BenchmarkRequestLog measures what RequestLog adds to a request that
// answers at once: the id, the access line as serve writes it (JSON to a
// file) and the metrics.
//
//	go test ./web -run '^$' -bench RequestLog -count 5
func BenchmarkRequestLog(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "serve.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	log := slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo}))
	gin.SetMode(gin.ReleaseMode)
	defer gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(web.RequestLog(log, metrics.New(metrics.Options{})))
	r.POST("/slack/commands", func(c *gin.Context) { c.Status(http.StatusOK) })
	req := httptest.NewRequest(http.MethodPost, "/slack/commands", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("HTTP %d", w.Code)
		}
	}
}
