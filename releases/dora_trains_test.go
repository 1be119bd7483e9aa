package releases_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// A train counts once in the release-level DORA figures, however many
// components it has; per service, each component counts. Every figure is
// worked out by hand in the case's comment.
func TestDORAOfReleasesCountsATrainOnce(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(30 * 24 * time.Hour)
	h := func(hours int) time.Time { return from.Add(time.Duration(hours) * time.Hour) }
	fwd, rb := releases.TypeDeployment, releases.TypeRollback
	ok, failed, back, timedOut := releases.DeploymentSucceeded, releases.DeploymentFailed, releases.DeploymentRolledBack, releases.DeploymentTimedOut
	var next int64
	f := func(release int64, components int, service string, typ releases.DeploymentType, st releases.DeploymentStatus, finished int) releases.DeploymentFact {
		next++
		return releases.DeploymentFact{ID: next, ReleaseID: release, Components: components, Service: service, Type: typ,
			Status: st, FinishedAt: h(finished), ReleaseCreatedAt: h(0)}
	}
	// train20 is a 20-component train, release 7, every component
	// deployed, the last at 40h.
	train20 := func() []releases.DeploymentFact {
		var out []releases.DeploymentFact
		for i := range 20 {
			out = append(out, f(7, 20, fmt.Sprintf("svc-%02d", i), fwd, ok, 21+i))
		}
		return out
	}
	tests := []struct {
		name  string
		facts []releases.DeploymentFact
		want  releases.DORA
	}{
		{name: "a 20-component train and a one-service release are two deployments",
			// The train reaches production at 40h (lead 40h); api at 10h
			// (lead 10h): median 25h.
			facts: append(train20(), f(1, 1, "api", fwd, ok, 10)),
			want:  releases.DORA{Deployments: 2, PerDay: 2.0 / 30, PerWeek: 14.0 / 30, LeadTime: 25 * time.Hour, Changes: 2}},
		{name: "a failed middle component, retried: one failure, restored when the train completes",
			// a ok at 5h; b and c fail together at 6h (one bad change);
			// b's retry fails again at 8h (same change); b ok at 9h, c ok
			// at 12h: the train is in production at 12h, 6h after it went
			// bad. Two changes (the failure, the completion), as a
			// one-service release failed then retried.
			facts: []releases.DeploymentFact{f(2, 3, "a", fwd, ok, 5), f(2, 3, "b", fwd, failed, 6), f(2, 3, "c", fwd, timedOut, 6),
				f(2, 3, "b", fwd, failed, 8), f(2, 3, "b", fwd, ok, 9), f(2, 3, "c", fwd, ok, 12)},
			want: releases.DORA{Deployments: 1, PerDay: 1.0 / 30, PerWeek: 7.0 / 30, LeadTime: 12 * time.Hour, Changes: 2,
				Failures: 1, FailureRate: 0.5, TimeToRestore: 6 * time.Hour, Restored: 1}},
		{name: "a train rolled back: one change that failed, restored by its rollbacks",
			// Both components reached production (10h, 11h) and were later
			// rolled back (12h, 13h): one change, reached at 11h, restored
			// in 1h by the first rollback.
			facts: []releases.DeploymentFact{f(3, 2, "a", fwd, back, 10), f(3, 2, "b", fwd, back, 11),
				f(3, 2, "b", rb, ok, 12), f(3, 2, "a", rb, ok, 13)},
			want: releases.DORA{Deployments: 1, PerDay: 1.0 / 30, PerWeek: 7.0 / 30, LeadTime: 11 * time.Hour, Changes: 1,
				Failures: 1, FailureRate: 1, TimeToRestore: time.Hour, Restored: 1}},
		{name: "a train halfway through production is no change yet",
			facts: []releases.DeploymentFact{f(4, 3, "a", fwd, ok, 5), f(4, 3, "b", fwd, ok, 6)},
			want:  releases.DORA{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.From, tc.want.To = from, to
			if got := releases.DORAOfReleases(tc.facts, from, to); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}

	// Per service, each of the train's components is a deployment of its
	// own service.
	groups := releases.DORAByService(train20(), from, to)
	if len(groups) != 20 {
		t.Fatalf("%d services, want 20", len(groups))
	}
	for _, g := range groups {
		if g.Deployments != 1 || g.Changes != 1 {
			t.Errorf("%s: %d deployments, %d changes; want 1 each", g.Name, g.Deployments, g.Changes)
		}
	}
	if got := releases.DORAOf(train20(), from, to).Deployments; got != 20 {
		t.Errorf("DORAOf counts %d deployments of the train's components, want 20 (one per component)", got)
	}
}
