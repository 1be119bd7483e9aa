package config

import "github.com/releasebot/releasebot/releases"

// Policy returns the part of the configuration that the release lifecycle
// enforces.
func (c *Config) Policy() releases.Policy {
	p := releases.Policy{
		ReleaseManagers:         append([]string(nil), c.ReleaseManagers...),
		RequireDistinctApprover: c.RequireDistinctApprover,
		Limits: releases.Limits{CreatesPerHour: c.Limits.CreatesPerHour, SignoffExpiry: c.Limits.SignoffExpiry,
			Location: c.Location},
	}
	for _, t := range c.Teams {
		p.Teams = append(p.Teams, releases.Team{Name: t.Name, Leads: append([]string(nil), t.Leads...), Approvals: t.Approvals})
	}
	for _, e := range c.Environments {
		p.Environments = append(p.Environments, releases.Environment{Name: e.Name, Manual: e.Promote == PromoteManual})
	}
	for _, w := range c.Windows {
		p.Windows = append(p.Windows, w.Name)
	}
	if len(c.Services) > 0 {
		p.Services = make(map[string]releases.ServicePolicy, len(c.Services))
		for _, s := range c.Services {
			p.Services[s.Name] = releases.ServicePolicy{Owners: append([]string(nil), s.Teams...)}
		}
	}
	return p
}
