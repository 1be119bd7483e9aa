package config

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/releasebot/releasebot/releases"
)

// This file reads users, release managers and teams.

// users reads the optional display-name -> user-id map.
func (p *parser) users(n *yaml.Node, cfg *Config) {
	f, ok := p.mapping(n, "users", nil, nil)
	if !ok {
		return
	}
	byID := map[string]string{}
	for _, name := range inFileOrder(f) {
		e := f[name]
		path := "users." + name
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t\n") {
			p.add(e.key.Line, "users", "name %q must be one word, so that `/as NAME` can name it", name)
			continue
		}
		id, ok := p.scalar(e.val, path)
		if !ok {
			continue
		}
		if msg := checkUserID(id, nil); msg != "" {
			p.add(e.val.Line, path, "%s", msg)
			continue
		}
		if first, dup := byID[id]; dup {
			p.add(e.key.Line, path, "%s is already named %q (line %d); give each user one name", id, first, f[first].key.Line)
			continue
		}
		byID[id] = name
		cfg.Users[name] = id
	}
}

// inFileOrder returns a mapping's keys in the order they appear.
func inFileOrder(f map[string]entry) []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := f[keys[i]].key, f[keys[j]].key
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return keys
}

// userIDs reads a list of Slack user ids.
func (p *parser) userIDs(n *yaml.Node, path string, users map[string]string) []string {
	return p.idList(n, path, "[U0ALICE, U0BOB]", func(v string) string { return checkUserID(v, users) })
}

// leads reads a team's leads: Slack user ids and user groups, as a
// handle ("@payments-leads") or an id (S0PAYLEADS).
func (p *parser) leads(n *yaml.Node, path string, users map[string]string) []string {
	return p.idList(n, path, `[U0ALICE, "@payments-leads", S0PAYLEADS]`, func(v string) string { return checkLead(v, users) })
}

// idList reads a list of ids, each checked by check (a problem, or ""),
// none twice; example shows the form in problems.
func (p *parser) idList(n *yaml.Node, path, example string, check func(string) string) []string {
	items, _ := p.stringList(n, path, example)
	var ids []string
	seen := map[string]int{}
	for i, it := range items {
		if msg := check(it.val); msg != "" {
			p.add(it.line, fmt.Sprintf("%s[%d]", path, i), "%s", msg)
			continue
		}
		if first, dup := seen[it.val]; dup {
			p.add(it.line, fmt.Sprintf("%s[%d]", path, i), "%s is listed twice (first on line %d)", it.val, first)
			continue
		}
		seen[it.val] = it.line
		ids = append(ids, it.val)
	}
	return ids
}

// hasGroup reports whether leads name a user group, whose size the file
// can't tell.
func hasGroup(leads []string) bool {
	for _, l := range leads {
		if releases.IsUserGroup(l) {
			return true
		}
	}
	return false
}

var teamKeys = []string{"name", "channel", "leads", "approvals"}

func (p *parser) teams(top map[string]entry, cfg *Config) {
	seen := newNames("teams")
	p.teamsRead = seen
	for i, n := range p.items(top, "teams", "- name: payments", true) {
		path := fmt.Sprintf("teams[%d]", i)
		n = resolve(n)
		f, ok := p.mapping(n, path, teamKeys, nil)
		if !ok {
			continue
		}
		t := Team{Approvals: DefaultApprovals}
		name, valid := p.name(f, n, path, seen, i)
		t.Name = name
		if e, ok := f["channel"]; !ok {
			p.add(n.Line, path, "channel is required (a Slack channel id such as C0PAY, or a channel name)")
			valid = false
		} else if s, ok := p.scalar(e.val, path+".channel"); !ok {
			valid = false
		} else if msg := checkChannel(s); msg != "" {
			p.add(e.val.Line, path+".channel", "%s", msg)
			valid = false
		} else {
			t.Channel = s
		}
		leadsOK := false
		if e, ok := f["leads"]; !ok {
			p.add(n.Line, path, "leads is required (the Slack user ids or user groups whose sign-off counts)")
			valid = false
		} else {
			errs := len(p.probs)
			t.Leads = p.leads(e.val, path+".leads", cfg.Users)
			leadsOK = len(p.probs) == errs
			if leadsOK && len(t.Leads) == 0 {
				p.add(e.val.Line, path+".leads", "list at least one lead")
				leadsOK = false
			}
			valid = valid && leadsOK
		}
		if e, ok := f["approvals"]; ok {
			if v, ok := p.integer(e.val, path+".approvals"); !ok {
				valid = false
			} else if v < 1 {
				p.add(e.val.Line, path+".approvals", "must be at least 1, got %d", v)
				valid = false
			} else if leadsOK && !hasGroup(t.Leads) && v > len(t.Leads) {
				p.add(e.val.Line, path+".approvals", "%d sign-offs needed but the team has only %d lead(s)", v, len(t.Leads))
				valid = false
			} else {
				t.Approvals = v
			}
		}
		if valid {
			p.fourEyesTrap(n.Line, path, t, cfg.RequireDistinctApprover)
			cfg.Teams = append(cfg.Teams, t)
		}
	}
}

// fourEyesTrap warns about a team that needs every one of its leads while
// the four-eyes rule is on: a release that one of those leads opens can
// then never collect the team's sign-offs, and nothing else would say so
// until someone waits for it.
func (p *parser) fourEyesTrap(line int, path string, t Team, fourEyes bool) {
	if !fourEyes || t.Approvals < len(t.Leads) {
		return
	}
	fix := "add a lead"
	if t.Approvals > 1 {
		fix += " or lower approvals"
	}
	lead, opener := "its only lead", "that lead"
	if len(t.Leads) > 1 {
		lead, opener = fmt.Sprintf("all %d of its leads", len(t.Leads)), "one of them"
	}
	p.note(line, path, "%s needs %s to sign off and require_distinct_approver is on, so a release %s opens can never be signed off for %s; %s",
		t.Name, lead, opener, t.Name, fix)
}
