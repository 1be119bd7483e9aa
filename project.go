package main

import (
	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/scheduler"
)

// The bot and the scheduler never see the configuration's file model: main
// hands each the part it reads, as cfg.Policy() does for the release
// service. Project after cfg.LeadGroups is set: the policies copy it.

// botSettingsOf is what the bot, the relay and the announcer read.
func botSettingsOf(cfg *config.Config) bot.Settings {
	s := bot.Settings{Location: cfg.Location, Policy: cfg.Policy(), Windows: cfg.CalendarWindows()}
	for _, t := range cfg.Teams {
		s.Teams = append(s.Teams, bot.Team{Name: t.Name, Channel: t.Channel, Leads: t.Leads, Approvals: t.Approvals})
	}
	for _, svc := range cfg.Services {
		s.Services = append(s.Services, svc.Name)
	}
	return s
}

// timetable is what the calendar is built from.
func timetable(cfg *config.Config) scheduler.Timetable {
	return scheduler.Timetable{Location: cfg.Location, Windows: cfg.CalendarWindows(), Freezes: cfg.Freezes}
}

// schedulerOptions returns o with the options the configuration sets: the
// policy, the teams, reminders and summaries.
func schedulerOptions(cfg *config.Config, o scheduler.Options) scheduler.Options {
	o.Policy, o.RemindBefore, o.Teams, o.Summaries = cfg.Policy(), cfg.Reminders.BeforeWindow, nil, nil
	for _, t := range cfg.Teams {
		o.Teams = append(o.Teams, scheduler.Team{Name: t.Name, Channel: t.Channel, Leads: t.Leads})
	}
	for _, s := range cfg.Summaries {
		o.Summaries = append(o.Summaries, scheduler.ScheduledSummary{Name: s.Name, Channel: s.Channel, Users: s.Users, Cron: s.Cron})
	}
	return o
}
