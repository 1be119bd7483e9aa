package config

import "github.com/releasebot/releasebot/releases"

// Policy returns the part of the configuration that the release lifecycle
// enforces.
func (c *Config) Policy() releases.Policy {
	p := releases.Policy{
		ReleaseManagers:         append([]string(nil), c.ReleaseManagers...),
		RequireDistinctApprover: c.RequireDistinctApprover,
		Groups:                  c.LeadGroups,
		Limits: releases.Limits{CreatesPerHour: c.Limits.CreatesPerHour, SignoffExpiry: c.Limits.SignoffExpiry,
			Location: c.Location},
	}
	for _, t := range c.Teams {
		p.Teams = append(p.Teams, releases.Team{Name: t.Name, Leads: append([]string(nil), t.Leads...), Approvals: t.Approvals})
	}
	for _, e := range c.Environments {
		p.Environments = append(p.Environments, releases.Environment{Name: e.Name, Manual: e.Promote == PromoteManual,
			Confirm: e.Confirm, OnFailure: e.OnFailure})
	}
	for _, w := range c.Windows {
		p.Windows = append(p.Windows, w.Name)
	}
	if len(c.Services) > 0 {
		p.Services = make(map[string]releases.ServicePolicy, len(c.Services))
		for _, s := range c.Services {
			p.Services[s.Name] = releases.ServicePolicy{Owners: append([]string(nil), s.Teams...)}
			if len(s.DependsOn) > 0 {
				if p.DependsOn == nil {
					p.DependsOn = map[string][]string{}
				}
				p.DependsOn[s.Name] = append([]string(nil), s.DependsOn...)
			}
		}
	}
	return p
}

// CalendarWindows returns the windows as the calendar, the bot and the
// pages read them, in file order.
func (c *Config) CalendarWindows() []releases.Window {
	var out []releases.Window
	for _, w := range c.Windows {
		out = append(out, releases.Window{Name: w.Name, Schedule: w.Schedule, Cron: w.Cron, Duration: w.Duration})
	}
	return out
}
