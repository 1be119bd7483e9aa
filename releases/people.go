package releases

import (
	"fmt"
	"strings"
)

// Mention writes a person into a sentence for people as <@U…>: Slack
// shows it as their name, the shell as @name. Refusals name people this
// way rather than by their raw ids.
func Mention(user string) string {
	switch {
	case strings.HasPrefix(user, "@"):
		return user // a user group's handle, as written
	case IsUserGroup(user):
		return "<!subteam^" + user + ">"
	}
	return "<@" + user + ">"
}

// Mentions writes several people, comma-separated.
func Mentions(users []string) string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = Mention(u)
	}
	return strings.Join(out, ", ")
}

// possessive is "risk's", and "payments'" for a name ending in s.
func possessive(name string) string {
	if strings.HasSuffix(name, "s") || strings.HasSuffix(name, "S") {
		return name + "'"
	}
	return name + "'s"
}

// teamLeads is "payments' leads (<@U0ALICE>, <@U0BOB>)".
func (p *Policy) teamLeads(team string) string {
	t, _ := p.team(team)
	if len(t.Leads) == 0 {
		return possessive(team) + " leads"
	}
	return fmt.Sprintf("%s leads (%s)", possessive(team), Mentions(t.Leads))
}

// Unsignable says, for each of r's teams that can never collect its
// sign-offs, why and what to do: under the four-eyes rule r's creator
// can't sign off, and a team whose other leads are fewer than its
// approvals is stuck. Nothing else would tell: the release would just
// wait. Empty when every team can sign off.
func (p *Policy) Unsignable(r *Release) []string {
	if !p.RequireDistinctApprover {
		return nil
	}
	var out []string
	for _, name := range r.Teams {
		t, ok := p.team(name)
		if !ok || !contains(t.Leads, r.CreatedBy) {
			continue
		}
		var others []string
		for _, l := range t.Leads {
			if l != r.CreatedBy {
				others = append(others, l)
			}
		}
		need := p.need(name)
		if len(others) >= need {
			continue
		}
		id, creator := FormatID(r.ID), Mention(r.CreatedBy)
		var why string
		if len(others) == 0 {
			why = fmt.Sprintf("Only %s can sign off for %s, and %s opened %s, so %s can't sign off.", creator, name, creator, id, name)
		} else {
			why = fmt.Sprintf("%s needs %d sign-offs, but only %s may give one: %s opened %s and can't sign it off (four-eyes rule), so %s can't sign off.",
				name, need, Mentions(others), creator, id, name)
		}
		ask := "Ask whoever keeps releasebot's configuration"
		if len(p.ReleaseManagers) > 0 {
			ask = fmt.Sprintf("Ask a release manager (%s)", Mentions(p.ReleaseManagers))
		}
		out = append(out, fmt.Sprintf("%s %s to give %s another lead, or cancel %s (`/release cancel %s`) and have someone else open it.",
			why, ask, name, id, id))
	}
	return out
}
