package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// TestGetRelease pins the wire format of one release (README "HTTP API"):
// every key, R- and D- ids, second-precision UTC times and the audit trail.
// The clock carries microseconds, which the API must cut off.
func TestGetRelease(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must := mustRelease(t)
	// R-1 puts v2.3.0 on both environments, so R-2's deployments have a
	// previous version.
	old := f.signOffAll(t, f.create(t, "payments-api", "v2.3.0").ID)
	f.markSent(t, old.Deployments[0].ID)
	must(f.svc.ReportDeployment(ctx, "deployer", old.Deployments[0].ID, releases.StatusReport{Status: releases.DeploymentSucceeded}))
	old = must(f.svc.Deploy(ctx, dave, old.ID, "production", ""))
	f.markSent(t, old.Deployments[1].ID)
	must(f.svc.ReportDeployment(ctx, "deployer", old.Deployments[1].ID, releases.StatusReport{Status: releases.DeploymentSucceeded}))

	f.clock.Advance(time.Hour)
	r := must(f.svc.Create(ctx, dave, releases.CreateInput{
		Service: "payments-api", Version: "v2.4.0", Window: "weekly-train", Notes: "SEPA instant payouts",
	}))
	f.clock.Advance(time.Minute)
	must(f.svc.SignOff(ctx, alice, r.ID, "payments"))
	f.clock.Advance(time.Minute)
	r = must(f.svc.SignOff(ctx, carol, r.ID, "risk"))
	staging := r.Deployments[0].ID
	f.clock.Advance(time.Minute)
	f.markSent(t, staging)
	must(f.svc.ReportDeployment(ctx, "deployer", staging, releases.StatusReport{Status: releases.DeploymentInProgress}))
	f.clock.Advance(time.Minute)
	must(f.svc.ReportDeployment(ctx, "deployer", staging, releases.StatusReport{
		Status: releases.DeploymentSucceeded, Message: "rolled out 3/3 pods", URL: "https://ci.example.com/runs/7",
	}))
	f.clock.Advance(time.Minute)
	must(f.svc.Deploy(ctx, rita, r.ID, "production", "outside the train for the SEPA deadline"))

	want := decode(t, `{
	  "id": "R-2", "service": "payments-api", "version": "v2.4.0", "status": "deploying",
	  "components": [{"service": "payments-api", "version": "v2.4.0", "digest": ""}],
	  "created_by": "U0DAVE", "created_at": "2026-12-01T11:02:03Z", "updated_at": "2026-12-01T11:07:03Z",
	  "window": "weekly-train", "teams": ["payments", "risk"], "environments": ["staging", "production"],
	  "notes": "SEPA instant payouts",
	  "components": [{"service": "payments-api", "version": "v2.4.0", "digest": ""}],
	  "override": {"by": "U0RM1", "reason": "outside the train for the SEPA deadline"},
	  "signoffs": [
	    {"team": "payments", "user": "U0ALICE", "decision": "approved", "at": "2026-12-01T11:03:03Z"},
	    {"team": "risk", "user": "U0CAROL", "decision": "approved", "at": "2026-12-01T11:04:03Z"}
	  ],
	  "deployments": [
	    {"id": "D-3", "environment": "staging", "service": "payments-api", "type": "deployment", "status": "succeeded",
	     "version": "v2.4.0", "previous_version": "v2.3.0", "attempts": 1,
	     "message": "rolled out 3/3 pods", "url": "https://ci.example.com/runs/7",
	     "updated_at": "2026-12-01T11:06:03Z", "finished_at": "2026-12-01T11:06:03Z"},
	    {"id": "D-4", "environment": "production", "service": "payments-api", "type": "deployment", "status": "pending",
	     "version": "v2.4.0", "previous_version": "v2.3.0", "attempts": 0,
	     "updated_at": "2026-12-01T11:07:03Z"}
	  ]
	}`)
	// The audit trail's wording and actors are the domain's to choose; what
	// this package fixes is how each event is rendered. So the expected
	// events come from the service, formatted here independently.
	events, err := f.svc.Audit(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		t.Fatal("the service reports no audit events")
	}
	audit := []any{}
	for _, e := range events {
		audit = append(audit, map[string]any{
			"at": e.At.UTC().Format("2006-01-02T15:04:05Z"), "actor": e.Actor, "action": e.Action, "detail": e.Detail,
		})
	}
	want["audit"] = audit
	if first := audit[0].(map[string]any); first["at"] != "2026-12-01T11:02:03Z" || first["action"] != "created" || first["actor"] != dave {
		t.Errorf("first audit event %v, want dave's creation at 2026-12-01T11:02:03Z", first)
	}

	for _, path := range []string{"/api/releases/R-2", "/api/releases/r-2", "/api/releases/2"} {
		t.Run(path, func(t *testing.T) {
			got := f.get(t, path)
			if got.Code != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", got.Code, got.Raw)
			}
			diffJSON(t, got.Body, want)
		})
	}
}

