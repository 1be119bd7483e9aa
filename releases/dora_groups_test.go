package releases_test

import (
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// TestDORAGroups checks the figures per service and per owning team: each
// group's figures are those of its deployments alone, a team covers every
// service it owns, a service with two owners counts for both, and a
// service without owners for no team.
func TestDORAGroups(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(30 * 24 * time.Hour)
	h := func(hours int) time.Time { return from.Add(time.Duration(hours) * time.Hour) }
	fwd, rb := releases.TypeDeployment, releases.TypeRollback
	ok, failed, back := releases.DeploymentSucceeded, releases.DeploymentFailed, releases.DeploymentRolledBack
	f := func(id int64, service string, typ releases.DeploymentType, st releases.DeploymentStatus, created, finished int) releases.DeploymentFact {
		return releases.DeploymentFact{ID: id, Service: service, Type: typ, Status: st, ReleaseCreatedAt: h(created), FinishedAt: h(finished)}
	}
	facts := []releases.DeploymentFact{
		f(1, "api", fwd, ok, 0, 2),       // api: lead 2h
		f(2, "api", fwd, back, 10, 14),   // api: lead 4h, a failure at 14h ...
		f(3, "api", rb, ok, 10, 15),      // ... restored by its rollback at 15h
		f(4, "web", fwd, failed, 20, 21), // web: a failure at 21h ...
		f(5, "web", fwd, ok, 22, 30),     // ... restored at 30h; lead 8h
		f(6, "batch", fwd, ok, 40, 41),   // batch: no owner; lead 1h
		f(7, "api", rb, ok, 50, 52),      // a rollback alone is no change
	}
	owners := map[string][]string{"api": {"payments"}, "web": {"payments", "frontend", "frontend"}}
	lookup := func(service string) []string { return owners[service] }

	type fig struct {
		name                           string
		deployments, changes, failures int
		lead, restore                  time.Duration
		restored                       int
	}
	flat := func(gs []releases.DORAGroup) []fig {
		out := []fig{}
		for _, g := range gs {
			out = append(out, fig{g.Name, g.Deployments, g.Changes, g.Failures, g.LeadTime, g.TimeToRestore, g.Restored})
		}
		return out
	}
	check := func(what string, got, want []fig) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s[%d]:\n got  %+v\n want %+v", what, i, got[i], want[i])
			}
		}
	}

	// Most changes first, then by name.
	check("by service", flat(releases.DORAByService(facts, from, to)), []fig{
		{"api", 2, 2, 1, 3 * time.Hour, time.Hour, 1},
		{"web", 1, 2, 1, 8 * time.Hour, 9 * time.Hour, 1},
		{"batch", 1, 1, 0, time.Hour, 0, 0},
	})
	check("by team", flat(releases.DORAByTeam(facts, lookup, from, to)), []fig{
		// api and web: leads 2h, 4h, 8h; restores 1h and 9h.
		{"payments", 3, 4, 2, 4 * time.Hour, 5 * time.Hour, 2},
		{"frontend", 1, 2, 1, 8 * time.Hour, 9 * time.Hour, 1},
	})
	if got := releases.DORAByTeam(facts, nil, from, to); len(got) != 0 {
		t.Errorf("by team without owners = %+v; want none", got)
	}
	if got := releases.DORAByService(nil, from, to); len(got) != 0 {
		t.Errorf("by service of nothing = %+v; want none", got)
	}
}
