package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestViewScreenshots draws the Home tab and the create form as PNGs for
// the README (docs/slack-home.png, docs/slack-form.png). They are not
// Slack's own rendering: the Block Kit JSON releasebot sends (as the fake
// Slack recorded it) is drawn as HTML by viewHTML below, with the
// dashboard's style sheet. It runs only with RELEASEBOT_SCREENSHOTS=DIR
// and Chromium at /usr/bin/chromium:
//
//	RELEASEBOT_SCREENSHOTS=docs go test -run TestViewScreenshots ./bot/slack/
func TestViewScreenshots(t *testing.T) {
	dir := os.Getenv("RELEASEBOT_SCREENSHOTS")
	if dir == "" {
		t.Skip("RELEASEBOT_SCREENSHOTS is not set")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Skip("no /usr/bin/chromium")
	}
	dir, _ = filepath.Abs(filepath.Join("../..", dir))
	h := newHarness(t, "sqlite://"+filepath.Join(t.TempDir(), "shots.db"))
	h.create(dave, `create payments-api v2.4.0 --window weekly-train --notes "Fixes the login bug on Safari"`)
	h.create(bob, "create ledger v1.9.0")
	h.create(dave, "create search v3.1.0 --envs staging")
	if _, err := h.svc.SignOff(context.Background(), carol, 3, "risk"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SignOff(context.Background(), alice, 3, "payments"); err != nil {
		t.Fatal(err)
	}
	if r := h.command("U0RM1", relChan, `freeze until "2026-12-03 18:00" "payments incident"`); !strings.Contains(r.Text, "frozen") {
		t.Fatal(r.Text)
	}
	h.openHome(alice, "Ev1")
	h.openHome(dave, "Ev2")
	form := h.openForm(dave, relChan)

	css, err := os.ReadFile("../../web/static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{
		"slack-home": viewHTML(t, string(css), json.RawMessage(h.home(alice)), json.RawMessage(h.home(dave))),
		"slack-form": viewHTML(t, string(css), form.Body),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath("/usr/bin/chromium"),
		chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun, chromedp.Flag("disable-gpu", true),
		chromedp.Flag("force-color-profile", "srgb"), chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 700))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	for name, page := range pages {
		file := filepath.Join(t.TempDir(), name+".html")
		if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(browser, 30*time.Second)
		err := chromedp.Do(ctx, chromedp.Navigate("file://"+file))
		var png []byte
		if err == nil {
			png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		}
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// block is the part of Block Kit that viewHTML draws.
type block struct {
	Type    string `json:"type"`
	BlockID string `json:"block_id"`
	Text    *struct {
		Text string `json:"text"`
	} `json:"text"`
	Elements []struct {
		Type  string `json:"type"`
		Text  any    `json:"text"`
		Style string `json:"style"`
	} `json:"elements"`
	Label   struct{ Text string }  `json:"label"`
	Hint    *struct{ Text string } `json:"hint"`
	Element struct {
		Type        string                 `json:"type"`
		Placeholder *struct{ Text string } `json:"placeholder"`
		Multiline   bool                   `json:"multiline"`
	} `json:"element"`
	Optional bool `json:"optional"`
}

type viewJSON struct {
	Type   string                 `json:"type"`
	Title  *struct{ Text string } `json:"title"`
	Submit *struct{ Text string } `json:"submit"`
	Close  *struct{ Text string } `json:"close"`
	Blocks []block                `json:"blocks"`
}

var (
	mdBold    = regexp.MustCompile(`\*([^*\n]+)\*`)
	mdItalic  = regexp.MustCompile(`(^|\s)_([^_\n]+)_`)
	mdCode    = regexp.MustCompile("`([^`\n]+)`")
	mdUser    = regexp.MustCompile(`&lt;@(U[A-Z0-9]+)&gt;`)
	mdChannel = regexp.MustCompile(`&lt;#(C[A-Z0-9]+)&gt;`)
	mdEmoji   = regexp.MustCompile(`:([a-z0-9_+-]+):`)
	// The machine's fonts have no emoji: they are left out rather than
	// drawn as empty boxes.
	emoji = map[string]string{}
	names = map[string]string{alice: "alice", bob: "bob", carol: "carol", dave: "dave", "U0RM1": "rita"}
)

// drawMrkdwn draws Slack's mrkdwn as HTML, roughly.
func drawMrkdwn(s string) string {
	s = html.EscapeString(strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s))
	s = mdCode.ReplaceAllString(s, "<code>$1</code>")
	s = mdBold.ReplaceAllString(s, "<b>$1</b>")
	s = mdItalic.ReplaceAllString(s, "$1<i>$2</i>")
	s = mdUser.ReplaceAllStringFunc(s, func(m string) string {
		return `<span class="mention">@` + names[mdUser.FindStringSubmatch(m)[1]] + "</span>"
	})
	s = mdChannel.ReplaceAllString(s, `<span class="mention">#$1</span>`)
	s = mdEmoji.ReplaceAllStringFunc(s, func(m string) string { return emoji[strings.Trim(m, ":")] })
	s = strings.ReplaceAll(s, "\n&gt; ", "\n<span class=\"quote\">")
	return strings.ReplaceAll(s, "\n", "<br>")
}

// viewHTML draws views side by side, each as a Slack client would frame
// it: a Home tab, or a modal with its title and buttons.
func viewHTML(t *testing.T, css string, views ...json.RawMessage) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><meta charset="utf-8"><style>%s
body { padding: 24px; background: #ece9f1; }
.views { display: flex; gap: 24px; align-items: flex-start; }
.view { background: #fff; border-radius: 10px; box-shadow: 0 2px 10px rgba(0,0,0,.15); width: 520px; overflow: hidden; }
.view .tab { padding: 10px 16px; border-bottom: 1px solid var(--line); font-weight: 700; }
.view .tab span { color: var(--muted); font-weight: normal; margin-left: 1rem; }
.view .body { padding: 8px 16px 16px; }
.blk { margin: 8px 0; }
.hdr { font-size: 1.15rem; font-weight: 800; margin-top: 12px; }
.ctx { color: var(--muted); font-size: 0.85rem; }
hr { border: 0; border-top: 1px solid var(--line); margin: 12px 0; }
.btn { display: inline-block; border: 1px solid #bbb; border-radius: 6px; padding: 3px 12px; margin-right: 8px; font-weight: 700; font-size: 0.85rem; background: #fff; }
.btn.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.btn.danger { color: #e01e5a; border-color: #e01e5a; }
.mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
.quote { border-left: 4px solid #ddd; padding-left: 8px; color: var(--muted); }
label { font-weight: 700; display: block; }
label .opt { color: var(--muted); font-weight: normal; }
.field { border: 1px solid #bbb; border-radius: 6px; padding: 7px 10px; color: #888; margin-top: 4px; }
.field.area { height: 70px; }
.field.select::after { content: "⌄"; float: right; }
.hint { color: var(--muted); font-size: 0.8rem; margin-top: 2px; }
.foot { display: flex; justify-content: flex-end; gap: 8px; padding: 12px 16px; border-top: 1px solid var(--line); }
</style><div class="views">`, css)
	for _, raw := range views {
		var v viewJSON
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		b.WriteString(`<div class="view">`)
		if v.Type == "home" {
			b.WriteString(`<div class="tab">releasebot <span>Home</span><span>Messages</span></div>`)
		} else {
			fmt.Fprintf(&b, `<div class="tab">%s</div>`, html.EscapeString(v.Title.Text))
		}
		b.WriteString(`<div class="body">`)
		for _, blk := range v.Blocks {
			switch blk.Type {
			case "header":
				fmt.Fprintf(&b, `<div class="blk hdr">%s</div>`, html.EscapeString(blk.Text.Text))
			case "section":
				fmt.Fprintf(&b, `<div class="blk">%s</div>`, drawMrkdwn(blk.Text.Text))
			case "context":
				for _, e := range blk.Elements {
					if m, ok := e.Text.(string); ok {
						fmt.Fprintf(&b, `<div class="blk ctx">%s</div>`, drawMrkdwn(m))
					}
				}
			case "divider":
				b.WriteString("<hr>")
			case "actions":
				b.WriteString(`<div class="blk">`)
				for _, e := range blk.Elements {
					text, _ := e.Text.(map[string]any)
					fmt.Fprintf(&b, `<span class="btn %s">%s</span>`, e.Style, html.EscapeString(fmt.Sprint(text["text"])))
				}
				b.WriteString(`</div>`)
			case "input":
				opt := ""
				if blk.Optional {
					opt = ` <span class="opt">(optional)</span>`
				}
				placeholder, class := "", "field"
				if blk.Element.Placeholder != nil {
					placeholder = blk.Element.Placeholder.Text
				}
				switch {
				case strings.Contains(blk.Element.Type, "select"):
					class += " select"
				case blk.Element.Multiline:
					class += " area"
				}
				fmt.Fprintf(&b, `<div class="blk"><label>%s%s</label><div class="%s">%s</div>`, html.EscapeString(blk.Label.Text), opt, class, html.EscapeString(placeholder))
				if blk.Hint != nil {
					fmt.Fprintf(&b, `<div class="hint">%s</div>`, html.EscapeString(blk.Hint.Text))
				}
				b.WriteString(`</div>`)
			}
		}
		b.WriteString(`</div>`)
		if v.Type == "modal" {
			fmt.Fprintf(&b, `<div class="foot"><span class="btn">%s</span><span class="btn primary">%s</span></div>`,
				html.EscapeString(v.Close.Text), html.EscapeString(v.Submit.Text))
		}
		b.WriteString(`</div>`)
	}
	b.WriteString(`</div>`)
	return b.String()
}
