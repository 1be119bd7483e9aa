package releases

// Policy is the part of the configuration the lifecycle rules need.
type Policy struct {
	ReleaseManagers []string
	// RequireDistinctApprover forbids a release's creator to sign it off.
	RequireDistinctApprover bool
	Teams                   []Team        // all teams, in configured order
	Environments            []Environment // deploy order
	Windows                 []string      // names of the release windows
	Limits                  Limits        // create quota and sign-off expiry
	// Services is the service catalog by name (lower-case). Empty: any
	// service may be released, signed off by the teams the create names.
	Services map[string]ServicePolicy
	// Groups tells the members of the user groups named among teams'
	// leads; nil: none is known, so a group's members count as nobody.
	Groups LeadGroups
	// DependsOn gives, by catalog service, the services deployed before
	// it when a train releases both (TrainPlan); nil for none.
	DependsOn map[string][]string
}

// ServicePolicy is what the lifecycle knows of a catalog service.
type ServicePolicy struct {
	// Owners are the teams that sign off every release of the service:
	// a create's teams add to them, never replace them.
	Owners []string
}

// Team signs off releases through its leads.
type Team struct {
	Name string
	// Leads are user ids and user groups (IsUserGroup), whose members
	// count as leads.
	Leads     []string
	Approvals int // sign-offs needed
}

// Environment is a deploy target; Manual ones wait for a promotion.
// Confirm ones ask people to confirm a promotion, rollback or override
// there before it happens (chat does the asking).
type Environment struct {
	Name    string
	Manual  bool
	Confirm bool
	// OnFailure says what a failed deployment there does to the rest of
	// the release: OnFailureHalt ("" too) or OnFailureRollback.
	OnFailure string
}

// What a failed deployment does (Environment.OnFailure).
const (
	// OnFailureHalt stops new deployments of the release; in-flight ones
	// finish, and people decide in chat (retry, rollback, descope, cancel).
	OnFailureHalt = "halt"
	// OnFailureRollback also rolls the environment back once nothing of
	// the release is in flight there.
	OnFailureRollback = "rollback"
)

func (p *Policy) team(name string) (Team, bool) {
	for _, t := range p.Teams {
		if t.Name == name {
			return t, true
		}
	}
	return Team{}, false
}

func (p *Policy) environment(name string) (Environment, bool) {
	for _, e := range p.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// NeedsConfirm reports whether deploying to env, rolling it back or
// overriding a window for it asks for confirmation first.
func (p *Policy) NeedsConfirm(env string) bool {
	e, ok := p.environment(env)
	return ok && e.Confirm
}

// MayOperate reports whether user may deploy, roll back, cancel or
// reschedule r: its creator, its teams' leads and release managers may.
func (p *Policy) MayOperate(r *Release, user string) bool {
	return user == r.CreatedBy || p.IsReleaseManager(user) || len(p.LedTeams(r.Teams, user)) > 0
}

// IsReleaseManager reports whether user is a release manager.
func (p *Policy) IsReleaseManager(user string) bool { return contains(p.ReleaseManagers, user) }

// IsLead reports whether user is a lead of team: named in its leads, or a
// known member of a group named there.
func (p *Policy) IsLead(team, user string) bool {
	_, ok := p.leadOf(team, user)
	return ok
}

// LedTeams returns the teams among teams that user leads.
func (p *Policy) LedTeams(teams []string, user string) []string {
	var led []string
	for _, t := range teams {
		if p.IsLead(t, user) {
			led = append(led, t)
		}
	}
	return led
}

// Missing returns, for each of r's teams short of sign-offs, how many more
// it needs, in r's team order.
func (p *Policy) Missing(r *Release) []Shortfall {
	var out []Shortfall
	for _, name := range r.Teams {
		need := p.need(name)
		if have := len(p.validApprovals(r, name)); have < need {
			out = append(out, Shortfall{Team: name, Have: have, Need: need})
		}
	}
	return out
}

// need is how many sign-offs team must give; at least one.
func (p *Policy) need(team string) int {
	if t, ok := p.team(team); ok && t.Approvals > 0 {
		return t.Approvals
	}
	return 1
}

// validApprovals counts the approvals for team by people who still lead it
// (never a CI identity, even one listed as a lead by mistake).
func (p *Policy) validApprovals(r *Release, team string) []string {
	var users []string
	for _, u := range r.Approvals(team) {
		if p.IsLead(team, u) && !IsCIActor(u) && !(p.RequireDistinctApprover && u == r.CreatedBy) {
			users = append(users, u)
		}
	}
	return users
}

// Shortfall is a team's missing sign-offs.
type Shortfall struct {
	Team       string
	Have, Need int
}
