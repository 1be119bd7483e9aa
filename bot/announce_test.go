package bot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/golden"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

// The tests of this file run inside package bot: they render messages
// directly and drive the Bot without Slack.

const announceYAML = `
timezone: Europe/Berlin
release_managers: [U0RM1]
teams:
  - {name: payments, channel: C0PAY, leads: [U0ALICE, U0BOB]}
  - {name: risk, channel: C0RISK, leads: [U0CAROL]}
environments:
  - {name: staging, deploy: {url: "log:staging"}}
  - {name: production, deploy: {url: "log:production"}}
windows:
  - {name: weekly-train, schedule: "0 14 * * TUE,THU", duration: 2h}
  - {name: nightly, schedule: "30 2 * * *", duration: 1h}
freezes:
  - {name: year-end, start: 2026-12-20T00:00:00+01:00, end: 2027-01-04T00:00:00+01:00}
summaries:
  - {name: weekly, schedule: "0 9 * * MON", channel: C0MGMT, users: [U0BOSS]}
`

func announceConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse("announce.yaml", []byte(announceYAML), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// announceGolden compares m, as the outbox stores it, with
// testdata/NAME.message.golden.json; UPDATE=1 rewrites it. Package
// bot/slack sends those files and pins the Block Kit that goes to Slack.
func announceGolden(t *testing.T, name string, m Message) {
	t.Helper()
	body, err := encodeMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, name+".message", []byte(body))
}

var announceMonday = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

func announceRelease(id int64, service, version string, created time.Time) releases.Release {
	return releases.Release{ID: id, Service: service, Version: version, CreatedBy: "U0DAVE", CreatedAt: created}
}

// sampleSummary is the summary of TestSummaryOfASeededHistory in package
// scheduler, built by hand.
func sampleSummary() scheduler.Summary {
	api2 := announceRelease(2, "api", "v2", announceMonday.AddDate(0, 0, -6))
	web6 := announceRelease(4, "web", "v6", announceMonday.AddDate(0, 0, -4))
	return scheduler.Summary{
		Name: "weekly", Channel: "C0MGMT", Users: []string{"U0BOSS"}, At: announceMonday, Since: announceMonday.AddDate(0, 0, -7),
		Deployed: []releases.Outcome{
			{Release: api2, Action: releases.ActionDeployed, At: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Detail: "v2 is on staging, production"},
			{Release: web6, Action: releases.ActionDeployed, At: time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC), Detail: "v6 is on staging, production"},
		},
		Failed: []releases.Outcome{{Release: announceRelease(3, "web", "v5", announceMonday), Action: releases.ActionFailed,
			At: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), Detail: "production failed"}},
		RolledBack: []releases.Outcome{{Release: api2, Action: releases.ActionRolledBack,
			At: time.Date(2026, 12, 1, 11, 30, 0, 0, time.UTC), Detail: "production is back on v1"}},
		Waiting: []scheduler.Waiting{
			{Release: announceRelease(7, "api", "v3", announceMonday), Blockers: []releases.Shortfall{{Team: "risk", Have: 0, Need: 1}},
				Reason: "waits for sign-off from risk (0 of 1)"},
			{Release: announceRelease(8, "batch", "v1<script>", announceMonday), Reason: "waits for the window weekly-train, which opens Tue 8 Dec 2026 14:00 CET"},
		},
		Openings: []releases.Opening{
			{Window: "weekly-train", Start: time.Date(2026, 12, 8, 13, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 8, 15, 0, 0, 0, time.UTC)},
			{Window: "weekly-train", Start: time.Date(2026, 12, 22, 13, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 22, 15, 0, 0, 0, time.UTC)},
		},
		Freezes: []releases.Freeze{
			{Name: "year-end", Start: time.Date(2026, 12, 19, 23, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 3, 23, 0, 0, 0, time.UTC)},
			{Reason: "incident <42>", CreatedBy: "U0RM1", Start: announceMonday.Add(-time.Hour), End: announceMonday.Add(24 * time.Hour)},
		},
		Production: "production",
		DORA: releases.DORA{From: announceMonday.Add(-scheduler.DORAPeriod), To: announceMonday, Deployments: 3, PerDay: 0.1, PerWeek: 0.7,
			LeadTime: 6 * time.Hour, Changes: 5, Failures: 3, FailureRate: 0.6, TimeToRestore: 13*time.Hour + 45*time.Minute, Restored: 2, Unrestored: 1},
	}
}

