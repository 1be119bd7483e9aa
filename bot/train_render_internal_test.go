package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// A train shows a line per component with each environment's state, the
// failed deployment's link, and what was descoped; its title names the
// train and its services; each team's request names what it owns.
func TestTrainRendering(t *testing.T) {
	cfg := config.Demo()
	v := newView(cfg)
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
