package releases_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

func TestLifecycle(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		r := e.create(t, "v1.0.0")
		if r.Status != releases.StatusAwaitingSignoff || r.ID == 0 || r.CreatedBy != dave {
			t.Fatalf("created %+v", r)
		}
		if got := strings.Join(r.Teams, ","); got != "payments,risk" {
			t.Fatalf("default teams %q, want all", got)
		}
		if got := strings.Join(r.Environments, ","); got != "staging,production" {
			t.Fatalf("default environments %q, want all in order", got)
		}
		r = e.ok(e.svc.SignOff(ctx, alice, r.ID, "payments"))
		r = e.ok(e.svc.SignOff(ctx, carol, r.ID, ""))
		if r.Status != releases.StatusAwaitingSignoff {
			t.Fatalf("risk needs two sign-offs; status %s", r.Status)
		}
		r = e.ok(e.svc.SignOff(ctx, dan, r.ID, "risk"))
		if r.Status != releases.StatusDeploying || len(r.Deployments) != 1 {
			t.Fatalf("after the last sign-off: status %s, %d deployments; want deploying with one", r.Status, len(r.Deployments))
		}
		d := r.Deployments[0]
		if d.Environment != "staging" || d.Status != releases.DeploymentPending || d.Version != "v1.0.0" ||
			d.PreviousVersion != "" || d.RequestedBy != dave || d.Type != releases.TypeDeployment {
			t.Fatalf("first deployment %+v", d)
		}
		r = e.report(t, r, releases.DeploymentInProgress) // sends it
		e.clock.Advance(time.Minute)
		r = e.ok(e.svc.ReportDeployment(ctx, "deployer", d.ID, releases.StatusReport{
			Status: releases.DeploymentSucceeded, Message: "all green", URL: "https://ci.example.com/run/9"}))
		if r.Status != releases.StatusAwaitingPromotion {
			t.Fatalf("production is manual: status %s, want awaiting_promotion", r.Status)
		}
		if got := r.Deployments[0]; got.Message != "all green" || got.URL != "https://ci.example.com/run/9" || got.FinishedAt.IsZero() {
			t.Fatalf("staging deployment after success %+v", got)
		}
		r = e.ok(e.svc.Deploy(ctx, dave, r.ID, "production", ""))
		if r.Status != releases.StatusDeploying || r.Deployments[1].Environment != "production" || r.Deployments[1].RequestedBy != dave {
			t.Fatalf("after promotion: %s %+v", r.Status, r.Deployments)
		}
		r = e.report(t, r, releases.DeploymentSucceeded)
		if r.Status != releases.StatusDeployed {
			t.Fatalf("status %s, want deployed", r.Status)
		}
		want := []string{"created", "signed_off", "signed_off", "signed_off", "ready", "deployment_started",
			"deployment_status", "deployment_status", "awaiting_promotion", "deployment_started", "deployment_status", "deployed"}
		if got := e.audit(t, r.ID); !slices.Equal(got, want) {
			t.Fatalf("audit\n got %v\nwant %v", got, want)
		}
		if got := e.rec.actions(); !slices.Equal(got, want) {
			t.Fatalf("notified\n got %v\nwant %v", got, want)
		}
		stored := e.ok(e.svc.Get(ctx, r.ID))
		if stored.Status != releases.StatusDeployed || len(stored.SignOffs) != 3 || len(stored.Deployments) != 2 {
			t.Fatalf("stored %+v", stored)
		}

		// The next release of the service replaces v1.0.0 and can roll back to it.
		r2 := e.approveAll(t, e.create(t, "v1.1.0").ID)
		if got := r2.Deployments[0].PreviousVersion; got != "v1.0.0" {
			t.Fatalf("previous version %q, want v1.0.0", got)
		}
		r2 = e.report(t, r2, releases.DeploymentSucceeded)
		r2 = e.ok(e.svc.Rollback(ctx, carol, r2.ID, "", "error rate up"))
		rb := r2.Deployments[len(r2.Deployments)-1]
		if rb.Type != releases.TypeRollback || rb.Environment != "staging" || rb.Version != "v1.0.0" || rb.PreviousVersion != "v1.1.0" {
			t.Fatalf("rollback deployment %+v", rb)
		}
		r2 = e.report(t, r2, releases.DeploymentSucceeded)
		if r2.Status != releases.StatusRolledBack || r2.Deployments[0].Status != releases.DeploymentRolledBack || r2.Reason != "error rate up" {
			t.Fatalf("after rollback: %s, staging %s, reason %q", r2.Status, r2.Deployments[0].Status, r2.Reason)
		}
		// A third release rolls back past the rolled-back one, to what runs.
		r3 := e.approveAll(t, e.create(t, "v1.2.0").ID)
		if got := r3.Deployments[0].PreviousVersion; got != "v1.0.0" {
			t.Fatalf("previous version after a rollback %q, want v1.0.0", got)
		}
	})
}