// groupedSummary is sampleSummary with figures per team and per service:
// more services than a summary lists.
func groupedSummary() scheduler.Summary {
	s := sampleSummary()
	s.Teams = []releases.DORAGroup{{Name: "payments", DORA: releases.DORA{Deployments: 3, LeadTime: 4 * time.Hour, Changes: 4, Failures: 2,
		FailureRate: 0.5, TimeToRestore: 5 * time.Hour, Restored: 2}}}
	s.Services = []releases.DORAGroup{{Name: "web<1>", DORA: releases.DORA{Deployments: 1, LeadTime: 8 * time.Hour, Changes: 2, Failures: 1,
		FailureRate: 0.5, Unrestored: 1}}}
	for i := range 16 {
		s.Services = append(s.Services, releases.DORAGroup{Name: fmt.Sprintf("svc-%02d", i), DORA: releases.DORA{Deployments: 1, Changes: 1}})
	}
	return s
}

// TestAnnouncementGolden pins the messages of a reminder, a summary and
// a quiet summary.
func TestAnnouncementGolden(t *testing.T) {
	v := newView(settingsOf(announceConfig(t)))
	rel := announceRelease(3, "payments-api", "v2.4.0", time.Date(2026, 12, 1, 9, 2, 3, 0, time.UTC))
	announceGolden(t, "announce-reminder", v.reminder(scheduler.Reminder{Release: rel, Team: "payments", Channel: "C0PAY",
		Leads: []string{"U0ALICE", "U0BOB"}, Have: 0, Need: 1, Window: "weekly-train", Opening: time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)}))
	announceGolden(t, "announce-summary", v.summary(sampleSummary()))
	quiet := scheduler.Summary{Name: "weekly", Channel: "C0MGMT", At: announceMonday, Since: announceMonday.AddDate(0, 0, -7),
		Openings: sampleSummary().Openings[:1], Production: "production",
		DORA: releases.DORA{From: announceMonday.Add(-scheduler.DORAPeriod), To: announceMonday}}
	announceGolden(t, "announce-summary-quiet", v.summary(quiet))
}

