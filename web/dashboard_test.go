package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/web"
)

// rowIDs lists the release ids of a list page's rows, in order.
func rowIDs(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr class="release-row" data-id="(R-\d+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestListPage(t *testing.T) {
	d := newDashboard(t, nil)
	seedStory(t, d)
	tests := []struct {
		name     string
		path     string
		wantCode int
		wantIDs  string
		want     []string // in the body
	}{
		{
			name: "everything", path: "/", wantCode: http.StatusOK, wantIDs: "R-8 R-7 R-6 R-5 R-4 R-3 R-2 R-1",
			want: []string{
				// Sign-off state per team, and the next step.
				`<li class="team t-approved" title="alice approved">`, `<li class="team t-pending">`,
				"Waits for sign-off from risk (0 of 1).",
				"Ready; waits for the window weekly-train, which opens Tue 1 Dec 2026 14:00 CET.",
				// A failed release's next step is what failed and what can
				// follow; a finished one's is its outcome.
				"Failed in staging: migration 42 failed. Next: retry with /release retry R-8, or roll back with /release rollback R-8.",
				"Cancelled: superseded by v3.0.1",
				"Deployed to staging and production.",
				"Rolled back on production: error rate up",
				`<td data-label="Outcome" class="next">Deployed to staging and production.</td>`,
				`<td data-label="Next step" class="next">Waits for sign-off from risk (0 of 1).</td>`,
				// The legend says what each chip means, drawn as the chips.
				`<summary>What the chips mean</summary>`,
				`<dt><span class="badge st-awaiting_promotion">awaiting promotion</span></dt><dd>done in one environment; someone promotes it to the next</dd>`,
				`<dt><span class="env e-failed">staging</span></dt><dd>the deployment there failed or timed out</dd>`,
				// Times in the configured zone with UTC on hover.
				`<time datetime="2026-12-01T10:02:03Z" title="2026-12-01 10:02:03 UTC">1 Dec, 11:02</time>`,
				"Times in Europe/Berlin",
			},
		},
		{name: "one status", path: "/?status=awaiting_signoff", wantCode: http.StatusOK, wantIDs: "R-7 R-4",
			want: []string{`<option value="awaiting_signoff" selected>awaiting sign-off</option>`, `<a class="reset" href="/">Clear</a>`}},
		{name: "active", path: "/?status=awaiting_signoff,ready,deploying,awaiting_promotion", wantCode: http.StatusOK, wantIDs: "R-7 R-5 R-4",
			want: []string{`<option value="awaiting_signoff,ready,deploying,awaiting_promotion" selected>Active</option>`}},
		{name: "service", path: "/?service=ledger", wantCode: http.StatusOK, wantIDs: "R-7 R-5 R-1",
			want: []string{`value="ledger"`}},
		{name: "status and service", path: "/?service=payments-api&status=deployed", wantCode: http.StatusOK, wantIDs: "R-2"},
		{name: "nothing matches", path: "/?service=nope", wantCode: http.StatusOK, wantIDs: "",
			want: []string{"No release matches this filter."}},
		{name: "unknown status", path: "/?status=shipped", wantCode: http.StatusBadRequest,
			want: []string{`&#34;shipped&#34; is not a status; statuses are awaiting_signoff, ready`}},
		{name: "bad cursor", path: "/?cursor=xyz", wantCode: http.StatusBadRequest,
			want: []string{"The cursor is not valid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.page(t, tt.path)
			if got.Code != tt.wantCode {
				t.Fatalf("GET %s: %d, want %d\n%s", tt.path, got.Code, tt.wantCode, got.Body)
			}
			if ct := got.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.wantCode == http.StatusOK {
				if ids := strings.Join(rowIDs(got.Body), " "); ids != tt.wantIDs {
					t.Errorf("rows %q, want %q", ids, tt.wantIDs)
				}
			}
			mustContain(t, "GET "+tt.path, got.Body, tt.want...)
		})
	}
}

// TestListPagination follows the "Older" links page by page, with a filter
// kept across pages, and checks the "Newest" link.
func TestListPagination(t *testing.T) {
	d := newDashboard(t, nil)
	seedStory(t, d)
	older := regexp.MustCompile(`<a href="([^"]+)" rel="next"`)
	var pages []string
	path := "/?limit=3&service=payments-api"
	for i := 0; path != "" && i < 5; i++ {
		got := d.page(t, path)
		if got.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, got.Code)
		}
		pages = append(pages, strings.Join(rowIDs(got.Body), " "))
		if i > 0 && !strings.Contains(got.Body, `<a href="/?limit=3&amp;service=payments-api" rel="first">`) {
			t.Errorf("page %d has no link to the newest page", i+1)
		}
		path = ""
		if m := older.FindStringSubmatch(got.Body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if want := []string{"R-8 R-4 R-3", "R-2"}; strings.Join(pages, "|") != strings.Join(want, "|") {
		t.Errorf("pages %q, want %q", pages, want)
	}
}

