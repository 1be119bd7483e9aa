package releases_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// forEachStoreWith is forEachStore over a policy the test shapes.
func forEachStoreWith(t *testing.T, shape func(*releases.Policy), fn func(t *testing.T, e *env)) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		c, g, rec := newClock(), &gate{wait: releases.Wait{Open: true}}, &recorder{}
		p := testPolicy()
		shape(&p)
		svc := releases.NewCoordinator(releases.Options{Store: s, Policy: p, Now: c.Now, Gate: g,
			Notifiers: []releases.Notifier{rec}})
		fn(t, &env{t: t, svc: svc, store: s, clock: c, gate: g, rec: rec})
	})
}

// Environments go in the configured order: --envs may stop early, never
// skip one that comes before one it keeps, unless a release manager
// overrides it with a reason, which is audited.
func TestCreateCannotSkipEnvironments(t *testing.T) {
	threeEnvs := func(p *releases.Policy) {
		p.Environments = []releases.Environment{{Name: "staging"}, {Name: "canary"}, {Name: "production", Manual: true}}
	}
	forEachStoreWith(t, threeEnvs, func(t *testing.T, e *env) {
		tests := []struct {
			name     string
			actor    string
			envs     []string
			teams    []string
			override string
			code     releases.Code // "" for success
			msg      string
			want     string // environments of the release
		}{
			{name: "all by default", actor: dave, want: "staging,canary,production"},
			{name: "stop early", actor: dave, envs: []string{"staging"}, want: "staging"},
			{name: "stop early, two", actor: dave, envs: []string{"canary", "staging"}, want: "staging,canary"},
			{name: "teams narrowing stays allowed", actor: dave, teams: []string{"payments"}, want: "staging,canary,production"},
			{name: "skip the first", actor: dave, envs: []string{"production"}, code: releases.EInvalid,
				msg: "production comes after staging; --envs can stop early but can't skip staging."},
			{name: "skip the middle", actor: dave, envs: []string{"staging", "production"}, code: releases.EInvalid,
				msg: "production comes after canary; --envs can stop early but can't skip canary."},
			{name: "skip with only docs signing", actor: dave, envs: []string{"production"}, teams: []string{"risk"}, code: releases.EInvalid,
				msg: "can't skip staging"},
			{name: "skip by a lead", actor: alice, envs: []string{"canary", "production"}, code: releases.EInvalid, msg: "can't skip staging"},
			{name: "override by a non-release-manager", actor: dave, envs: []string{"production"}, override: "staging is down",
				code: releases.EForbidden, msg: "Only release managers"},
			{name: "override without a skip by a non-release-manager", actor: alice, override: "because", code: releases.EForbidden, msg: "Only release managers"},
			{name: "override that is a zero-width space", actor: rita, envs: []string{"production"}, override: "\u200b",
				code: releases.EInvalid, msg: "U+200B"},
			{name: "override that is only blank", actor: rita, envs: []string{"production"}, override: "\u3164 ",
				code: releases.EInvalid, msg: "no visible text"},
			{name: "override with nothing to override", actor: rita, envs: []string{"staging"}, override: "just because",
				code: releases.EInvalid, msg: "nothing to override"},
			{name: "override by a release manager", actor: rita, envs: []string{"production"}, override: "staging is down (INC-7)",
				want: "production"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				version := "v" + strings.Repeat("1", i+1)
				r, err := e.svc.Create(ctx, tt.actor, releases.CreateInput{Service: "payments-api", Version: version,
					Environments: tt.envs, Teams: tt.teams, Override: tt.override})
				if tt.code != "" {
					if releases.ErrorCode(err) != tt.code || !strings.Contains(releases.ErrorMessage(err), tt.msg) {
						t.Fatalf("err %v (%s), want %s containing %q", err, releases.ErrorCode(err), tt.code, tt.msg)
					}
					if rs, _ := e.svc.List(ctx, releases.Filter{}); slices.ContainsFunc(rs, func(r releases.Release) bool { return r.Version == version }) {
						t.Fatalf("the refused create stored a release")
					}
					return
				}
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				if got := strings.Join(r.Environments, ","); got != tt.want {
					t.Fatalf("environments %q, want %q", got, tt.want)
				}
				events, err := e.store.AuditEvents(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				var overrides []releases.AuditEvent
				for _, ev := range events {
					if strings.Contains(ev.Action, "override") {
						overrides = append(overrides, ev)
					}
				}
				switch {
				case tt.override == "" && len(overrides) != 0:
					t.Fatalf("override audited without one: %+v", overrides)
				case tt.override != "" && (len(overrides) != 1 || overrides[0].Actor != tt.actor ||
					!strings.Contains(overrides[0].Detail, tt.override) || !strings.Contains(overrides[0].Detail, "staging")):
					t.Fatalf("override audit events %+v, want one by %s naming the skipped staging and the reason", overrides, tt.actor)
				}
				if tt.override != "" && r.OverrideBy != "" {
					t.Fatalf("a create override must not set windows and freezes aside: OverrideBy %q", r.OverrideBy)
				}
			})
		}
	})
}