func TestCreateValidation(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		tests := []struct {
			name string
			in   releases.CreateInput
			code releases.Code
			msg  string
		}{
			{name: "bad service", in: releases.CreateInput{Service: "pay ments", Version: "v1"}, code: releases.EInvalid, msg: "not a service name"},
			{name: "empty version", in: releases.CreateInput{Service: "api", Version: ""}, code: releases.EInvalid, msg: "not a version"},
			{name: "unknown team", in: releases.CreateInput{Service: "api", Version: "v1", Teams: []string{"paymnts"}}, code: releases.EInvalid, msg: `no team "paymnts"`},
			{name: "unknown env", in: releases.CreateInput{Service: "api", Version: "v1", Environments: []string{"prod"}}, code: releases.EInvalid, msg: "staging, production"},
			{name: "unknown window", in: releases.CreateInput{Service: "api", Version: "v1", Window: "nightly"}, code: releases.EInvalid, msg: "weekly-train"},
			{name: "start in the past", in: releases.CreateInput{Service: "api", Version: "v1", StartAt: e.clock.Now().Add(-time.Minute)}, code: releases.EInvalid, msg: "has passed"},
			{name: "window and time", in: releases.CreateInput{Service: "api", Version: "v1", Window: "weekly-train", StartAt: e.clock.Now().Add(time.Hour)}, code: releases.EInvalid, msg: "not both"},
		}
		for _, tt := range tests {
			_, err := e.svc.Create(ctx, dave, tt.in)
			if releases.ErrorCode(err) != tt.code || !strings.Contains(releases.ErrorMessage(err), tt.msg) {
				t.Errorf("%s: err %v (%s), want %s containing %q", tt.name, err, releases.ErrorCode(err), tt.code, tt.msg)
			}
		}
		if rs, _ := e.svc.List(ctx, releases.Filter{}); len(rs) != 0 {
			t.Fatalf("refused creates stored %d releases", len(rs))
		}
		r := e.ok(e.svc.Create(ctx, dave, releases.CreateInput{Service: "api", Version: "v1", Environments: []string{"production", "staging"}, Teams: []string{"risk"}}))
		if got := strings.Join(r.Environments, ","); got != "staging,production" {
			t.Fatalf("environments %q, want configured order", got)
		}
		_, err := e.svc.Create(ctx, alice, releases.CreateInput{Service: "api", Version: "v1"})
		if releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("second open release of api v1: %v, want conflict", err)
		}
		e.ok(e.svc.Cancel(ctx, dave, r.ID, ""))
		e.ok(e.svc.Create(ctx, alice, releases.CreateInput{Service: "api", Version: "v1"})) // allowed once the first ended
	})
}

