package releases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// StatusReport is a deployer's word on one deployment.
type StatusReport struct {
	Status  DeploymentStatus // in_progress, succeeded or failed
	Message string           // stored scrubbed (ScrubText), at most MaxMessage bytes
	URL     string           // a link to the deployer's run; kept only as CleanURL allows
	// WebhookID is the id of the deployer's signed callback message, if
	// the report came as one: an id accepted for one deployment is refused
	// for any other, so a captured callback can't be replayed elsewhere.
	WebhookID string
	// RunKind and RunID name the run the target started, when it reports
	// one (Deployment.RunKind); kept once set, and a report naming another
	// run is refused.
	RunKind, RunID string
	// PollAt is when the worker should next ask the target about the run
	// of an in_progress report; zero for none. A final status stops polls.
	PollAt time.Time
}

// MaxRunID is the longest run id kept.
const MaxRunID = 200

// MaxWebhookID is the longest callback message id taken.
const MaxWebhookID = 255

// WebhookIDMemory is how long the id of an accepted callback is
// remembered. A callback's signature is good for 5 minutes either side of
// its timestamp, so its id can't come back later than 10 minutes after it
// was accepted; older ids are forgotten.
const WebhookIDMemory = 15 * time.Minute

// ReportDeployment records a deployment's progress and moves its release
// on: to the next environment, to awaiting_promotion, deployed, failed or
// rolled_back. A repeat of the current state changes nothing and is no
// error. The message and link are scrubbed (ScrubText, CleanURL) before they
// are stored.
//
// Errors: ENotFound for an unknown deployment; EInvalid for a status other
// than in_progress, succeeded and failed, or an unusable webhook id;
// EConflict when the deployment has already finished otherwise, when it
// was never sent to its deployer (it is pending: queued behind another
// deployment or held by a freeze), or when rep.WebhookID was already
// accepted for another deployment. A refused report changes nothing.
func (s *Coordinator) ReportDeployment(ctx context.Context, actor string, deploymentID int64, rep StatusReport) (*Release, error) {
	switch rep.Status {
	case DeploymentInProgress, DeploymentSucceeded, DeploymentFailed:
	default:
		return nil, Errorf(EInvalid, "%q is not a deployment status; use in_progress, succeeded or failed.", ScrubText(string(rep.Status), 50, false))
	}
	if len(rep.RunID) > MaxRunID || len(rep.RunKind) > 40 || ScrubText(rep.RunID, MaxRunID, false) != rep.RunID {
		return nil, Errorf(EInvalid, "A run id must be at most %d printable characters.", MaxRunID)
	}
	if len(rep.WebhookID) > MaxWebhookID || ScrubText(rep.WebhookID, MaxWebhookID, false) != rep.WebhookID {
		return nil, Errorf(EInvalid, "The webhook-id must be at most %d printable characters.", MaxWebhookID)
	}
	return s.finish(ctx, actor, deploymentID, rep, true)
}

// TimeOut marks a deployment that got no final status within its
// environment's finish_within as timed_out, failing its release. A
// deployment that has finished meanwhile is left alone.
func (s *Coordinator) TimeOut(ctx context.Context, deploymentID int64) (*Release, error) {
	r, err := s.finish(ctx, SystemActor, deploymentID, StatusReport{Status: DeploymentTimedOut, Message: "no final status in time"}, false)
	if ErrorCode(err) == EConflict {
		return r, nil
	}
	return r, err
}

