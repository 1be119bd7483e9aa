package scheduler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/scheduler"
)

// dstYAML's windows are read in Berlin time unless they say otherwise.
const dstYAML = `
timezone: Europe/Berlin
teams: [{name: payments, channel: C0PAY, leads: [U0ALICE]}]
environments: [{name: production, deploy: {url: "log:production"}}]
windows:
  - {name: daily-14, schedule: "0 14 * * *", duration: 2h}
  - {name: nightly, schedule: "30 2 * * *", duration: 1h}
  - {name: half-hourly, schedule: "*/30 * * * *", duration: 10m}
  - {name: ny-0130, schedule: "CRON_TZ=America/New_York 30 1 * * *", duration: 1h}
  - {name: ny-0230, schedule: "CRON_TZ=America/New_York 30 2 * * *", duration: 1h}
  - {name: ny-9, schedule: "CRON_TZ=America/New_York 0 9 * * MON-FRI", duration: 1h}
`

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestOpeningsAcrossDST checks window openings, computed with cron in the
// configured zone (or the window's own CRON_TZ), across the 2026 clock
// changes: Europe/Berlin on 29 March and 25 October, America/New_York on
// 8 March and 1 November. Expected instants are in UTC, worked out by hand.
func TestOpeningsAcrossDST(t *testing.T) {
	cal := scheduler.NewCalendar(wire.Timetable(parseConfig(t, dstYAML)))
	tests := []struct {
		name   string
		window string
		from   string // UTC
		want   []string
	}{
		{name: "Berlin 14:00 keeps its wall time when clocks go forward", window: "daily-14", from: "2026-03-27 12:00",
			want: []string{"2026-03-27 13:00", "2026-03-28 13:00", "2026-03-29 12:00", "2026-03-30 12:00"}},
		{name: "Berlin 14:00 keeps its wall time when clocks go back", window: "daily-14", from: "2026-10-24 00:00",
			want: []string{"2026-10-24 12:00", "2026-10-25 13:00", "2026-10-26 13:00"}},
		{name: "Berlin 02:30 does not exist on 29 March: skipped", window: "nightly", from: "2026-03-27 12:00",
			want: []string{"2026-03-28 01:30", "2026-03-30 00:30", "2026-03-31 00:30"}},
		{name: "Berlin 02:30 shows twice on 25 October: opens once, at the first", window: "nightly", from: "2026-10-24 12:00",
			want: []string{"2026-10-25 00:30", "2026-10-26 01:30", "2026-10-27 01:30"}},
		{name: "Berlin every half hour runs in both repeated hours", window: "half-hourly", from: "2026-10-25 00:00",
			want: []string{"2026-10-25 00:30", "2026-10-25 01:00", "2026-10-25 01:30", "2026-10-25 02:00"}},
		{name: "Berlin every half hour goes from 01:30 to 03:00 in spring", window: "half-hourly", from: "2026-03-29 00:00",
			want: []string{"2026-03-29 00:30", "2026-03-29 01:00", "2026-03-29 01:30"}},
		{name: "New York 02:30 does not exist on 8 March: skipped", window: "ny-0230", from: "2026-03-06 12:00",
			want: []string{"2026-03-07 07:30", "2026-03-09 06:30", "2026-03-10 06:30"}},
		{name: "New York 01:30 shows twice on 1 November: opens once, at the first", window: "ny-0130", from: "2026-10-31 12:00",
			want: []string{"2026-11-01 05:30", "2026-11-02 06:30", "2026-11-03 06:30"}},
		{name: "New York 02:30 is after the repeated hour: once a day", window: "ny-0230", from: "2026-10-31 12:00",
			want: []string{"2026-11-01 07:30", "2026-11-02 07:30"}},
		{name: "CRON_TZ window follows its own zone, not the configured one", window: "ny-9", from: "2026-10-30 12:00",
			want: []string{"2026-10-30 13:00", "2026-11-02 14:00", "2026-11-03 14:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			from := utc(tc.from)
			for range tc.want {
				o, ok := cal.NextOpening(tc.window, from)
				if !ok {
					t.Fatalf("no opening after %v", from)
				}
				got = append(got, o.Start.UTC().Format("2006-01-02 15:04"))
				from = o.Start
			}
			assertStrings(t, "openings", got, tc.want)
		})
	}
}