func TestSignOffRules(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		own := e.ok(e.svc.Create(ctx, alice, releases.CreateInput{Service: "ledger", Version: "v2"}))
		r := e.create(t, "v1")
		tests := []struct {
			name  string
			actor string
			id    int64
			team  string
			code  releases.Code
			msg   string
		}{
			{name: "not a lead", actor: dave, id: r.ID, team: "payments", code: releases.EForbidden, msg: "Only payments' leads (<@U0ALICE>, <@U0BOB>) can sign off R-2 for payments."},
			{name: "not a lead, no team", actor: dave, id: r.ID, code: releases.EForbidden, msg: "Only payments' leads (<@U0ALICE>, <@U0BOB>) or risk's leads (<@U0CAROL>, <@U0DAN>) can sign off R-2."},
			{name: "release manager is not a lead", actor: rita, id: r.ID, team: "risk", code: releases.EForbidden},
			{name: "lead of another team", actor: alice, id: r.ID, team: "risk", code: releases.EForbidden},
			{name: "team the release does not need", actor: alice, id: r.ID, team: "security", code: releases.EInvalid, msg: "doesn't need"},
			{name: "creator under four-eyes", actor: alice, id: own.ID, team: "payments", code: releases.EForbidden, msg: "four-eyes"},
			{name: "unknown release", actor: alice, id: 999, team: "payments", code: releases.ENotFound, msg: "R-999"},
		}
		for _, tt := range tests {
			before := len(e.audit(t, tt.id))
			_, err := e.svc.SignOff(ctx, tt.actor, tt.id, tt.team)
			if releases.ErrorCode(err) != tt.code || !strings.Contains(releases.ErrorMessage(err), tt.msg) {
				t.Errorf("%s: %v (%s), want %s containing %q", tt.name, err, releases.ErrorCode(err), tt.code, tt.msg)
			}
			if tt.code != releases.ENotFound {
				if got := e.ok(e.svc.Get(ctx, tt.id)); len(got.SignOffs) != 0 || len(e.audit(t, tt.id)) != before {
					t.Errorf("%s: refused sign-off changed the release: %+v", tt.name, got.SignOffs)
				}
			}
		}
		// A lead counts once per team, however often she approves.
		e.ok(e.svc.SignOff(ctx, carol, r.ID, "risk"))
		_, err := e.svc.SignOff(ctx, carol, r.ID, "risk")
		if releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("second sign-off by the same lead: %v, want conflict", err)
		}
		if got := e.ok(e.svc.Get(ctx, r.ID)); len(got.Approvals("risk")) != 1 || got.Status != releases.StatusAwaitingSignoff {
			t.Fatalf("risk approvals %v, status %s", got.Approvals("risk"), got.Status)
		}

		// Without the four-eyes rule the creator may sign off.
		p := testPolicy()
		p.RequireDistinctApprover = false
		lax := releases.NewCoordinator(releases.Options{Store: e.store, Policy: p, Now: e.clock.Now})
		e.ok(lax.SignOff(ctx, alice, own.ID, "payments"))
	})
}

func TestWithdrawAndReject(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.gate.set(releases.Wait{Reason: "waits for weekly-train"})
		r := e.approveAll(t, e.create(t, "v1").ID)
		if r.Status != releases.StatusReady {
			t.Fatalf("status %s, want ready (gate closed)", r.Status)
		}
		r = e.ok(e.svc.Withdraw(ctx, carol, r.ID, ""))
		if r.Status != releases.StatusAwaitingSignoff || len(r.SignOffs) != 2 {
			t.Fatalf("after withdrawal: %s with %d sign-offs", r.Status, len(r.SignOffs))
		}
		if _, err := e.svc.Withdraw(ctx, carol, r.ID, ""); releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("withdrawing twice: %v", err)
		}
		r = e.ok(e.svc.Reject(ctx, dan, r.ID, "", "missing migration"))
		if r.Status != releases.StatusRejected || r.Reason != "missing migration" {
			t.Fatalf("after reject: %s %q", r.Status, r.Reason)
		}
		var rejected bool
		for _, so := range r.SignOffs {
			rejected = rejected || (so.User == dan && so.Decision == releases.Rejected)
		}
		if !rejected {
			t.Fatalf("rejection not among sign-offs %+v", r.SignOffs)
		}
		if _, err := e.svc.Reject(ctx, dave, e.create(t, "v2").ID, "", "no"); releases.ErrorCode(err) != releases.EForbidden {
			t.Fatalf("reject by a non-lead: %v", err)
		}
		want := []string{"created", "signed_off", "signed_off", "signed_off", "ready", "waiting", "signoff_withdrawn", "awaiting_signoff", "rejected"}
		if got := e.audit(t, r.ID); !slices.Equal(got, want) {
			t.Fatalf("audit\n got %v\nwant %v", got, want)
		}
	})
}

