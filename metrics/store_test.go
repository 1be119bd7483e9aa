package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

var _ metrics.Source = (*gormstore.Store)(nil)

// TestDatabaseGaugesOnStore reads the gauges from a real store (SQLite,
// and PostgreSQL when TEST_DATABASE_URL is set) filled through the
// release service.
func TestDatabaseGaugesOnStore(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, store *gormstore.Store) {
		ctx := context.Background()
		pol := releases.Policy{
			RequireDistinctApprover: true,
			Teams: []releases.Team{
				{Name: "payments", Leads: []string{"U0ALICE"}, Approvals: 1},
				{Name: "risk", Leads: []string{"U0CAROL"}, Approvals: 1},
			},
			Environments: []releases.Environment{{Name: "staging"}, {Name: "production"}},
		}
		now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		svc := releases.NewCoordinator(releases.Options{Store: store, Policy: pol, Now: func() time.Time { return now }})
		create := func(version string) *releases.Release {
			r, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "api", Version: version})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		create("v1") // awaiting both teams
		half := create("v2")
		if _, err := svc.SignOff(ctx, "U0ALICE", half.ID, "payments"); err != nil {
			t.Fatal(err)
		}
		started := create("v3")
		for _, so := range [][2]string{{"U0ALICE", "payments"}, {"U0CAROL", "risk"}} {
			if _, err := svc.SignOff(ctx, so[0], started.ID, so[1]); err != nil {
				t.Fatal(err)
			}
		}

		m := metrics.New(metrics.Options{Source: store, Policy: svc.Policy(), DB: store.DB()})
		mustHave(t, scrape(t, m),
			`releasebot_releases{status="awaiting_signoff"} 2`,
			`releasebot_releases{status="deploying"} 1`,
			`releasebot_releases{status="deployed"} 0`,
			`releasebot_signoffs_pending{team="payments"} 1`,
			`releasebot_signoffs_pending{team="risk"} 2`,
			`releasebot_deployments_pending 1`,
			`releasebot_deployments_in_progress 0`,
			`releasebot_database_stats_up 1`,
		)
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		mustHave(t, scrape(t, m), `releasebot_database_stats_up 0`)
	})
}
