package releases

import (
	"context"
	"time"
)

// Outcome is a release reaching an end, or being rolled back: one of its
// deployed, failed or rolled_back audit events, with the release as it is
// now (with its components, without sign-offs and deployments).
type Outcome struct {
	Release Release
	Action  string // ActionDeployed, ActionFailed or ActionRolledBack
	At      time.Time
	Detail  string
}

// FinishedDeployment is a deployment that reached a final status, with the
// moment its release was created (for lead times).
type FinishedDeployment struct {
	Deployment
	ReleaseCreatedAt time.Time
}

// DeploymentFact is what the DORA figures need of a finished deployment,
// and nothing more: a 30-day window of a busy installation holds tens of
// thousands of deployments, and reading whole rows for them cost most of
// a summary's time and memory.
type DeploymentFact struct {
	ID int64
	// ReleaseID is the deployment's release; Components counts that
	// release's components in scope (not descoped), so the release-level
	// figures can count a train once (see DORAOfReleases).
	ReleaseID        int64
	Components       int
	Service          string
	Type             DeploymentType
	Status           DeploymentStatus
	FinishedAt       time.Time
	ReleaseCreatedAt time.Time
}

// HistoryReader answers the questions of a release summary, each with one
// indexed query.
type HistoryReader interface {
	// Outcomes returns the audit events with one of actions recorded in
	// [from, to) that belong to a release, oldest first, each with its
	// release.
	Outcomes(ctx context.Context, actions []string, from, to time.Time) ([]Outcome, error)
	// DeploymentFacts returns the deployments of service ("" for every
	// service) to env, of both types, whose FinishedAt falls in [from, to),
	// by FinishedAt then id.
	DeploymentFacts(ctx context.Context, env, service string, from, to time.Time) ([]DeploymentFact, error)
	// DORASpanStore keeps the DORA figures' parts of whole hours and days:
	// ReadDORA reads them.
	DORASpanStore
}

// DORA holds the four DORA key figures of one environment (production:
// the last configured one) over a period [From, To). The definitions are
// DORA's, made precise for what releasebot records:
//
//   - Deployment frequency: Deployments, the forward deployments (type
//     deployment, not rollbacks) that succeeded in the period, counting
//     ones later rolled back, since they did reach production; PerDay and
//     PerWeek divide that by the period's length.
//   - Lead time for changes: for each of those deployments, the time from
//     its release's creation (`/release create`) to the deployment's
//     finish. LeadTime is the median (the mean of the middle two for an
//     even count); zero with no deployments.
//   - Change failure rate: Failures / Changes. Changes are the forward
//     deployments that finished in the period (succeeded, rolled back,
//     failed or timed out); Failures are those that failed, timed out or
//     were later rolled back: each is a change that made production need a
//     fix. Zero with no changes.
//   - Time to restore (failed deployment recovery time): for each failure,
//     the time from the moment production went bad — the finish of the
//     failed or timed-out deployment, or of the deployment that was later
//     rolled back — to the finish of the next successful deployment of the
//     same service to the environment, of either type (a rollback, or a
//     fixed version), within the period. TimeToRestore is the median over
//     the Restored failures; Unrestored counts those with no such success
//     yet.
type DORA struct {
	From, To        time.Time
	Deployments     int
	PerDay, PerWeek float64
	LeadTime        time.Duration
	Changes         int
	Failures        int
	FailureRate     float64 // 0..1
	TimeToRestore   time.Duration
	Restored        int
	Unrestored      int
}

// ComputeDORA computes the DORA figures over [from, to) from whole
// deployments that finished in that period; see DORAOf.
func ComputeDORA(deps []FinishedDeployment, from, to time.Time) DORA {
	facts := make([]DeploymentFact, len(deps))
	for i, x := range deps {
		facts[i] = DeploymentFact{ID: x.ID, ReleaseID: x.ReleaseID, Service: x.Service, Type: x.Type, Status: x.Status,
			FinishedAt: x.FinishedAt, ReleaseCreatedAt: x.ReleaseCreatedAt}
	}
	return DORAOf(facts, from, to)
}

// DORAOf computes the DORA figures over [from, to) from the deployments to
// one environment that finished in that period, as
// HistoryReader.DeploymentFacts returns them. It is a pure function.
func DORAOf(facts []DeploymentFact, from, to time.Time) DORA {
	var parts []*doraPart
	for _, fs := range byKey(facts, from, to, func(f DeploymentFact) string { return f.Service }) {
		parts = append(parts, partOf(fs))
	}
	return doraOfParts(parts, from, to)
}