// reach brings a new release of version v into status st.
func (e *env) reach(t *testing.T, v string, st releases.Status) *releases.Release {
	t.Helper()
	r := e.create(t, v)
	switch st {
	case releases.StatusAwaitingSignoff:
		return r
	case releases.StatusRejected:
		return e.ok(e.svc.Reject(ctx, alice, r.ID, "", "no"))
	case releases.StatusCancelled:
		return e.ok(e.svc.Cancel(ctx, dave, r.ID, ""))
	case releases.StatusReady:
		e.gate.set(releases.Wait{Reason: "waits for weekly-train"})
		return e.approveAll(t, r.ID)
	}
	r = e.approveAll(t, r.ID) // deploying to staging
	switch st {
	case releases.StatusDeploying:
		return r
	case releases.StatusFailed:
		return e.report(t, r, releases.DeploymentFailed)
	}
	r = e.report(t, r, releases.DeploymentSucceeded) // awaiting promotion to production
	switch st {
	case releases.StatusAwaitingPromotion:
		return r
	case releases.StatusRolledBack:
		return e.report(t, e.ok(e.svc.Rollback(ctx, dave, r.ID, "staging", "")), releases.DeploymentSucceeded)
	}
	r = e.ok(e.svc.Deploy(ctx, dave, r.ID, "", ""))
	return e.report(t, r, releases.DeploymentSucceeded) // deployed
}

func TestIllegalOperationsChangeNothing(t *testing.T) {
	type op struct {
		name string
		do   func(e *env, id int64) error
	}
	var (
		signOff  = op{"sign off", func(e *env, id int64) error { _, err := e.svc.SignOff(ctx, bob, id, "payments"); return err }}
		withdraw = op{"withdraw", func(e *env, id int64) error { _, err := e.svc.Withdraw(ctx, alice, id, "payments"); return err }}
		reject   = op{"reject", func(e *env, id int64) error { _, err := e.svc.Reject(ctx, bob, id, "payments", "no"); return err }}
		cancel   = op{"cancel", func(e *env, id int64) error { _, err := e.svc.Cancel(ctx, dave, id, ""); return err }}
		deploy   = op{"deploy", func(e *env, id int64) error { _, err := e.svc.Deploy(ctx, dave, id, "", ""); return err }}
		rollback = op{"rollback", func(e *env, id int64) error { _, err := e.svc.Rollback(ctx, dave, id, "", ""); return err }}
		schedule = op{"schedule", func(e *env, id int64) error {
			_, err := e.svc.Schedule(ctx, dave, id, "weekly-train", time.Time{})
			return err
		}}
	)
	tests := []struct {
		status releases.Status
		ops    []op
	}{
		{status: releases.StatusAwaitingSignoff, ops: []op{withdraw, deploy, rollback}},
		{status: releases.StatusReady, ops: []op{deploy, rollback}},
		{status: releases.StatusDeploying, ops: []op{signOff, withdraw, reject, cancel, deploy, rollback, schedule}},
		{status: releases.StatusAwaitingPromotion, ops: []op{signOff, withdraw, reject, cancel, schedule}},
		{status: releases.StatusDeployed, ops: []op{signOff, withdraw, reject, cancel, deploy, schedule}},
		{status: releases.StatusFailed, ops: []op{signOff, withdraw, reject, cancel, deploy, schedule}},
		{status: releases.StatusRolledBack, ops: []op{signOff, withdraw, reject, cancel, deploy, rollback, schedule}},
		{status: releases.StatusRejected, ops: []op{signOff, withdraw, reject, cancel, deploy, rollback, schedule}},
		{status: releases.StatusCancelled, ops: []op{signOff, withdraw, reject, cancel, deploy, rollback, schedule}},
	}
	forEachStore(t, func(t *testing.T, e *env) {
		for i, tt := range tests {
			e.gate.set(releases.Wait{Open: true})
			r := e.reach(t, "v"+string(rune('a'+i)), tt.status)
			if r.Status != tt.status {
				t.Fatalf("setup reached %s, want %s", r.Status, tt.status)
			}
			before, beforeAudit := e.ok(e.svc.Get(ctx, r.ID)), e.audit(t, r.ID)
			for _, o := range tt.ops {
				err := o.do(e, r.ID)
				code := releases.ErrorCode(err)
				if err == nil || code == releases.EInternal {
					t.Errorf("%s in %s: err %v, want a refusal", o.name, tt.status, err)
					continue
				}
				if msg := releases.ErrorMessage(err); !strings.Contains(msg, releases.FormatID(r.ID)) && code == releases.EConflict {
					t.Errorf("%s in %s: message %q does not name the release", o.name, tt.status, msg)
				}
				after := e.ok(e.svc.Get(ctx, r.ID))
				if after.Status != before.Status || len(after.SignOffs) != len(before.SignOffs) ||
					len(after.Deployments) != len(before.Deployments) || !after.UpdatedAt.Equal(before.UpdatedAt) {
					t.Errorf("%s in %s changed the release: %+v", o.name, tt.status, after)
				}
				if got := e.audit(t, r.ID); len(got) != len(beforeAudit) {
					t.Errorf("%s in %s added audit events %v", o.name, tt.status, got[len(beforeAudit):])
				}
			}
		}
	})
}

