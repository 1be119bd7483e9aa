package bot

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

// TestHistoryOfAServiceSaysItsOwnersAndFigures: `/release history SERVICE`
// names the service's owning teams and its production DORA figures of the
// last 30 days, above what shipped; other services' deployments don't
// count, and without owners or figures it is the list alone.
func TestHistoryOfAServiceSaysItsOwnersAndFigures(t *testing.T) {
	cfg := config.Demo()
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "h.db"), clock)
	ctx := context.Background()
	h := func(hours int) time.Time { return now.Add(time.Duration(hours) * time.Hour) }
	// api: v1 created -30h, deployed -28h (lead 2h); v2 created -20h,
	// failed -16h, restored by v3 (created -12h) at -6h (lead 6h, 10h).
	// web: one failure that must not count for api.
	for _, x := range []struct {
		service, version string
		created, done    int
		status           releases.DeploymentStatus
	}{
		{"api", "v1", -30, -28, releases.DeploymentSucceeded},
		{"api", "v2", -20, -16, releases.DeploymentFailed},
		{"api", "v3", -12, -6, releases.DeploymentSucceeded},
		{"web", "v9", -5, -4, releases.DeploymentFailed},
	} {
		st := releases.StatusDeployed
		if x.status == releases.DeploymentFailed {
			st = releases.StatusFailed
		}
		r := &releases.Release{Service: x.service, Version: x.version, Status: st, CreatedBy: "U0DAVE", CreatedAt: h(x.created),
			UpdatedAt: h(x.done), Teams: []string{"payments"}, Environments: []string{"production"}}
		err := store.Tx(ctx, func(tx releases.Tx) error {
			if err := tx.CreateRelease(ctx, r); err != nil {
				return err
			}
			return tx.CreateDeployment(ctx, &releases.Deployment{ReleaseID: r.ID, Environment: "production", Type: releases.TypeDeployment,
				Status: x.status, Service: x.service, Version: x.version, RequestedBy: "U0DAVE", CreatedAt: h(x.done), UpdatedAt: h(x.done), FinishedAt: h(x.done)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Now: clock})
	owners := map[string][]string{"api": {"payments", "ledger-team"}}
	newBot := func(history releases.HistoryReader, own func(string) []string) *Bot {
		return New(Options{Coordinator: svc, Now: clock, Posts: store, Settings: settingsOf(cfg), Calendar: scheduler.NewCalendar(timetableOf(cfg)),
			History: history, Owners: own})
	}
	b := newBot(store, func(s string) []string { return owners[s] })

	got := b.HandleCommand(ctx, Invocation{User: "U0DAVE", Channel: "C0REL", Text: "history API"}).Text
	lines := strings.Split(got, "\n")
	want := []string{
		"*What shipped of API*",
		"api is owned by *payments*, *ledger-team*.",
		"In production, last 30 days: 2 deployed · lead time 4h 0m · 33% failed (1 of 3) · restored in 10h 0m",
	}
	if len(lines) != 6 || strings.Join(lines[:3], "\n") != strings.Join(want, "\n") || !strings.Contains(lines[3], "api v3") {
		t.Fatalf("history API:\n%s\nwant it to start with\n%s\nthen api's three releases", got, strings.Join(want, "\n"))
	}

	got = b.HandleCommand(ctx, Invocation{User: "U0DAVE", Channel: "C0REL", Text: "history ledger"}).Text
	if want := "No deployment to production in the last 30 days.\nNothing has shipped yet."; got != want {
		t.Errorf("history of a service without deployments:\n%s\nwant\n%s", got, want)
	}
	plain := newBot(nil, nil).HandleCommand(ctx, Invocation{User: "U0DAVE", Channel: "C0REL", Text: "history api"}).Text
	if strings.Contains(plain, "owned") || strings.Contains(plain, "last 30 days") || !strings.HasPrefix(plain, "*What shipped of api*\n• *R-3") {
		t.Errorf("history without owners or figures:\n%s", plain)
	}
	all := b.HandleCommand(ctx, Invocation{User: "U0DAVE", Channel: "C0REL", Text: "history"}).Text
	if strings.Contains(all, "owned") || !strings.HasPrefix(all, "*What shipped*\n• *R-4") {
		t.Errorf("history of every service:\n%s", all)
	}
}
