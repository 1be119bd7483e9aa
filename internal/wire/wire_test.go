package wire_test

import (
	"testing"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/scheduler"
)

// The projection carries what the bot and the scheduler act on: a
// configuration's teams with their channels and leads, windows, the
// environments in order, catalog services, reminders and summaries.
func TestProjectionCarriesWhatIsConfigured(t *testing.T) {
	cfg, err := config.Load("../../examples/catalog-demo.yaml", func(string) string { return "s3cret-value-for-tests" })
	if err != nil {
		t.Fatal(err)
	}
	bs := wire.Bot(cfg)
	if len(bs.Teams) != len(cfg.Teams) || len(bs.Windows) != len(cfg.Windows) || len(bs.Services) != len(cfg.Services) {
		t.Fatalf("bot settings %+v: want every team, window and service of %s", bs, cfg.Source)
	}
	for i, team := range cfg.Teams {
		if got := bs.Teams[i]; got.Name != team.Name || got.Channel != team.Channel || len(got.Leads) != len(team.Leads) {
			t.Errorf("team %d projected as %+v, configured %+v", i, got, team)
		}
	}
	if got, want := len(bs.Policy.Environments), len(cfg.Environments); got != want || got == 0 {
		t.Errorf("%d environments projected, %d configured", got, want)
	}
	tt := wire.Timetable(cfg)
	if tt.Location != cfg.Location || len(tt.Windows) != len(cfg.Windows) || len(tt.Freezes) != len(cfg.Freezes) {
		t.Errorf("timetable %+v: want the zone, windows and freezes of %s", tt, cfg.Source)
	}
	so := wire.Scheduler(cfg, scheduler.Options{})
	if so.RemindBefore != cfg.Reminders.BeforeWindow || len(so.Summaries) != len(cfg.Summaries) || len(so.Teams) != len(cfg.Teams) {
		t.Errorf("scheduler options %+v: want the reminder lead, summaries and teams of %s", so, cfg.Source)
	}
}
