package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored (testdata/axe/README.md says from where):
// the test runs with no network.
const axePath = "testdata/axe/axe.min.js"

// axeViolation is one rule axe-core found broken on a page, with the
// elements that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
	}
	return b.String()
}

// axeRun runs axe-core over the current page against WCAG 2.0 and 2.1,
// levels A and AA, and returns the serious and critical violations.
func axeRun(ctx context.Context) ([]axeViolation, error) {
	all, err := axeViolations(ctx, `{runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]}`)
	if err != nil {
		return nil, err
	}
	var bad []axeViolation
	for _, v := range all {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, v)
		}
	}
	return bad, nil
}

// axeViolations runs axe-core over the current page with the options
// given (a JavaScript object) and returns every violation it reports.
func axeViolations(ctx context.Context, options string) ([]axeViolation, error) {
	src, err := os.ReadFile(axePath)
	if err != nil {
		return nil, err
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
		return nil, fmt.Errorf("load axe-core: %w", err)
	}
	all, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](
		`axe.run(document, `+options+`).then(r => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe.run: %w", err)
	}
	return all, nil
}
