package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
	"github.com/releasebot/releasebot/web"
)

// The scheduler's calendar is what serve hands the web routes.
var _ web.Calendar = (*scheduler.Calendar)(nil)

// dashboardYAML is the configuration of the dashboard tests: the people
// and teams of testPolicy, in Europe/Berlin, with a release train on
// Tuesdays and Thursdays at 14:00 and the year-end freeze.
const dashboardYAML = `
timezone: Europe/Berlin
release_managers: [U0RM1]
require_distinct_approver: true
users: {alice: U0ALICE, carol: U0CAROL, dave: U0DAVE, rita: U0RM1}
teams:
  - {name: payments, channel: C0PAY, leads: [U0ALICE]}
  - {name: risk, channel: C0RISK, leads: [U0CAROL]}
environments:
  - {name: staging, deploy: {url: "log:staging"}}
  - {name: production, deploy: {url: "log:production"}, promote: manual}
windows:
  - {name: weekly-train, schedule: "0 14 * * TUE,THU", duration: 2h}
freezes:
  - {name: year-end, start: "2026-12-20T00:00:00+01:00", end: "2027-01-04T00:00:00+01:00"}
`

// dashboard is a real SQLite store, the release service gated by the
// calendar of dashboardYAML, and every web route, with the request logger
// in front as `serve` has it.
type dashboard struct {
	*fixture
	cfg     *config.Config
	cal     *scheduler.Calendar
	opts    web.Options
	handler http.Handler
}

func newDashboard(t testing.TB, mutate func(*web.Options)) *dashboard {
	t.Helper()
	return newDashboardAt(t, "sqlite://"+filepath.Join(t.TempDir(), "t.db"), mutate)
}

func newDashboardAt(t testing.TB, databaseURL string, mutate func(*web.Options)) *dashboard {
	t.Helper()
	gin.SetMode(gin.TestMode)
	cfg, err := config.Parse("dashboard.yaml", []byte(dashboardYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	store := storetest.Open(t, databaseURL, clk.Now)
	cal := scheduler.NewCalendar(wire.Timetable(cfg), scheduler.WithFreezes(store))
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Gate: cal, Now: clk.Now})
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	policy := svc.Policy()
	opts := web.Options{
		Releases: svc, Logger: log, Calendar: cal, Freezes: store, Policy: policy,
		Location: cfg.Location, UserName: cfg.UserName, Now: clk.Now,
	}
	if mutate != nil {
		mutate(&opts)
	}
	r := gin.New()
	r.Use(web.RequestLog(log, nil))
	web.Register(r, opts)
	f := &fixture{store: store, svc: svc, clock: clk, handler: r, logs: logs}
	return &dashboard{fixture: f, cfg: cfg, cal: cal, opts: opts, handler: r}
}

// page is one answer of the dashboard.
type page struct {
	Code   int
	Header http.Header
	Body   string
}

func (d *dashboard) do(t testing.TB, req *http.Request) page {
	t.Helper()
	rec := httptest.NewRecorder()
	d.handler.ServeHTTP(rec, req)
	return page{Code: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

func (d *dashboard) page(t testing.TB, path string) page {
	t.Helper()
	return d.do(t, httptest.NewRequest(http.MethodGet, path, nil))
}

// mustContain fails t for each of want that body lacks.
func mustContain(t testing.TB, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func mustNotContain(t testing.TB, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s holds %q", what, w)
		}
	}
}

// seedStory gives the dashboard a little history, from the fixed clock
// (Tue 1 Dec 2026 10:02 UTC, 11:02 in Berlin), newest last:
//
//	R-1 ledger v1.0.0          deployed to staging and production
//	R-2 payments-api v2.3.0    deployed to staging and production
//	R-3 payments-api v2.4.0    deployed, then production rolled back (links to CI runs)
//	R-4 payments-api v2.5.0    signed off by payments only: awaiting sign-off
//	R-5 ledger v1.1.0          signed off, waits for the window weekly-train: ready
//	R-6 risk-engine v3.0.0     cancelled
//	R-7 ledger v1.2.0          scheduled for Thu 3 Dec 09:30 Berlin (--at): awaiting sign-off
//	R-8 payments-api v2.6.0    staging failed
func seedStory(t testing.TB, d *dashboard) {
	t.Helper()
	ctx := context.Background()
	must := mustRelease(t)
	step := func() { d.clock.Advance(time.Minute) }
	deploy := func(id int64, env string) *releases.Release {
		return must(d.svc.Deploy(ctx, rita, id, env, ""))
	}
	report := func(r *releases.Release, i int, st releases.DeploymentStatus, msg, url string) *releases.Release {
		d.markSent(t, r.Deployments[i].ID)
		return must(d.svc.ReportDeployment(ctx, "deployer", r.Deployments[i].ID, releases.StatusReport{Status: st, Message: msg, URL: url}))
	}
	signAll := func(id int64) *releases.Release {
		must(d.svc.SignOff(ctx, alice, id, "payments"))
		step()
		return must(d.svc.SignOff(ctx, carol, id, "risk"))
	}

	// ledger all the way.
	r1 := must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "ledger", Version: "v1.0.0"}))
	step()
	r1 = signAll(r1.ID)
	step()
	r1 = report(r1, 0, releases.DeploymentSucceeded, "", "")
	r1 = deploy(r1.ID, "production")
	step()
	report(r1, 1, releases.DeploymentSucceeded, "", "")

	// payments-api v2.4.0 over an earlier version, deployed, then rolled back.
	r0 := must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: "v2.3.0"}))
	r0 = signAll(r0.ID)
	r0 = report(r0, 0, releases.DeploymentSucceeded, "", "")
	r0 = deploy(r0.ID, "production")
	report(r0, 1, releases.DeploymentSucceeded, "", "")
	step()
	r2 := must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: "v2.4.0", Notes: "SEPA instant payouts"}))
	step()
	r2 = signAll(r2.ID)
	step()
	r2 = report(r2, 0, releases.DeploymentInProgress, "rolling out", "")
	step()
	r2 = report(r2, 0, releases.DeploymentSucceeded, "rolled out 3/3 pods", "https://ci.example.com/runs/7")
	step()
	r2 = deploy(r2.ID, "production")
	step()
	r2 = report(r2, 1, releases.DeploymentSucceeded, "", "https://ci.example.com/runs/8")
	step()
	r2 = must(d.svc.Rollback(ctx, rita, r2.ID, "production", "error rate up"))
	step()
	report(r2, 2, releases.DeploymentSucceeded, "back on v2.3.0", "https://ci.example.com/runs/9")

	// half signed off.
	step()
	r3 := must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: "v2.5.0"}))
	must(d.svc.SignOff(ctx, alice, r3.ID, "payments"))

	// ready, waits for the train.
	step()
	r4 := must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "ledger", Version: "v1.1.0", Window: "weekly-train"}))
	signAll(r4.ID)

	// cancelled.
	step()
	r5 := must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "risk-engine", Version: "v3.0.0"}))
	must(d.svc.Cancel(ctx, dave, r5.ID, "superseded by v3.0.1"))

	// scheduled for a time.
	step()
	berlin := d.cfg.Location
	must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "ledger", Version: "v1.2.0",
		StartAt: time.Date(2026, 12, 3, 9, 30, 0, 0, berlin)}))

	// staging failed.
	step()
	r7 := must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: "v2.6.0"}))
	r7 = signAll(r7.ID)
	report(r7, 0, releases.DeploymentFailed, "migration 42 failed", "https://ci.example.com/runs/10")
}