// finish records rep for a deployment. sent: only a deployment that was
// sent to its deployer may take it.
func (s *Coordinator) finish(ctx context.Context, actor string, deploymentID int64, rep StatusReport, sent bool) (*Release, error) {
	releaseID, err := s.releaseOf(ctx, deploymentID, "report")
	if err != nil {
		return nil, err
	}
	return s.change(ctx, "report "+FormatDeploymentID(deploymentID), releaseID, actor, func(ctx context.Context, m *mutation) error {
		d, ok := m.r.Deployment(deploymentID)
		if !ok {
			return Errorf(ENotFound, "There is no deployment %s.", FormatDeploymentID(deploymentID))
		}
		did := FormatDeploymentID(d.ID)
		if sent && d.Status == DeploymentPending && d.Attempts == 0 {
			return Errorf(EConflict, "%s has not been sent to its deployer yet (it waits for an earlier deployment or a freeze), so it can't take a status.", did)
		}
		if err := s.rememberWebhookID(ctx, m, rep.WebhookID, d.ID); err != nil {
			return err
		}
		msg, link := ScrubText(rep.Message, MaxMessage, true), CleanURL(rep.URL)
		if rep.RunID != "" && d.RunID != "" && (rep.RunID != d.RunID || rep.RunKind != d.RunKind) {
			return Errorf(EConflict, "%s follows %s run %s, not %s.", did, d.RunKind, d.RunID, rep.RunID)
		}
		newRun := rep.RunID != "" && d.RunID == ""
		pollAt := rep.PollAt.UTC().Truncate(time.Microsecond)
		if rep.Status.Final() {
			pollAt = time.Time{}
		}
		switch {
		case d.Status == rep.Status && !newRun && (rep.Status != DeploymentInProgress || msg == "" || msg == d.Message):
			// A repeat. (The next poll of a run is set by ClaimRuns, not
			// here: no news for the thread.)
			return nil
		case d.Status.Final():
			return Errorf(EConflict, "%s has already finished: %s.", did, d.Status)
		}
		if newRun {
			d.RunKind, d.RunID = rep.RunKind, rep.RunID
		}
		if newRun || rep.Status.Final() {
			d.PollAt = pollAt
		}
		d.Status, d.UpdatedAt = rep.Status, m.now
		if msg != "" {
			d.Message = msg
		}
		if link != "" {
			d.URL = link
		}
		if d.Status.Final() {
			d.FinishedAt = m.now
		}
		if err := m.tx.UpdateDeployment(ctx, d); err != nil {
			return err
		}
		what := d.Version
		if m.r.IsTrain() {
			what = d.Service + " " + d.Version
		}
		detail := fmt.Sprintf("%s %s of %s to %s: %s", FormatDeploymentID(d.ID), d.Type, what, d.Environment, d.Status)
		if msg != "" {
			detail += " — " + msg
		}
		if link != "" {
			detail += " (" + link + ")"
		}
		if err := m.audit(ctx, ActionDeploymentStatus, detail); err != nil {
			return err
		}
		if !d.Status.Final() {
			return nil
		}
		return s.afterDeployment(ctx, m, *d)
	})
}

// afterDeployment moves a release on once one of its deployments finished.
func (s *Coordinator) afterDeployment(ctx context.Context, m *mutation, d Deployment) error {
	r := m.r
	ok := d.Status == DeploymentSucceeded
	switch {
	case d.Type == TypeRollback && ok:
		return s.afterRollback(ctx, m, d)
	case d.Type == TypeRollback:
		if err := m.setStatus(StatusFailed); err != nil {
			return err
		}
		what := d.Environment
		if r.IsTrain() {
			what = d.Service + " in " + d.Environment
		}
		return m.auditAs(ctx, SystemActor, ActionFailed, fmt.Sprintf("rollback of %s %s", what, d.Status))
	case !ok:
		return s.componentFailed(ctx, m, d)
	case r.Status == StatusFailed:
		// Halted: what was in flight finishes, nothing new starts.
		return s.rollbackOnFailure(ctx, m, d.Environment)
	case !r.EnvironmentDone(d.Environment):
		return s.startReady(ctx, m, d.Environment, r.CreatedBy, SystemActor)
	}
	return s.moveOn(ctx, m)
}

// moveOn takes a release whose environments so far are done to the next:
// it is deployed when none is left, waits for a promotion when the next is
// manual or a freeze holds it, and starts deploying there otherwise.
func (s *Coordinator) moveOn(ctx context.Context, m *mutation) error {
	r := m.r
	rid := FormatID(r.ID)
	next, more := r.NextEnvironment()
	if !more {
		if err := m.setStatus(StatusDeployed); err != nil {
			return err
		}
		what := r.Version
		if r.IsTrain() {
			what = describeComponents(r.componentsOf(r.Scope()))
		}
		return m.auditAs(ctx, SystemActor, ActionDeployed, fmt.Sprintf("%s is on %s", what, strings.Join(r.Environments, ", ")))
	}
	if env, _ := s.policy.environment(next); env.Manual {
		if err := m.setStatus(StatusAwaitingPromotion); err != nil {
			return err
		}
		return m.auditAs(ctx, SystemActor, ActionAwaitingPromotion, fmt.Sprintf("%s waits for `/release deploy %s --env %s`", next, rid, next))
	}
	wait, err := s.check(ctx, m)
	if err != nil {
		return err
	}
	if !wait.Open && wait.Frozen {
		if err := m.setStatus(StatusAwaitingPromotion); err != nil {
			return err
		}
		return m.auditAs(ctx, SystemActor, ActionAwaitingPromotion, fmt.Sprintf("%s is held: %s", next, wait.Reason))
	}
	return s.startDeployment(ctx, m, next, r.CreatedBy, SystemActor)
}