// TestReleaseShape checks the keys that depend on a release's state: empty
// lists are [] and not null, optional keys come and go.
func TestReleaseShape(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must := mustRelease(t)
	fresh := f.create(t, "ledger", "v1.0.0")
	cancelled := f.create(t, "ledger", "v1.1.0")
	must(f.svc.Cancel(ctx, dave, cancelled.ID, "wrong build"))
	startAt := f.clock.Now().Add(26 * time.Hour)
	scheduled := must(f.svc.Create(ctx, dave, releases.CreateInput{Service: "ledger", Version: "v1.2.0", StartAt: startAt}))

	tests := []struct {
		name    string
		id      int64
		want    map[string]any // keys whose values are checked
		without []string       // keys that must be absent
	}{
		{
			name: "awaiting sign-off",
			id:   fresh.ID,
			want: map[string]any{
				"status": "awaiting_signoff", "window": "", "notes": "",
				"signoffs": []any{}, "deployments": []any{},
			},
			without: []string{"override", "reason", "start_at"},
		},
		{
			name:    "cancelled",
			id:      cancelled.ID,
			want:    map[string]any{"status": "cancelled", "reason": "wrong build", "signoffs": []any{}, "deployments": []any{}},
			without: []string{"override", "start_at"},
		},
		{
			name:    "one-off start time",
			id:      scheduled.ID,
			want:    map[string]any{"start_at": "2026-12-02T12:02:03Z", "window": ""},
			without: []string{"override", "reason"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.get(t, "/api/releases/"+releases.FormatID(tt.id))
			if got.Code != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", got.Code, got.Raw)
			}
			for k, v := range tt.want {
				if !reflect.DeepEqual(got.Body[k], v) {
					t.Errorf("%s = %#v, want %#v", k, got.Body[k], v)
				}
			}
			for _, k := range tt.without {
				if v, ok := got.Body[k]; ok {
					t.Errorf("%s = %#v, want no such key", k, v)
				}
			}
			if audit, ok := got.Body["audit"].([]any); !ok || len(audit) == 0 {
				t.Errorf("audit = %#v, want the release's events", got.Body["audit"])
			}
		})
	}
}

// listFixture holds five releases, newest first:
// R-5 cancelled, R-4 deploying, R-3 awaiting_signoff, R-2 deploying,
// R-1 awaiting_signoff.
func listFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	for i := 1; i <= 5; i++ {
		r := f.create(t, "ledger", fmt.Sprintf("v1.%d.0", i))
		switch i {
		case 2, 4:
			f.signOffAll(t, r.ID)
		case 5:
			mustRelease(t)(f.svc.Cancel(context.Background(), dave, r.ID, "superseded"))
		}
		f.clock.Advance(time.Minute)
	}
	return f
}

// TestListPages walks the list page by page, following "next".
func TestListPages(t *testing.T) {
	f := listFixture(t)
	tests := []struct {
		name  string
		query string
		pages [][]string
	}{
		{name: "limit 2", query: "limit=2", pages: [][]string{{"R-5", "R-4"}, {"R-3", "R-2"}, {"R-1"}}},
		{name: "limit divides the total", query: "limit=1&status=deploying", pages: [][]string{{"R-4"}, {"R-2"}}},
		{name: "status and limit", query: "status=awaiting_signoff,deploying&limit=3", pages: [][]string{{"R-4", "R-3", "R-2"}, {"R-1"}}},
		{name: "one page", query: "limit=5", pages: [][]string{{"R-5", "R-4", "R-3", "R-2", "R-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pages [][]string
			path := "/api/releases?" + tt.query
			for len(pages) <= len(tt.pages) {
				got := f.get(t, path)
				if got.Code != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, got.Code, got.Raw)
				}
				pages = append(pages, ids(t, got.Body))
				next, ok := got.Body["next"].(string)
				if !ok {
					t.Fatalf("GET %s: next = %#v, want a string", path, got.Body["next"])
				}
				if next == "" {
					break
				}
				path = "/api/releases?" + tt.query + "&cursor=" + next
			}
			if !reflect.DeepEqual(pages, tt.pages) {
				t.Errorf("pages %v, want %v (the last page's next must be \"\")", pages, tt.pages)
			}
		})
	}
}

