package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/web"
)

// browser is one headless Chromium tab for a test, with deadlines on
// every step so a broken page fails instead of hanging.
type browser struct {
	ctx   context.Context
	shots string // RELEASEBOT_SCREENSHOTS: where to save PNGs; "" for none
}

// startBrowser starts Chromium, or skips t without it (fails under
// CI=true): the browser TestBrowser and TestEvidenceBrowser drive.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is missing: install it with `apt-get install -y chromium`", chromiumPath)
		}
		t.Skipf("browser test: %s is missing (apt-get install -y chromium); skipping", chromiumPath)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("force-color-profile", "srgb"), chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first Run starts the browser and must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{ctx: ctx, shots: os.Getenv("RELEASEBOT_SCREENSHOTS")}
}

func (b *browser) run(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to url and returns the HTTP status of the document.
func (b *browser) open(t *testing.T, url string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return resp.Status
}

// evalJSON evaluates js on the current page and decodes its value into T.
func evalJSON[T any](t *testing.T, b *browser, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *browser) eval(t *testing.T, js string) string { t.Helper(); return evalJSON[string](t, b, js) }

// media emulates a CSS media type ("print"; "" for the screen) and a
// colour scheme ("dark", "light"; "" for the browser's own).
func (b *browser) media(t *testing.T, media, scheme string) {
	t.Helper()
	p := emulation.SetEmulatedMediaParams{Media: media}
	if scheme != "" {
		p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	b.run(t, "emulate media "+media+" "+scheme, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, p)
		return err
	}))
}

// axe fails t for each violation axe-core reports on the current page:
// every rule, best practices too (heading order, landmarks), any impact.
func (b *browser) axe(t *testing.T, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	bad, err := axeViolations(ctx, `{resultTypes: ["violations"]}`)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, v := range bad {
		t.Errorf("%s: %v", what, v)
	}
}

func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	if b.shots == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// testDigest is a realistic image digest for service.
func testDigest(service string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(service)))
}

// seedEvidenceTrain gives the dashboard a train an auditor would ask about:
// three components pinned by digest, signed off by both teams, waiting for
// its window until a release manager overrode it with a reason, deployed
// to staging and promoted to production with a CI run link for every
// deployment, and its audit trail sealed into the chain but for the last
// report.
func seedEvidenceTrain(t *testing.T, d *dashboard) *releases.Release {
	t.Helper()
	ctx := context.Background()
	must := mustRelease(t)
	services := []string{"payments-api", "ledger", "risk-engine"}
	var comps []releases.ComponentInput
	for i, s := range services {
		comps = append(comps, releases.ComponentInput{Service: s, Version: fmt.Sprintf("v2.%d.0", i+4), Digest: testDigest(s)})
	}
	r := must(d.svc.Create(ctx, dave, releases.CreateInput{Name: "checkout-q4", Components: comps, Window: "weekly-train"}))
	d.clock.Advance(time.Minute)
	must(d.svc.SignOff(ctx, alice, r.ID, "payments"))
	d.clock.Advance(time.Minute)
	must(d.svc.SignOff(ctx, carol, r.ID, "risk")) // ready; the window opens at 14:00: waiting
	d.clock.Advance(time.Minute)
	r = must(d.svc.Deploy(ctx, rita, r.ID, "staging", "hotfix for INC-42: card payouts fail for SEPA instant"))
	run := 30433640
	finish := func(env string, last bool) {
		for _, s := range services {
			dep, ok := r.ComponentDeployment(env, s)
			if !ok {
				t.Fatalf("no %s deployment of %s in %+v", env, s, r.Deployments)
			}
			if last && s == services[len(services)-1] {
				for {
					n, _, err := d.store.Seal(ctx, 0)
					if err != nil {
						t.Fatal(err)
					}
					if n == 0 {
						break
					}
				}
			}
			d.clock.Advance(time.Minute)
			d.markSent(t, dep.ID)
			run++
			r = must(d.svc.ReportDeployment(ctx, "deployer", dep.ID, releases.StatusReport{Status: releases.DeploymentSucceeded,
				URL:     fmt.Sprintf("https://github.com/acme/%s/actions/runs/%d/attempts/1", s, run),
				RunKind: "github_actions", RunID: fmt.Sprint(run), Message: "rolled out 3/3 pods"}))
		}
	}
	finish("staging", false)
	d.clock.Advance(time.Minute)
	r = must(d.svc.Deploy(ctx, rita, r.ID, "production", ""))
	finish("production", true)
	return r
}