// TestAnnouncementContent checks what people must read in them, whatever
// the layout.
func TestAnnouncementContent(t *testing.T) {
	v := newView(settingsOf(announceConfig(t)))
	tests := []struct {
		name string
		m    Message
		want []string
		not  []string
	}{
		{name: "reminder names the release, the team, its leads and the opening",
			m: v.reminder(scheduler.Reminder{Release: announceRelease(3, "payments-api", "v2.4.0", announceMonday), Team: "payments",
				Channel: "C0PAY", Leads: []string{"U0ALICE", "U0BOB"}, Need: 1, Window: "weekly-train", Opening: time.Date(2026, 12, 8, 13, 0, 0, 0, time.UTC)}),
			want: []string{"R-3", "payments", "<@U0ALICE>, <@U0BOB>", "Tue 8 Dec 2026 14:00 CET", "/release approve R-3 --team payments"}},
		{name: "summary", m: v.summary(sampleSummary()),
			want: []string{"R-2 · api v2", "R-4 · web v6", "R-3 · web v5", "blocked by *risk*", "Deployment frequency*: 3 (0.7 a week)",
				"*Lead time* (create → production, median): 6h 0m", "Change failure rate*: 60% (3 of 5)", "*Time to restore* (median): 13h 45m; 1 not restored yet",
				"v1&lt;script&gt;", `"incident &lt;42&gt;" (ad hoc, by <@U0RM1>)`, ":snowflake: held by the freeze year-end"},
			not: []string{"<script>", "quiet"}},
		{name: "summary per team and service", m: v.summary(groupedSummary()),
			want: []string{"*By owning team*", "• *payments*: 3 deployed · lead time 4h 0m · 50% failed (2 of 4) · restored in 5h 0m",
				"*By service*", "• *web&lt;1&gt;*: 1 deployed · lead time 8h 0m · 50% failed (1 of 2) · restored in —; 1 not restored yet",
				"• *svc-13*", "… and 2 more"},
			not: []string{"svc-14", "svc-15"}},
		{name: "a quiet week says so", m: v.summary(scheduler.Summary{Name: "weekly", At: announceMonday, Since: announceMonday.AddDate(0, 0, -7), Production: "production"}),
			want: []string{"A quiet week.", "Nothing was deployed", "Deployment frequency*: 0 (0.0 a week)", "Lead time", "—"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range tc.want {
				if !strings.Contains(tc.m.Text, w) {
					t.Errorf("text lacks %q:\n%s", w, tc.m.Text)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(tc.m.Text, n) {
					t.Errorf("text has %q:\n%s", n, tc.m.Text)
				}
			}
		})
	}
}

// TestAnnouncerQueuesOnce: a firing done twice (a replica took over)
// queues each message once.
func TestAnnouncerQueuesOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := context.Background()
		cfg := announceConfig(t)
		now := func() time.Time { return announceMonday }
		svc := releases.NewCoordinator(releases.Options{Store: s, Policy: cfg.Policy(), Now: now})
		r, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "api", Version: "v1", Window: "weekly-train"})
		if err != nil {
			t.Fatal(err)
		}
		a := NewAnnouncer(s, settingsOf(cfg), now)
		for range 2 {
			if err := a.Remind(ctx, "reminder:weekly-train@2026-12-08T11:00:00Z/R-1/payments", scheduler.Reminder{Release: *r, Team: "payments",
				Channel: "C0PAY", Leads: []string{"U0ALICE"}, Need: 1, Window: "weekly-train", Opening: announceMonday.Add(29 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := a.Summarize(ctx, "summary:weekly@2026-12-07T08:00:00Z", sampleSummary()); err != nil {
				t.Fatal(err)
			}
		}
		// The card and requests of R-1 are not queued (no relay ran): the
		// reminder, and the summary to the channel and to the boss.
		n, err := s.PendingOutbox(ctx)
		if err != nil || n != 3 {
			t.Fatalf("PendingOutbox = %d, %v; want 3: one reminder, the summary twice (channel, DM)", n, err)
		}
		entries, err := s.ClaimOutbox(ctx, announceMonday, time.Minute, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range entries {
			got[string(e.Op)+" "+e.Channel] = e.DedupeKey
		}
		// Heads of the queues: R-1's reminder, and the summaries' first.
		if got["post C0PAY"] != "reminder:weekly-train@2026-12-08T11:00:00Z/R-1/payments" || got["post C0MGMT"] != "summary:weekly@2026-12-07T08:00:00Z/C0MGMT" {
			t.Fatalf("claimed %v", got)
		}
	})
}

// TestFreezeCommands drives `/release freeze`, `unfreeze` and `windows`
// through the Bot, on a real database.
func TestFreezeCommands(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := context.Background()
		cfg := announceConfig(t)
		clk := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) // Tue 11:00 CET
		cal := scheduler.NewCalendar(timetableOf(cfg), scheduler.WithFreezes(s))
		svc := releases.NewCoordinator(releases.Options{Store: s, Policy: cfg.Policy(), Now: clk.Now, Gate: cal})
		b := New(Options{Coordinator: svc, Now: svc.Now, Posts: s, Settings: settingsOf(cfg), Calendar: cal})
		r, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "api", Version: "v1", Window: "weekly-train"})
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name string
			at   time.Time
			user string
			text string
			want []string
			not  []string
		}{
			{name: "an engineer may not freeze", user: "U0DAVE", text: `freeze until "2026-12-03 18:00" "incident 42"`,
				want: []string{"Only release managers can freeze deployments; ask one of <@U0RM1>."}},
			{name: "a lead may not unfreeze", user: "U0ALICE", text: "unfreeze", want: []string{"Only release managers can end a freeze"}},
			{name: "nothing to unfreeze", user: "U0RM1", text: "unfreeze", want: []string{"No ad-hoc freeze is in force"}},
			{name: "the release manager freezes", user: "U0RM1", text: `freeze until "2026-12-03 18:00" "incident <42>"`,
				want: []string{":snowflake: Deployments are frozen until Thu 3 Dec 2026 18:00 CET: incident &lt;42&gt;",
					"The waiting release R-1 won't start before then.", "--override"}},
			{name: "windows shows it, and the openings it holds", user: "U0DAVE", text: "windows",
				want: []string{"*Next release windows* (Europe/Berlin)",
					"• weekly-train: Tue 1 Dec 2026 14:00–16:00 CET — :snowflake: held by the ad-hoc freeze \"incident &lt;42&gt;\"",
					"• nightly: Fri 4 Dec 2026 02:30–03:30 CET\n",
					"• :snowflake: \"incident &lt;42&gt;\", declared by <@U0RM1>: Tue 1 Dec 2026 11:00 CET – Thu 3 Dec 2026 18:00 CET — *in force*",
					"• :snowflake: year-end: Sun 20 Dec 2026 00:00 CET – Mon 4 Jan 2027 00:00 CET"}},
			{name: "a second freeze replaces the first", user: "U0RM1", text: `freeze until "2026-12-02 12:00" "shorter"`,
				want: []string{"frozen until Wed 2 Dec 2026 12:00 CET: shorter", `It replaces the freeze "incident &lt;42&gt;", which would have lasted until Thu 3 Dec 2026 18:00 CET.`}},
			{name: "the release manager unfreezes", user: "U0RM1", text: "unfreeze",
				want: []string{`:sunny: Ended the freeze "shorter" (until Wed 2 Dec 2026 12:00 CET).`}},
			{name: "windows has only the configured freeze again", user: "U0DAVE", text: "windows",
				want: []string{"year-end"}, not: []string{"incident", "shorter", "held by"}},
			{name: "during the configured freeze, unfreeze says it stays", at: time.Date(2026, 12, 21, 10, 0, 0, 0, time.UTC), user: "U0RM1", text: "unfreeze",
				want: []string{"No ad-hoc freeze is in force, so there is nothing to end. The freeze year-end, from the configuration, still holds until Mon 4 Jan 2027 00:00 CET"}},
			{name: "windows in March tells of the clock change", at: time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC), user: "U0DAVE", text: "windows",
				want: []string{"*Clock changes*", `:clock2: Window nightly ("30 2 * * *"): 02:30 on Sun 28 Mar 2027 does not exist in Europe/Berlin (clocks jump from 02:00 to 03:00), so that opening is skipped.`}},
		}
		for _, st := range steps {
			if !st.at.IsZero() {
				clk.Set(st.at)
			}
			got := b.HandleCommand(ctx, Invocation{User: st.user, Channel: "C0REL", Text: st.text}).Text
			for _, w := range st.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s: reply lacks %q:\n%s", st.name, w, got)
				}
			}
			for _, n := range st.not {
				if strings.Contains(got, n) {
					t.Errorf("%s: reply has %q:\n%s", st.name, n, got)
				}
			}
		}
		if r, _ = svc.Get(ctx, r.ID); r.Status != releases.StatusAwaitingSignoff {
			t.Fatalf("R-1 is %s", r.Status)
		}
	})
}

