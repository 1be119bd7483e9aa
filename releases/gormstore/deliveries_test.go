package gormstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestClaimSkipsLockedRows holds a row lock on one pending deployment, as
// another replica's claim in progress does, and checks that a claim on
// PostgreSQL skips that row at once instead of waiting for it.
func TestClaimSkipsLockedRows(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		if db.Name != "postgres" {
			continue // SQLite has one writer: there is nothing to skip
		}
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			s := storetest.Open(t, db.URL(t), nil)
			now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			var ids []int64
			for _, svc := range []string{"api", "web"} {
				r := &releases.Release{Service: svc, Version: "v1", Status: releases.StatusDeploying, CreatedBy: "U0DAVE",
					CreatedAt: now, UpdatedAt: now, Teams: []string{"payments"}, Environments: []string{"staging"}}
				d := &releases.Deployment{Environment: "staging", Type: releases.TypeDeployment, Status: releases.DeploymentPending,
					Service: svc, Version: "v1", RequestedBy: "U0DAVE", CreatedAt: now, UpdatedAt: now}
				err := s.Tx(ctx, func(tx releases.Tx) error {
					if err := tx.CreateRelease(ctx, r); err != nil {
						return err
					}
					d.ReleaseID = r.ID
					return tx.CreateDeployment(ctx, d)
				})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, d.ID)
			}
			other, err := s.DB().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Rollback()
			if _, err := other.ExecContext(ctx, "SELECT id FROM deployments WHERE id = $1 FOR UPDATE", ids[0]); err != nil {
				t.Fatal(err)
			}
			claimCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			got, err := s.ClaimDeliveries(claimCtx, releases.DeliveryClaim{Now: now, Lease: time.Minute, Limit: 10})
			if err != nil {
				t.Fatalf("claim while another transaction holds a row: %v (it waited instead of skipping)", err)
			}
			if len(got) != 1 || got[0].Deployment.ID != ids[1] {
				t.Fatalf("claimed %d deliveries, want only the unlocked D-%d", len(got), ids[1])
			}
		})
	}
}
