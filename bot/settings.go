package bot

import (
	"time"

	"github.com/releasebot/releasebot/releases"
)

// Settings are what the bot, the relay and the announcer read of the
// configuration. Main projects them from it; the bot never sees the file's
// model.
type Settings struct {
	// Location is the zone times are typed and shown in; nil: UTC.
	Location *time.Location
	// Policy is the lifecycle's rules as the release service has them:
	// who owes sign-offs, four eyes, the environments in deploy order.
	Policy releases.Policy
	// Teams, in configured order, with where their requests go.
	Teams []Team
	// Services names the service catalog's services in file order; empty
	// without a catalog.
	Services []string
	// Windows are the release windows, in configured order.
	Windows []releases.Window
}

// Team is a team as chat addresses it.
type Team struct {
	Name string
	// Channel is a Slack channel id (C0PAY) or name where its sign-off
	// requests go.
	Channel string
	// Leads are the user ids and user groups whose sign-off counts.
	Leads []string
	// Approvals is how many distinct leads must sign off.
	Approvals int
}

// Team returns the team with the given name.
func (s Settings) Team(name string) (Team, bool) {
	for _, t := range s.Teams {
		if t.Name == name {
			return t, true
		}
	}
	return Team{}, false
}

// Window returns the window with the given name.
func (s Settings) Window(name string) (releases.Window, bool) {
	for _, w := range s.Windows {
		if w.Name == name {
			return w, true
		}
	}
	return releases.Window{}, false
}
