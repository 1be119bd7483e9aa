package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// A train shows a line per component with each environment's state, the
// failed deployment's link, and what was descoped; its title names the
// train and its services; each team's request names what it owns.
func TestTrainRendering(t *testing.T) {
	cfg := config.Demo()
	v := newView(settingsOf(cfg))
	v.policy.Services = map[string]releases.ServicePolicy{"ledger": {Owners: []string{"risk"}}, "payments-api": {Owners: []string{"payments"}}}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := &releases.Release{ID: 9, Name: "checkout-q3", Service: "ledger", Version: "v1.9.0", Status: releases.StatusFailed,
		CreatedBy: "U0DAVE", CreatedAt: at, Teams: []string{"payments", "risk"}, Environments: []string{"staging", "production"},
		Components: []releases.Component{
			{Service: "ledger", Version: "v1.9.0"},
			{Service: "payments-api", Version: "v2.4.0"},
			{Service: "checkout", Version: "v3.1.0", Descoped: true, DescopeReason: "not <ready>"},
		},
		Deployments: []releases.Deployment{
			{ID: 1, Environment: "staging", Service: "ledger", Version: "v1.9.0", Type: releases.TypeDeployment, Status: releases.DeploymentSucceeded, URL: "https://ci/1"},
			{ID: 2, Environment: "staging", Service: "payments-api", Version: "v2.4.0", Type: releases.TypeDeployment, Status: releases.DeploymentFailed, URL: "https://ci/2"},
		},
	}
	status := v.status(r).Text
	for _, want := range []string{
		"R-9 · checkout-q3: ledger v1.9.0, payments-api v2.4.0, checkout v3.1.0 (descoped)",
		"• *ledger* v1.9.0: :white_check_mark: staging · :white_circle: production",
		"• *payments-api* v2.4.0: :x: staging <https://ci/2|log> · :white_circle: production",
		"• *checkout* v3.1.0 — _descoped_: not &lt;ready&gt;: :white_circle: staging",
		"D-2 deployment of payments-api v2.4.0 to staging",
	} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	card := v.card(r)
	if len(card.Blocks) < 3 || !strings.Contains(card.Text, "*payments-api*") {
		t.Errorf("card %+v", card)
	}
	req := v.request(r, "payments").Text
	if !strings.Contains(req, "payments owns payments-api v2.4.0. The train holds ledger v1.9.0, payments-api v2.4.0, checkout v3.1.0.") {
		t.Errorf("request:\n%s", req)
	}
}

// A 20-component train's card fits Slack's limits: a header of at most
// 150 characters naming the train and its size, and sections of at most
// 3000. With short lines every component is listed; when failed
// components' run links make the list too long, the card lists what fits
// and says how many more, pointing at `/release status`, which lists them
// all across sections.
func TestTrainCardFitsSlack(t *testing.T) {
	cfg := config.Demo()
	v := newView(settingsOf(cfg))
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	train := func(failed bool) *releases.Release {
		r := &releases.Release{ID: 12, Name: "checkout-q3", Status: releases.StatusFailed, CreatedBy: "U0DAVE", CreatedAt: at,
			Teams: []string{"payments"}, Environments: []string{"staging", "production"}}
		for i := range 20 {
			svc := fmt.Sprintf("payments-service-%02d", i)
			r.Components = append(r.Components, releases.Component{Service: svc, Version: "v12.4.0"})
			d := releases.Deployment{ID: int64(i + 1), Environment: "staging", Service: svc, Version: "v12.4.0",
				Type: releases.TypeDeployment, Status: releases.DeploymentSucceeded}
			if failed {
				d.Status = releases.DeploymentFailed
				d.URL = fmt.Sprintf("https://github.com/acme/%s/actions/runs/1234567%03d/job/98765432%03d", svc, i, i)
			}
			r.Deployments = append(r.Deployments, d)
		}
		r.Service, r.Version = r.Components[0].Service, r.Components[0].Version
		return r
	}
	check := func(t *testing.T, card Message) string {
		t.Helper()
		var all []string
		for _, b := range card.Blocks {
			n := utf8.RuneCountInString(b.Text)
			if b.Kind == BlockHeader && n > maxHeader {
				t.Errorf("header of %d characters, over Slack's %d: %q", n, maxHeader, b.Text)
			}
			if n > maxSectionText {
				t.Errorf("%s block of %d characters, over Slack's %d", b.Kind, n, maxSectionText)
			}
			all = append(all, b.Text)
		}
		if h := card.Blocks[0].Text; h != "R-12 · checkout-q3 · 20 components" {
			t.Errorf("header %q, want the train's name and size", h)
		}
		return strings.Join(all, "\n")
	}

	t.Run("every component fits", func(t *testing.T) {
		text := check(t, v.card(train(false)))
		for i := range 20 {
			if want := fmt.Sprintf("• *payments-service-%02d* v12.4.0: :white_check_mark: staging · :white_circle: production", i); !strings.Contains(text, want) {
				t.Errorf("card lacks %q", want)
			}
		}
		if strings.Contains(text, "more;") {
			t.Error("the card says components were left out, though all fit")
		}
	})
	t.Run("long links: what fits, and how many more", func(t *testing.T) {
		r := train(true)
		text := check(t, v.card(r))
		listed := strings.Count(text, "• *payments-service-")
		if listed == 20 || listed < 10 {
			t.Fatalf("%d components listed, want the card cut (but most listed)", listed)
		}
		if want := fmt.Sprintf("_… and %d more; `/release status R-12` lists every component._", 20-listed); !strings.Contains(text, want) {
			t.Errorf("card lacks %q:\n%s", want, text)
		}
		if !strings.Contains(text, "• *payments-service-00* v12.4.0: :x: staging <https://github.com/acme/payments-service-00/") {
			t.Errorf("first component's line lacks its run link:\n%s", text)
		}
		// The status reply lists all twenty, split into sections that fit.
		st := v.status(r)
		if n := strings.Count(st.Text, "• *payments-service-"); n != 20 {
			t.Errorf("status lists %d components, want 20", n)
		}
		for _, b := range st.Blocks {
			if n := utf8.RuneCountInString(b.Text); n > maxSectionText {
				t.Errorf("status block of %d characters", n)
			}
		}
	})
}
