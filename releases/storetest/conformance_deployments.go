package storetest

import (
	"errors"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

func testDeployments(t *testing.T, s releases.Store) {
	ctx := t.Context()
	r := createRelease(t, s, newRelease("api", "v2"))
	other := createRelease(t, s, newRelease("web", "v1"))

	// Every optional field empty, FinishedAt zero.
	pending := createDeployment(t, s, newDeployment(r, "staging", releases.DeploymentPending))
	// Every field set.
	full := createDeployment(t, s, &releases.Deployment{
		ReleaseID: r.ID, Environment: "production", Type: releases.TypeRollback,
		Status: releases.DeploymentSucceeded, Service: "api", Version: "v1", PreviousVersion: "v2",
		RequestedBy: rita, Attempts: 2, Message: "rolled back: ünïcödé", URL: "https://ci.example.com/runs/7?x=1&y=2",
		CreatedAt: at(2), UpdatedAt: at(3), FinishedAt: at(4),
	})
	otherD := createDeployment(t, s, newDeployment(other, "staging", releases.DeploymentPending))
	if !(pending.ID < full.ID && full.ID < otherD.ID) {
		t.Errorf("deployment ids %d, %d, %d: want increasing", pending.ID, full.ID, otherD.ID)
	}
	assertEqual(t, "deployments", load(t, s, r.ID).Deployments, []releases.Deployment{*pending, *full})

	// UpdateDeployment saves status, attempts, message, url and times; a
	// zero FinishedAt becomes set.
	pending.Status, pending.Attempts = releases.DeploymentSucceeded, 3
	pending.Message, pending.URL = "deployed", "https://ci.example.com/runs/8"
	pending.UpdatedAt, pending.FinishedAt = at(6), at(6)
	inTx(t, s, func(tx releases.Tx) error {
		if err := tx.UpdateDeployment(ctx, pending); err != nil {
			return err
		}
		assertEqual(t, "deployments read inside the updating transaction", load(t, tx, r.ID).Deployments,
			[]releases.Deployment{*pending, *full})
		return nil
	})
	assertEqual(t, "deployments after update", load(t, s, r.ID).Deployments, []releases.Deployment{*pending, *full})
	assertEqual(t, "other release's deployments", load(t, s, other.ID).Deployments, []releases.Deployment{*otherD})

	for _, d := range []*releases.Deployment{pending, full, otherD} {
		got, err := s.DeploymentRelease(ctx, d.ID)
		if err != nil || got != d.ReleaseID {
			t.Errorf("DeploymentRelease(%d) = %d, %v; want %d", d.ID, got, err, d.ReleaseID)
		}
	}
	unknown := *otherD
	unknown.ID += 1000
	if got, err := s.DeploymentRelease(ctx, unknown.ID); !errors.Is(err, releases.ErrNotFound) {
		t.Errorf("DeploymentRelease(unknown) = %d, %v; want ErrNotFound", got, err)
	}
	err := s.Tx(ctx, func(tx releases.Tx) error { return tx.UpdateDeployment(ctx, &unknown) })
	if !errors.Is(err, releases.ErrNotFound) {
		t.Errorf("UpdateDeployment(unknown id): error %v, want ErrNotFound", err)
	}
}

func testLastSucceeded(t *testing.T, s releases.Store) {
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("api", "v2"))
	r3 := createRelease(t, s, newRelease("api", "v3"))
	web := createRelease(t, s, newRelease("web", "v1"))
	dep := func(r *releases.Release, env string, st releases.DeploymentStatus) *releases.Deployment {
		return createDeployment(t, s, newDeployment(r, env, st))
	}
	r1Prod := dep(r1, "production", releases.DeploymentSucceeded)
	r1Staging := dep(r1, "staging", releases.DeploymentSucceeded)
	r2Prod := dep(r2, "production", releases.DeploymentSucceeded)
	dep(r2, "production", releases.DeploymentFailed) // newer, but failed
	webProd := dep(web, "production", releases.DeploymentSucceeded)
	dep(r3, "production", releases.DeploymentRolledBack)
	dep(r3, "production", releases.DeploymentTimedOut)
	dep(r3, "production", releases.DeploymentInProgress)
	dep(r3, "production", releases.DeploymentPending)
	dep(r3, "canary", releases.DeploymentFailed)

	tests := []struct {
		name            string
		service, env    string
		exclude, before int64
		want            *releases.Deployment // nil: none
	}{
		{name: "newest succeeded", service: "api", env: "production", want: r2Prod},
		{name: "excluding its release", service: "api", env: "production", exclude: r2.ID, want: r1Prod},
		{name: "excluding an unrelated release", service: "api", env: "production", exclude: r3.ID, want: r2Prod},
		{name: "before an id", service: "api", env: "production", before: r2Prod.ID, want: r1Prod},
		{name: "before its own id is strict", service: "api", env: "production", before: r1Prod.ID, want: nil},
		{name: "excluded and before", service: "api", env: "production", exclude: r1.ID, before: r2Prod.ID, want: nil},
		{name: "other environment", service: "api", env: "staging", want: r1Staging},
		{name: "only failed there", service: "api", env: "canary", want: nil},
		{name: "never deployed there", service: "api", env: "qa", want: nil},
		{name: "other service", service: "web", env: "production", want: webProd},
		{name: "unknown service", service: "nope", env: "production", want: nil},
	}
	inTx(t, s, func(tx releases.Tx) error {
		for _, tc := range tests {
			got, err := tx.LastSucceeded(ctx, tc.service, tc.env, tc.exclude, tc.before)
			switch {
			case err != nil:
				t.Errorf("%s: LastSucceeded: %v", tc.name, err)
			case tc.want == nil && got != nil:
				t.Errorf("%s: LastSucceeded = D-%d, want none", tc.name, got.ID)
			case tc.want != nil && got == nil:
				t.Errorf("%s: LastSucceeded = none, want D-%d", tc.name, tc.want.ID)
			case tc.want != nil:
				assertEqual(t, tc.name+": LastSucceeded", *got, *tc.want)
			}
		}
		return nil
	})
}

