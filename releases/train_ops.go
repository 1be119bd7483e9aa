package releases

import (
	"context"
	"fmt"
	"strings"
)

// What people decide in chat when a deployment of a release fails: retry
// it, roll the environment back (Rollback), descope the component, or
// leave it failed. An environment with on_failure: rollback rolls back by
// itself.

// Audit actions of trains.
const (
	ActionRetried  = "retried"
	ActionDescoped = "descoped"
)

// componentFailed halts a release one of whose forward deployments failed
// or timed out: the release is failed, what is in flight finishes, and
// nothing new starts until someone retries or descopes. The thread is told
// what failed, with the deployer's link, and what can be done.
func (s *Coordinator) componentFailed(ctx context.Context, m *mutation, d Deployment) error {
	r := m.r
	if !r.IsTrain() {
		if err := m.setStatus(StatusFailed); err != nil {
			return err
		}
		if err := m.auditAs(ctx, SystemActor, ActionFailed, fmt.Sprintf("%s %s", d.Environment, d.Status)); err != nil {
			return err
		}
		return s.rollbackOnFailure(ctx, m, d.Environment)
	}
	if err := m.setStatus(StatusFailed); err != nil {
		return err
	}
	detail := fmt.Sprintf("%s %s %s in %s (%s)", d.Service, d.Version, strings.ReplaceAll(string(d.Status), "_", " "), d.Environment, FormatDeploymentID(d.ID))
	if d.Message != "" {
		detail += ": " + d.Message
	}
	if d.URL != "" {
		detail += " " + d.URL
	}
	rid := FormatID(r.ID)
	detail += "; the train is halted"
	if n := len(r.InFlightIn(d.Environment)); n > 0 {
		detail += fmt.Sprintf(" (in flight, %d will finish)", n)
	}
	if env, _ := s.policy.environment(d.Environment); env.OnFailure != OnFailureRollback {
		detail += fmt.Sprintf(". Next: `/release retry %s --service %s`, `/release rollback %s --env %s` or `/release descope %s %s \"reason\"`",
			rid, d.Service, rid, d.Environment, rid, d.Service)
	}
	if err := m.auditAs(ctx, SystemActor, ActionFailed, detail); err != nil {
		return err
	}
	return s.rollbackOnFailure(ctx, m, d.Environment)
}

// rollbackOnFailure starts the rollback of env when the environment says
// on_failure: rollback, r failed there, nothing of r is in flight there any
// more, and no rollback has started since the newest failure.
func (s *Coordinator) rollbackOnFailure(ctx context.Context, m *mutation, env string) error {
	r := m.r
	if e, _ := s.policy.environment(env); e.OnFailure != OnFailureRollback || r.Status != StatusFailed || len(r.InFlightIn(env)) > 0 {
		return nil
	}
	var failed int64
	for _, d := range r.Deployments {
		if d.Environment == env && d.Type == TypeDeployment && (d.Status == DeploymentFailed || d.Status == DeploymentTimedOut) {
			failed = d.ID
		}
	}
	for _, d := range r.Deployments {
		if d.Environment == env && d.Type == TypeRollback && d.ID > failed {
			return nil
		}
	}
	if failed == 0 {
		return nil
	}
	if err := m.auditAs(ctx, SystemActor, ActionWaiting, fmt.Sprintf("%s says on_failure: rollback, so it rolls back", env)); err != nil {
		return err
	}
	started, err := s.rollbackNext(ctx, m, env, SystemActor, "on_failure: rollback", true)
	if err != nil || started {
		return err
	}
	return m.auditAs(ctx, SystemActor, ActionWaiting, fmt.Sprintf("there is nothing to roll back in %s: no service there has an earlier version", env))
}

// Retry starts a new deployment of what failed in a failed release: every
// component whose deployment to the failing environment failed or timed
// out, or service's alone. Once nothing failed is left there, the release
// is deploying again and what waited for the retried components starts as
// they succeed.
//
// Errors: ENotFound; EForbidden as for Deploy; EConflict when the release
// is not failed, or what failed is a rollback (retried with Rollback);
// EInvalid for a service whose deployment did not fail.
func (s *Coordinator) Retry(ctx context.Context, actor string, id int64, service string) (*Release, error) {
	return s.change(ctx, "retry", id, actor, func(ctx context.Context, m *mutation) error {
		r := m.r
		rid := FormatID(r.ID)
		if err := s.mayOperate(r, actor, "retry"); err != nil {
			return err
		}
		if r.Status != StatusFailed {
			return Errorf(EConflict, "%s is %s; only a failed release can be retried.", rid, describe(r.Status))
		}
		env, failed := r.Retryable()
		if env == "" {
			for _, e := range r.Environments {
				if d, ok := r.LatestDeployment(e); ok && d.Type == TypeRollback && d.Status.Final() && d.Status != DeploymentSucceeded {
					return Errorf(EConflict, "%s's rollback of %s failed; `/release rollback %s --env %s` tries it again.", rid, e, rid, e)
				}
			}
			return Errorf(EConflict, "%s has no failed deployment to retry.", rid)
		}
		var names []string
		for _, d := range failed {
			names = append(names, d.Service)
		}
		if service != "" {
			service = strings.ToLower(strings.TrimSpace(service))
			var pick []Deployment
			for _, d := range failed {
				if d.Service == service {
					pick = append(pick, d)
				}
			}
			if len(pick) == 0 {
				return Errorf(EInvalid, "%s did not fail in %s; what failed there: %s.", service, env, strings.Join(names, ", "))
			}
			failed = pick
		}
		for _, d := range failed {
			c, _ := r.Component(d.Service)
			if c == nil {
				c = &Component{Service: d.Service, Version: d.Version}
			}
			detail := fmt.Sprintf("%s in %s (%s %s)", d.Service, env, FormatDeploymentID(d.ID), d.Status)
			if err := m.audit(ctx, ActionRetried, detail); err != nil {
				return err
			}
			if err := s.startComponent(ctx, m, env, *c, actor, actor); err != nil {
				return err
			}
		}
		if len(r.failedIn(env)) > 0 {
			return nil // more failed: the release stays halted until they are retried or descoped
		}
		if err := m.setStatus(StatusDeploying); err != nil {
			return err
		}
		return s.startReady(ctx, m, env, r.CreatedBy, SystemActor)
	})
}