// Rollback asks env's deployer to go back to the version that ran there
// before this release. Without env, the furthest environment the release
// reached is rolled back. Freezes do not hold rollbacks.
//
// Errors: ENotFound; EForbidden as for Deploy; EInvalid for an environment
// the release doesn't have; EConflict when nothing was deployed there, a
// deployment or rollback is in flight, or there is no earlier version;
// EInvalid also for a reason that is not words people can read (CleanText).
func (s *Coordinator) Rollback(ctx context.Context, actor string, id int64, env, reason string) (*Release, error) {
	reason, err := CleanText("the reason", reason)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, "rollback", id, actor, func(ctx context.Context, m *mutation) error {
		r := m.r
		rid := FormatID(r.ID)
		if err := s.mayOperate(r, actor, "roll back"); err != nil {
			return err
		}
		if d, busy := r.InFlight(); busy {
			if d.Type == TypeRollback {
				return Errorf(EConflict, "%s is already rolling back %s.", rid, d.Environment)
			}
			return Errorf(EConflict, "%s is deploying to %s; roll back once that has finished.", rid, d.Environment)
		}
		if !r.Status.Started() {
			return Errorf(EConflict, "%s has not deployed anything, so there is nothing to roll back.", rid)
		}
		if env != "" && !r.HasEnvironment(env) {
			return Errorf(EInvalid, "%s doesn't deploy to %s; its environments are %s.", rid, env, strings.Join(r.Environments, ", "))
		}
		candidates := r.RollbackEnvironments()
		switch {
		case env == "" && len(candidates) == 0:
			return Errorf(EConflict, "%s has nothing left to roll back.", rid)
		case env == "":
			env = candidates[len(candidates)-1]
		case !contains(candidates, env):
			if d, ok := r.LatestDeployment(env); ok && d.Type == TypeRollback {
				return Errorf(EConflict, "%s is already rolled back in %s.", rid, env)
			}
			return Errorf(EConflict, "%s has not deployed to %s.", rid, env)
		}
		if reason != "" {
			r.Reason = reason
		}
		started, err := s.rollbackNext(ctx, m, env, actor, reason, true)
		if err != nil {
			return err
		}
		if !started {
			if !r.IsTrain() {
				return Errorf(EConflict, "%s has no earlier successful deployment to %s to roll back to.", r.Service, env)
			}
			return Errorf(EConflict, "None of %s's services has an earlier successful deployment to %s to roll back to.", rid, env)
		}
		return nil
	})
}

// rollbackable returns the services of r whose newest deployment to env
// may be rolled back, in reverse dependency order (dependents first): it
// is final, and forward or a rollback that did not succeed.
func (r *Release) rollbackable(env string) []string {
	var all []string
	for _, c := range r.Components {
		all = append(all, c.Service)
	}
	if len(all) == 0 {
		all = []string{r.Service}
	}
	var out []string
	for _, svc := range all {
		d, ok := r.ComponentDeployment(env, svc)
		if ok && (d.Type == TypeDeployment || d.Status != DeploymentSucceeded) && d.Status.Final() {
			out = append(out, svc)
		}
	}
	return out
}

