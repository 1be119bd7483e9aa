package main

import (
	"reflect"
	"testing"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/wiretest"
	"github.com/releasebot/releasebot/scheduler"
)

// TestProjectionAgreesWithTheTests: the tests of bot, scheduler, bot/slack
// and web that start from a configuration project it with
// internal/wiretest. Main's projection must give the same, or they would
// test settings main never wires.
func TestProjectionAgreesWithTheTests(t *testing.T) {
	getenv := func(string) string { return "s3cret-value-for-tests" }
	for _, path := range []string{"", "config/testdata/releasebot.yaml", "examples/catalog-demo.yaml", "docker/releasebot.yaml"} {
		cfg := config.Demo()
		if path != "" {
			var err error
			if cfg, err = config.Load(path, getenv); err != nil {
				t.Fatal(err)
			}
		}
		name := cfg.Source
		bs := botSettingsOf(cfg)
		if len(bs.Teams) == 0 || len(bs.Windows) == 0 || len(bs.Policy.Environments) == 0 {
			t.Fatalf("%s: projected %+v; want teams, windows and environments to compare", name, bs)
		}
		if want := wiretest.Bot(cfg); !reflect.DeepEqual(bs, want) {
			t.Errorf("%s: main's bot settings\n%+v\ntests'\n%+v", name, bs, want)
		}
		if got, want := timetable(cfg), wiretest.Timetable(cfg); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: main's timetable\n%+v\ntests'\n%+v", name, got, want)
		}
		got, want := schedulerOptions(cfg, scheduler.Options{}), wiretest.Scheduler(cfg, scheduler.Options{})
		if len(got.Summaries) == 0 || got.RemindBefore == 0 {
			t.Fatalf("%s: projected %+v; want summaries and reminders to compare", name, got)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: main's scheduler options\n%+v\ntests'\n%+v", name, got, want)
		}
	}
}
