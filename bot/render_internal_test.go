package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

// A ready release's card says when its window next opens.
func TestStatusTextSaysWhenTheWindowOpens(t *testing.T) {
	cfg := config.Demo() // weekly-train: 0 14 * * TUE,THU for 2h, UTC
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{name: "before the opening", now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), want: "which opens Tue 1 Dec 2026 14:00 UTC"},
		{name: "after the window closed", now: time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC), want: "which opens Thu 3 Dec 2026 14:00 UTC"},
		{name: "while it is open", now: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), want: "is open but a freeze holds it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newView(settingsOf(cfg))
			v.now = func() time.Time { return tt.now }
			r := &releases.Release{ID: 3, Status: releases.StatusReady, Window: "weekly-train", Teams: []string{"payments"}}
			if got := v.statusText(r); !strings.Contains(got, tt.want) {
				t.Fatalf("statusText = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// Commands are counted by name and outcome for /metrics.
func TestCommandsAreCounted(t *testing.T) {
	cfg := config.Demo()
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "m.db"), nil)
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy()})
	m := metrics.New(metrics.Options{})
	b := New(Options{Coordinator: svc, Now: svc.Now, Posts: store, Settings: settingsOf(cfg), Calendar: scheduler.NewCalendar(timetableOf(cfg)), Metrics: m})
	ctx := context.Background()
	for _, text := range []string{"help", "create ledger v1", "create ledger v1", "stauts", "status R-9"} {
		b.HandleCommand(ctx, Invocation{User: "U0DAVE", Channel: "C0REL", Text: text})
	}
	tests := []struct {
		name, command, outcome string
		want                   float64
	}{
		{name: "help", command: "help", outcome: "ok", want: 1},
		{name: "created", command: "create", outcome: "ok", want: 1},
		{name: "second open release refused", command: "create", outcome: "conflict", want: 1},
		{name: "misspelt", command: "unknown", outcome: "usage", want: 1},
		{name: "unknown release", command: "status", outcome: "not_found", want: 1},
	}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got float64
			for _, f := range families {
				if f.GetName() != "releasebot_commands_total" {
					continue
				}
				for _, metric := range f.GetMetric() {
					labels := map[string]string{}
					for _, l := range metric.GetLabel() {
						labels[l.GetName()] = l.GetValue()
					}
					if labels["command"] == tt.command && labels["outcome"] == tt.outcome {
						got = metric.GetCounter().GetValue()
					}
				}
			}
			if got != tt.want {
				t.Fatalf("releasebot_commands_total{command=%q,outcome=%q} = %v, want %v", tt.command, tt.outcome, got, tt.want)
			}
		})
	}
}

// TestLongAnswersFitSlacksBlocks: Slack refuses a section whose text is
// over 3,000 characters, or more than 50 blocks. A list of 200 releases
// is split at line ends over several sections, every line kept; a
// monstrous line is cut; past 50 blocks the answer says what it left out.
func TestLongAnswersFitSlacksBlocks(t *testing.T) {
	v := newView(settingsOf(config.Demo()))
	rs := make([]releases.Release, 200)
	for i := range rs {
		rs[i] = releases.Release{ID: int64(i + 1), Service: "payments-api-with-a-long-name", Version: "v1.2.3-rc.4+build.5678",
			Status: releases.StatusDeployed, CreatedBy: "U0DAVE", CreatedAt: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)}
	}
	m := v.list("Releases", rs, "none")
	if len(m.Blocks) < 2 || len(m.Blocks) > maxBlocks {
		t.Fatalf("%d blocks for %d characters", len(m.Blocks), len(m.Text))
	}
	var joined []string
	for _, b := range m.Blocks {
		if b.Kind != BlockSection {
			t.Fatalf("a %s block", b.Kind)
		}
		txt := b.Text
		if n := utf8.RuneCountInString(txt); n > maxSectionText {
			t.Fatalf("a section of %d characters", n)
		}
		joined = append(joined, txt)
	}
	if strings.Join(joined, "\n") != m.Text {
		t.Fatal("the sections don't add up to the whole list")
	}

	huge := strings.Repeat("ä", 5000)
	if got := sections(huge); len(got) != 1 || utf8.RuneCountInString(got[0]) != maxSectionText || !strings.HasSuffix(got[0], "…") {
		t.Fatalf("a 5,000-character line became %d sections", len(got))
	}
	many := strings.Repeat(strings.Repeat("x", 2000)+"\n", 80)
	got := sections(many)
	if len(got) != maxBlocks || !strings.Contains(got[maxBlocks-1], "more lines") {
		t.Fatalf("80 lines of 2,000: %d sections, last %.60q", len(got), got[len(got)-1])
	}
}