// TestSkipNoteInTheThread: the note a release gets when a freeze holds its
// window's opening reads well in its thread.
func TestSkipNoteInTheThread(t *testing.T) {
	v := newView(settingsOf(announceConfig(t)))
	line := v.eventLine(releases.AuditEvent{Actor: releases.SystemActor, Action: releases.ActionWaiting,
		Detail: "skips the weekly-train opening of Tue 1 Dec 2026 14:00 CET because it is held by the freeze maintenance until Wed 2 Dec 2026 00:00 CET, then waits until Thu 3 Dec 2026 14:00 CET"})
	want := ":double_vertical_bar: Waiting: it skips the weekly-train opening of Tue 1 Dec 2026 14:00 CET because it is held by the freeze maintenance"
	if !strings.HasPrefix(line, want) {
		t.Fatalf("thread line %q, want it to start %q", line, want)
	}
}

type fixedClock = testclock.Clock

// The summary's medians are kept at releases.Resolution (the DORA spans):
// whatever lies in one bucket must read the same here, or a summary from
// kept spans could read differently from one over every deployment.
func TestDurationReadsAtReleasesResolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	scales := []time.Duration{time.Second, time.Minute, time.Hour, 24 * time.Hour, 30 * 24 * time.Hour}
	for range 100000 {
		d := time.Duration(rng.Int64N(int64(scales[rng.IntN(len(scales))])))
		if rng.IntN(20) == 0 {
			d = -d % time.Minute
		}
		if got, want := duration(releases.Resolution(d), 1), duration(d, 1); got != want {
			t.Fatalf("%v reads %q, its bucket %v reads %q", d, want, releases.Resolution(d), got)
		}
	}
}
