package releases_test

import (
	"reflect"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// A release whose creator leads a team that, without them, has too few
// leads left under the four-eyes rule can never be signed off: Unsignable
// says so, naming people as mentions, and what to do.
func TestUnsignable(t *testing.T) {
	p := testPolicy()
	p.Teams = append(p.Teams, releases.Team{Name: "ops", Leads: []string{"U0OPS"}, Approvals: 1})
	tests := []struct {
		name    string
		policy  func(*releases.Policy)
		creator string
		teams   []string
		want    []string
	}{
		{name: "an engineer opens", creator: dave, teams: []string{"payments", "risk", "ops"}},
		{name: "a lead of a team with a lead to spare", creator: alice, teams: []string{"payments"}},
		{name: "the only lead opens", creator: "U0OPS", teams: []string{"payments", "ops"}, want: []string{
			"Only <@U0OPS> can sign off for ops, and <@U0OPS> opened R-7, so ops can't sign off. " +
				"Ask a release manager (<@U0RM1>) to give ops another lead, or cancel R-7 (`/release cancel R-7`) and have someone else open it."}},
		{name: "one of two leads who must both sign", creator: carol, teams: []string{"risk"}, want: []string{
			"risk needs 2 sign-offs, but only <@U0DAN> may give one: <@U0CAROL> opened R-7 and can't sign it off (four-eyes rule), so risk can't sign off. " +
				"Ask a release manager (<@U0RM1>) to give risk another lead, or cancel R-7 (`/release cancel R-7`) and have someone else open it."}},
		{name: "no release managers", creator: "U0OPS", teams: []string{"ops"}, policy: func(p *releases.Policy) { p.ReleaseManagers = nil },
			want: []string{"Only <@U0OPS> can sign off for ops, and <@U0OPS> opened R-7, so ops can't sign off. " +
				"Ask whoever keeps releasebot's configuration to give ops another lead, or cancel R-7 (`/release cancel R-7`) and have someone else open it."}},
		{name: "four-eyes off", creator: "U0OPS", teams: []string{"ops"}, policy: func(p *releases.Policy) { p.RequireDistinctApprover = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := p
			p.Teams = append([]releases.Team(nil), p.Teams...)
			if tt.policy != nil {
				tt.policy(&p)
			}
			got := p.Unsignable(&releases.Release{ID: 7, CreatedBy: tt.creator, Teams: tt.teams})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Unsignable =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
