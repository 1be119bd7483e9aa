package releases_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

const wendy = "U0WENDY" // web lead

// trainCatalog adds a team "web" and a catalog: checkout → payments-api →
// ledger, and search on its own.
func trainCatalog(p *releases.Policy) {
	p.Teams = append(p.Teams, releases.Team{Name: "web", Leads: []string{wendy}, Approvals: 1})
	p.Services = map[string]releases.ServicePolicy{
		"ledger":       {Owners: []string{"payments"}},
		"payments-api": {Owners: []string{"payments"}},
		"checkout":     {Owners: []string{"web"}},
		"search":       {Owners: []string{"web"}},
	}
	p.DependsOn = map[string][]string{"payments-api": {"ledger"}, "checkout": {"payments-api"}}
}

func components(pairs ...string) []releases.ComponentInput {
	var out []releases.ComponentInput
	for _, p := range pairs {
		s, v, _ := strings.Cut(p, "@")
		out = append(out, releases.ComponentInput{Service: s, Version: v})
	}
	return out
}

// train opens a train of pairs ("ledger@v2") for envs, by dave, and signs
// it off by payments and web.
func (e *env) train(t *testing.T, envs []string, pairs ...string) *releases.Release {
	t.Helper()
	r := e.ok(e.svc.Create(ctx, dave, releases.CreateInput{Name: "q3", Components: components(pairs...), Environments: envs}))
	for _, team := range r.Teams {
		switch team {
		case "payments":
			r = e.ok(e.svc.SignOff(ctx, alice, r.ID, team))
		case "web":
			r = e.ok(e.svc.SignOff(ctx, wendy, r.ID, team))
		default:
			t.Fatalf("unexpected team %s", team)
		}
	}
	return r
}

// pendingIn returns the services with a pending deployment to env, sorted.
func pendingIn(r *releases.Release, env string) []string {
	var out []string
	for _, d := range r.Deployments {
		if d.Environment == env && d.Status == releases.DeploymentPending {
			out = append(out, d.Service)
		}
	}
	slices.Sort(out)
	return out
}

// finish reports status for service's newest deployment to env.
func (e *env) finish(t *testing.T, r *releases.Release, env, service string, status releases.DeploymentStatus) *releases.Release {
	t.Helper()
	d, ok := r.ComponentDeployment(env, service)
	if !ok {
		t.Fatalf("%s has no deployment of %s to %s: %+v", releases.FormatID(r.ID), service, env, r.Deployments)
	}
	e.markSent(t, d.ID)
	return e.ok(e.svc.ReportDeployment(ctx, "deployer", d.ID, releases.StatusReport{Status: status,
		URL: "https://ci.example.com/" + service}))
}

func TestTrainSignOffAggregatesOwners(t *testing.T) {
	forEachStoreWith(t, trainCatalog, func(t *testing.T, e *env) {
		// alice (a payments lead) opens it: four-eyes keeps her from
		// signing off; bob signs once for both payments services.
		r := e.ok(e.svc.Create(ctx, alice, releases.CreateInput{Components: components("checkout@v3", "ledger@v2", "payments-api@v5"),
			Teams: []string{"risk"}}))
		if got := strings.Join(r.Teams, ","); got != "payments,risk,web" {
			t.Fatalf("teams %s, want the owners of every component and --teams", got)
		}
		if r.Service != "checkout" || r.Version != "v3" || len(r.Components) != 3 {
			t.Fatalf("service %s %s, components %+v; want the first component and all three", r.Service, r.Version, r.Components)
		}
		if _, err := e.svc.SignOff(ctx, alice, r.ID, "payments"); releases.ErrorCode(err) != releases.EForbidden {
			t.Fatalf("the creator signing off: %v, want forbidden (four-eyes)", err)
		}
		r = e.ok(e.svc.SignOff(ctx, bob, r.ID, "payments"))
		r = e.ok(e.svc.SignOff(ctx, wendy, r.ID, "web"))
		r = e.ok(e.svc.SignOff(ctx, carol, r.ID, "risk"))
		if r.Status != releases.StatusAwaitingSignoff {
			t.Fatalf("risk needs two: status %s", r.Status)
		}
		r = e.ok(e.svc.SignOff(ctx, dan, r.ID, "risk"))
		if r.Status != releases.StatusDeploying || !slices.Equal(pendingIn(r, "staging"), []string{"ledger"}) {
			t.Fatalf("after every team: %s, pending %v; want deploying ledger first", r.Status, pendingIn(r, "staging"))
		}
	})
}

