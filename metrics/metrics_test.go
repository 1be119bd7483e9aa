package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
)

// fakeSource answers the database gauges from fields.
type fakeSource struct {
	releases map[releases.Status]int
	inFlight map[releases.DeploymentStatus]int
	outbox   int
	awaiting []releases.Release // newest first
	err      error
}

func (f *fakeSource) CountReleases(context.Context) (map[releases.Status]int, error) {
	return f.releases, f.err
}

func (f *fakeSource) CountInFlight(context.Context) (map[releases.DeploymentStatus]int, error) {
	return f.inFlight, f.err
}

func (f *fakeSource) PendingOutbox(context.Context) (int, error) { return f.outbox, f.err }

func (f *fakeSource) Releases(_ context.Context, flt releases.Filter) ([]releases.Release, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []releases.Release
	for _, r := range f.awaiting {
		if (flt.Before == 0 || r.ID < flt.Before) && len(out) < flt.Limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func policy() *releases.Policy {
	return &releases.Policy{Teams: []releases.Team{
		{Name: "payments", Leads: []string{"U0ALICE"}, Approvals: 1},
		{Name: "risk", Leads: []string{"U0CAROL"}, Approvals: 2},
		{Name: "infra", Leads: []string{"U0IVY"}, Approvals: 1},
	}}
}

// scrape serves m's handler once and returns the text exposition.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d\n%s", res.StatusCode, body)
	}
	return string(body)
}

func mustHave(t *testing.T, text string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(text, "\n"+l+"\n") {
			t.Errorf("the scrape lacks the line %q", l)
		}
	}
}

func TestRecorders(t *testing.T) {
	m := metrics.New(metrics.Options{Version: "v1.2.3", Commit: "abc123"})
	m.CommandHandled("create", metrics.OK)
	m.CommandHandled("create", metrics.OK)
	m.CommandHandled("deploy", metrics.CommandOutcome(releases.Errorf(releases.EConflict, "Not now.")))
	m.CommandHandled("", metrics.Usage)
	m.SlackCall("chat.postMessage", metrics.OK)
	m.SlackCall("chat.update", metrics.RateLimited)
	m.SlackCall("chat.update", metrics.Error)
	m.WebhookAttempt("staging", metrics.Accepted, 120*time.Millisecond)
	m.WebhookAttempt("production", metrics.Retry, 3*time.Second)
	m.HTTPRequest("GET", "/releases/:id", 200, 8*time.Millisecond)
	m.HTTPRequest("GET", "", 404, time.Millisecond)

	text := scrape(t, m)
	mustHave(t, text,
		`releasebot_commands_total{command="create",outcome="ok"} 2`,
		`releasebot_commands_total{command="deploy",outcome="conflict"} 1`,
		`releasebot_commands_total{command="unknown",outcome="usage"} 1`,
		`releasebot_slack_api_calls_total{method="chat.postMessage",outcome="ok"} 1`,
		`releasebot_slack_api_calls_total{method="chat.update",outcome="rate_limited"} 1`,
		`releasebot_slack_api_calls_total{method="chat.update",outcome="error"} 1`,
		`releasebot_slack_rate_limited_total{method="chat.update"} 1`,
		`releasebot_webhook_attempts_total{environment="staging",outcome="accepted"} 1`,
		`releasebot_webhook_attempts_total{environment="production",outcome="retry"} 1`,
		`releasebot_webhook_delivery_duration_seconds_bucket{environment="staging",le="0.25"} 1`,
		`releasebot_webhook_delivery_duration_seconds_bucket{environment="production",le="2.5"} 0`,
		`releasebot_webhook_delivery_duration_seconds_count{environment="production"} 1`,
		`releasebot_http_requests_total{code="200",method="GET",route="/releases/:id"} 1`,
		`releasebot_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
	)
	if !strings.Contains(text, `releasebot_build_info{commit="abc123",goversion="go`) {
		t.Error("no build info")
	}
	for _, family := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(text, "\n"+family+" ") {
			t.Errorf("the runtime collectors are missing %s", family)
		}
	}
	if problems, err := testutil.GatherAndLint(m.Registry()); err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %v", problems, err)
	}
}

// TestRegistriesAreSeparate: two Metrics in one process don't share or
// collide (no global registry).
func TestRegistriesAreSeparate(t *testing.T) {
	a, b := metrics.New(metrics.Options{}), metrics.New(metrics.Options{})
	a.CommandHandled("create", metrics.OK)
	if strings.Contains(scrape(t, b), "releasebot_commands_total{") {
		t.Error("b sees a's command")
	}
}

func TestNilMetrics(t *testing.T) {
	var m *metrics.Metrics
	m.CommandHandled("create", metrics.OK)
	m.SlackCall("chat.update", metrics.RateLimited)
	m.WebhookAttempt("staging", metrics.Accepted, time.Second)
	m.HTTPRequest("GET", "/", 200, time.Millisecond)
}

