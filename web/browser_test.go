package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/releasebot/releasebot/releases"
)

// chromiumPath is where Debian's chromium package puts the browser
// (apt-get install chromium).
const chromiumPath = "/usr/bin/chromium"

// TestBrowser drives headless Chromium through the dashboard over a real
// SQLite store seeded through the release service: the list renders, a
// filter works (through the page's own script), a release page shows its
// timeline, the windows page shows the next opening, and a phone-sized
// window gets the card layout.
//
// Without Chromium it skips, except under CI=true, where it fails.
// RELEASEBOT_SCREENSHOTS=DIR saves a PNG of every page there.
func TestBrowser(t *testing.T) {
	b := startBrowser(t)
	browser, shots := b.ctx, b.shots
	d := newDashboard(t, nil)
	seedStory(t, d)
	srv := httptest.NewServer(d.handler)
	t.Cleanup(srv.Close)

	// run runs steps with a deadline, so a broken page fails instead of
	// hanging the test.
	run := func(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(browser, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(t *testing.T, js string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(browser, 10*time.Second)
		defer cancel()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return s
	}
	// until waits until the expression is true on the current page. It
	// polls from Go, because a navigation ends any wait inside the page.
	until := func(t *testing.T, js string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(browser, 5*time.Second)
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			cancel()
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waited 30 s for %s (last error: %v)", js, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	screenshot := func(t *testing.T, name string) {
		t.Helper()
		if shots == "" {
			return
		}
		ctx, cancel := context.WithTimeout(browser, 20*time.Second)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rowIDs := `Array.from(document.querySelectorAll("tr.release-row")).map(r => r.dataset.id).join(" ")`

	t.Run("list", func(t *testing.T) {
		run(t, "open the list", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("table.releases")))
		if got, want := eval(t, rowIDs), "R-8 R-7 R-6 R-5 R-4 R-3 R-2 R-1"; got != want {
			t.Errorf("rows %q, want %q", got, want)
		}
		row := eval(t, `document.querySelector('tr[data-id="R-4"]').innerText`)
		for _, want := range []string{"payments-api", "v2.5.0", "awaiting sign-off", "risk 0/1", "Waits for sign-off from risk (0 of 1)."} {
			if !strings.Contains(row, want) {
				t.Errorf("row R-4 %q lacks %q", row, want)
			}
		}
		if title := eval(t, `document.querySelector('tr[data-id="R-4"] time').title`); !strings.HasSuffix(title, " UTC") {
			t.Errorf("created time's title %q, want the time in UTC", title)
		}
		screenshot(t, "list")
		// The chips' legend opens on a click and says what each means.
		if open := eval(t, `String(document.querySelector("details.legend").open)`); open != "false" {
			t.Errorf("the legend is open before a click (%s)", open)
		}
		run(t, "open the legend", chromedp.Click(chromedp.CSS("details.legend summary")), chromedp.WaitVisible(chromedp.ID("legend-status")))
		legend := eval(t, `document.querySelector("details.legend").innerText`)
		for _, want := range []string{"awaiting sign-off", "waits for its teams' leads to sign off", "rolled back",
			"the team's sign-off is still owed", "nothing started there yet"} {
			if !strings.Contains(legend, want) {
				t.Errorf("legend %q lacks %q", legend, want)
			}
		}
		screenshot(t, "list-legend")
	})

	t.Run("filter", func(t *testing.T) {
		// Choosing a status submits the form through app.js (a change event
		// as a person's choice fires it).
		run(t, "wait for the filter", chromedp.WaitVisible(chromedp.CSS(`select[name="status"]`)))
		eval(t, `(() => { const s = document.querySelector('select[name="status"]'); s.value = "awaiting_signoff"; return String(s.dispatchEvent(new Event("change"))); })()`)
		until(t, `location.search.includes("status=awaiting_signoff") && document.readyState === "complete"`)
		if got, want := eval(t, rowIDs), "R-7 R-4"; got != want {
			t.Errorf("awaiting sign-off: rows %q, want %q", got, want)
		}
		screenshot(t, "list-filtered")
		// A service link filters by service, keeping nothing else.
		run(t, "click a service", chromedp.Click(chromedp.CSS(`tr[data-id="R-7"] a.service`)))
		until(t, `location.search === "?service=ledger" && document.readyState === "complete"`)
		if got, want := eval(t, rowIDs), "R-7 R-5 R-1"; got != want {
			t.Errorf("service ledger: rows %q, want %q", got, want)
		}
	})

	t.Run("release timeline", func(t *testing.T) {
		run(t, "open the list", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("table.releases")))
		run(t, "open R-3", chromedp.Click(chromedp.CSS(`tr[data-id="R-3"] a.rid`)), chromedp.WaitVisible(chromedp.ID("timeline")))
		timeline := eval(t, `document.getElementById("timeline").innerText`)
		for _, want := range []string{
			"Created payments-api v2.4.0", "Signed off", "Ready",
			"Deployment D-5: v2.4.0 to staging", "rolled out 3/3 pods", "deployer's run",
			"Deployment D-6: v2.4.0 to production", "Rollback D-7: production back to v2.3.0", "Rolled back",
		} {
			if !strings.Contains(timeline, want) {
				t.Errorf("timeline lacks %q:\n%s", want, timeline)
			}
		}
		if href := eval(t, `document.querySelector("#timeline a.runlink").href`); href != "https://ci.example.com/runs/7" {
			t.Errorf("first run link %q, want the deployer's URL", href)
		}
		if n := eval(t, `String(document.querySelectorAll("table.audit tbody tr").length)`); n == "0" {
			t.Error("the audit log is empty")
		}
		if next := eval(t, `document.getElementById("next-step").innerText`); !strings.Contains(next, "Rolled back on production: error rate up") {
			t.Errorf("next step %q, want the rollback and its reason", next)
		}
		screenshot(t, "release")
	})

	t.Run("windows", func(t *testing.T) {
		run(t, "open the windows", chromedp.Navigate(srv.URL+"/windows"), chromedp.WaitVisible(chromedp.ID("next-opening")))
		next := eval(t, `document.getElementById("next-opening").innerText`)
		for _, want := range []string{"Next opening", "weekly-train", "Tue 1 Dec 2026, 14:00 CET", "(in 2 h "} {
			if !strings.Contains(next, want) {
				t.Errorf("next opening %q lacks %q", next, want)
			}
		}
		if got := eval(t, `document.querySelector('.day[data-date="2026-12-01"] .opening').innerText`); !strings.Contains(got, "14:00–16:00 weekly-train") || !strings.Contains(got, "R-5") {
			t.Errorf("today's cell %q, want the 14:00 train carrying R-5", got)
		}
		if got := eval(t, `document.querySelector('.day[data-date="2026-12-21"]').className`); !strings.Contains(got, "frozen") {
			t.Errorf("21 Dec has class %q, want it frozen (year-end)", got)
		}
		screenshot(t, "windows")
	})

	// axe-core over every page at desktop and phone sizes: no serious or
	// critical WCAG 2.1 A/AA violation.
	t.Run("accessibility", func(t *testing.T) {
		sizes := []struct {
			name string
			w, h int64
		}{{"desktop", 1280, 800}, {"phone", 390, 844}}
		for _, size := range sizes {
			for _, page := range []string{"/", "/releases/R-3", "/releases/R-3/evidence", "/releases/R-4", "/windows"} {
				run(t, "open "+page, chromedp.EmulateViewport(size.w, size.h),
					chromedp.Navigate(srv.URL+page), chromedp.WaitReady(chromedp.CSS("footer")))
				if page == "/" {
					// axe skips what is hidden: open the chips' legend.
					eval(t, `String(document.querySelector("details.legend").open = true)`)
				}
				ctx, cancel := context.WithTimeout(browser, 60*time.Second)
				bad, err := axeRun(ctx)
				cancel()
				if err != nil {
					t.Fatalf("%s at %s: %v", page, size.name, err)
				}
				for _, v := range bad {
					t.Errorf("%s at %s: %v", page, size.name, v)
				}
			}
		}
	})

	// A train's page: the matrix of components × environments, clean for
	// axe at both sizes, and no sideways scroll of the page on a phone
	// (the matrix scrolls inside its own region).
	t.Run("train matrix", func(t *testing.T) {
		tr := seedTrain(t, d)
		page := "/releases/" + releases.FormatID(tr.ID)
		for _, size := range []struct {
			name string
			w, h int64
		}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
			run(t, "open "+page, chromedp.EmulateViewport(size.w, size.h),
				chromedp.Navigate(srv.URL+page), chromedp.WaitVisible(chromedp.ID("matrix")))
			cell := eval(t, `document.querySelector('#matrix tr[data-service="ledger"] td').innerText`)
			if !strings.Contains(cell, "failed") {
				t.Errorf("%s: ledger's staging cell %q, want failed", size.name, cell)
			}
			if w := eval(t, `String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
				t.Errorf("%s: the train's page scrolls sideways", size.name)
			}
			screenshot(t, "release-train-"+size.name)
			ctx, cancel := context.WithTimeout(browser, 60*time.Second)
			bad, err := axeRun(ctx)
			cancel()
			if err != nil {
				t.Fatalf("%s at %s: %v", page, size.name, err)
			}
			for _, v := range bad {
				t.Errorf("%s at %s: %v", page, size.name, v)
			}
		}
	})

	// After the other pages' checks, since it freezes everything: the list during a freeze and a
	// release that waits for a lead (the README's screenshots), checked by
	// axe too.
	t.Run("freeze and owed sign-offs", func(t *testing.T) {
		if _, _, err := d.svc.Freeze(context.Background(), rita, d.clock.Now().Add(26*time.Hour), "incident 42: payments latency"); err != nil {
			t.Fatal(err)
		}
		run(t, "open the list", chromedp.EmulateViewport(1280, 800),
			chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".banner.frozen")))
		if got := eval(t, `document.querySelector(".banner.frozen").innerText`); !strings.Contains(got, "Frozen now: incident 42: payments latency (by rita)") {
			t.Errorf("freeze banner %q", got)
		}
		screenshot(t, "list-frozen")
		run(t, "open R-4", chromedp.Navigate(srv.URL+"/releases/R-4"), chromedp.WaitVisible(chromedp.CSS(".owed")))
		if got := eval(t, `document.querySelector(".signers").innerText`); !strings.Contains(got, "Owed by carol") {
			t.Errorf("sign-off card %q, want risk's sign-off owed by carol", got)
		}
		screenshot(t, "release-owed")
		for _, page := range []string{"/", "/releases/R-4"} {
			run(t, "open "+page, chromedp.Navigate(srv.URL+page), chromedp.WaitReady(chromedp.CSS("footer")))
			ctx, cancel := context.WithTimeout(browser, 60*time.Second)
			bad, err := axeRun(ctx)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range bad {
				t.Errorf("%s during a freeze: %v", page, v)
			}
		}
	})

	t.Run("phone", func(t *testing.T) {
		run(t, "open the list on a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
			chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("table.releases")))
		if display := eval(t, `getComputedStyle(document.querySelector("table.releases thead")).display`); display != "none" {
			t.Errorf("on a phone the table head is %q, want none (rows become cards)", display)
		}
		if w := eval(t, `String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
			t.Error("the list scrolls sideways on a phone")
		}
		screenshot(t, "list-phone")
		run(t, "open R-3 on a phone", chromedp.Navigate(srv.URL+"/releases/R-3"), chromedp.WaitVisible(chromedp.ID("timeline")))
		screenshot(t, "release-phone")
		run(t, "open the windows on a phone", chromedp.Navigate(srv.URL+"/windows"), chromedp.WaitVisible(chromedp.ID("next-opening")))
		screenshot(t, "windows-phone")
	})
}