// evidencePack is what the browser test reads of GET /api/releases/{id}/evidence.
type evidencePack struct {
	Components  []struct{ Service, Version, Digest string }         `json:"components"`
	SignOffs    []struct{ Team, User, Decision, At, Digest string } `json:"signoffs"`
	Checks      []struct{ Name, Result string }                     `json:"checks"`
	Overrides   []struct{ By, Reason string }                       `json:"overrides"`
	Deployments []struct {
		ID     string `json:"id"`
		RunURL string `json:"run_url"`
	} `json:"deployments"`
	Audit []struct {
		Hash *string `json:"hash"`
	} `json:"audit"`
	Chain *struct {
		HeadSeq  int64  `json:"head_seq"`
		HeadHash string `json:"head_hash"`
	} `json:"chain"`
}

// TestEvidenceBrowser opens a train's evidence page in Chromium, as the
// dashboard serves it with the audit chain. It holds what an auditor
// needs (the components with their digests, every sign-off, the
// separation-of-duties checks, the override's reason, the deployments
// with their run links, the events' hashes and the chain's head) and
// agrees with the JSON form; printed, none of it is hidden or cut off; at
// 375 px the page does not scroll sideways; axe finds nothing, in light
// and dark colours and at both sizes; and an unknown release answers 404
// with a page that says so.
func TestEvidenceBrowser(t *testing.T) {
	b := startBrowser(t)
	d := newDashboard(t, nil)
	opts := d.opts
	opts.Audit = d.store // as serve has it: the pack carries the chain
	r := gin.New()
	web.Register(r, opts)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	train := seedEvidenceTrain(t, d)
	id := releases.FormatID(train.ID)
	page := srv.URL + "/releases/" + id + "/evidence"

	// From Go: the page's Content-Security-Policy lets it fetch nothing.
	resp, err := http.Get(srv.URL + "/api/releases/" + id + "/evidence")
	if err != nil {
		t.Fatal(err)
	}
	var pack evidencePack
	err = json.NewDecoder(resp.Body).Decode(&pack)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the JSON form: %d %v", resp.StatusCode, err)
	}
	if len(pack.Components) != 3 || len(pack.SignOffs) != 2 || len(pack.Checks) != 4 || len(pack.Overrides) != 1 ||
		len(pack.Deployments) != 6 || pack.Chain == nil {
		t.Fatalf("the pack is not the story seeded: %+v", pack)
	}
	head, err := d.store.AuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if pack.Chain.HeadSeq != head.Seq || pack.Chain.HeadHash != head.Hash {
		t.Fatalf("the JSON form's chain head %+v, the store's %+v", *pack.Chain, head)
	}

	// wants is what must be on the page for an auditor, by where it is.
	type want struct{ sel, text string }
	var wants []want
	seen := map[want]bool{}
	add := func(sel, text string) {
		if w := (want{sel, text}); text != "" && !seen[w] {
			seen[w] = true
			wants = append(wants, w)
		}
	}
	for _, c := range pack.Components {
		add("#components", c.Service)
		add("#components", c.Version)
		add("#components", c.Digest)
	}
	for _, so := range pack.SignOffs {
		add("#signoffs", so.Team)
		add("#signoffs", so.User)
		add("#signoffs", so.Decision)
		add("#signoffs", so.At)
	}
	for _, c := range pack.Checks {
		add("#checks", c.Name)
		add("#checks", c.Result)
	}
	for _, o := range pack.Overrides {
		add("#overrides", o.Reason)
	}
	for _, dep := range pack.Deployments {
		add("#deployments", dep.ID)
		add("#deployments", dep.RunURL)
	}
	sealed := 0
	for _, e := range pack.Audit {
		if e.Hash != nil {
			sealed++
			add("#audit", *e.Hash)
		}
	}
	if sealed == 0 || sealed == len(pack.Audit) {
		t.Fatalf("%d of %d events sealed; want all but the last report", sealed, len(pack.Audit))
	}
	add("#chain-head", pack.Chain.HeadHash)
	add("#chain-head", fmt.Sprintf("seq %d,", pack.Chain.HeadSeq))
	// shown checks each want against its section's rendered text (what a
	// reader sees: innerText leaves out what is hidden) and that each run
	// link is there and laid out.
	shown := func(t *testing.T, how string) {
		t.Helper()
		texts := map[string]string{}
		for _, w := range wants {
			if _, ok := texts[w.sel]; !ok {
				texts[w.sel] = b.eval(t, `(document.querySelector(`+jsString(w.sel)+`) || {innerText: ""}).innerText`)
			}
			if !strings.Contains(texts[w.sel], w.text) {
				t.Errorf("%s: %s does not show %q", how, w.sel, w.text)
			}
		}
		for _, dep := range pack.Deployments {
			js := `Array.from(document.querySelectorAll("#deployments a")).some(a => a.href === ` + jsString(dep.RunURL) +
				` && a.getClientRects().length > 0)`
			if !evalJSON[bool](t, b, js) {
				t.Errorf("%s: no link to %s's run %s", how, dep.ID, dep.RunURL)
			}
		}
	}
	// overflow lists what is cut off: the page or its body wider than the
	// window, or a box that hides what sticks out of it.
	overflow := func(t *testing.T) []string {
		t.Helper()
		return evalJSON[[]string](t, b, `(() => {
			const out = [], w = window.innerWidth;
			if (document.documentElement.scrollWidth > w) out.push("the page is " + document.documentElement.scrollWidth + " px wide");
			if (document.body.scrollWidth > w) out.push("the body is " + document.body.scrollWidth + " px wide");
			const hides = o => o === "hidden" || o === "clip";
			for (const el of document.querySelectorAll("main *")) {
				const cs = getComputedStyle(el), name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
				if (hides(cs.overflowX) && el.scrollWidth > el.clientWidth + 1)
					out.push(name + " clips " + el.scrollWidth + " px wide to " + el.clientWidth);
				if (hides(cs.overflowY) && el.scrollHeight > el.clientHeight + 1)
					out.push(name + " clips " + el.scrollHeight + " px high to " + el.clientHeight);
			}
			return out;
		})()`)
	}

	t.Run("screen", func(t *testing.T) {
		b.run(t, "desktop", chromedp.EmulateViewport(1280, 800))
		if code := b.open(t, page); code != http.StatusOK {
			t.Fatalf("GET %s: %d", page, code)
		}
		shown(t, "on screen")
		if got := b.eval(t, `document.querySelector("h1").innerText`); !strings.Contains(got, id) || !strings.Contains(got, "checkout-q4") {
			t.Errorf("heading %q, want the release and the train's name", got)
		}
		for _, o := range overflow(t) {
			t.Errorf("at 1280 px %s", o)
		}
		// Only long tokens may break: ids, names, kinds and times read
		// whole ("rit a", "D- 1" and "github_acti ons" did not).
		broken := evalJSON[[]string](t, b, `Array.from(document.querySelectorAll(
				"#signoffs td:nth-child(-n+4), #checks td:nth-child(-n+2), #gates td:nth-child(-n+4), #overrides td:nth-child(-n+3), " +
				"#deployments td:nth-child(1), #deployments td:nth-child(2), #deployments td:nth-child(4), #deployments td:nth-child(8), #audit td:nth-child(-n+5)"))
			.filter(td => { const w = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
				for (let n = w.nextNode(); n; n = w.nextNode()) {
					if (!n.data.trim()) continue;
					const r = document.createRange(); r.selectNodeContents(n);
					if (r.getClientRects().length > 1) return true; // one text over two lines
				}
				return false; })
			.map(td => td.closest("table").id + ": " + JSON.stringify(td.innerText))`)
		for _, s := range broken {
			t.Errorf("at 1280 px %s breaks over lines", s)
		}
		b.screenshot(t, "evidence")
		b.axe(t, "evidence at 1280 px")
		b.media(t, "", "dark")
		defer b.media(t, "", "")
		b.axe(t, "evidence at 1280 px, dark")
	})

	t.Run("print", func(t *testing.T) {
		// An A4 page at 96 px an inch, less Chromium's default margins of 1 cm.
		b.run(t, "A4 width", chromedp.EmulateViewport(718, 1047))
		b.open(t, page)
		b.media(t, "print", "")
		defer b.media(t, "", "")
		if !evalJSON[bool](t, b, `matchMedia("print").matches`) {
			t.Fatal("print media is not emulated")
		}
		if got := b.eval(t, `getComputedStyle(document.querySelector(".topbar")).display`); got != "none" {
			t.Errorf("printed, the top bar is %q, want none (the print layout is not in force)", got)
		}
		shown(t, "printed")
		hidden := evalJSON[[]string](t, b, `Array.from(document.querySelectorAll("main section, main table, main tr, main td, main code, main a, #chain-head"))
			.filter(el => { const cs = getComputedStyle(el); return cs.display === "none" || cs.visibility !== "visible" || el.getClientRects().length === 0; })
			.map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + el.textContent.slice(0, 60))`)
		for _, h := range hidden {
			t.Errorf("printed, %s is hidden", h)
		}
		for _, o := range overflow(t) {
			t.Errorf("printed, %s", o)
		}
		// A box that scrolls prints only the part it shows.
		if boxes := evalJSON[[]string](t, b, `Array.from(document.querySelectorAll("main *"))
			.filter(el => { const o = getComputedStyle(el).overflowX; return (o === "auto" || o === "scroll") && el.scrollWidth > el.clientWidth + 1; })
			.map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + (el.getAttribute("aria-labelledby") || ""))`); len(boxes) > 0 {
			t.Errorf("printed, these boxes scroll, so paper would show part of them: %v", boxes)
		}
		b.screenshot(t, "evidence-print")
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
		if err != nil {
			t.Fatalf("print to PDF: %v", err)
		}
		if pages := regexp.MustCompile(`/Type\s*/Page\b`).FindAll(pdf, -1); !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pages) < 2 {
			t.Errorf("the PDF (%d bytes) has %d pages, want the pack over more than one", len(pdf), len(pages))
		}
		if b.shots != "" {
			if err := os.WriteFile(filepath.Join(b.shots, "evidence.pdf"), pdf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("phone", func(t *testing.T) {
		b.run(t, "375 px", chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2)))
		b.open(t, page)
		shown(t, "at 375 px")
		for _, o := range overflow(t) {
			t.Errorf("at 375 px %s", o)
		}
		b.screenshot(t, "evidence-phone")
		b.axe(t, "evidence at 375 px")
	})

	// The train's own release page links here; it is held to the same
	// rules (its components table once had two landmarks of one name).
	t.Run("release page", func(t *testing.T) {
		b.run(t, "desktop", chromedp.EmulateViewport(1280, 800))
		release := strings.TrimSuffix(page, "/evidence")
		if code := b.open(t, release); code != http.StatusOK {
			t.Fatalf("GET %s: %d", release, code)
		}
		b.axe(t, "the train's release page")
	})

	t.Run("unknown release", func(t *testing.T) {
		b.run(t, "desktop", chromedp.EmulateViewport(1280, 800))
		if code := b.open(t, srv.URL+"/releases/R-999/evidence"); code != http.StatusNotFound {
			t.Errorf("GET /releases/R-999/evidence: %d, want 404", code)
		}
		if got := b.eval(t, `document.querySelector("main").innerText`); !strings.Contains(got, "There is no release R-999.") ||
			!strings.Contains(got, "Back to the releases") {
			t.Errorf("the 404 page says %q, want that there is no such release and a way back", got)
		}
		if got := b.eval(t, `document.title`); !strings.Contains(got, "Not Found") {
			t.Errorf("the 404 page's title %q", got)
		}
		b.screenshot(t, "evidence-404")
		b.axe(t, "the 404 page")
	})
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return fmt.Sprintf("%q", s)
}
