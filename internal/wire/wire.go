// Package wire projects a loaded configuration into the bot's and the
// scheduler's own options: they never see the configuration's file model
// (TestConfigStaysAtTheEdge). Main wires with it, and so do the tests that
// start from a releasebot.yaml or the demo, so they test what main wires.
// Project after cfg.LeadGroups is set: the policies copy it.
package wire

import (
	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/scheduler"
)

// Bot returns what the bot, the relay and the announcer read of cfg.
func Bot(cfg *config.Config) bot.Settings {
	s := bot.Settings{Location: cfg.Location, Policy: cfg.Policy(), Windows: cfg.CalendarWindows()}
	for _, t := range cfg.Teams {
		s.Teams = append(s.Teams, bot.Team{Name: t.Name, Channel: t.Channel, Leads: t.Leads, Approvals: t.Approvals})
	}
	for _, svc := range cfg.Services {
		s.Services = append(s.Services, svc.Name)
	}
	return s
}

// Timetable returns what the calendar of cfg is built from.
func Timetable(cfg *config.Config) scheduler.Timetable {
	return scheduler.Timetable{Location: cfg.Location, Windows: cfg.CalendarWindows(), Freezes: cfg.Freezes}
}

// Scheduler returns o with the options cfg sets: the policy, the teams,
// reminders and summaries.
func Scheduler(cfg *config.Config, o scheduler.Options) scheduler.Options {
	o.Policy, o.RemindBefore, o.Teams, o.Summaries = cfg.Policy(), cfg.Reminders.BeforeWindow, nil, nil
	for _, t := range cfg.Teams {
		o.Teams = append(o.Teams, scheduler.Team{Name: t.Name, Channel: t.Channel, Leads: t.Leads})
	}
	for _, s := range cfg.Summaries {
		o.Summaries = append(o.Summaries, Summary(s))
	}
	return o
}

// Summary returns a configured summary as the scheduler reads it.
func Summary(s config.Summary) scheduler.ScheduledSummary {
	return scheduler.ScheduledSummary{Name: s.Name, Channel: s.Channel, Users: s.Users, Cron: s.Cron}
}