func TestTrainCreateRefusals(t *testing.T) {
	cyclic := func(p *releases.Policy) {
		trainCatalog(p)
		p.DependsOn["ledger"] = []string{"checkout"}
	}
	forEachStoreWith(t, cyclic, func(t *testing.T, e *env) {
		tests := []struct {
			name  string
			pairs []string
			want  string
		}{
			{name: "cycle", pairs: []string{"ledger@v1", "payments-api@v1", "checkout@v1"}, want: "circle"},
			{name: "service twice", pairs: []string{"search@v1", "Search@v2"}, want: "twice"},
			{name: "unknown service", pairs: []string{"search@v1", "nope@v1"}, want: "no service"},
			{name: "bad version", pairs: []string{"search@v1", "ledger@-x"}, want: "not a version"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.Create(ctx, dave, releases.CreateInput{Components: components(tt.pairs...)})
				if releases.ErrorCode(err) != releases.EInvalid || !strings.Contains(releases.ErrorMessage(err), tt.want) {
					t.Fatalf("create %v: %v; want invalid, saying %q", tt.pairs, err, tt.want)
				}
			})
		}
		// Without the cycle's last edge the same train is fine.
		if _, err := e.svc.Create(ctx, dave, releases.CreateInput{Components: components("ledger@v1", "search@v1")}); err != nil {
			t.Fatal(err)
		}
	})
}

// Components deploy in dependency order, independent ones in parallel,
// and the train promotes only once every component succeeded.
func TestTrainOrderAndPromotion(t *testing.T) {
	forEachStoreWith(t, trainCatalog, func(t *testing.T, e *env) {
		r := e.train(t, nil, "checkout@v3", "search@v9", "payments-api@v5", "ledger@v2")
		step := func(svc string, wantStatus releases.Status, wantPending ...string) {
			t.Helper()
			r = e.finish(t, r, "staging", svc, releases.DeploymentSucceeded)
			if r.Status != wantStatus || !slices.Equal(pendingIn(r, "staging"), wantPending) {
				t.Fatalf("after %s: %s, pending %v; want %s, %v", svc, r.Status, pendingIn(r, "staging"), wantStatus, wantPending)
			}
		}
		if got := pendingIn(r, "staging"); !slices.Equal(got, []string{"ledger", "search"}) {
			t.Fatalf("first in staging: %v, want ledger and search in parallel", got)
		}
		step("ledger", releases.StatusDeploying, "payments-api", "search")
		step("search", releases.StatusDeploying, "payments-api")
		step("payments-api", releases.StatusDeploying, "checkout")
		for _, d := range r.Deployments {
			if d.Environment == "production" {
				t.Fatalf("production started before staging was done: %+v", d)
			}
		}
		step("checkout", releases.StatusAwaitingPromotion)
		r = e.ok(e.svc.Deploy(ctx, dave, r.ID, "production", ""))
		if got := pendingIn(r, "production"); !slices.Equal(got, []string{"ledger", "search"}) {
			t.Fatalf("production starts with %v, want ledger and search", got)
		}
		for _, svc := range []string{"ledger", "search", "payments-api"} {
			r = e.finish(t, r, "production", svc, releases.DeploymentSucceeded)
		}
		r = e.finish(t, r, "production", "checkout", releases.DeploymentSucceeded)
		if r.Status != releases.StatusDeployed {
			t.Fatalf("all done: %s", r.Status)
		}
		got, err := e.svc.List(ctx, releases.Filter{Service: "payments-api"})
		if err != nil || len(got) != 1 || got[0].ID != r.ID {
			t.Fatalf("list by a component's service: %d releases, %v", len(got), err)
		}
	})
}