// A lead of a team the release does not need may not deploy, roll back,
// cancel or reschedule it; its own team's lead may.
func TestOtherTeamsLeadCannotOperate(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		// payments-only release; carol leads risk, which it does not need.
		open := func(t *testing.T, version string) *releases.Release {
			t.Helper()
			return e.ok(e.svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: version, Teams: []string{"payments"}}))
		}
		ready := func(t *testing.T, version string) *releases.Release {
			t.Helper()
			e.gate.set(releases.Wait{Reason: "waits for weekly-train", Until: e.clock.Now().Add(4 * time.Hour)})
			defer e.gate.set(releases.Wait{Open: true})
			return e.ok(e.svc.SignOff(ctx, alice, open(t, version).ID, "payments"))
		}
		deployed := func(t *testing.T, version string) *releases.Release {
			t.Helper()
			r := e.ok(e.svc.SignOff(ctx, alice, open(t, version).ID, "payments"))
			return e.report(t, r, releases.DeploymentSucceeded)
		}
		tests := []struct {
			name  string
			setup func(t *testing.T, version string) *releases.Release
			do    func(actor string, id int64) error
		}{
			{name: "deploy", setup: ready, do: func(actor string, id int64) error {
				return errOf(e.svc.Deploy(ctx, actor, id, "", ""))
			}},
			{name: "rollback", setup: deployed, do: func(actor string, id int64) error {
				return errOf(e.svc.Rollback(ctx, actor, id, "staging", "error rate up"))
			}},
			{name: "cancel", setup: ready, do: func(actor string, id int64) error {
				return errOf(e.svc.Cancel(ctx, actor, id, "superseded"))
			}},
			{name: "schedule", setup: ready, do: func(actor string, id int64) error {
				return errOf(e.svc.Schedule(ctx, actor, id, "weekly-train", time.Time{}))
			}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Something to roll back to.
				base := deployed(t, "v0."+strings.Repeat("0", i+1))
				if base.Status != releases.StatusAwaitingPromotion {
					t.Fatalf("base release %s", base.Status)
				}
				r := tt.setup(t, "v1."+strings.Repeat("0", i+1))
				before := e.audit(t, r.ID)
				err := tt.do(carol, r.ID)
				if releases.ErrorCode(err) != releases.EForbidden || !strings.Contains(releases.ErrorMessage(err), "leads of payments") {
					t.Fatalf("%s by another team's lead: %v, want forbidden naming payments' leads", tt.name, err)
				}
				if got := e.audit(t, r.ID); len(got) != len(before) {
					t.Fatalf("the refusal changed the audit trail: %v", got[len(before):])
				}
				if err := tt.do(alice, r.ID); releases.ErrorCode(err) == releases.EForbidden {
					t.Fatalf("%s by the release's own lead: %v", tt.name, err)
				}
			})
		}
	})
}