func TestPermissions(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.gate.set(releases.Wait{Reason: "waits for weekly-train", Until: e.clock.Now().Add(4 * time.Hour)})
		r := e.approveAll(t, e.create(t, "v1").ID)
		stranger := "U0STRANGER"
		for name, err := range map[string]error{
			"deploy":   errOf(e.svc.Deploy(ctx, stranger, r.ID, "", "")),
			"cancel":   errOf(e.svc.Cancel(ctx, stranger, r.ID, "")),
			"schedule": errOf(e.svc.Schedule(ctx, stranger, r.ID, "weekly-train", time.Time{})),
			"rollback": errOf(e.svc.Rollback(ctx, stranger, r.ID, "", "")),
			"override": errOf(e.svc.Deploy(ctx, alice, r.ID, "", "hotfix")),
		} {
			if releases.ErrorCode(err) != releases.EForbidden {
				t.Errorf("%s by a stranger/non-manager: %v, want forbidden", name, err)
			}
		}
		_, err := e.svc.Deploy(ctx, dave, r.ID, "", "")
		if releases.ErrorCode(err) != releases.EConflict || !strings.Contains(err.Error(), "waits for weekly-train") || !strings.Contains(err.Error(), "--override") {
			t.Fatalf("deploy outside the window: %v", err)
		}
		r = e.ok(e.svc.Deploy(ctx, rita, r.ID, "", "customer outage"))
		if r.Status != releases.StatusDeploying || r.OverrideBy != rita || r.OverrideReason != "customer outage" {
			t.Fatalf("override: %s by %q (%q)", r.Status, r.OverrideBy, r.OverrideReason)
		}
		if got := e.audit(t, r.ID); !slices.Contains(got, releases.ActionOverride) {
			t.Fatalf("override not audited: %v", got)
		}
	})
}

func errOf(_ *releases.Release, err error) error { return err }

func TestGateAndStartIfDue(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.gate.set(releases.Wait{Reason: "waits for weekly-train"})
		r := e.approveAll(t, e.create(t, "v1").ID)
		r = e.ok(e.svc.StartIfDue(ctx, r.ID))
		if r.Status != releases.StatusReady {
			t.Fatalf("started while the gate is closed: %s", r.Status)
		}
		e.gate.set(releases.Wait{Open: true})
		r = e.ok(e.svc.StartIfDue(ctx, r.ID))
		if r.Status != releases.StatusDeploying {
			t.Fatalf("not started once the gate opened: %s", r.Status)
		}
		// A freeze holds an automatic promotion.
		e.gate.set(releases.Wait{Frozen: true, Reason: "is frozen (year-end)"})
		p := testPolicy()
		p.Environments[1].Manual = false
		auto := releases.NewCoordinator(releases.Options{Store: e.store, Policy: p, Now: e.clock.Now, Gate: e.gate})
		e.markSent(t, r.Deployments[0].ID)
		r = e.ok(auto.ReportDeployment(ctx, "deployer", r.Deployments[0].ID, releases.StatusReport{Status: releases.DeploymentSucceeded}))
		if r.Status != releases.StatusAwaitingPromotion || len(r.Deployments) != 1 {
			t.Fatalf("promotion during a freeze: %s, %d deployments", r.Status, len(r.Deployments))
		}
		if _, err := auto.Deploy(ctx, dave, r.ID, "production", ""); releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("manual promotion during a freeze: %v", err)
		}
	})
}

