package bot

import (
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/scheduler"
)

// timetableOf is what the calendar of cfg is built from.
func timetableOf(cfg *config.Config) scheduler.Timetable {
	return scheduler.Timetable{Location: cfg.Location, Windows: cfg.CalendarWindows(), Freezes: cfg.Freezes}
}