// TestOpenAtAcrossDST checks which opening is open at a moment, on the
// days the clocks change.
func TestOpenAtAcrossDST(t *testing.T) {
	cal := scheduler.NewCalendar(wire.Timetable(parseConfig(t, dstYAML)))
	tests := []struct {
		name      string
		window    string
		at        string // UTC
		wantStart string // "" for closed
	}{
		{name: "15:30 CEST on the spring day is inside 14:00–16:00", window: "daily-14", at: "2026-03-29 13:30", wantStart: "2026-03-29 12:00"},
		{name: "13:30 UTC on the spring day is 15:30 CEST; 11:30 UTC is before", window: "daily-14", at: "2026-03-29 11:30"},
		{name: "16:00 CET on the autumn day has closed", window: "daily-14", at: "2026-10-25 15:00"},
		{name: "the second 02:30 on the autumn day opens nothing", window: "nightly", at: "2026-10-25 01:45"},
		{name: "the first 02:30 on the autumn day is open", window: "nightly", at: "2026-10-25 00:45", wantStart: "2026-10-25 00:30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, open := cal.OpenAt(tc.window, utc(tc.at))
			got := ""
			if open {
				got = o.Start.UTC().Format("2006-01-02 15:04")
			}
			if got != tc.wantStart {
				t.Fatalf("OpenAt(%s, %s) = %q, want %q", tc.window, tc.at, got, tc.wantStart)
			}
		})
	}
}

// TestDSTNotes checks what `/release windows` says about the clock
// changes.
func TestDSTNotes(t *testing.T) {
	cal := scheduler.NewCalendar(wire.Timetable(parseConfig(t, dstYAML)))
	tests := []struct {
		name     string
		from, to string
		want     []string // each in one note
		not      []string // in none
	}{
		{name: "spring in Berlin and New York", from: "2026-03-01 00:00", to: "2026-04-01 00:00",
			want: []string{
				`Window nightly ("30 2 * * *"): 02:30 on Sun 29 Mar 2026 does not exist in Europe/Berlin (clocks jump from 02:00 to 03:00), so that opening is skipped.`,
				`Window half-hourly ("*/30 * * * *"): 02:00 and 02:30 on Sun 29 Mar 2026 do not exist in Europe/Berlin`,
				`Window ny-0230 ("CRON_TZ=America/New_York 30 2 * * *"): 02:30 on Sun 8 Mar 2026 does not exist in America/New_York`,
			},
			not: []string{"daily-14", "ny-0130", "ny-9"}},
		{name: "autumn in Berlin and New York", from: "2026-10-01 00:00", to: "2026-11-30 00:00",
			want: []string{
				`Window nightly ("30 2 * * *"): 02:30 on Sun 25 Oct 2026 shows twice in Europe/Berlin (clocks go back from 03:00 to 02:00); it opens once, at the first.`,
				`Window half-hourly ("*/30 * * * *"): 02:00 and 02:30 on Sun 25 Oct 2026 show twice in Europe/Berlin (clocks go back from 03:00 to 02:00); it opens at both.`,
				`Window ny-0130 ("CRON_TZ=America/New_York 30 1 * * *"): 01:30 on Sun 1 Nov 2026 shows twice in America/New_York (clocks go back from 02:00 to 01:00); it opens once, at the first.`,
			},
			not: []string{"daily-14", "ny-0230", "ny-9"}},
		{name: "no change in summer", from: "2026-06-01 00:00", to: "2026-08-01 00:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			notes := cal.DSTNotes(utc(tc.from), utc(tc.to))
			all := strings.Join(notes, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("notes lack %q; got:\n%s", w, all)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(all, "Window "+n+" ") {
					t.Errorf("notes mention %s, which no clock change touches:\n%s", n, all)
				}
			}
			if len(tc.want) == 0 && len(notes) > 0 {
				t.Errorf("notes = %q, want none", notes)
			}
		})
	}
}