func TestDeploymentReports(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		r := e.approveAll(t, e.create(t, "v1").ID)
		id := r.Deployments[0].ID
		e.markSent(t, id)
		report := func(st releases.DeploymentStatus) error {
			_, err := e.svc.ReportDeployment(ctx, "deployer", id, releases.StatusReport{Status: st, URL: "javascript:alert(1)"})
			return err
		}
		if err := report("exploded"); releases.ErrorCode(err) != releases.EInvalid {
			t.Fatalf("unknown status: %v", err)
		}
		if _, err := e.svc.ReportDeployment(ctx, "deployer", 9999, releases.StatusReport{Status: releases.DeploymentSucceeded}); releases.ErrorCode(err) != releases.ENotFound {
			t.Fatalf("unknown deployment: %v", err)
		}
		if err := report(releases.DeploymentFailed); err != nil {
			t.Fatal(err)
		}
		n := len(e.audit(t, r.ID))
		if err := report(releases.DeploymentFailed); err != nil {
			t.Fatalf("a repeat of the final state: %v", err)
		}
		if len(e.audit(t, r.ID)) != n {
			t.Fatal("a repeat was recorded again")
		}
		if err := report(releases.DeploymentSucceeded); releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("a different final state: %v", err)
		}
		if _, err := e.svc.TimeOut(ctx, id); err != nil {
			t.Fatalf("timing out a finished deployment: %v", err)
		}
		got := e.ok(e.svc.Get(ctx, r.ID))
		if got.Status != releases.StatusFailed || got.Deployments[0].Status != releases.DeploymentFailed || got.Deployments[0].URL != "" {
			t.Fatalf("release %s, deployment %+v", got.Status, got.Deployments[0])
		}

		r2 := e.approveAll(t, e.create(t, "v2").ID)
		r2 = e.ok(e.svc.TimeOut(ctx, r2.Deployments[0].ID))
		if r2.Status != releases.StatusFailed || r2.Deployments[0].Status != releases.DeploymentTimedOut {
			t.Fatalf("timed out: %s %s", r2.Status, r2.Deployments[0].Status)
		}
	})
}

func TestRollbackNeedsAnEarlierVersion(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		r := e.report(t, e.approveAll(t, e.create(t, "v1").ID), releases.DeploymentSucceeded)
		_, err := e.svc.Rollback(ctx, dave, r.ID, "", "")
		if releases.ErrorCode(err) != releases.EConflict || !strings.Contains(err.Error(), "no earlier successful deployment to staging") {
			t.Fatalf("rollback of the first version: %v", err)
		}
		if _, err := e.svc.Rollback(ctx, dave, r.ID, "production", ""); releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("rollback of an environment not deployed: %v", err)
		}
		if _, err := e.svc.Rollback(ctx, dave, r.ID, "qa", ""); releases.ErrorCode(err) != releases.EInvalid {
			t.Fatalf("rollback of an unknown environment: %v", err)
		}
	})
}

func TestSecondReleaseQueuesBehindTheFirst(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		first := e.approveAll(t, e.create(t, "v1").ID)
		second := e.approveAll(t, e.create(t, "v2").ID)
		if second.Status != releases.StatusDeploying {
			t.Fatalf("second: %s", second.Status)
		}
		events := must[[]releases.AuditEvent](t)(e.store.AuditEvents(ctx, second.ID))
		last := events[len(events)-1]
		want := "waits for " + releases.FormatID(first.ID) + "'s deployment to staging"
		if last.Action != releases.ActionDeploymentQueued || !strings.Contains(last.Detail, want) {
			t.Fatalf("last event %s %q, want queued note %q", last.Action, last.Detail, want)
		}
	})
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// failingStore fails every transaction's audit write, to prove a change and
// its audit event commit together or not at all.
type failingStore struct{ releases.Store }

func (s failingStore) Tx(c context.Context, fn func(releases.Tx) error) error {
	return s.Store.Tx(c, func(tx releases.Tx) error { return fn(failingTx{tx}) })
}

type failingTx struct{ releases.Tx }

func (failingTx) AddAudit(context.Context, *releases.AuditEvent) error {
	return errors.New("disk full")
}

