package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// SeedReleases inserts n releases into s in one transaction, one an hour
// from t0, for benchmarks: 25 services (svc-00 … svc-24), a mix of ended
// statuses, two sign-offs each (payments by U0ALICE, risk by U0CAROL), a
// succeeded deployment per environment (staging, production) once started,
// and three audit events. The newest `active` releases get active statuses
// instead, so a page has something still moving.
func SeedReleases(ctx context.Context, s releases.Store, n, active int, t0 time.Time) error {
	const creator, payLead, riskLead = "U0DAVE", "U0ALICE", "U0CAROL"
	ended := []releases.Status{
		releases.StatusDeployed, releases.StatusDeployed, releases.StatusDeployed, releases.StatusDeployed,
		releases.StatusDeployed, releases.StatusDeployed, releases.StatusFailed, releases.StatusCancelled,
		releases.StatusRolledBack, releases.StatusRejected,
	}
	return s.Tx(ctx, func(tx releases.Tx) error {
		for i := range n {
			at := t0.Add(time.Duration(i) * time.Hour)
			st := ended[i%len(ended)]
			if i >= n-active {
				st = releases.ActiveStatuses[i%len(releases.ActiveStatuses)]
			}
			r := &releases.Release{
				Service: fmt.Sprintf("svc-%02d", i%25), Version: fmt.Sprintf("v1.%d.0", i), Status: st,
				CreatedBy: creator, CreatedAt: at, UpdatedAt: at.Add(time.Hour), Teams: []string{"payments", "risk"},
				Environments: []string{"staging", "production"}, Notes: "seeded",
			}
			if err := tx.CreateRelease(ctx, r); err != nil {
				return err
			}
			for _, so := range []releases.SignOff{
				{ReleaseID: r.ID, Team: "payments", User: payLead, Decision: releases.Approved, At: at.Add(time.Minute)},
				{ReleaseID: r.ID, Team: "risk", User: riskLead, Decision: releases.Approved, At: at.Add(2 * time.Minute)},
			} {
				if err := tx.PutSignOff(ctx, so); err != nil {
					return err
				}
			}
			if st.Started() {
				for _, env := range r.Environments {
					dep := &releases.Deployment{ReleaseID: r.ID, Environment: env, Type: releases.TypeDeployment,
						Status: releases.DeploymentSucceeded, Service: r.Service, Version: r.Version, RequestedBy: creator,
						Attempts: 1, CreatedAt: at.Add(3 * time.Minute), UpdatedAt: at.Add(4 * time.Minute), FinishedAt: at.Add(4 * time.Minute)}
					if err := tx.CreateDeployment(ctx, dep); err != nil {
						return err
					}
				}
			}
			for j, action := range []string{releases.ActionCreated, releases.ActionSignedOff, releases.ActionSignedOff} {
				e := &releases.AuditEvent{ReleaseID: r.ID, At: at.Add(time.Duration(j) * time.Minute), Actor: creator, Action: action, Detail: "seeded"}
				if err := tx.AddAudit(ctx, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