func testInFlight(t *testing.T, s releases.Store) {
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("api", "v2"))
	web := createRelease(t, s, newRelease("web", "v1"))
	dep := func(r *releases.Release, env string, st releases.DeploymentStatus) *releases.Deployment {
		return createDeployment(t, s, newDeployment(r, env, st))
	}
	r2Pending := dep(r2, "production", releases.DeploymentPending)
	for _, st := range []releases.DeploymentStatus{releases.DeploymentSucceeded, releases.DeploymentFailed,
		releases.DeploymentTimedOut, releases.DeploymentRolledBack} {
		dep(r1, "production", st)
	}
	r1Running := dep(r1, "production", releases.DeploymentInProgress)
	dep(r1, "staging", releases.DeploymentPending)
	webRunning := dep(web, "production", releases.DeploymentInProgress)

	tests := []struct {
		name         string
		service, env string
		want         []releases.Deployment
	}{
		{name: "pending and in progress, oldest first", service: "api", env: "production",
			want: []releases.Deployment{*r2Pending, *r1Running}},
		{name: "other service", service: "web", env: "production", want: []releases.Deployment{*webRunning}},
		{name: "nothing there", service: "web", env: "staging", want: nil},
	}
	check := func(where string, r releases.Reader) {
		for _, tc := range tests {
			got, err := r.InFlight(ctx, tc.service, tc.env)
			if err != nil {
				t.Errorf("%s: InFlight %s: %v", tc.name, where, err)
				continue
			}
			assertEqual(t, tc.name+" ("+where+")", got, tc.want)
		}
	}
	check("on the store", s)
	inTx(t, s, func(tx releases.Tx) error {
		check("in a transaction", tx)
		return nil
	})
}

func testPendingDeployments(t *testing.T, s releases.Store) {
	ctx := t.Context()
	api := createRelease(t, s, newRelease("api", "v1"))
	web := createRelease(t, s, newRelease("web", "v1"))
	dep := func(r *releases.Release, env string, st releases.DeploymentStatus) *releases.Deployment {
		return createDeployment(t, s, newDeployment(r, env, st))
	}
	if got, err := s.PendingDeployments(ctx, 0); err != nil || len(got) != 0 {
		t.Fatalf("PendingDeployments of an empty store = %+v, %v; want none", got, err)
	}
	first := dep(api, "staging", releases.DeploymentPending)
	for _, st := range []releases.DeploymentStatus{releases.DeploymentInProgress, releases.DeploymentSucceeded,
		releases.DeploymentFailed, releases.DeploymentTimedOut, releases.DeploymentRolledBack} {
		dep(api, "production", st)
	}
	second := dep(web, "production", releases.DeploymentPending)
	third := dep(api, "production", releases.DeploymentPending)

	tests := []struct {
		name  string
		limit int
		want  []releases.Deployment
	}{
		{name: "no limit", limit: 0, want: []releases.Deployment{*first, *second, *third}},
		{name: "limit", limit: 2, want: []releases.Deployment{*first, *second}},
		{name: "limit above count", limit: 10, want: []releases.Deployment{*first, *second, *third}},
	}
	check := func(where string, r releases.Reader) {
		for _, tc := range tests {
			got, err := r.PendingDeployments(ctx, tc.limit)
			if err != nil {
				t.Errorf("%s: PendingDeployments %s: %v", tc.name, where, err)
				continue
			}
			assertEqual(t, tc.name+" ("+where+")", got, tc.want)
		}
	}
	check("on the store", s)
	inTx(t, s, func(tx releases.Tx) error {
		check("in a transaction", tx)
		return nil
	})

	// Once sent, a deployment is no longer pending.
	first.Status, first.UpdatedAt = releases.DeploymentInProgress, at(2)
	inTx(t, s, func(tx releases.Tx) error { return tx.UpdateDeployment(ctx, first) })
	got, err := s.PendingDeployments(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "pending deployments after the first was sent", got, []releases.Deployment{*second, *third})
}
