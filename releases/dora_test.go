package releases_test

import (
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// TestComputeDORA checks the DORA figures over hand-made histories; every
// expected figure is worked out by hand in the case's comment.
func TestComputeDORA(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(30 * 24 * time.Hour)
	h := func(hours int) time.Time { return from.Add(time.Duration(hours) * time.Hour) }
	type dep = releases.FinishedDeployment
	d := func(id int64, service string, typ releases.DeploymentType, st releases.DeploymentStatus, created, finished time.Time) dep {
		return dep{Deployment: releases.Deployment{ID: id, Service: service, Environment: "production", Type: typ, Status: st, FinishedAt: finished},
			ReleaseCreatedAt: created}
	}
	fwd, rb := releases.TypeDeployment, releases.TypeRollback
	ok, failed, back, timedOut := releases.DeploymentSucceeded, releases.DeploymentFailed, releases.DeploymentRolledBack, releases.DeploymentTimedOut
	tests := []struct {
		name string
		deps []dep
		want releases.DORA
	}{
		{name: "nothing", want: releases.DORA{}},
		{name: "one success: lead time is its own",
			// created at 0h, finished at 10h.
			deps: []dep{d(1, "api", fwd, ok, h(0), h(10))},
			want: releases.DORA{Deployments: 1, PerDay: 1.0 / 30, PerWeek: 7.0 / 30, LeadTime: 10 * time.Hour, Changes: 1}},
		{name: "median of an even count is the mean of the middle two",
			// leads 2h, 4h, 8h, 30h: (4h + 8h) / 2 = 6h.
			deps: []dep{d(1, "a", fwd, ok, h(0), h(30)), d(2, "b", fwd, ok, h(10), h(12)), d(3, "c", fwd, ok, h(20), h(24)), d(4, "d", fwd, ok, h(30), h(38))},
			want: releases.DORA{Deployments: 4, PerDay: 4.0 / 30, PerWeek: 28.0 / 30, LeadTime: 6 * time.Hour, Changes: 4}},
		{name: "a rollback restores the rolled-back change; rollbacks are not changes",
			// api deployed at 10h (lead 10h), rolled back by a rollback
			// finishing at 13h: 1 change, 1 failure, restored in 3h.
			deps: []dep{d(1, "api", fwd, back, h(0), h(10)), d(2, "api", rb, ok, h(0), h(13))},
			want: releases.DORA{Deployments: 1, PerDay: 1.0 / 30, PerWeek: 7.0 / 30, LeadTime: 10 * time.Hour, Changes: 1, Failures: 1,
				FailureRate: 1, TimeToRestore: 3 * time.Hour, Restored: 1}},
		{name: "only the same service's success restores it",
			// api fails at 5h; web succeeds at 6h (lead 6h) — no restore;
			// api succeeds at 20h (lead 19h): restored in 15h. 3 changes,
			// 1 failure; median lead of 6h, 19h = 12h30m.
			deps: []dep{d(1, "api", fwd, failed, h(0), h(5)), d(2, "web", fwd, ok, h(0), h(6)), d(3, "api", fwd, ok, h(1), h(20))},
			want: releases.DORA{Deployments: 2, PerDay: 2.0 / 30, PerWeek: 14.0 / 30, LeadTime: 12*time.Hour + 30*time.Minute, Changes: 3,
				Failures: 1, FailureRate: 1.0 / 3, TimeToRestore: 15 * time.Hour, Restored: 1}},
		{name: "a fix later rolled back still restored the earlier failure",
			// api times out at 5h; api fix reaches production at 7h (lead
			// 7h), is rolled back later (11h): it restored the timeout in 2h,
			// and is a failure of its own, restored by the rollback in 4h.
			deps: []dep{d(1, "api", fwd, timedOut, h(0), h(5)), d(2, "api", fwd, back, h(0), h(7)), d(3, "api", rb, ok, h(0), h(11))},
			want: releases.DORA{Deployments: 1, PerDay: 1.0 / 30, PerWeek: 7.0 / 30, LeadTime: 7 * time.Hour, Changes: 2, Failures: 2,
				FailureRate: 1, TimeToRestore: 3 * time.Hour, Restored: 2}},
		{name: "an unrestored failure, and what is outside the period or unfinished",
			// ledger fails at 100h: unrestored. A success before the period
			// and one after it, and one still in progress, don't count.
			deps: []dep{d(1, "ledger", fwd, failed, h(90), h(100)), d(2, "old", fwd, ok, h(-50), h(-1)),
				d(3, "late", fwd, ok, h(700), h(720)), d(4, "api", fwd, releases.DeploymentInProgress, h(0), time.Time{})},
			want: releases.DORA{Changes: 1, Failures: 1, FailureRate: 1, Unrestored: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := releases.ComputeDORA(tc.deps, from, to)
			tc.want.From, tc.want.To = from, to
			if !closeDORA(got, tc.want) {
				t.Fatalf("ComputeDORA:\n got  %+v\n want %+v", got, tc.want)
			}
		})
	}
}

func closeDORA(a, b releases.DORA) bool {
	near := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	return a.From.Equal(b.From) && a.To.Equal(b.To) && a.Deployments == b.Deployments && near(a.PerDay, b.PerDay) &&
		near(a.PerWeek, b.PerWeek) && a.LeadTime == b.LeadTime && a.Changes == b.Changes && a.Failures == b.Failures &&
		near(a.FailureRate, b.FailureRate) && a.TimeToRestore == b.TimeToRestore && a.Restored == b.Restored && a.Unrestored == b.Unrestored
}