// Service names are case-insensitive: stored lower-case, so a differently
// written name is the same service, in the open-release rule, in the
// one-deployment-in-flight queue and in history.
func TestServiceNamesAreCaseInsensitive(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		first := e.ok(e.svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: "v1"}))
		first = e.approveAll(t, first.ID)
		if len(first.Deployments) != 1 || first.Deployments[0].Status != releases.DeploymentPending {
			t.Fatalf("first release deployments %+v", first.Deployments)
		}
		second := e.ok(e.svc.Create(ctx, dave, releases.CreateInput{Service: "Payments-API", Version: "v2"}))
		if second.Service != "payments-api" {
			t.Fatalf("service stored as %q, want payments-api", second.Service)
		}
		if _, err := e.svc.Create(ctx, dave, releases.CreateInput{Service: "PAYMENTS-api", Version: "v2"}); releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("a second open release of PAYMENTS-api v2: %v, want conflict", err)
		}
		second = e.approveAll(t, second.ID)
		if got := e.audit(t, second.ID); !slices.Contains(got, releases.ActionDeploymentQueued) {
			t.Fatalf("Payments-API v2 did not queue behind payments-api v1's deployment in flight: %v", got)
		}
		if d := second.Deployments[0]; d.Service != "payments-api" {
			t.Fatalf("deployment service %q", d.Service)
		}
		hist, err := e.svc.History(ctx, "PAYMENTS-API", 0)
		if err != nil || len(hist) != 2 {
			t.Fatalf("history of PAYMENTS-API: %d releases, %v; want 2", len(hist), err)
		}
	})
}

// Text that looks like something it is not is refused: format characters
// anywhere, versions outside [A-Za-z0-9._+-], service names with path
// tricks.
func TestCreateRefusesLookAlikes(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		tests := []struct {
			name string
			in   releases.CreateInput
			msg  string
		}{
			{name: "zero-width space in the service", in: releases.CreateInput{Service: "payments\u200b-api", Version: "v1"}, msg: "not a service name"},
			{name: "parent segment", in: releases.CreateInput{Service: "team/../payments-api", Version: "v1"}, msg: "not a service name"},
			{name: "leading parent segment", in: releases.CreateInput{Service: "../etc", Version: "v1"}, msg: "not a service name"},
			{name: "leading slash", in: releases.CreateInput{Service: "/payments-api", Version: "v1"}, msg: "not a service name"},
			{name: "empty segment", in: releases.CreateInput{Service: "team//payments-api", Version: "v1"}, msg: "not a service name"},
			{name: "trailing slash", in: releases.CreateInput{Service: "team/", Version: "v1"}, msg: "not a service name"},
			{name: "dot segment", in: releases.CreateInput{Service: "team/./api", Version: "v1"}, msg: "not a service name"},
			{name: "shell in the version", in: releases.CreateInput{Service: "api", Version: "v1;rm"}, msg: "not a version"},
			{name: "command substitution", in: releases.CreateInput{Service: "api", Version: "$(id)"}, msg: "not a version"},
			{name: "backtick", in: releases.CreateInput{Service: "api", Version: "v1`id`"}, msg: "not a version"},
			{name: "slash in the version", in: releases.CreateInput{Service: "api", Version: "v1/../x"}, msg: "not a version"},
			{name: "option-like version", in: releases.CreateInput{Service: "api", Version: "-rf"}, msg: "not a version"},
			{name: "non-ASCII letter in the version", in: releases.CreateInput{Service: "api", Version: "v1.0.０"}, msg: "not a version"},
			{name: "bidi override in the version", in: releases.CreateInput{Service: "api", Version: "v1\u202e"}, msg: "not a version"},
			{name: "bidi override in the notes", in: releases.CreateInput{Service: "api", Version: "v1", Notes: "fixes \u202elogin"}, msg: "U+202E"},
			{name: "isolate in the notes", in: releases.CreateInput{Service: "api", Version: "v1", Notes: "a\u2066b"}, msg: "U+2066"},
			{name: "byte order mark in the notes", in: releases.CreateInput{Service: "api", Version: "v1", Notes: "\ufeffnotes"}, msg: "U+FEFF"},
			{name: "invisible notes", in: releases.CreateInput{Service: "api", Version: "v1", Notes: "\u2800\u3164"}, msg: "no visible text"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.Create(ctx, dave, tt.in)
				if releases.ErrorCode(err) != releases.EInvalid || !strings.Contains(releases.ErrorMessage(err), tt.msg) {
					t.Fatalf("err %v (%s), want invalid containing %q", err, releases.ErrorCode(err), tt.msg)
				}
			})
		}
		if rs, _ := e.svc.List(ctx, releases.Filter{}); len(rs) != 0 {
			t.Fatalf("refused creates stored %d releases", len(rs))
		}
		// What stays allowed.
		for _, in := range []releases.CreateInput{
			{Service: "team_1/pay.ments-api", Version: "2026.12.01+build7"},
			{Service: "api", Version: "v2.4.0-rc.1_b"},
			{Service: "api", Version: "v1", Notes: "  "}, // blank notes are no notes
		} {
			r := e.ok(e.svc.Create(ctx, dave, in))
			if r.Notes != "" && strings.TrimSpace(in.Notes) == "" {
				t.Fatalf("blank notes stored as %q", r.Notes)
			}
		}
	})
}