func TestReleasePage(t *testing.T) {
	d := newDashboard(t, nil)
	seedStory(t, d)
	tests := []struct {
		name     string
		path     string
		wantCode int
		want     []string
	}{
		{
			name: "deployed and rolled back", path: "/releases/R-3", wantCode: http.StatusOK,
			want: []string{
				"<title>R-3 payments-api v2.4.0 · releasebot</title>",
				`<span class="badge st-rolled_back">rolled back</span>`,
				`<strong>Outcome:</strong> <span id="next-step">Rolled back on production: error rate up</span>`,
				"Created payments-api v2.4.0", "Signed off", "Ready",
				"Deployment D-5: v2.4.0 to staging", "rolled out 3/3 pods",
				`<a class="runlink" href="https://ci.example.com/runs/7" rel="noopener noreferrer nofollow" target="_blank">`,
				"Awaiting promotion", "Deployment D-6: v2.4.0 to production",
				"Rollback D-7: production back to v2.3.0", "back on v2.3.0",
				"SEPA instant payouts",
				"alice approved", "carol approved",
				"Audit log <span class=\"muted\">(14 events)</span>",
				"<code>rollback_started</code>",
			},
		},
		{name: "lower case id", path: "/releases/r-5", wantCode: http.StatusOK,
			want: []string{"Ready; waits for the window weekly-train, which opens Tue 1 Dec 2026 14:00 CET."}},
		{name: "bare number", path: "/releases/7", wantCode: http.StatusOK,
			want: []string{`at <time datetime="2026-12-03T08:30:00Z" title="2026-12-03 08:30:00 UTC">Thu 3 Dec 2026, 09:30 CET</time>`}},
		{name: "failed", path: "/releases/R-8", wantCode: http.StatusOK,
			want: []string{"migration 42 failed", `<span class="badge st-failed">failed</span>`, `class="tl tl-failed"`,
				`<strong>Next step:</strong> <span id="next-step">Failed in staging: migration 42 failed.`}},
		{name: "unknown", path: "/releases/R-99", wantCode: http.StatusNotFound, want: []string{"There is no release R-99."}},
		{name: "not an id", path: "/releases/latest", wantCode: http.StatusBadRequest, want: []string{"is not a release id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.page(t, tt.path)
			if got.Code != tt.wantCode {
				t.Fatalf("GET %s: %d, want %d\n%s", tt.path, got.Code, tt.wantCode, got.Body)
			}
			mustContain(t, "GET "+tt.path, got.Body, tt.want...)
		})
	}
}

// TestTimelineOrder checks that each deployment card stands where the
// deployment started, between the steps around it.
func TestTimelineOrder(t *testing.T) {
	d := newDashboard(t, nil)
	seedStory(t, d)
	body := d.page(t, "/releases/R-3").Body
	order := []string{"Created payments-api v2.4.0", "Ready", "Deployment D-5", "Awaiting promotion",
		"Deployment D-6", "Deployed", "Rollback D-7", "Rolled back"}
	last := -1
	for _, s := range order {
		i := strings.Index(body, `<div class="tl-title">`+s)
		if i < 0 {
			t.Fatalf("timeline lacks %q", s)
		}
		if i < last {
			t.Errorf("%q comes before the step that precedes it", s)
		}
		last = i
	}
}

// TestEscaping puts markup into every field a person or a deployer writes
// and checks that it comes out as text.
func TestEscaping(t *testing.T) {
	d := newDashboard(t, func(o *web.Options) {
		o.UserName = func(id string) string { return id + `<b>` } // a hostile users: entry
	})
	ctx := context.Background()
	must := mustRelease(t)
	r := must(d.svc.Create(ctx, dave, releases.CreateInput{Service: "api", Version: "v1", Notes: `<script>alert("notes")</script> & "quotes"`}))
	must(d.svc.SignOff(ctx, alice, r.ID, "payments"))
	r = must(d.svc.SignOff(ctx, carol, r.ID, "risk"))
	d.markSent(t, r.Deployments[0].ID)
	must(d.svc.ReportDeployment(ctx, "deployer", r.Deployments[0].ID, releases.StatusReport{
		Status: releases.DeploymentFailed, Message: `<img src=x onerror=alert(1)>`, URL: "javascript:alert(1)",
	}))
	for _, path := range []string{"/", "/releases/R-1"} {
		body := d.page(t, path).Body
		mustNotContain(t, path, body, "<script>alert", "<img src=x", "javascript:", "U0DAVE<b>")
	}
	body := d.page(t, "/releases/R-1").Body
	mustContain(t, "release page", body,
		`&lt;script&gt;alert(&#34;notes&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;`,
		`&lt;img src=x onerror=alert(1)&gt;`, "U0DAVE&lt;b&gt;")
	if strings.Contains(body, `class="runlink"`) {
		t.Error("a javascript: URL became a link")
	}
}