// rollbackNext starts the rollback of the next service of r in env, in
// reverse dependency order, that has an earlier version there to go back
// to; services without one are left as they are (first: the thread is told
// so). It reports whether it started one. A train's environment rolls
// back one service at a time: afterRollback starts the next.
func (s *Coordinator) rollbackNext(ctx context.Context, m *mutation, env, actor, reason string, first bool) (bool, error) {
	r := m.r
	services := r.rollbackable(env)
	var all []string
	for _, c := range r.Components {
		all = append(all, c.Service)
	}
	// A cycle can't come back here (create refused it); without an order
	// the services go in reverse of how they were given.
	order := all
	if plan, err := s.policy.plan(all); err == nil {
		order = plan.Order()
	}
	slices.Reverse(order)
	var skipped []string
	for _, svc := range order {
		if !contains(services, svc) {
			continue
		}
		var firstID int64
		for _, d := range r.Deployments {
			if d.Environment == env && d.Service == svc {
				firstID = d.ID
				break
			}
		}
		prev, err := m.tx.LastSucceeded(ctx, svc, env, r.ID, firstID)
		if err != nil {
			return false, err
		}
		if prev == nil {
			skipped = append(skipped, svc)
			continue
		}
		c, _ := r.Component(svc)
		current := r.Version
		if c != nil {
			current = c.Version
		}
		d := Deployment{ReleaseID: r.ID, Environment: env, Type: TypeRollback, Status: DeploymentPending,
			Service: svc, Version: prev.Version, PreviousVersion: current, RequestedBy: actor,
			CreatedAt: m.now, UpdatedAt: m.now}
		if err := m.tx.CreateDeployment(ctx, &d); err != nil {
			return false, err
		}
		r.Deployments = append(r.Deployments, d)
		if first && len(skipped) > 0 && r.IsTrain() {
			if err := m.auditAs(ctx, SystemActor, ActionWaiting, fmt.Sprintf("%s stays as it is in %s: there is no earlier version to go back to", strings.Join(skipped, ", "), env)); err != nil {
				return false, err
			}
		}
		where := env
		if r.IsTrain() {
			where = svc + " in " + env
		}
		detail := fmt.Sprintf("%s: %s back to %s", FormatDeploymentID(d.ID), where, d.Version)
		if reason != "" {
			detail += ": " + reason
		}
		if err := m.auditAs(ctx, actor, ActionRollbackStarted, detail); err != nil {
			return false, err
		}
		return true, s.noteQueue(ctx, m, d)
	}
	return false, nil
}

// afterRollback records that a service is back on its earlier version in
// an environment, and rolls back the next one; once none is left the
// release is rolled back.
func (s *Coordinator) afterRollback(ctx context.Context, m *mutation, d Deployment) error {
	r := m.r
	for i := range r.Deployments {
		old := &r.Deployments[i]
		if old.Environment == d.Environment && old.Service == d.Service && old.Type == TypeDeployment && old.Status == DeploymentSucceeded {
			old.Status, old.UpdatedAt = DeploymentRolledBack, m.now
			if err := m.tx.UpdateDeployment(ctx, old); err != nil {
				return err
			}
		}
	}
	if r.IsTrain() {
		started, err := s.rollbackNext(ctx, m, d.Environment, SystemActor, "", false)
		if err != nil || started {
			return err
		}
	}
	if err := m.setStatus(StatusRolledBack); err != nil {
		return err
	}
	what := d.Version
	if r.IsTrain() {
		var back []string
		for _, x := range r.Deployments {
			if x.Environment == d.Environment && x.Type == TypeRollback && x.Status == DeploymentSucceeded {
				back = append(back, x.Service+" "+x.Version)
			}
		}
		what = strings.Join(back, ", ")
	}
	return m.auditAs(ctx, SystemActor, ActionRolledBack, fmt.Sprintf("%s is back on %s", d.Environment, what))
}

// rememberWebhookID records that callback message id was accepted for
// deployment deploymentID, unless it was for another one.
func (s *Coordinator) rememberWebhookID(ctx context.Context, m *mutation, id string, deploymentID int64) error {
	if id == "" {
		return nil
	}
	err := m.tx.RememberWebhookID(ctx, id, deploymentID, m.now, m.now.Add(-WebhookIDMemory))
	if errors.Is(err, ErrDuplicate) {
		return Errorf(EConflict, "The webhook-id %s was already used for another deployment; every callback needs a fresh id.", id)
	}
	return err
}

// NoteHeld tells a release's thread that a freeze holds its deployment,
// which was waiting to be sent when the freeze began (see
// DeliveryClaim.Freeze). A deployment that has moved on is left alone.
func (s *Coordinator) NoteHeld(ctx context.Context, deploymentID int64, h Hold) (*Release, error) {
	releaseID, err := s.releaseOf(ctx, deploymentID, "hold")
	if err != nil {
		return nil, err
	}
	return s.change(ctx, "hold "+FormatDeploymentID(deploymentID), releaseID, SystemActor, func(ctx context.Context, m *mutation) error {
		d, ok := m.r.Deployment(deploymentID)
		if !ok || d.Status != DeploymentPending {
			return nil
		}
		return m.audit(ctx, ActionWaiting, fmt.Sprintf("%s; %s to %s waits until then", h.Note, FormatDeploymentID(d.ID), d.Environment))
	})
}