// A failure anywhere halts the train: the release fails, the thread names
// what failed with its link, nothing new starts, what is in flight
// finishes; a retry picks up from there.
func TestTrainFailureAtEachPosition(t *testing.T) {
	for _, failing := range []string{"ledger", "payments-api", "checkout"} {
		t.Run(failing, func(t *testing.T) {
			forEachStoreWith(t, trainCatalog, func(t *testing.T, e *env) {
				r := e.train(t, []string{"staging"}, "ledger@v2", "payments-api@v5", "checkout@v3", "search@v9")
				for _, svc := range []string{"ledger", "payments-api", "checkout"} {
					if svc == failing {
						break
					}
					r = e.finish(t, r, "staging", svc, releases.DeploymentSucceeded)
				}
				before := len(r.Deployments)
				r = e.finish(t, r, "staging", failing, releases.DeploymentFailed)
				if r.Status != releases.StatusFailed || len(r.Deployments) != before {
					t.Fatalf("after %s failed: %s with %d deployments (had %d)", failing, r.Status, len(r.Deployments), before)
				}
				events, _ := e.store.AuditEvents(ctx, r.ID)
				last := events[len(events)-1]
				if last.Action != releases.ActionFailed || !strings.Contains(last.Detail, failing) ||
					!strings.Contains(last.Detail, "https://ci.example.com/"+failing) || !strings.Contains(last.Detail, "retry") {
					t.Fatalf("failure event %+v", last)
				}
				// search was in flight: it finishes; nothing else starts.
				r = e.finish(t, r, "staging", "search", releases.DeploymentSucceeded)
				if r.Status != releases.StatusFailed || len(r.Deployments) != before {
					t.Fatalf("after search finished: %s, %d deployments; want failed and nothing new", r.Status, len(r.Deployments))
				}
				if _, err := e.svc.Retry(ctx, carol, r.ID, ""); releases.ErrorCode(err) != releases.EForbidden {
					t.Fatalf("retry by a lead of no team of the train: %v", err)
				}
				r = e.ok(e.svc.Retry(ctx, dave, r.ID, ""))
				if r.Status != releases.StatusDeploying || !slices.Equal(pendingIn(r, "staging"), []string{failing}) {
					t.Fatalf("after retry: %s, pending %v", r.Status, pendingIn(r, "staging"))
				}
				for _, svc := range []string{"ledger", "payments-api", "checkout"} {
					if d, _ := r.ComponentDeployment("staging", svc); d.Status != releases.DeploymentSucceeded {
						r = e.finish(t, r, "staging", svc, releases.DeploymentSucceeded)
					}
				}
				if r.Status != releases.StatusDeployed {
					t.Fatalf("retried to the end: %s", r.Status)
				}
			})
		})
	}
}

func TestRetryOneService(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		r := e.approveAll(t, e.create(t, "v1").ID)
		if _, err := e.svc.Retry(ctx, dave, r.ID, ""); releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("retry of a deploying release: %v", err)
		}
		r = e.report(t, r, releases.DeploymentFailed)
		if r.Status != releases.StatusFailed {
			t.Fatalf("status %s", r.Status)
		}
		if _, err := e.svc.Retry(ctx, dave, r.ID, "ledger"); releases.ErrorCode(err) != releases.EInvalid {
			t.Fatalf("retry of a service that did not fail: %v", err)
		}
		r = e.ok(e.svc.Retry(ctx, dave, r.ID, ""))
		if r.Status != releases.StatusDeploying || len(r.Deployments) != 2 || r.Deployments[1].Status != releases.DeploymentPending {
			t.Fatalf("after retry: %s %+v", r.Status, r.Deployments)
		}
		r = e.report(t, r, releases.DeploymentSucceeded)
		if r.Status != releases.StatusAwaitingPromotion {
			t.Fatalf("after the retry succeeded: %s", r.Status)
		}
		if got := e.audit(t, r.ID); !slices.Contains(got, releases.ActionRetried) {
			t.Fatalf("audit %v lacks the retry", got)
		}
	})
}

