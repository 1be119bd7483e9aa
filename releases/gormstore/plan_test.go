package gormstore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/releasebot/releasebot/releases"
)

// openForPlans opens a seeded SQLite store. The function it returns gives
// the queries run since its last call, and forgets them.
func openForPlans(t *testing.T) (*Store, func() []string) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	seedForPlans(t, s)

	var mu sync.Mutex
	var captured []string
	capture := func(db *gorm.DB) {
		mu.Lock()
		defer mu.Unlock()
		captured = append(captured, db.Dialector.Explain(db.Statement.SQL.String(), db.Statement.Vars...))
	}
	if err := s.db.Callback().Query().After("gorm:query").Register("test:capture", capture); err != nil {
		t.Fatal(err)
	}
	// Raw Scan queries (the counts) run through the Row callbacks.
	if err := s.db.Callback().Row().After("gorm:row").Register("test:capture_row", capture); err != nil {
		t.Fatal(err)
	}
	return s, func() []string {
		mu.Lock()
		defer mu.Unlock()
		q := captured
		captured = nil
		return q
	}
}

// TestReadQueriesUseIndexes runs the queries behind the dashboard, the
// API and the metrics on SQLite and checks their plans with EXPLAIN QUERY
// PLAN: a page of releases must come from an index in id order (no sort
// of every matching row), and children, audit trails and counts from
// their indexes, never from a scan of a whole table.
func TestReadQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	s, captured := openForPlans(t)
	deployed := []releases.Status{releases.StatusDeployed}
	tests := []struct {
		name string
		run  func() error
		// allowed plan details beyond index searches
		allowScanReleases bool // the unfiltered newest page walks the primary key backwards
		allowSort         bool
	}{
		{name: "newest page", allowScanReleases: true, run: func() error {
			_, err := s.Releases(ctx, releases.Filter{Limit: 51})
			return err
		}},
		{name: "page of one status", run: func() error {
			_, err := s.Releases(ctx, releases.Filter{Statuses: deployed, Limit: 51})
			return err
		}},
		{name: "later page of one status", run: func() error {
			_, err := s.Releases(ctx, releases.Filter{Statuses: deployed, Before: 150, Limit: 51})
			return err
		}},
		{name: "page of one service", run: func() error {
			_, err := s.Releases(ctx, releases.Filter{Service: "svc-3", Limit: 51})
			return err
		}},
		{name: "page of a status and a service", run: func() error {
			_, err := s.Releases(ctx, releases.Filter{Statuses: deployed, Service: "svc-3", Before: 150, Limit: 51})
			return err
		}},
		{name: "page of one team", run: func() error {
			_, err := s.Releases(ctx, releases.Filter{Team: "payments", Limit: 51})
			return err
		}},
		{name: "later page of one team", run: func() error {
			_, err := s.Releases(ctx, releases.Filter{Team: "payments", Before: 150, Limit: 51})
			return err
		}},
		{name: "page of several statuses", allowSort: true, run: func() error {
			// Active releases are few: the index finds each status's rows,
			// and only those are sorted.
			_, err := s.Releases(ctx, releases.Filter{Statuses: releases.ActiveStatuses, Limit: 51})
			return err
		}},
		{name: "one release", run: func() error {
			_, err := s.Release(ctx, 42)
			return err
		}},
		{name: "audit trail", run: func() error {
			_, err := s.AuditEvents(ctx, 42)
			return err
		}},
		{name: "count releases", run: func() error {
			_, err := s.CountReleases(ctx)
			return err
		}},
		{name: "deployments finished in a period", run: func() error {
			_, err := s.DeploymentFacts(ctx, "staging", "", time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
			return err
		}},
		{name: "one service's deployments finished in a period", run: func() error {
			_, err := s.DeploymentFacts(ctx, "staging", "svc-3", time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
			return err
		}},
		{name: "count deployments in flight", run: func() error {
			_, err := s.CountInFlight(ctx)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			captured()
			if err := tt.run(); err != nil {
				t.Fatal(err)
			}
			queries := captured()
			if len(queries) == 0 {
				t.Fatal("no query captured")
			}
			for _, q := range queries {
				// The children of one page (sign-offs, deployments) are at
				// most a few hundred rows: sorting them in memory is fine.
				children := strings.Contains(q, "WHERE release_id IN (")
				plan := explain(t, s, q)
				for _, line := range plan {
					switch {
					case strings.HasPrefix(line, "SCAN releases") && !tt.allowScanReleases && !strings.Contains(line, "COVERING INDEX"):
					case strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "COVERING INDEX") && !strings.HasPrefix(line, "SCAN releases"):
					case strings.Contains(line, "USE TEMP B-TREE FOR ORDER BY") && !tt.allowSort && !children:
					default:
						continue
					}
					t.Errorf("query %s\nplan:\n\t%s", q, strings.Join(plan, "\n\t"))
					break
				}
			}
		})
	}
}

