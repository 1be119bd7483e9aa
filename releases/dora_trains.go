package releases

import (
	"slices"
	"time"
)

// DORAOfReleases computes the release-level DORA figures: DORAOf, with a
// train counted once, as a one-service release would be, rather than once
// per component. Its components still count one by one in
// DORAByService and DORAByTeam, where each is a change to its service.
//
// A train's forward deployments to the environment become:
//   - one failed change when a component fails or times out; further
//     failures before the train next reaches the environment (parallel
//     components failing together, a retry failing again) are the same
//     bad change;
//   - one change that reached the environment when every component in
//     scope has succeeded there (its newest forward deployment succeeded,
//     or did and was later rolled back), at the last one's finish; it
//     counts as rolled back when any of them was.
//
// Its rollbacks stay, so that an environment rollback restores it. Each
// train is its own "service" for the time to restore: only its own retry
// to completion, or a rollback, restores its failure. Facts of other
// releases pass through unchanged.
func DORAOfReleases(facts []DeploymentFact, from, to time.Time) DORA {
	var out []DeploymentFact
	trains := map[int64][]DeploymentFact{}
	var order []int64
	for _, f := range facts {
		if f.Components <= 1 {
			out = append(out, f)
			continue
		}
		if _, ok := trains[f.ReleaseID]; !ok {
			order = append(order, f.ReleaseID)
		}
		trains[f.ReleaseID] = append(trains[f.ReleaseID], f)
	}
	for _, id := range order {
		out = append(out, trainFacts(trains[id])...)
	}
	return DORAOf(out, from, to)
}

// trainFacts collapses one train's deployments to one environment into
// the facts a one-service release would leave; see DORAOfReleases.
func trainFacts(fs []DeploymentFact) []DeploymentFact {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, byFinish)
	key := "release " + FormatID(fs[0].ReleaseID)
	need := fs[0].Components
	newest := map[string]DeploymentStatus{} // each component's newest forward deployment
	var out []DeploymentFact
	failing, reached := false, false
	for _, f := range fs {
		service := f.Service
		f.Service = key
		if f.Type != TypeDeployment {
			out = append(out, f) // a rollback: it may restore the train
			continue
		}
		newest[service] = f.Status
		switch f.Status {
		case DeploymentFailed, DeploymentTimedOut:
			if !failing {
				out = append(out, f)
			}
			failing, reached = true, false
			continue
		case DeploymentSucceeded, DeploymentRolledBack:
		default:
			continue // not final
		}
		ok, rolledBack := 0, false
		for _, st := range newest {
			switch st {
			case DeploymentSucceeded:
				ok++
			case DeploymentRolledBack:
				ok, rolledBack = ok+1, true
			}
		}
		if ok >= need && !reached {
			f.Status = DeploymentSucceeded
			if rolledBack {
				f.Status = DeploymentRolledBack
			}
			out = append(out, f)
			failing, reached = false, true
		}
	}
	return out
}
