package web

import (
	"github.com/releasebot/releasebot/releases"
)

// A train shows as a matrix: one row per component (its version, digest
// and whether it was descoped), one column per environment, each cell the
// newest deployment of that component there. The list shows a train by
// its name and component count, and an environment chip sums up the
// components there, so a half-deployed train does not read as done.

// componentView is one row of a train's matrix.
type componentView struct {
	Service       string
	Version       string
	Digest        string
	Descoped      bool
	DescopeReason string
	Cells         []cellView
}

// cellView is one component in one environment: the status of its newest
// deployment there ("" when none started) and the run that did it.
type cellView struct {
	Env      string
	Status   string
	ID       string // D-7
	URL      string
	Pipeline string
}

// componentViews builds r's matrix rows, in r's order.
func componentViews(r *releases.Release) []componentView {
	out := make([]componentView, 0, len(r.Components))
	for _, c := range r.Components {
		cv := componentView{Service: c.Service, Version: c.Version, Digest: c.Digest,
			Descoped: c.Descoped, DescopeReason: c.DescopeReason}
		for _, e := range r.Environments {
			cell := cellView{Env: e}
			if d, ok := r.ComponentDeployment(e, c.Service); ok {
				cell.Status, cell.ID = deploymentStatus(d), releases.FormatDeploymentID(d.ID)
				cell.URL, cell.Pipeline = d.URL, d.Pipeline()
			}
			cv.Cells = append(cv.Cells, cell)
		}
		out = append(out, cv)
	}
	return out
}

// deploymentStatus is d's status as a chip shows it: a rollback that
// succeeded reads "rolled back".
func deploymentStatus(d *releases.Deployment) string {
	if d.Type == releases.TypeRollback && d.Status == releases.DeploymentSucceeded {
		return string(releases.DeploymentRolledBack)
	}
	return string(d.Status)
}

// trainEnvStatus sums up a train's components in env, worst first: failed
// or timed out if one did, in progress while one is under way, rolled
// back if one was, succeeded only when every component in scope did, and
// pending when some but not all have; "" when none started.
func trainEnvStatus(r *releases.Release, env string) string {
	seen := map[string]bool{}
	for _, s := range r.Scope() {
		if d, ok := r.ComponentDeployment(env, s); ok {
			seen[deploymentStatus(d)] = true
		}
	}
	switch {
	case len(seen) == 0:
		return ""
	case seen[string(releases.DeploymentFailed)]:
		return string(releases.DeploymentFailed)
	case seen[string(releases.DeploymentTimedOut)]:
		return string(releases.DeploymentTimedOut)
	case seen[string(releases.DeploymentInProgress)]:
		return string(releases.DeploymentInProgress)
	case seen[string(releases.DeploymentRolledBack)]:
		return string(releases.DeploymentRolledBack)
	case r.EnvironmentDone(env):
		return string(releases.DeploymentSucceeded)
	}
	return string(releases.DeploymentPending)
}

// trainName is how a sentence names a train: its name, or "the train".
func trainName(r *releases.Release) string {
	if r.Name != "" {
		return r.Name
	}
	return "the train"
}

// deployedWhat is what d deploys, as a sentence names it: its version, or
// in a train "ledger v1.9.0".
func deployedWhat(r *releases.Release, d *releases.Deployment) string {
	if r.IsTrain() {
		return d.Service + " " + d.Version
	}
	return d.Version
}