func TestChangeAndAuditCommitTogether(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		r := e.create(t, "v1")
		broken := releases.NewCoordinator(releases.Options{Store: failingStore{e.store}, Policy: testPolicy(), Now: e.clock.Now})
		_, err := broken.SignOff(ctx, alice, r.ID, "payments")
		if err == nil || releases.ErrorCode(err) != releases.EInternal || releases.ErrorMessage(err) != "Internal error." {
			t.Fatalf("err %v; want an internal error shown as such", err)
		}
		if got := e.ok(e.svc.Get(ctx, r.ID)); len(got.SignOffs) != 0 {
			t.Fatalf("sign-off kept without its audit event: %+v", got.SignOffs)
		}
		if _, err := broken.Create(ctx, dave, releases.CreateInput{Service: "ledger", Version: "v1"}); err == nil {
			t.Fatal("create without audit succeeded")
		}
		if rs := must[[]releases.Release](t)(e.svc.List(ctx, releases.Filter{Service: "ledger"})); len(rs) != 0 {
			t.Fatalf("release kept without its audit event")
		}
	})
}

func TestListAndHistory(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		var ids []int64
		for _, v := range []string{"v1", "v2", "v3", "v4", "v5"} {
			ids = append(ids, e.create(t, v).ID)
		}
		e.ok(e.svc.Cancel(ctx, dave, ids[1], ""))
		e.approveAll(t, ids[4])
		page := must[[]releases.Release](t)(e.svc.List(ctx, releases.Filter{Limit: 2}))
		if len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] {
			t.Fatalf("first page %v", idsOf(page))
		}
		page = must[[]releases.Release](t)(e.svc.List(ctx, releases.Filter{Limit: 2, Before: page[1].ID}))
		if len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
			t.Fatalf("second page %v", idsOf(page))
		}
		cancelled := must[[]releases.Release](t)(e.svc.List(ctx, releases.Filter{Statuses: []releases.Status{releases.StatusCancelled}}))
		if len(cancelled) != 1 || cancelled[0].ID != ids[1] {
			t.Fatalf("cancelled %v", idsOf(cancelled))
		}
		if _, err := e.svc.List(ctx, releases.Filter{Statuses: []releases.Status{"shipped"}}); releases.ErrorCode(err) != releases.EInvalid {
			t.Fatalf("unknown status: %v", err)
		}
		if _, err := e.svc.List(ctx, releases.Filter{Limit: 201}); releases.ErrorCode(err) != releases.EInvalid {
			t.Fatalf("limit 201: %v", err)
		}
		if hist := must[[]releases.Release](t)(e.svc.History(ctx, "payments-api", 0)); len(hist) != 1 || hist[0].ID != ids[4] {
			t.Fatalf("history %v", idsOf(hist))
		}
		if active := must[[]releases.Release](t)(e.svc.Active(ctx)); len(active) != 4 {
			t.Fatalf("active %v", idsOf(active))
		}
	})
}

func idsOf(rs []releases.Release) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// TestStartedKind checks which refusals carry ErrStarted, the Kind callers
// test instead of the sentence: a withdrawal after deployment started (the
// sign-off stands) does, a withdrawal of nothing does not.
func TestStartedKind(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		deploying := e.reach(t, "v1", releases.StatusDeploying)
		waiting := e.create(t, "v2")
		for _, tc := range []struct {
			name    string
			op      func() error
			started bool
		}{
			{name: "withdraw after deployment started", op: func() error { _, err := e.svc.Withdraw(ctx, carol, deploying.ID, ""); return err }, started: true},
			{name: "cancel after deployment started", op: func() error { _, err := e.svc.Cancel(ctx, dave, deploying.ID, ""); return err }, started: true},
			{name: "withdraw with no sign-off", op: func() error { _, err := e.svc.Withdraw(ctx, carol, waiting.ID, ""); return err }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.op()
				if releases.ErrorCode(err) != releases.EConflict || errors.Is(err, releases.ErrStarted) != tc.started {
					t.Fatalf("error %v (code %s): want a conflict, of kind ErrStarted: %v", err, releases.ErrorCode(err), tc.started)
				}
			})
		}
	})
}