// Reasons people read in threads refuse format characters and text with
// nothing visible in it; a reason of only spaces is no reason.
func TestReasonsRefuseLookAlikes(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.gate.set(releases.Wait{Reason: "waits for weekly-train", Until: e.clock.Now().Add(4 * time.Hour)})
		r := e.approveAll(t, e.create(t, "v1").ID)
		tests := []struct {
			name string
			do   func() error
			msg  string
		}{
			{name: "override of a zero-width space", msg: "U+200B", do: func() error { return errOf(e.svc.Deploy(ctx, rita, r.ID, "", "\u200b")) }},
			{name: "override of a blank filler", msg: "no visible text", do: func() error { return errOf(e.svc.Deploy(ctx, rita, r.ID, "", "\u3164")) }},
			{name: "override with a bidi override", msg: "U+202E", do: func() error { return errOf(e.svc.Deploy(ctx, rita, r.ID, "", "outage \u202e")) }},
			{name: "cancel reason", msg: "U+2067", do: func() error { return errOf(e.svc.Cancel(ctx, dave, r.ID, "x\u2067y")) }},
			{name: "reject reason", msg: "U+200D", do: func() error { return errOf(e.svc.Reject(ctx, alice, r.ID, "", "no\u200d")) }},
			{name: "freeze reason", msg: "U+FEFF", do: func() error {
				_, _, err := e.svc.Freeze(ctx, rita, e.clock.Now().Add(time.Hour), "\ufeffholiday")
				return err
			}},
			{name: "freeze reason of a zero-width space", msg: "U+200B", do: func() error {
				_, _, err := e.svc.Freeze(ctx, rita, e.clock.Now().Add(time.Hour), "\u200b")
				return err
			}},
		}
		before := e.audit(t, r.ID)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.do()
				if releases.ErrorCode(err) != releases.EInvalid || !strings.Contains(releases.ErrorMessage(err), tt.msg) {
					t.Fatalf("err %v (%s), want invalid containing %q", err, releases.ErrorCode(err), tt.msg)
				}
			})
		}
		if got := e.audit(t, r.ID); len(got) != len(before) {
			t.Fatalf("refusals changed the release: %v", got[len(before):])
		}
		if fs, _ := e.svc.Freezes(ctx); len(fs) != 0 {
			t.Fatalf("a refused freeze was stored: %+v", fs)
		}
	})
}
