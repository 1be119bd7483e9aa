package releases

import (
	"strings"
)

// A team's leads may name chat user groups besides users: "@payments-leads"
// (a handle) or "S0PAYLEADS" (an id). Who is in a group is chat's
// knowledge, not the configuration's; the lifecycle asks LeadGroups, which
// the wiring injects (Slack's user groups in serve; none in the shell).

// LeadGroups tells who is in the user groups teams name among their leads.
// Members must answer at once from what is known (it is asked while a
// change is being made, and to render every status line): a resolver
// keeps its own copy current.
type LeadGroups interface {
	Members(group string) GroupMembers
}

// GroupMembers is what is known of a user group's members.
type GroupMembers struct {
	// Name is the group as people know it ("@payments-leads"); empty: the
	// group as written in leads.
	Name string
	// Users are the members, as last read.
	Users []string
	// Known: the members were read at least once. Without it nobody counts
	// as a member, whatever Problem says.
	Known bool
	// Problem, when set, says why the members could not be read lately
	// ("missing_scope"): Users are then the last known ones.
	Problem string
}

// IsUserGroup reports whether a lead names a user group: "@handle" or a
// Slack user group id (S…).
func IsUserGroup(lead string) bool {
	if strings.HasPrefix(lead, "@") {
		return len(lead) > 1
	}
	if len(lead) < 3 || lead[0] != 'S' {
		return false
	}
	for _, r := range lead[1:] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// members is what the policy's resolver knows of group; without one,
// nothing is known.
func (p *Policy) members(group string) GroupMembers {
	if p.Groups == nil {
		return GroupMembers{Name: group, Problem: "no user group directory is connected (the shell can't read Slack's user groups)"}
	}
	m := p.Groups.Members(group)
	if m.Name == "" {
		m.Name = group
	}
	return m
}

// Lead is how a user counts as a team's lead.
type Lead struct {
	// Via is the group through which the user counts; nil when named in
	// leads directly.
	Via *GroupMembers
}

// leadOf reports whether user leads team, named directly or as a member
// of one of its groups (the first that has them, in leads order).
func (p *Policy) leadOf(team, user string) (Lead, bool) {
	t, ok := p.team(team)
	if !ok {
		return Lead{}, false
	}
	if contains(t.Leads, user) {
		return Lead{}, true
	}
	for _, l := range t.Leads {
		if !IsUserGroup(l) {
			continue
		}
		if m := p.members(l); m.Known && contains(m.Users, user) {
			return Lead{Via: &m}, true
		}
	}
	return Lead{}, false
}

// unknownGroups returns the groups among team's leads whose members were
// never read: their members can't be told from anyone else.
func (p *Policy) unknownGroups(team string) []GroupMembers {
	t, _ := p.team(team)
	var out []GroupMembers
	for _, l := range t.Leads {
		if IsUserGroup(l) {
			if m := p.members(l); !m.Known {
				out = append(out, m)
			}
		}
	}
	return out
}

// describe says how a lead counted, for the audit: "", or "approved as a
// member of @payments-leads" (and that the members are as last known when
// they could not be read again).
func (l Lead) describe() string {
	if l.Via == nil {
		return ""
	}
	s := "approved as a member of " + l.Via.Name
	if l.Via.Problem != "" {
		s += " (members as last known: the group could not be read again: " + l.Via.Problem + ")"
	}
	return s
}

// groupNames lists groups by name.
func groupNames(gs []GroupMembers) string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Name
	}
	return strings.Join(names, ", ")
}