func TestDescope(t *testing.T) {
	forEachStoreWith(t, trainCatalog, func(t *testing.T, e *env) {
		r := e.train(t, nil, "ledger@v2", "payments-api@v5", "checkout@v3")
		r = e.finish(t, r, "staging", "ledger", releases.DeploymentSucceeded)
		r = e.finish(t, r, "staging", "payments-api", releases.DeploymentFailed)
		if _, err := e.svc.Descope(ctx, alice, r.ID, "payments-api", "not ready"); releases.ErrorCode(err) != releases.EForbidden {
			t.Fatalf("descope by a lead who is not the creator: %v", err)
		}
		if _, err := e.svc.Descope(ctx, dave, r.ID, "payments-api", ""); releases.ErrorCode(err) != releases.EInvalid {
			t.Fatalf("descope without a reason: %v", err)
		}
		// The failed middle leaves; what waited for it goes on.
		r = e.ok(e.svc.Descope(ctx, dave, r.ID, "payments-api", "schema not ready"))
		if c, _ := r.Component("payments-api"); !c.Descoped || c.DescopeReason != "schema not ready" {
			t.Fatalf("component %+v", c)
		}
		if r.Status != releases.StatusDeploying || !slices.Equal(pendingIn(r, "staging"), []string{"checkout"}) {
			t.Fatalf("after descope: %s, pending %v", r.Status, pendingIn(r, "staging"))
		}
		if _, err := e.svc.Descope(ctx, rita, r.ID, "checkout", "too"); releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("descope with a deployment in flight: %v", err)
		}
		r = e.finish(t, r, "staging", "checkout", releases.DeploymentSucceeded)
		if r.Status != releases.StatusAwaitingPromotion {
			t.Fatalf("staging done without the descoped one: %s", r.Status)
		}
		// checkout depended on ledger through payments-api alone: now
		// both go at once.
		r = e.ok(e.svc.Deploy(ctx, dave, r.ID, "production", ""))
		if got := pendingIn(r, "production"); !slices.Equal(got, []string{"checkout", "ledger"}) {
			t.Fatalf("production: %v", got)
		}
		r = e.finish(t, r, "production", "ledger", releases.DeploymentSucceeded)
		r = e.finish(t, r, "production", "checkout", releases.DeploymentSucceeded)
		if r.Status != releases.StatusDeployed {
			t.Fatalf("status %s", r.Status)
		}
		for _, d := range r.Deployments {
			if d.Environment == "production" && d.Service == "payments-api" {
				t.Fatalf("the descoped service went to production: %+v", d)
			}
		}
		// Waiting only on the descoped one completes an environment.
		r2 := e.train(t, []string{"staging"}, "ledger@v3", "search@v1")
		r2 = e.finish(t, r2, "staging", "ledger", releases.DeploymentSucceeded)
		r2 = e.finish(t, r2, "staging", "search", releases.DeploymentFailed)
		r2 = e.ok(e.svc.Descope(ctx, rita, r2.ID, "search", "flaky"))
		if r2.Status != releases.StatusDeployed {
			t.Fatalf("descoping the only failure of a done environment: %s", r2.Status)
		}
		if _, err := e.svc.Descope(ctx, dave, e.create(t, "v9").ID, "payments-api", "x"); releases.ErrorCode(err) != releases.EInvalid {
			t.Fatalf("descope of a one-service release: %v", err)
		}
	})
}

