package bot

import (
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/scheduler"
)

// settingsOf projects cfg as main does (internal/wire.Bot, which
// imports this package and so can't serve its internal tests).
func settingsOf(cfg *config.Config) Settings {
	s := Settings{Location: cfg.Location, Policy: cfg.Policy(), Windows: cfg.CalendarWindows()}
	for _, t := range cfg.Teams {
		s.Teams = append(s.Teams, Team{Name: t.Name, Channel: t.Channel, Leads: t.Leads, Approvals: t.Approvals})
	}
	for _, svc := range cfg.Services {
		s.Services = append(s.Services, svc.Name)
	}
	return s
}

// timetableOf is what the calendar of cfg is built from.
func timetableOf(cfg *config.Config) scheduler.Timetable {
	return scheduler.Timetable{Location: cfg.Location, Windows: cfg.CalendarWindows(), Freezes: cfg.Freezes}
}
