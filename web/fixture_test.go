package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/internal/syncbuf"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/web"
)

// People of the test policy.
const (
	alice = "U0ALICE" // payments lead
	carol = "U0CAROL" // risk lead
	dave  = "U0DAVE"  // an engineer
	rita  = "U0RM1"   // release manager
)

func testPolicy() releases.Policy {
	return releases.Policy{
		ReleaseManagers:         []string{rita},
		RequireDistinctApprover: true,
		Teams: []releases.Team{
			{Name: "payments", Leads: []string{alice}, Approvals: 1},
			{Name: "risk", Leads: []string{carol}, Approvals: 1},
		},
		Environments: []releases.Environment{{Name: "staging"}, {Name: "production", Manual: true}},
		Windows:      []string{"weekly-train"},
	}
}

func newClock() *clock {
	return testclock.New(time.Date(2026, 12, 1, 10, 2, 3, 456789000, time.UTC))
}

// fixture is a real SQLite store and service behind the web routes.
type fixture struct {
	store   *gormstore.Store
	svc     *releases.Coordinator
	clock   *clock
	handler http.Handler
	logs    *syncBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	clk := newClock()
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "t.db"), clk.Now)
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: testPolicy(), Now: clk.Now})
	logs := &syncBuffer{}
	r := gin.New()
	web.Register(r, web.Options{Releases: svc, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	return &fixture{store: store, svc: svc, clock: clk, handler: r, logs: logs}
}

// markSent marks deployment id as sent to its deployer: only then does
// it take the deployer's status.
func (f *fixture) markSent(t testing.TB, id int64) {
	t.Helper()
	if err := storetest.MarkSent(context.Background(), f.store, id); err != nil {
		t.Fatal(err)
	}
}

// create opens a release of service at version by dave, for every team
// and environment.
func (f *fixture) create(t *testing.T, service, version string) *releases.Release {
	t.Helper()
	return mustRelease(t)(f.svc.Create(context.Background(), dave, releases.CreateInput{Service: service, Version: version}))
}

// signOffAll has every team sign r off, which starts its first deployment.
func (f *fixture) signOffAll(t *testing.T, id int64) *releases.Release {
	t.Helper()
	must := mustRelease(t)
	must(f.svc.SignOff(context.Background(), alice, id, "payments"))
	return must(f.svc.SignOff(context.Background(), carol, id, "risk"))
}

// mustRelease returns a function that fails t on a Coordinator call's error
// and otherwise passes its release on.
func mustRelease(t testing.TB) func(*releases.Release, error) *releases.Release {
	return func(r *releases.Release, err error) *releases.Release {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return r
	}
}

// response is one answer of the routes, its body decoded.
type response struct {
	Code        int
	ContentType string
	Body        map[string]any
	Raw         string
}

func (f *fixture) get(t *testing.T, path string) response {
	t.Helper()
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := response{Code: rec.Code, ContentType: rec.Header().Get("Content-Type"), Raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &res.Body); err != nil {
		t.Fatalf("GET %s: %d, body is not a JSON object: %v\n%s", path, rec.Code, err, rec.Body)
	}
	if res.ContentType != "application/json; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q, want application/json; charset=utf-8", path, res.ContentType)
	}
	return res
}

// decode turns a JSON literal into what a decoded answer looks like.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON: %v", err)
	}
	return m
}

// ids lists the "id" of each release in a list answer.
func ids(t *testing.T, body map[string]any) []string {
	t.Helper()
	list, ok := body["releases"].([]any)
	if !ok {
		t.Fatalf("releases is %T, want a list: %v", body["releases"], body)
	}
	out := []string{}
	for _, item := range list {
		out = append(out, item.(map[string]any)["id"].(string))
	}
	return out
}

type clock = testclock.Clock

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer = syncbuf.Buffer