// TestList checks single answers of GET /api/releases.
func TestList(t *testing.T) {
	f := listFixture(t)
	tests := []struct {
		name     string
		query    string
		want     []string
		wantNext bool
	}{
		{name: "default", query: "", want: []string{"R-5", "R-4", "R-3", "R-2", "R-1"}},
		{name: "status", query: "status=deploying", want: []string{"R-4", "R-2"}},
		{name: "comma-separated statuses", query: "status=cancelled,deploying", want: []string{"R-5", "R-4", "R-2"}},
		{name: "repeated status", query: "status=cancelled&status=awaiting_signoff", want: []string{"R-5", "R-3", "R-1"}},
		{name: "blank status", query: "status=", want: []string{"R-5", "R-4", "R-3", "R-2", "R-1"}},
		{name: "no match", query: "status=rolled_back", want: []string{}},
		{name: "more to come", query: "limit=4", want: []string{"R-5", "R-4", "R-3", "R-2"}, wantNext: true},
		{name: "largest limit", query: "limit=200", want: []string{"R-5", "R-4", "R-3", "R-2", "R-1"}},
		{name: "cursor", query: "cursor=" + cursor("before:3"), want: []string{"R-2", "R-1"}},
		{name: "cursor past the end", query: "cursor=" + cursor("before:1"), want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.get(t, "/api/releases?"+tt.query)
			if got.Code != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", got.Code, got.Raw)
			}
			if ids := ids(t, got.Body); !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("releases %v, want %v", ids, tt.want)
			}
			if next, _ := got.Body["next"].(string); (next != "") != tt.wantNext {
				t.Errorf("next = %q, want a cursor: %v", next, tt.wantNext)
			}
			for _, item := range got.Body["releases"].([]any) {
				if _, ok := item.(map[string]any)["audit"]; ok {
					t.Errorf("list item has an audit trail; only GET /api/releases/{id} carries one")
				}
			}
		})
	}
	t.Run("list item", func(t *testing.T) {
		got := f.get(t, "/api/releases?status=deploying&limit=1")
		item := got.Body["releases"].([]any)[0].(map[string]any)
		var keys []string
		for k := range item {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		want := []string{"components", "created_at", "created_by", "deployments", "environments", "id", "notes", "service",
			"signoffs", "status", "teams", "updated_at", "version", "window"}
		if !reflect.DeepEqual(keys, want) {
			t.Errorf("keys %v, want %v", keys, want)
		}
		if deps := item["deployments"].([]any); len(deps) != 1 || deps[0].(map[string]any)["id"] != "D-2" {
			t.Errorf("deployments %v, want R-4's one deployment D-2", deps)
		}
	})
}

// TestListMaxLimit covers the full page of 200, which cannot fetch one
// release more to see whether another page follows.
func TestListMaxLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 201 releases")
	}
	f := newFixture(t)
	for i := 1; i <= releases.MaxLimit+1; i++ {
		f.create(t, "ledger", fmt.Sprintf("v0.%d.0", i))
	}
	first := f.get(t, "/api/releases?limit=200")
	if n := len(ids(t, first.Body)); n != releases.MaxLimit {
		t.Fatalf("first page has %d releases, want %d", n, releases.MaxLimit)
	}
	next, _ := first.Body["next"].(string)
	if next == "" {
		t.Fatal("first page: next is empty, want a cursor")
	}
	last := f.get(t, "/api/releases?limit=200&cursor="+next)
	if got := ids(t, last.Body); !reflect.DeepEqual(got, []string{"R-1"}) || last.Body["next"] != "" {
		t.Errorf("last page %v next %q, want [R-1] and \"\"", got, last.Body["next"])
	}
}

