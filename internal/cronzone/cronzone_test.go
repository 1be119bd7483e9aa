package cronzone

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestTransitions(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got := Transitions(berlin, from, from.AddDate(1, 0, 0))
	if len(got) != 2 {
		t.Fatalf("%d transitions in 2026, want 2: %+v", len(got), got)
	}
	tests := []struct {
		name     string
		tr       Transition
		at       string
		forward  bool
		from, to string
	}{
		{name: "spring forward", tr: got[0], at: "2026-03-29T01:00:00Z", forward: true, from: "02:00", to: "03:00"},
		{name: "fall back", tr: got[1], at: "2026-10-25T01:00:00Z", forward: false, from: "02:00", to: "03:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if at := tt.tr.At.UTC().Format(time.RFC3339); at != tt.at || tt.tr.Forward != tt.forward ||
				tt.tr.From.Format("15:04") != tt.from || tt.tr.To.Format("15:04") != tt.to {
				t.Fatalf("got at %s forward %v [%s, %s)", at, tt.tr.Forward, tt.tr.From.Format("15:04"), tt.tr.To.Format("15:04"))
			}
		})
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		name string
		spec string
		wall time.Time
		want bool
	}{
		{name: "exact minute", spec: "30 2 * * *", wall: time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC), want: true},
		{name: "other minute", spec: "30 2 * * *", wall: time.Date(2026, 3, 29, 2, 31, 0, 0, time.UTC), want: false},
		{name: "weekday rule", spec: "0 14 * * TUE", wall: time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC), want: true},
		{name: "wrong weekday", spec: "0 14 * * TUE", wall: time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC), want: false},
		{name: "either day field", spec: "0 9 1 * MON", wall: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := cron.ParseStandard(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := Matches(s.(*cron.SpecSchedule), tt.wall); got != tt.want {
				t.Fatalf("Matches(%q, %s) = %v, want %v", tt.spec, tt.wall, got, tt.want)
			}
		})
	}
}