// With on_failure: halt (the default) a failure waits for people; with
// on_failure: rollback the environment rolls back by itself once nothing
// is in flight, dependents first, one service at a time.
func TestOnFailure(t *testing.T) {
	for _, mode := range []string{"", releases.OnFailureRollback} {
		t.Run("on_failure="+mode, func(t *testing.T) {
			shape := func(p *releases.Policy) {
				trainCatalog(p)
				p.Environments[0].OnFailure = mode
			}
			forEachStoreWith(t, shape, func(t *testing.T, e *env) {
				// What runs in staging before: ledger v1, payments-api v4.
				old := e.train(t, []string{"staging"}, "ledger@v1", "payments-api@v4")
				old = e.finish(t, old, "staging", "ledger", releases.DeploymentSucceeded)
				old = e.finish(t, old, "staging", "payments-api", releases.DeploymentSucceeded)
				r := e.train(t, nil, "ledger@v2", "payments-api@v5", "checkout@v3", "search@v9")
				r = e.finish(t, r, "staging", "ledger", releases.DeploymentSucceeded)
				r = e.finish(t, r, "staging", "payments-api", releases.DeploymentFailed)
				if r.Status != releases.StatusFailed {
					t.Fatalf("status %s", r.Status)
				}
				var rollbacks []string
				rb := func() {
					rollbacks = rollbacks[:0]
					for _, d := range r.Deployments {
						if d.Type == releases.TypeRollback {
							rollbacks = append(rollbacks, d.Service+"@"+d.Version+":"+string(d.Status))
						}
					}
				}
				rb()
				if len(rollbacks) > 0 {
					t.Fatalf("a rollback started while search was in flight: %v", rollbacks)
				}
				r = e.finish(t, r, "staging", "search", releases.DeploymentSucceeded)
				rb()
				if mode == "" {
					if len(rollbacks) > 0 || r.Status != releases.StatusFailed {
						t.Fatalf("halt: %s, rollbacks %v", r.Status, rollbacks)
					}
					// People decide: roll the environment back.
					r = e.ok(e.svc.Rollback(ctx, dave, r.ID, "staging", "payments broke"))
					rb()
				}
				// Dependents first: payments-api (failed), then search and
				// ledger; search has no earlier version, so it stays.
				if !slices.Equal(rollbacks, []string{"payments-api@v4:pending"}) {
					t.Fatalf("rollbacks %v, want payments-api back to v4 first", rollbacks)
				}
				r = e.finish(t, r, "staging", "payments-api", releases.DeploymentSucceeded)
				rb()
				if !slices.Equal(rollbacks, []string{"payments-api@v4:succeeded", "ledger@v1:pending"}) || r.Status != releases.StatusFailed {
					t.Fatalf("after the first: %s, rollbacks %v", r.Status, rollbacks)
				}
				r = e.finish(t, r, "staging", "ledger", releases.DeploymentSucceeded)
				if r.Status != releases.StatusRolledBack {
					t.Fatalf("after the last rollback: %s", r.Status)
				}
				if d, _ := r.ComponentDeployment("staging", "search"); d.Status != releases.DeploymentSucceeded || d.Type != releases.TypeDeployment {
					t.Fatalf("search, with nothing to go back to, %+v", d)
				}
			})
		})
	}
}

// The one-at-a-time lane per service and environment holds across
// releases: a train's component queues behind another release's
// deployment of its service, and the thread says so.
func TestTrainComponentQueues(t *testing.T) {
	forEachStoreWith(t, trainCatalog, func(t *testing.T, e *env) {
		other := e.ok(e.svc.Create(ctx, dave, releases.CreateInput{Service: "search", Version: "v8"}))
		other = e.ok(e.svc.SignOff(ctx, wendy, other.ID, "web"))
		if other.Status != releases.StatusDeploying {
			t.Fatalf("status %s", other.Status)
		}
		r := e.train(t, nil, "ledger@v2", "search@v9")
		events, _ := e.store.AuditEvents(ctx, r.ID)
		var queued []string
		for _, ev := range events {
			if ev.Action == releases.ActionDeploymentQueued {
				queued = append(queued, ev.Detail)
			}
		}
		d, _ := r.ComponentDeployment("staging", "search")
		want := releases.FormatDeploymentID(d.ID) + " (search) waits for " + releases.FormatID(other.ID) + "'s deployment to staging"
		if len(queued) != 1 || !strings.HasPrefix(queued[0], want) {
			t.Fatalf("queued %q, want one starting %q", queued, want)
		}
	})
}
