package webhooks_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// ledgerSecret signs ledger's own staging target, and its callbacks.
const ledgerSecret = "ledger-deploy-secret-0123456789"

// With a catalog, a service's vars reach its webhook as "vars", and a
// service's own deploy serves that service only: the others still go to
// the environment's target. Callbacks are checked with the secret of the
// target that was called.
func TestCatalogTargetsAndVars(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		c := newClock()
		cfg, deployers := newConfig(t, c, []env{{name: "staging", secret: stagingSecret}})
		own := newDeployer(t, ledgerSecret, c)
		ledgerDeploy := cfg.Environments[0].Deploy
		ledgerDeploy.URL, ledgerDeploy.Secret = own.URL()+"/ledger", config.Secret(ledgerSecret)
		cfg.Services = []config.Service{
			{Name: "payments-api", Teams: []string{"payments"}, Vars: map[string]map[string]string{"staging": {"REPLICAS": "2", "TIER": "web"}}},
			{Name: "ledger", Teams: []string{"payments"}, Deploy: map[string]config.Deploy{"staging": ledgerDeploy},
				Vars: map[string]map[string]string{"staging": {"REGION": "eu"}}},
			{Name: "search", Teams: []string{"payments"}},
		}
		h := &harness{t: t, store: s, clock: c, cfg: cfg, deployers: deployers, logs: &syncBuffer{}}
		h.wire(s)

		ids := map[string]int64{}
		for _, service := range []string{"payments-api", "ledger", "search"} {
			r := h.ok(h.svc.Create(ctx, dave, releases.CreateInput{Service: service, Version: "v1"}))
			r = h.ok(h.svc.SignOff(ctx, alice, r.ID, "payments"))
			ids[service] = r.Deployments[0].ID
		}
		if n := h.runOnce(); n != 3 {
			t.Fatalf("worker handled %d deployments, want 3", n)
		}

		type sent struct {
			service string
			vars    map[string]string
			hasVars bool
		}
		seen := func(d *deployer) []sent {
			var out []sent
			for _, r := range d.requests() {
				if r.verifyErr != nil {
					t.Errorf("%s's request is not signed with its target's secret: %v", r.payload.Service, r.verifyErr)
				}
				var raw map[string]json.RawMessage
				if err := json.Unmarshal(r.raw, &raw); err != nil {
					t.Fatal(err)
				}
				_, has := raw["vars"]
				out = append(out, sent{service: r.payload.Service, vars: r.payload.Vars, hasVars: has})
			}
			return out
		}
		byService := func(ss []sent) map[string]sent {
			m := map[string]sent{}
			for _, s := range ss {
				m[s.service] = s
			}
			return m
		}
		envTarget := byService(seen(deployers["staging"]))
		ownTarget := byService(seen(own))
		if want := map[string]sent{
			"payments-api": {service: "payments-api", vars: map[string]string{"REPLICAS": "2", "TIER": "web"}, hasVars: true},
			"search":       {service: "search"},
		}; !reflect.DeepEqual(envTarget, want) {
			t.Errorf("the environment's target got %+v, want %+v", envTarget, want)
		}
		if want := map[string]sent{
			"ledger": {service: "ledger", vars: map[string]string{"REGION": "eu"}, hasVars: true},
		}; !reflect.DeepEqual(ownTarget, want) {
			t.Errorf("ledger's own target got %+v, want %+v", ownTarget, want)
		}

		// ledger's callback verifies with ledger's secret, not staging's;
		// the other services' with staging's.
		did := releases.FormatDeploymentID(ids["ledger"])
		body := []byte(`{"deployment_id": "` + did + `", "status": "succeeded"}`)
		if rec := h.callback(did, signed(t, stagingSecret, "msg_wrong", c.Now(), body), body); rec.Code != http.StatusUnauthorized {
			t.Errorf("ledger's callback signed with the environment's secret: %d, want 401", rec.Code)
		}
		if got := h.deployment(ids["ledger"]); got.Status != releases.DeploymentInProgress {
			t.Errorf("a refused callback changed ledger's deployment to %s", got.Status)
		}
		h.report(ids["ledger"], ledgerSecret, "succeeded")
		h.report(ids["search"], stagingSecret, "succeeded")
		for _, service := range []string{"ledger", "search"} {
			if got := h.deployment(ids[service]); got.Status != releases.DeploymentSucceeded {
				t.Errorf("%s's deployment is %s after its callback, want succeeded", service, got.Status)
			}
		}
	})
}
