package releases

import (
	"cmp"
	"slices"
	"time"
)

// DORAGroup is the DORA figures of one service, or of one team over the
// services it owns.
type DORAGroup struct {
	Name string
	DORA
}

// DORAByService computes the figures of each service that had a change
// (a forward deployment that finished) in [from, to), most changes first,
// then by name. Time to restore is per service already, so each service's
// figures are the ones DORAOf gives for its deployments alone.
func DORAByService(facts []DeploymentFact, from, to time.Time) []DORAGroup {
	by := map[string][]DeploymentFact{}
	for _, f := range facts {
		by[f.Service] = append(by[f.Service], f)
	}
	return doraGroups(by, from, to)
}

// DORAByTeam computes the figures of each team over the services it owns,
// as owners names them (a service may have several owning teams, and
// counts for each), most changes first, then by name. A service without
// owners counts for no team; with a nil owners there are no teams.
//
// The teams a release asks sign-off from are not its owners (a risk or
// security team may sign off every release), so they are no fallback.
func DORAByTeam(facts []DeploymentFact, owners func(service string) []string, from, to time.Time) []DORAGroup {
	if owners == nil {
		return nil
	}
	teamsOf := map[string][]string{}
	by := map[string][]DeploymentFact{}
	for _, f := range facts {
		teams, ok := teamsOf[f.Service]
		if !ok {
			teams = slices.Compact(slices.Sorted(slices.Values(owners(f.Service))))
			teamsOf[f.Service] = teams
		}
		for _, t := range teams {
			by[t] = append(by[t], f)
		}
	}
	return doraGroups(by, from, to)
}

func doraGroups(by map[string][]DeploymentFact, from, to time.Time) []DORAGroup {
	out := make([]DORAGroup, 0, len(by))
	for name, facts := range by {
		if d := DORAOf(facts, from, to); d.Changes > 0 {
			out = append(out, DORAGroup{Name: name, DORA: d})
		}
	}
	sortGroups(out)
	return out
}

// sortGroups orders groups most changes first, then by name.
func sortGroups(gs []DORAGroup) {
	slices.SortFunc(gs, func(a, b DORAGroup) int {
		return cmp.Or(cmp.Compare(b.Changes, a.Changes), cmp.Compare(a.Name, b.Name))
	})
}