func TestPageHeaders(t *testing.T) {
	d := newDashboard(t, nil)
	got := d.page(t, "/")
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("%s: %q, want %q", k, v, want)
		}
	}
	// The page's own assets are served, with their hash in the URL.
	for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(got.Body, -1) {
		asset := d.page(t, strings.ReplaceAll(m[1], "&amp;", "&"))
		if asset.Code != http.StatusOK || len(asset.Body) == 0 {
			t.Errorf("GET %s: %d, %d bytes", m[1], asset.Code, len(asset.Body))
		}
	}
	if got := d.page(t, "/static/nope.css"); got.Code != http.StatusNotFound {
		t.Errorf("unknown asset: %d, want 404", got.Code)
	}
}

func TestWindowsPage(t *testing.T) {
	d := newDashboard(t, nil)
	seedStory(t, d)
	got := d.page(t, "/windows")
	if got.Code != http.StatusOK {
		t.Fatalf("GET /windows: %d\n%s", got.Code, got.Body)
	}
	mustContain(t, "windows page", got.Body,
		`Next opening: <strong class="w">weekly-train</strong> <time datetime="2026-12-01T13:00:00Z" title="2026-12-01 13:00:00 UTC">Tue 1 Dec 2026, 14:00 CET</time>`,
		// R-5 rides the next train; R-7 is scheduled on Thursday.
		`<a class="ride" href="/releases/R-5"`,
		`data-date="2026-12-03"`, `/releases/R-7`,
		// The freeze, in the list and on the days it covers; the trains it holds are marked.
		"<strong>year-end</strong>", `class="day frozen busy" data-date="2026-12-20"`, `class="chip opening held"`,
		"Show more weeks",
	)
	// A table, not a grid: a grid promises arrow-key navigation.
	if strings.Contains(got.Body, `role="grid"`) {
		t.Error(`the calendar declares role="grid" without arrow-key navigation`)
	}
	// Four weeks from the Monday of this week: 30 Nov – 27 Dec.
	if n := strings.Count(got.Body, `role="cell"`); n != 28 {
		t.Errorf("%d days, want 28", n)
	}
	if n := strings.Count(d.page(t, "/windows?weeks=12").Body, `role="cell"`); n != 84 {
		t.Errorf("12 weeks: %d days, want 84", n)
	}
	if n := strings.Count(d.page(t, "/windows?weeks=99").Body, `role="cell"`); n != 84 {
		t.Errorf("99 weeks: %d days, want 84 (at most 12 weeks)", n)
	}
}

// TestWindowsPageAdHocFreeze declares a freeze from chat and checks that
// the page and the next step see it without a restart.
func TestWindowsPageAdHocFreeze(t *testing.T) {
	d := newDashboard(t, nil)
	ctx := context.Background()
	r := mustRelease(t)(d.svc.Create(ctx, dave, releases.CreateInput{Service: "api", Version: "v1"}))
	until := d.clock.Now().Add(50 * 60 * 60 * 1e9) // 50 h
	if _, _, err := d.svc.Freeze(ctx, rita, until, "incident 42"); err != nil {
		t.Fatal(err)
	}
	mustRelease(t)(d.svc.SignOff(ctx, alice, r.ID, "payments"))
	mustRelease(t)(d.svc.SignOff(ctx, carol, r.ID, "risk"))
	got := d.page(t, "/windows").Body
	mustContain(t, "windows page", got, "Frozen now: <strong>incident 42</strong>", "(ad hoc, by rita)")
	mustContain(t, "list", d.page(t, "/").Body, `is held by the ad-hoc freeze &#34;incident 42&#34;`)
}

// TestNoCalendar: without a calendar the pages still work and say so.
func TestNoCalendar(t *testing.T) {
	d := newDashboard(t, func(o *web.Options) { o.Calendar, o.Policy = nil, nil })
	seedStory(t, d)
	mustContain(t, "windows page", d.page(t, "/windows").Body, "No windows or freezes are configured.")
	list := d.page(t, "/").Body
	mustContain(t, "list", list, "Waits for sign-off from payments, risk.", "Ready; waits for the window weekly-train.")
	if got := d.page(t, "/calendar.ics"); got.Code != http.StatusOK || !strings.Contains(got.Body, "UID:release-R-7@releasebot") {
		t.Errorf("calendar feed without a calendar: %d\n%s", got.Code, got.Body)
	}
}