func TestCommandOutcome(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "nil", err: nil, want: metrics.OK},
		{name: "invalid", err: releases.Errorf(releases.EInvalid, "x"), want: metrics.Invalid},
		{name: "not found", err: releases.Errorf(releases.ENotFound, "x"), want: metrics.NotFound},
		{name: "conflict", err: fmt.Errorf("wrapped: %w", releases.Errorf(releases.EConflict, "x")), want: metrics.Conflict},
		{name: "forbidden", err: releases.Errorf(releases.EForbidden, "x"), want: metrics.Forbidden},
		{name: "too many", err: releases.Errorf(releases.ETooMany, "x"), want: metrics.TooMany},
		{name: "internal", err: errors.New("dial tcp: refused"), want: metrics.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metrics.CommandOutcome(tt.err); got != tt.want {
				t.Errorf("CommandOutcome(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestDatabaseGauges(t *testing.T) {
	// Three releases await sign-off: payments owes one, risk (2 needed)
	// owes all three, infra is not asked.
	awaiting := []releases.Release{
		{ID: 9, Teams: []string{"payments", "risk"}, SignOffs: []releases.SignOff{
			{Team: "risk", User: "U0CAROL", Decision: releases.Approved}}},
		{ID: 7, Teams: []string{"payments", "risk"}, SignOffs: []releases.SignOff{
			{Team: "payments", User: "U0ALICE", Decision: releases.Approved}}},
		{ID: 4, Teams: []string{"risk"}},
	}
	src := &fakeSource{
		releases: map[releases.Status]int{releases.StatusDeployed: 3, releases.StatusAwaitingSignoff: 3},
		inFlight: map[releases.DeploymentStatus]int{releases.DeploymentPending: 2},
		outbox:   4,
		awaiting: awaiting,
	}
	m := metrics.New(metrics.Options{Source: src, Policy: policy()})
	text := scrape(t, m)
	mustHave(t, text,
		`releasebot_releases{status="deployed"} 3`,
		`releasebot_releases{status="awaiting_signoff"} 3`,
		`releasebot_releases{status="cancelled"} 0`,
		`releasebot_signoffs_pending{team="payments"} 1`,
		`releasebot_signoffs_pending{team="risk"} 3`,
		`releasebot_signoffs_pending{team="infra"} 0`,
		`releasebot_chat_outbox_pending 4`,
		`releasebot_deployments_pending 2`,
		`releasebot_deployments_in_progress 0`,
		`releasebot_database_stats_up 1`,
	)
	if problems, err := testutil.GatherAndLint(m.Registry()); err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %v", problems, err)
	}

	t.Run("database down", func(t *testing.T) {
		src.err = errors.New("database is closed")
		text := scrape(t, m) // still 200: the rest of the metrics are served
		mustHave(t, text, `releasebot_database_stats_up 0`)
		if strings.Contains(text, "releasebot_releases{") {
			t.Error("gauges were reported although their query failed")
		}
	})
}

// TestSignoffScanPages: more releases await sign-off than one page holds.
func TestSignoffScanPages(t *testing.T) {
	var awaiting []releases.Release
	for id := int64(450); id > 0; id-- {
		awaiting = append(awaiting, releases.Release{ID: id, Teams: []string{"payments"}})
	}
	m := metrics.New(metrics.Options{Source: &fakeSource{awaiting: awaiting}, Policy: policy()})
	mustHave(t, scrape(t, m), `releasebot_signoffs_pending{team="payments"} 450`)
}

// TestHTTPLabelsBounded: the labels of the HTTP metrics come from a fixed
// set whatever a client sends, so invented methods or status codes cannot
// grow the registry.
func TestHTTPLabelsBounded(t *testing.T) {
	m := metrics.New(metrics.Options{})
	for i := range 5000 {
		m.HTTPRequest(fmt.Sprintf("INVENTED%d", i), "", 404, time.Millisecond)
		m.HTTPRequest("get", "/", 200, time.Millisecond)
		m.HTTPRequest("GET", "/", 1000+i, time.Millisecond)
	}
	m.HTTPRequest("GET", "/", 200, time.Millisecond)
	m.HTTPRequest("DELETE", "/", 204, time.Millisecond)
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]int{}
	for _, fam := range families {
		series[fam.GetName()] = len(fam.GetMetric())
	}
	if n := series["releasebot_http_requests_total"]; n != 5 {
		t.Errorf("releasebot_http_requests_total has %d series, want 5", n)
	}
	mustHave(t, scrape(t, m),
		`releasebot_http_requests_total{code="404",method="other",route="unmatched"} 5000`,
		`releasebot_http_requests_total{code="200",method="other",route="/"} 5000`,
		`releasebot_http_requests_total{code="other",method="GET",route="/"} 5000`,
		`releasebot_http_requests_total{code="200",method="GET",route="/"} 1`,
		`releasebot_http_requests_total{code="204",method="DELETE",route="/"} 1`,
	)
}
