package bot

import (
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
)

// A range within one day names the day once; across days, or across a
// change of the zone's abbreviation, both ends in full.
func TestSpan(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	cfg := config.Demo()
	cfg.Location = berlin
	v := newView(settingsOf(cfg))
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, berlin) }
	tests := []struct {
		name       string
		start, end time.Time
		want       string
	}{
		{name: "same day", start: at(24, 14, 0), end: at(24, 16, 0), want: "Tue 24 Mar 2026 14:00–16:00 CET"},
		{name: "over midnight", start: at(24, 23, 0), end: at(25, 1, 0), want: "Tue 24 Mar 2026 23:00 CET – Wed 25 Mar 2026 01:00 CET"},
		{name: "clocks go forward", start: at(29, 1, 0), end: at(29, 4, 0), want: "Sun 29 Mar 2026 01:00 CET – Sun 29 Mar 2026 04:00 CEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v.span(tt.start, tt.end); got != tt.want {
				t.Errorf("span = %q, want %q", got, tt.want)
			}
		})
	}
}