// Descope takes service out of a train: it deploys no further, nothing
// waits for it, and the rest goes on. An environment that waited only for
// it completes. A failed train whose only failure was this component
// deploys again.
//
// Errors: ENotFound; EForbidden for anyone but the train's creator and
// release managers; EInvalid for a release that is no train, a service it
// does not hold, a missing reason or one that is not words; EConflict when
// the service is descoped already, is the last one left, has a deployment
// in flight, or the release has run its course.
func (s *Coordinator) Descope(ctx context.Context, actor string, id int64, service, reason string) (*Release, error) {
	reason, err := CleanText("the reason", reason)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, "descope", id, actor, func(ctx context.Context, m *mutation) error {
		r := m.r
		rid := FormatID(r.ID)
		if actor != r.CreatedBy && !s.policy.IsReleaseManager(actor) {
			return Errorf(EForbidden, "Only %s's creator and release managers can descope a service.", rid)
		}
		if reason == "" {
			return Errorf(EInvalid, "Say why %s leaves %s, like `/release descope %s %s \"not ready\"`.", service, rid, rid, service)
		}
		if !r.IsTrain() {
			return Errorf(EInvalid, "%s releases one service; cancel or roll it back instead of descoping it.", rid)
		}
		service = strings.ToLower(strings.TrimSpace(service))
		c, ok := r.Component(service)
		if !ok {
			var names []string
			for _, x := range r.Components {
				names = append(names, x.Service)
			}
			return Errorf(EInvalid, "%s has no service %s; its services are %s.", rid, service, strings.Join(names, ", "))
		}
		switch {
		case c.Descoped:
			return Errorf(EConflict, "%s is descoped from %s already.", service, rid)
		case len(r.Scope()) == 1:
			return Errorf(EConflict, "%s is the last service left in %s; cancel or roll back the release instead.", service, rid)
		case r.Status != StatusFailed && !r.Status.Active():
			return Errorf(EConflict, "%s is %s; there is nothing left to descope.", rid, describe(r.Status))
		}
		for _, d := range r.Deployments {
			if d.Service == service && d.Status.InFlight() {
				return Errorf(EConflict, "%s's %s (%s to %s) is in flight; descope it once that has finished.", service, FormatDeploymentID(d.ID), d.Type, d.Environment)
			}
		}
		c.Descoped, c.DescopeReason = true, reason
		if err := m.tx.UpdateComponent(ctx, r.ID, *c); err != nil {
			return err
		}
		if err := m.audit(ctx, ActionDescoped, fmt.Sprintf("%s: %s", c.Label(), reason)); err != nil {
			return err
		}
		return s.resume(ctx, m)
	})
}

// resume moves a deploying or failed train on after its scope shrank: a
// failed one whose environment has no failure left deploys again; an
// environment that now has everything it needs completes; components that
// waited only for what left start.
func (s *Coordinator) resume(ctx context.Context, m *mutation) error {
	r := m.r
	if r.Status != StatusDeploying && r.Status != StatusFailed {
		return nil
	}
	if r.Status == StatusFailed && r.rolledBackSomewhere() {
		return nil // a rollback failed: `/release rollback` tries it again
	}
	env, more := r.NextEnvironment()
	if !more {
		if r.Status == StatusFailed {
			if err := m.setStatus(StatusDeploying); err != nil {
				return err
			}
		}
		return s.moveOn(ctx, m)
	}
	if r.Status == StatusFailed {
		if len(r.failedIn(env)) > 0 {
			return nil
		}
		if err := m.setStatus(StatusDeploying); err != nil {
			return err
		}
	}
	if r.EnvironmentDone(env) {
		return s.moveOn(ctx, m)
	}
	if len(r.InFlightIn(env)) == 0 && !r.startedIn(env) {
		return nil // not started there yet (a failed rollback elsewhere): nothing to resume
	}
	return s.startReady(ctx, m, env, r.CreatedBy, SystemActor)
}

// startedIn reports whether r has any deployment to env.
func (r *Release) startedIn(env string) bool {
	_, ok := r.LatestDeployment(env)
	return ok
}

// rolledBackSomewhere reports whether a rollback of r was ever started.
func (r *Release) rolledBackSomewhere() bool {
	for _, d := range r.Deployments {
		if d.Type == TypeRollback {
			return true
		}
	}
	return false
}
