package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var jan2026 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestWarnings(t *testing.T) {
	tests := []struct {
		name     string
		timezone string
		section  string // "windows" or "summaries"
		schedule string
		want     []string
	}{
		{name: "02:30 daily in Berlin is skipped in spring", timezone: "Europe/Berlin", schedule: "30 2 * * *",
			want: []string{`test.yaml:13: windows[0].schedule: "30 2 * * *" names a time that does not exist in Europe/Berlin: ` +
				`02:30 on 2026-03-29 (clocks jump from 02:00 to 03:00), 02:30 on 2027-03-28 (clocks jump from 02:00 to 03:00); cron skips that opening`}},
		{name: "summaries are checked too", timezone: "Europe/Berlin", section: "summaries", schedule: "30 2 * * *",
			want: []string{`test.yaml:13: summaries[0].schedule: "30 2 * * *" names a time that does not exist in Europe/Berlin: ` +
				`02:30 on 2026-03-29 (clocks jump from 02:00 to 03:00), 02:30 on 2027-03-28 (clocks jump from 02:00 to 03:00); cron skips that opening`}},
		{name: "first minute in the gap", timezone: "Europe/Berlin", schedule: "*/20 2 * * SUN",
			want: []string{`test.yaml:13: windows[0].schedule: "*/20 2 * * SUN" names a time that does not exist in Europe/Berlin: ` +
				`02:00 on 2026-03-29 (clocks jump from 02:00 to 03:00), 02:00 on 2027-03-28 (clocks jump from 02:00 to 03:00); cron skips that opening`}},
		{name: "weekday that never is a DST day", timezone: "Europe/Berlin", schedule: "30 2 * * TUE"},
		{name: "afternoon train", timezone: "Europe/Berlin", schedule: "0 14 * * TUE,THU"},
		{name: "UTC has no gaps", timezone: "UTC", schedule: "30 2 * * *"},
		{name: "autumn repeat is not a gap", timezone: "Europe/Berlin", schedule: "30 2 25 10 *"},
		{name: "CRON_TZ zone is the one checked", timezone: "UTC", schedule: "CRON_TZ=America/New_York 30 2 * * *",
			want: []string{`test.yaml:13: windows[0].schedule: "CRON_TZ=America/New_York 30 2 * * *" names a time that does not exist in America/New_York: ` +
				`02:30 on 2026-03-08 (clocks jump from 02:00 to 03:00), 02:30 on 2027-03-14 (clocks jump from 02:00 to 03:00); cron skips that opening`}},
		{name: "CRON_TZ overrides a DST zone", timezone: "Europe/Berlin", schedule: "CRON_TZ=UTC 30 2 * * *"},
		{name: "never fires", timezone: "UTC", schedule: "0 0 30 2 *",
			want: []string{`test.yaml:13: windows[0].schedule: "0 0 30 2 *" never fires (no matching date in the next five years)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Two leads: the four-eyes trap (TestFourEyesTrap) stays out of these.
			text := "timezone: " + tt.timezone + "\n" + strings.Replace(minimal, "leads: [U0ALICE]", "leads: [U0ALICE, U0BOB]", 1)
			if tt.section == "summaries" {
				text += "summaries:\n  - name: s\n    channel: C0M\n    schedule: \"" + tt.schedule + "\"\n"
			} else {
				text += "windows:\n  - name: w\n    duration: 1h\n    schedule: \"" + tt.schedule + "\"\n"
			}
			cfg := mustParse(t, text, nil)
			var got []string
			for _, w := range cfg.WarningsAt(jan2026) {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestWarningMatchesCron checks that the warning describes what cron really
// does: it skips 02:30 on the spring-forward day in Berlin.
func TestWarningMatchesCron(t *testing.T) {
	cfg := mustParse(t, "timezone: Europe/Berlin\n"+minimal+"windows:\n  - {name: w, schedule: \"30 2 * * *\", duration: 1h}\n", nil)
	berlin := cfg.Location
	got := cfg.Windows[0].Cron.Next(time.Date(2026, 3, 28, 12, 0, 0, 0, berlin))
	if want := time.Date(2026, 3, 30, 2, 30, 0, 0, berlin); !got.Equal(want) {
		t.Errorf("cron's next opening after 2026-03-28 12:00 = %v, want %v (skipping the 29th)", got, want)
	}
}

func TestCronTimezone(t *testing.T) {
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) // a Monday
	tests := []struct {
		name     string
		timezone string
		schedule string
		want     string // RFC 3339 of the next opening after from
	}{
		{name: "configured zone", timezone: "Europe/Berlin", schedule: "0 14 * * *", want: "2026-06-01T12:00:00Z"},
		{name: "default zone is UTC, not the server's", timezone: "UTC", schedule: "0 14 * * *", want: "2026-06-01T14:00:00Z"},
		{name: "CRON_TZ prefix wins", timezone: "Europe/Berlin", schedule: "CRON_TZ=America/New_York 0 14 * * *", want: "2026-06-01T18:00:00Z"},
		{name: "TZ prefix wins", timezone: "Europe/Berlin", schedule: "TZ=Asia/Tokyo 0 14 * * *", want: "2026-06-01T05:00:00Z"},
		{name: "descriptor in configured zone", timezone: "Europe/Berlin", schedule: "@daily", want: "2026-06-01T22:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, "timezone: "+tt.timezone+"\n"+minimal+"windows:\n  - {name: w, schedule: \""+tt.schedule+"\", duration: 1h}\n", nil)
			w := cfg.Windows[0]
			if w.Schedule != tt.schedule {
				t.Errorf("Schedule = %q, want it as written", w.Schedule)
			}
			if got := w.Cron.Next(from).UTC().Format(time.RFC3339); got != tt.want {
				t.Errorf("Next = %s, want %s", got, tt.want)
			}
		})
	}
}

// A team that needs every one of its leads, under the four-eyes rule,
// can't sign off a release that one of those leads opened: config check
// says so on the team's line.
func TestFourEyesTrap(t *testing.T) {
	tests := []struct {
		name, teams string
		fourEyes    string // require_distinct_approver, when set
		want        []string
	}{
		{name: "one lead", teams: "leads: [U0CAROL]",
			want: []string{"test.yaml:3: teams[0]: risk needs its only lead to sign off and require_distinct_approver is on, " +
				"so a release that lead opens can never be signed off for risk; add a lead"}},
		{name: "every lead of two", teams: "leads: [U0CAROL, U0ERIN], approvals: 2",
			want: []string{"test.yaml:3: teams[0]: risk needs all 2 of its leads to sign off and require_distinct_approver is on, " +
				"so a release one of them opens can never be signed off for risk; add a lead or lower approvals"}},
		{name: "one of two leads", teams: "leads: [U0CAROL, U0ERIN]"},
		{name: "four-eyes off", teams: "leads: [U0CAROL]", fourEyes: "false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "teams:\n  - {name: risk, channel: C0RISK, " + tt.teams + "}\n" +
				"environments:\n  - {name: staging, deploy: {url: \"log:staging\"}}\n"
			text = "# four-eyes\n" + text
			if tt.fourEyes != "" {
				text = "require_distinct_approver: " + tt.fourEyes + "\n" + text[strings.Index(text, "\n")+1:]
			}
			var got []string
			for _, w := range mustParse(t, text, nil).WarningsAt(jan2026) {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