// The card names the pipeline that ran each environment, linked.
func TestEnvironmentLineNamesThePipeline(t *testing.T) {
	v := newView(settingsOf(config.Demo()))
	r := &releases.Release{ID: 4, Environments: []string{"staging", "production"}, Deployments: []releases.Deployment{
		{ID: 1, Environment: "staging", Type: releases.TypeDeployment, Status: releases.DeploymentSucceeded,
			URL: "https://github.com/acme/api/actions/runs/30433642", RunKind: "github_actions", RunID: "30433642"},
		{ID: 2, Environment: "production", Type: releases.TypeDeployment, Status: releases.DeploymentInProgress,
			URL: "https://ci.example.com/7"},
	}}
	got := v.environmentLine(r)
	for _, want := range []string{"<https://github.com/acme/api/actions/runs/30433642|GitHub Actions run 30433642>", "<https://ci.example.com/7|log>"} {
		if !strings.Contains(got, want) {
			t.Errorf("environment line %q lacks %q", got, want)
		}
	}
}

// The audit spells "sign-off" as the rest of the bot does, also inside
// action ids such as signoff_withdrawn and awaiting_signoff.
func TestAuditSpellsSignOff(t *testing.T) {
	v := newView(settingsOf(config.Demo()))
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	m := v.audit(1, []releases.AuditEvent{
		{At: at, Actor: "U0ALICE", Action: releases.ActionWithdrawn, Detail: "risk"},
		{At: at, Actor: releases.SystemActor, Action: releases.ActionUnready, Detail: "risk needs 1 more"},
	})
	for _, want := range []string{"sign-off withdrawn: risk", "awaiting sign-off: risk needs 1 more"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("audit %q lacks %q", m.Text, want)
		}
	}
	if strings.Contains(m.Text, "signoff") {
		t.Errorf("audit spells signoff: %q", m.Text)
	}
}

// The status answer is the lines the card shows, then a line per
// deployment, as fmt and strings.Join made them before it was written into
// one builder.
func TestStatusLinesAsJoined(t *testing.T) {
	v := newView(settingsOf(config.Demo()))
	v.now = func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }
	before := func(r *releases.Release) string {
		lines := append([]string{"*" + title(r) + "*"}, v.details(r)...)
		for _, d := range r.Deployments {
			what := escape(d.Version)
			if r.IsTrain() {
				what = escape(d.Service) + " " + what
			}
			line := fmt.Sprintf("• %s %s %s of %s to %s", deploymentEmoji[d.Status], releases.FormatDeploymentID(d.ID), d.Type, what, d.Environment)
			if d.Message != "" {
				line += ": " + escape(d.Message)
			}
			lines = append(lines, line)
		}
		return strings.Join(lines, "\n")
	}
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	deps := []releases.Deployment{
		{ID: 7, Environment: "staging", Type: releases.TypeDeployment, Status: releases.DeploymentSucceeded, Service: "ledger", Version: "v1.2.0"},
		{ID: 1234567890123, Environment: "production", Type: releases.TypeRollback, Status: releases.DeploymentFailed, Service: "ledger",
			Version: "v1.1<&>", Message: "pods <crash> & loop", URL: "https://ci.example.com/1"},
		{ID: 9, Environment: "production", Type: releases.TypeDeployment, Status: "unheard-of", Service: "ledger", Version: "v1.2.0"},
	}
	for _, r := range []*releases.Release{
		{ID: 1, Service: "payments-api", Version: "v2.4.0", Status: releases.StatusAwaitingSignoff, Teams: []string{"payments", "risk"},
			Environments: []string{"staging", "production"}, CreatedBy: "U0DAVE", CreatedAt: at},
		{ID: 2, Service: "ledger", Version: "v1.2.0", Status: releases.StatusDeploying, Teams: []string{"payments"},
			Environments: []string{"staging", "production"}, CreatedBy: "U0DAVE", CreatedAt: at, Deployments: deps, Notes: "a <note>"},
		{ID: 3, Name: "q3", Status: releases.StatusDeploying, Teams: []string{"payments"}, Environments: []string{"staging", "production"},
			Components: []releases.Component{{Service: "ledger", Version: "v1.2.0"}, {Service: "fx", Version: "v3"}},
			CreatedBy:  "U0DAVE", CreatedAt: at, Deployments: deps},
	} {
		if got, want := v.status(r).Text, before(r); got != want {
			t.Errorf("R-%d:\n got %q\nwant %q", r.ID, got, want)
		}
	}
}