// TestPageDatabaseDown: an internal error shows "Internal error" with the
// request id, and the cause goes to the log only.
func TestPageDatabaseDown(t *testing.T) {
	d := newDashboard(t, nil)
	if err := d.store.DB().Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/releases/R-1", "/windows"} {
		got := d.page(t, path)
		if got.Code != http.StatusInternalServerError {
			t.Errorf("GET %s: %d, want 500", path, got.Code)
		}
		id := got.Header.Get("X-Request-Id")
		mustContain(t, path, got.Body, "Internal error (request "+id+").")
		mustNotContain(t, path, got.Body, "database is closed")
	}
	mustContain(t, "log", d.logs.String(), "database is closed")
}

// TestDashboardOnEveryDatabase renders the pages over SQLite and, when
// TEST_DATABASE_URL is set, PostgreSQL: the same rows, the same story.
func TestDashboardOnEveryDatabase(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			d := newDashboardAt(t, db.URL(t), nil)
			seedStory(t, d)
			if ids := strings.Join(rowIDs(d.page(t, "/?limit=5").Body), " "); ids != "R-8 R-7 R-6 R-5 R-4" {
				t.Errorf("first page %q", ids)
			}
			if ids := strings.Join(rowIDs(d.page(t, "/?status=deployed&service=payments-api").Body), " "); ids != "R-2" {
				t.Errorf("deployed payments-api %q", ids)
			}
			mustContain(t, "R-3", d.page(t, "/releases/R-3").Body, "Rollback D-7: production back to v2.3.0", "(14 events)")
			mustContain(t, "windows", d.page(t, "/windows").Body, `<a class="ride" href="/releases/R-5"`)
			mustContain(t, "feed", d.page(t, "/calendar.ics").Body, "UID:release-R-7@releasebot")
		})
	}
}

// TestListPageByTeam: the dashboard filters by team, shows the choice, and
// keeps it in the "Older" link.
func TestListPageByTeam(t *testing.T) {
	d := newDashboard(t, nil)
	seedStory(t, d)
	r := mustRelease(t)(d.svc.Create(context.Background(), dave, releases.CreateInput{Service: "ledger", Version: "v9", Teams: []string{"risk"}}))
	if r.ID != 9 {
		t.Fatalf("created %s, want R-9", releases.FormatID(r.ID))
	}
	got := d.page(t, "/?team=payments&limit=3")
	if ids := strings.Join(rowIDs(got.Body), " "); got.Code != http.StatusOK || ids != "R-8 R-7 R-6" {
		t.Fatalf("GET /?team=payments&limit=3: %d, rows %q; want R-8 R-7 R-6 (R-9 asks risk only)", got.Code, ids)
	}
	mustContain(t, "team filter", got.Body, `<option value="payments" selected>payments</option>`, `<option value="risk">risk</option>`,
		`href="/?cursor=`, `team=payments" rel="next"`, `<a class="reset" href="/">Clear</a>`)
	if ids := strings.Join(rowIDs(d.page(t, "/?team=risk&limit=2").Body), " "); ids != "R-9 R-8" {
		t.Errorf("GET /?team=risk: rows %q, want R-9 R-8", ids)
	}
}

// TestDashboardTellsTheWholeState: a freeze in force is a banner on the
// list; a pending team names the leads who owe its sign-off (not the
// creator under four eyes), or says that none can; the footer's UTC hint
// appears only when times are not already in UTC.
func TestDashboardTellsTheWholeState(t *testing.T) {
	d := newDashboard(t, nil)
	ctx := context.Background()
	byCarol := mustRelease(t)(d.svc.Create(ctx, carol, releases.CreateInput{Service: "api", Version: "v1"}))
	byDave := mustRelease(t)(d.svc.Create(ctx, dave, releases.CreateInput{Service: "api", Version: "v2"}))
	list := d.page(t, "/").Body
	mustNotContain(t, "list without a freeze", list, "Frozen now")
	mustContain(t, "footer in Berlin", list, "Times in Europe/Berlin; hover over a time for UTC.")

	until := d.clock.Now().Add(50 * time.Hour)
	if _, _, err := d.svc.Freeze(ctx, rita, until, "incident 42"); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "list during a freeze", d.page(t, "/").Body, `class="banner frozen"`, "Frozen now: <strong>incident 42</strong> (by rita)")

	mustContain(t, "a release by dave", d.page(t, "/releases/"+releases.FormatID(byDave.ID)).Body,
		"Owed by <strong>alice</strong>", "Owed by <strong>carol</strong>")
	mustContain(t, "a release by carol, risk's only lead", d.page(t, "/releases/"+releases.FormatID(byCarol.ID)).Body,
		"Owed by <strong>alice</strong>", "No lead can sign off for risk (four eyes): ask a release manager")

	utc := newDashboard(t, func(o *web.Options) { o.Location = time.UTC })
	body := utc.page(t, "/").Body
	mustContain(t, "footer in UTC", body, "Times in UTC.")
	mustNotContain(t, "footer in UTC", body, "hover over a time")
}
