package releases

import "time"

// Window is a recurring release window (a release train): it opens at
// each time Cron names and stays open for Duration. The configuration's
// windows reach the calendar, the bot and the pages as these.
type Window struct {
	Name string
	// Schedule is the cron text as written, for people; Cron is it
	// parsed, nil for a window that never opens.
	Schedule string
	Cron     Recurrence
	Duration time.Duration
}

// Recurrence names a schedule's times; a parsed cron schedule
// (cron.Schedule) is one.
type Recurrence interface {
	// Next returns the first time after t, or zero for none.
	Next(t time.Time) time.Time
}

// Opening is one opening of a release window: from Start until End.
type Opening struct {
	Window     string
	Start, End time.Time
}