// TestAPIErrors checks the answers to requests that cannot be served.
func TestAPIErrors(t *testing.T) {
	f := listFixture(t)
	tests := []struct {
		name    string
		path    string
		code    int
		message string // "" for any sentence
	}{
		{name: "limit zero", path: "/api/releases?limit=0", code: 400, message: `The limit must be a whole number between 1 and 200; got "0".`},
		{name: "limit too large", path: "/api/releases?limit=201", code: 400, message: `The limit must be a whole number between 1 and 200; got "201".`},
		{name: "negative limit", path: "/api/releases?limit=-1", code: 400},
		{name: "limit not a number", path: "/api/releases?limit=ten", code: 400},
		{name: "empty limit", path: "/api/releases?limit=", code: 400},
		{name: "unknown status", path: "/api/releases?status=shipped", code: 400},
		{name: "one unknown status in a list", path: "/api/releases?status=ready,shipped", code: 400},
		{name: "cursor not base64", path: "/api/releases?cursor=%21%21", code: 400, message: `The cursor is not valid; use the "next" value of an earlier answer.`},
		{name: "cursor without prefix", path: "/api/releases?cursor=" + cursor("3"), code: 400},
		{name: "cursor of id zero", path: "/api/releases?cursor=" + cursor("before:0"), code: 400},
		{name: "cursor not a number", path: "/api/releases?cursor=" + cursor("before:x"), code: 400},
		{name: "malformed id", path: "/api/releases/R-x", code: 400, message: `"R-x" is not a release id; release ids look like R-42.`},
		{name: "id zero", path: "/api/releases/0", code: 400},
		{name: "deployment id", path: "/api/releases/D-1", code: 400},
		{name: "unknown release", path: "/api/releases/R-42", code: 404, message: "There is no release R-42."},
		{name: "unknown release, bare id", path: "/api/releases/42", code: 404, message: "There is no release R-42."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.get(t, tt.path)
			if got.Code != tt.code {
				t.Errorf("status %d, want %d", got.Code, tt.code)
			}
			msg, _ := got.Body["error"].(string)
			if len(got.Body) != 1 || !strings.HasSuffix(msg, ".") {
				t.Errorf("body %s, want {\"error\": a sentence}", got.Raw)
			}
			if tt.message != "" && msg != tt.message {
				t.Errorf("error %q, want %q", msg, tt.message)
			}
		})
	}
}

// TestAPIInternalError checks that a broken database shows as "Internal
// error." and its details reach the log only.
func TestAPIInternalError(t *testing.T) {
	f := listFixture(t)
	if err := f.store.DB().Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/releases", "/api/releases/R-1"} {
		t.Run(path, func(t *testing.T) {
			got := f.get(t, path)
			if got.Code != http.StatusInternalServerError {
				t.Errorf("status %d, want 500", got.Code)
			}
			if want := `{"error":"Internal error."}`; got.Raw != want {
				t.Errorf("body %s, want %s", got.Raw, want)
			}
		})
	}
	if logs := f.logs.String(); !strings.Contains(logs, "database is closed") {
		t.Errorf("log does not hold the database error:\n%s", logs)
	}
}

// cursor encodes a raw cursor the way the API does, to forge good and bad
// ones.
func cursor(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }

// diffJSON reports every top-level key of got that differs from want.
func diffJSON(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("missing key %q", k)
		case !reflect.DeepEqual(g, w):
			t.Errorf("%s:\n got %#v\nwant %#v", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected key %q = %#v", k, g)
		}
	}
}

// TestListByTeam: `team` selects the releases that ask that team's
// sign-off, alongside the other filters and across pages; the dashboard's
// list takes it too and keeps it in its links.
func TestListByTeam(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, c := range []struct {
		service string
		teams   []string
	}{
		{"ledger", []string{"payments"}}, {"ledger", []string{"risk"}}, {"web", []string{"payments", "risk"}}, {"ledger", []string{"payments"}},
	} {
		mustRelease(t)(f.svc.Create(ctx, dave, releases.CreateInput{Service: c.service, Version: fmt.Sprintf("v1.%d.0", i), Teams: c.teams}))
		f.clock.Advance(time.Minute)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{query: "team=payments", want: []string{"R-4", "R-3", "R-1"}},
		{query: "team=risk", want: []string{"R-3", "R-2"}},
		{query: "team=payments&service=ledger", want: []string{"R-4", "R-1"}},
		{query: "team=payments&status=awaiting_signoff&cursor=" + cursor("before:4"), want: []string{"R-3", "R-1"}},
		{query: "team=nobody", want: []string{}},
		{query: "team=", want: []string{"R-4", "R-3", "R-2", "R-1"}},
	}
	for _, tt := range tests {
		got := f.get(t, "/api/releases?"+tt.query)
		if got.Code != http.StatusOK {
			t.Fatalf("GET ?%s: %d %s", tt.query, got.Code, got.Raw)
		}
		if ids := ids(t, got.Body); !reflect.DeepEqual(ids, tt.want) {
			t.Errorf("GET ?%s: releases %v, want %v", tt.query, ids, tt.want)
		}
	}
	// Page by page, the team stays in the cursor's query.
	var pages [][]string
	path := "/api/releases?team=payments&limit=2"
	for path != "" && len(pages) < 3 {
		got := f.get(t, path)
		pages = append(pages, ids(t, got.Body))
		path = ""
		if next, _ := got.Body["next"].(string); next != "" {
			path = "/api/releases?team=payments&limit=2&cursor=" + next
		}
	}
	if want := [][]string{{"R-4", "R-3"}, {"R-1"}}; !reflect.DeepEqual(pages, want) {
		t.Errorf("pages of payments %v, want %v", pages, want)
	}
}
