package releases

import (
	"context"
	"fmt"
	"strings"
)

// Deploy starts a ready release now or promotes it to its next environment.
// env, when given, must be the environment that is next. A non-empty
// override (release managers only) sets windows and freezes aside for the
// rest of the release's deployments and is audited.
//
// Errors: ENotFound; EForbidden for anyone but the creator, the teams'
// leads and release managers, and for an override by anyone but a release
// manager; EInvalid for an environment the release doesn't have or that is
// not next; EConflict when the release is not ready or awaiting promotion,
// or its window or a freeze holds it. An override reason must be words
// people can read (CleanText): EInvalid otherwise.
func (s *Coordinator) Deploy(ctx context.Context, actor string, id int64, env, override string) (*Release, error) {
	override, err := CleanText("the --override reason", override)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, "deploy", id, actor, func(ctx context.Context, m *mutation) error {
		r := m.r
		rid := FormatID(r.ID)
		if err := s.mayOperate(r, actor, "deploy"); err != nil {
			return err
		}
		if override != "" && !s.policy.IsReleaseManager(actor) {
			return Errorf(EForbidden, "Only release managers can override windows and freezes; ask one of %s.", Mentions(s.policy.ReleaseManagers))
		}
		switch r.Status {
		case StatusReady, StatusAwaitingPromotion:
		case StatusAwaitingSignoff:
			return Errorf(EConflict, "%s is %s; it can't deploy yet.", rid, describeMissing(s.policy.Missing(r)))
		case StatusDeploying:
			d, _ := r.InFlight()
			if d != nil {
				return Errorf(EConflict, "%s is already deploying to %s.", rid, d.Environment)
			}
			return Errorf(EConflict, "%s is already deploying.", rid)
		default:
			return Errorf(EConflict, "%s is %s; nothing is left to deploy.", rid, describe(r.Status))
		}
		if d, busy := r.InFlight(); busy {
			return Errorf(EConflict, "%s is rolling back %s; wait for it to finish.", rid, d.Environment)
		}
		next, _ := r.NextEnvironment()
		if env != "" && !r.HasEnvironment(env) {
			return Errorf(EInvalid, "%s doesn't deploy to %s; its environments are %s.", rid, env, strings.Join(r.Environments, ", "))
		}
		if env != "" && env != next {
			return Errorf(EInvalid, "%s deploys to %s next; environments go in order (%s).", rid, next, strings.Join(r.Environments, " → "))
		}
		if override != "" {
			r.OverrideBy, r.OverrideReason = actor, override
			if err := m.audit(ctx, ActionOverride, override); err != nil {
				return err
			}
		}
		wait, err := s.check(ctx, m)
		if err != nil {
			return err
		}
		promotion := r.Status == StatusAwaitingPromotion
		if !wait.Open && (wait.Frozen || !promotion) {
			return Errorf(EConflict, "%s %s; a release manager can start it now with --override \"reason\".", rid, wait.Reason)
		}
		return s.startDeployment(ctx, m, next, actor, actor)
	})
}

// StartIfDue starts a ready release whose window, start time and freezes
// allow it at this moment; the scheduler calls it when a window opens or a
// freeze ends. It does nothing to a release that may not start yet: the
// rule is startIfOpen's, as for StartAtOpening.
func (s *Coordinator) StartIfDue(ctx context.Context, id int64) (*Release, error) {
	return s.change(ctx, "start", id, SystemActor, func(ctx context.Context, m *mutation) error {
		_, err := s.startIfOpen(ctx, m)
		return err
	})
}

// startIfOpen is the one rule for a ready release: it starts deploying
// when its gate (window, start time, freezes, or an override) is open. It
// returns the gate's answer when the release stays ready because the gate
// is closed, and nil when it started or is not ready.
func (s *Coordinator) startIfOpen(ctx context.Context, m *mutation) (*Wait, error) {
	r := m.r
	if r.Status != StatusReady {
		return nil, nil
	}
	wait, err := s.check(ctx, m)
	if err != nil {
		return nil, err
	}
	if !wait.Open {
		return &wait, nil
	}
	env, _ := r.NextEnvironment()
	return nil, s.startDeployment(ctx, m, env, r.CreatedBy, SystemActor)
}

// startOrExplain starts a ready release whose gate is open. When it is
// closed, the audit trail (and so the thread) says why it waits.
func (s *Coordinator) startOrExplain(ctx context.Context, m *mutation) error {
	wait, err := s.startIfOpen(ctx, m)
	if err != nil || wait == nil {
		return err
	}
	return m.auditAs(ctx, SystemActor, ActionWaiting, wait.Reason)
}

