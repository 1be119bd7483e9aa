package releases

import (
	"context"
	"errors"
	"time"
)

// A deployment in status pending is the outbox entry of its webhook
// delivery: it is written in the same transaction as the change that caused
// it (a sign-off, a promotion, a rollback), so a delivery is never lost nor
// sent for a change that did not commit. A worker claims it, calls the
// deployer and records the outcome through the Coordinator.

// Delivery is one claimed attempt to deliver a pending deployment to its
// environment's webhook.
type Delivery struct {
	Deployment Deployment // Deployment.Attempts counts this attempt
	// WebhookID identifies the delivery to the deployer: the same on every
	// attempt, across workers and restarts.
	WebhookID string
	// ClaimedUntil is when the claim lapses and another worker may try.
	ClaimedUntil time.Time
	// FinishBy is when the deployment times out without a final status;
	// zero for none. It is fixed by the first attempt.
	FinishBy time.Time
	// LastError says why the previous attempt failed; "" on the first.
	LastError string
}

// DeliveryClaim asks a DeliveryStore for due deliveries.
type DeliveryClaim struct {
	Now   time.Time
	Lease time.Duration // how long the claimer may take before others may try
	Limit int           // at most this many; at least 1
	// FinishWithin gives the finish_within of a service's deployments to
	// an environment; the first attempt of a deployment fixes its FinishBy
	// to Now plus that. Nil or 0: no deadline.
	FinishWithin func(service, env string) time.Duration
	// Freeze, when set, is a freeze in force: the first attempt of a
	// forward deployment whose release has no override is not claimed but
	// held, due again at the earlier of Freeze.Until and Now+HoldRecheck
	// (a freeze may be lifted early), with Freeze.Note as its LastError.
	// Rollbacks, and deployments the deployer may already have seen, go
	// on.
	Freeze *Hold
	// Held, if set, is told after the claim committed of each deployment
	// that Freeze held and that was not held for the same reason before.
	Held func(Deployment)
}

// Hold is a freeze in force, as a delivery claim sees it.
type Hold struct {
	Until time.Time // when it ends; zero if unknown
	Note  string    // why, after "it": `is held by the freeze "x" until …`
}

// HoldRecheck is how often a held deployment is looked at again.
const HoldRecheck = time.Minute

// DeliveryStore keeps the delivery state of pending deployments and hands
// them out to workers.
type DeliveryStore interface {
	// ClaimDeliveries leases, until Now+Lease, up to Limit pending
	// deployments whose next attempt is due and that no other worker holds,
	// oldest first, as PlanDeliveries decides: one at a time per service
	// and environment (a rollback passes forward deployments not sent yet),
	// and Freeze holds first attempts. Each claim counts an attempt; the
	// first also sets the webhook id and FinishBy and, for a forward
	// deployment, sets PreviousVersion afresh (Replacing) to what
	// LastSucceeded finds: what the deployment replaces, which may have
	// changed while it queued behind another release's. Concurrent callers,
	// in this process or others on the same database, never claim the same
	// deployment while a lease holds.
	ClaimDeliveries(ctx context.Context, c DeliveryClaim) ([]Delivery, error)
	// RetryDelivery ends a claim on a deployment that is still pending: it
	// is due again at next; lastErr says why the attempt failed. It does
	// nothing to a deployment that is no longer pending.
	RetryDelivery(ctx context.Context, deploymentID int64, next time.Time, lastErr string) error
	// OverdueDeployments returns up to limit pending or in-progress
	// deployments whose FinishBy is at or before now, oldest first.
	OverdueDeployments(ctx context.Context, now time.Time, limit int) ([]Deployment, error)
	// NextDeliveryWake returns the earliest moment after now at which a
	// retry falls due, a claim on a pending deployment lapses, a run is to
	// be polled, or an unfinished deployment times out; zero when there is
	// none.
	NextDeliveryWake(ctx context.Context, now time.Time) (time.Time, error)
	// ClaimRuns hands out up to limit in-progress deployments that follow
	// a run (RunID set) whose PollAt is at or before now, earliest first,
	// and moves each one's PollAt to next(d): a claim, so replicas polling
	// together ask about each run once per round. The returned deployments
	// carry the new PollAt.
	ClaimRuns(ctx context.Context, now time.Time, limit int, next func(Deployment) time.Time) ([]Deployment, error)
	// DeploymentByRun returns the deployment that follows the run a
	// target of kind started with the id runID. Errors: ErrNotFound.
	DeploymentByRun(ctx context.Context, kind, runID string) (*Deployment, error)
}

// releaseOf returns the release a deployment belongs to, for what is being
// done to it. Errors: ENotFound.
func (s *Coordinator) releaseOf(ctx context.Context, deploymentID int64, what string) (int64, error) {
	releaseID, err := s.store.DeploymentRelease(ctx, deploymentID)
	if errors.Is(err, ErrNotFound) {
		return 0, Errorf(ENotFound, "There is no deployment %s.", FormatDeploymentID(deploymentID))
	}
	if err != nil {
		return 0, s.fail(what+" "+FormatDeploymentID(deploymentID), err)
	}
	return releaseID, nil
}

// Deployment returns one deployment. Errors: ENotFound.
func (s *Coordinator) Deployment(ctx context.Context, id int64) (*Deployment, error) {
	releaseID, err := s.releaseOf(ctx, id, "find")
	if err != nil {
		return nil, err
	}
	// Not through the cache: a deployer may call back about a deployment
	// another replica created a moment ago, before this one heard of it.
	r, err := s.load(ctx, releaseID)
	if err != nil {
		return nil, err
	}
	d, ok := r.Deployment(id)
	if !ok {
		return nil, Errorf(ENotFound, "There is no deployment %s.", FormatDeploymentID(id))
	}
	return d, nil
}