func hasSort(plan []string) bool {
	for _, l := range plan {
		if strings.Contains(l, "USE TEMP B-TREE FOR ORDER BY") {
			return true
		}
	}
	return false
}

// explain returns SQLite's plan of q, one detail per line.
func explain(t *testing.T, s *Store, q string) []string {
	t.Helper()
	rows, err := s.sqlDB.Query("EXPLAIN QUERY PLAN " + q)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return out
}

// seedForPlans writes a few hundred releases, so the planner sees tables
// that are not empty.
func seedForPlans(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	statuses := []releases.Status{releases.StatusDeployed, releases.StatusDeployed, releases.StatusFailed, releases.StatusAwaitingSignoff}
	err := s.Tx(ctx, func(tx releases.Tx) error {
		for i := range 300 {
			r := &releases.Release{Service: fmt.Sprintf("svc-%d", i%7), Version: fmt.Sprintf("v%d", i),
				Status: statuses[i%len(statuses)], CreatedBy: "U0DAVE", CreatedAt: t0, UpdatedAt: t0,
				Teams: []string{"payments"}, Environments: []string{"staging"}}
			if err := tx.CreateRelease(ctx, r); err != nil {
				return err
			}
			if err := tx.PutSignOff(ctx, releases.SignOff{ReleaseID: r.ID, Team: "payments", User: "U0ALICE", Decision: releases.Approved, At: t0}); err != nil {
				return err
			}
			d := &releases.Deployment{ReleaseID: r.ID, Environment: "staging", Type: releases.TypeDeployment,
				Status: releases.DeploymentSucceeded, Service: r.Service, Version: r.Version, RequestedBy: "U0DAVE", CreatedAt: t0, UpdatedAt: t0}
			if err := tx.CreateDeployment(ctx, d); err != nil {
				return err
			}
			for range 3 {
				if err := tx.AddAudit(ctx, &releases.AuditEvent{ReleaseID: r.ID, At: t0, Actor: "U0DAVE", Action: releases.ActionCreated}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestClaimQueriesUseIndexes checks on SQLite that a claim reads its
// candidates, what is in flight ahead of them and their releases'
// overrides through indexes, never by a scan of a table that grows with
// history.
func TestClaimQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	s, captured := openForPlans(t)
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	err := s.Tx(ctx, func(tx releases.Tx) error {
		for i, st := range []releases.DeploymentStatus{releases.DeploymentInProgress, releases.DeploymentPending, releases.DeploymentPending} {
			d := &releases.Deployment{ReleaseID: int64(i + 1), Environment: "production", Type: releases.TypeDeployment, Status: st,
				Service: "svc-1", Version: "v9", RequestedBy: "U0DAVE", CreatedAt: now, UpdatedAt: now, Attempts: 1}
			if i == 2 {
				d.Type = releases.TypeRollback
			}
			if err := tx.CreateDeployment(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	captured()
	if _, err := s.ClaimDeliveries(ctx, releases.DeliveryClaim{Now: now, Lease: time.Minute, Limit: 4,
		Freeze: &releases.Hold{Note: "is held"}}); err != nil {
		t.Fatal(err)
	}
	queries := captured()
	var ahead, overrides bool
	for _, q := range queries {
		ahead = ahead || strings.Contains(q, "service = ") && !strings.Contains(q, "ahead")
		overrides = overrides || strings.Contains(q, "override_by")
		plan := explain(t, s, q)
		for _, line := range plan {
			if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "COVERING INDEX") {
				t.Errorf("query %s\nplan:\n\t%s", q, strings.Join(plan, "\n\t"))
				break
			}
		}
	}
	if !ahead || !overrides {
		t.Errorf("queries captured %q: want the candidates, what is ahead and the overrides", queries)
	}
}