// check asks the gate about the mutation's release, unless a release
// manager overrode it. The gate reads ad-hoc freezes in the mutation's
// transaction.
func (s *Coordinator) check(ctx context.Context, m *mutation) (Wait, error) {
	if m.r.OverrideBy != "" || s.gate == nil {
		return Wait{Open: true}, nil
	}
	w, err := s.gate.Check(ctx, m.tx, m.r, m.now)
	if err != nil {
		return Wait{}, fmt.Errorf("check window: %w", err)
	}
	return w, nil
}

// startDeployment starts r in env: it creates the pending deployments of
// the components that depend on nothing in the release still to deploy
// there (a one-service release: its one), and the release is deploying;
// the others start as what they wait for succeeds (startReady). The webhook
// worker sends each once its environment is free of the service's other
// releases. requestedBy is who the deployer is told asked for it (the
// release's creator when it starts by itself); actor is who the audit
// trail names.
func (s *Coordinator) startDeployment(ctx context.Context, m *mutation, env, requestedBy, actor string) error {
	if err := m.setStatus(StatusDeploying); err != nil {
		return err
	}
	return s.startReady(ctx, m, env, requestedBy, actor)
}

// startReady creates the pending deployments to env of r's components in
// scope that have not started there and whose dependencies in the release
// (TrainPlan) have all succeeded there, in plan order.
func (s *Coordinator) startReady(ctx context.Context, m *mutation, env, requestedBy, actor string) error {
	r := m.r
	plan, err := s.policy.plan(r.Scope())
	if err != nil {
		return err // the catalog changed since the create: it says which cycle
	}
	started := func(svc string) bool { _, ok := r.ComponentDeployment(env, svc); return ok }
	succeeded := func(svc string) bool { return r.deployedTo(env, svc) }
	for _, svc := range plan.Ready(started, succeeded) {
		c, _ := r.Component(svc)
		if c == nil {
			c = &Component{Service: r.Service, Version: r.Version}
		}
		if err := s.startComponent(ctx, m, env, *c, requestedBy, actor); err != nil {
			return err
		}
	}
	return nil
}

// startComponent creates the pending deployment of one component to env.
func (s *Coordinator) startComponent(ctx context.Context, m *mutation, env string, c Component, requestedBy, actor string) error {
	r := m.r
	prev, err := m.tx.LastSucceeded(ctx, c.Service, env, r.ID, 0)
	if err != nil {
		return err
	}
	d := Deployment{ReleaseID: r.ID, Environment: env, Type: TypeDeployment, Status: DeploymentPending,
		Service: c.Service, Version: c.Version, RequestedBy: requestedBy, CreatedAt: m.now, UpdatedAt: m.now}
	if prev != nil {
		d.PreviousVersion = prev.Version
	}
	if err := m.tx.CreateDeployment(ctx, &d); err != nil {
		return err
	}
	r.Deployments = append(r.Deployments, d)
	detail := fmt.Sprintf("%s to %s", r.componentName(c), env)
	if d.PreviousVersion != "" {
		detail += " (was " + d.PreviousVersion + ")"
	}
	if err := m.auditAs(ctx, actor, ActionDeploymentStarted, FormatDeploymentID(d.ID)+": "+detail); err != nil {
		return err
	}
	return s.noteQueue(ctx, m, d)
}

// componentName is how the audit trail names a component: its version in
// a one-service release (whose service is the release's), "ledger v1.9.0"
// in a train.
func (r *Release) componentName(c Component) string {
	if r.IsTrain() {
		return c.Label()
	}
	return c.Version
}

// noteQueue tells, when new deployment d has to wait for an earlier one of
// its service to its environment, which one it waits for. It asks after d
// was created: the store orders deployments of one service and environment
// by creation, so whatever is older is ahead of d.
func (s *Coordinator) noteQueue(ctx context.Context, m *mutation, d Deployment) error {
	inflight, err := m.tx.InFlight(ctx, d.Service, d.Environment)
	if err != nil {
		return err
	}
	for _, first := range inflight {
		if first.ID >= d.ID {
			break
		}
		who := FormatDeploymentID(d.ID)
		if m.r.IsTrain() {
			who += " (" + d.Service + ")"
		}
		return m.auditAs(ctx, SystemActor, ActionDeploymentQueued, fmt.Sprintf(
			"%s waits for %s's %s to %s (%s) to finish", who, FormatID(first.ReleaseID), first.Type, d.Environment, FormatDeploymentID(first.ID)))
	}
	return nil
}
