package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

func testCreateReleaseRoundTrip(t *testing.T, s releases.Store) {
	full := &releases.Release{
		Service: "payments-api", Version: "v2.4.0", Status: releases.StatusReady, CreatedBy: bob,
		CreatedAt: t0, UpdatedAt: at(5), Window: "weekly-train", StartAt: at(60),
		Teams:          []string{"risk", "payments", "sre"},
		Environments:   []string{"staging", "canary", "production"},
		Notes:          "line one\nline two: ünïcödé, 'quotes', \"double\", 100%",
		OverrideBy:     rita,
		OverrideReason: "incident 42",
		Reason:         "",
		Origin:         "C0RELEASES",
	}
	// Empty strings everywhere they are allowed, no teams, zero StartAt.
	minimal := &releases.Release{
		Service: "web", Version: "", Status: releases.StatusAwaitingSignoff, CreatedBy: "",
		CreatedAt: at(1), UpdatedAt: at(1), Teams: nil, Environments: []string{"production"},
	}
	third := newRelease("web", "v1")

	var ids []int64
	for _, r := range []*releases.Release{full, minimal, third} {
		want := *r
		inTx(t, s, func(tx releases.Tx) error {
			if err := tx.CreateRelease(t.Context(), r); err != nil {
				return err
			}
			want.ID = r.ID
			// The transaction reads its own writes.
			assertEqual(t, "release read inside the creating transaction", load(t, tx, r.ID), want)
			return nil
		})
		assertEqual(t, "release read after commit", load(t, s, r.ID), want)
		ids = append(ids, r.ID)
	}
	for i := range ids {
		if ids[i] <= 0 || (i > 0 && ids[i] <= ids[i-1]) {
			t.Fatalf("CreateRelease assigned ids %v, want positive and increasing", ids)
		}
	}
}

func testCreateReleaseDuplicate(t *testing.T, s releases.Store) {
	ctx := t.Context()
	create := func(service, version string) (*releases.Release, error) {
		r := newRelease(service, version)
		return r, s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r) })
	}
	setStatus := func(r *releases.Release, st releases.Status) error {
		r.Status = st
		return s.Tx(ctx, func(tx releases.Tx) error { return tx.UpdateRelease(ctx, r) })
	}

	mustCreate := func(service, version string) *releases.Release {
		t.Helper()
		r, err := create(service, version)
		if err != nil {
			t.Fatalf("create %s %s: %v", service, version, err)
		}
		return r
	}
	first := mustCreate("api", "v1")
	if _, err := create("api", "v1"); !errors.Is(err, releases.ErrDuplicate) {
		t.Fatalf("second active release of api v1: error %v, want ErrDuplicate", err)
	}
	// Another version of the service, or the same version of another
	// service, is no duplicate.
	mustCreate("api", "v2")
	mustCreate("web", "v1")

	// Every active status blocks a second release; every terminal one frees
	// the version again.
	for _, st := range releases.Statuses {
		if err := setStatus(first, st); err != nil {
			t.Fatalf("set api v1 to %s: %v", st, err)
		}
		again, err := create("api", "v1")
		switch {
		case st.Active() && !errors.Is(err, releases.ErrDuplicate):
			t.Errorf("api v1 again while the first is %s: error %v, want ErrDuplicate", st, err)
		case !st.Active() && err != nil:
			t.Errorf("api v1 again once the first is %s: %v", st, err)
		case !st.Active():
			// Moving a terminal release back to active collides with the
			// active one just created.
			if err := setStatus(first, releases.StatusReady); !errors.Is(err, releases.ErrDuplicate) {
				t.Errorf("reactivating api v1 beside another active one: error %v, want ErrDuplicate", err)
			}
			first = again
		}
	}
	all := list(t, s, releases.Filter{Service: "api", Statuses: releases.ActiveStatuses})
	var active []string
	for _, r := range all {
		if r.Version == "v1" {
			active = append(active, releases.FormatID(r.ID))
		}
	}
	if len(active) != 1 {
		t.Errorf("active api v1 releases: %v, want exactly one", active)
	}
}

func testReleaseNotFound(t *testing.T, s releases.Store) {
	ctx := t.Context()
	r := createRelease(t, s, newRelease("api", "v1"))
	unknown := r.ID + 1000
	if got, err := s.Release(ctx, unknown); !errors.Is(err, releases.ErrNotFound) {
		t.Errorf("Release(unknown) = %v, %v; want ErrNotFound", got, err)
	}
	err := s.Tx(ctx, func(tx releases.Tx) error {
		if got, err := tx.Release(ctx, unknown); !errors.Is(err, releases.ErrNotFound) {
			t.Errorf("Tx.Release(unknown) = %v, %v; want ErrNotFound", got, err)
		}
		if got, err := tx.LockRelease(ctx, unknown); !errors.Is(err, releases.ErrNotFound) {
			t.Errorf("LockRelease(unknown) = %v, %v; want ErrNotFound", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testUpdateRelease(t *testing.T, s releases.Store) {
	ctx := t.Context()
	r := newRelease("api", "v1")
	r.Notes = "notes"
	createRelease(t, s, r)
	other := createRelease(t, s, newRelease("api", "v2"))

	steps := []struct {
		name   string
		change func(r *releases.Release)
	}{
		{name: "schedule and override", change: func(r *releases.Release) {
			r.Status, r.UpdatedAt = releases.StatusReady, at(10)
			r.Window, r.StartAt = "weekly-train", at(90)
			r.OverrideBy, r.OverrideReason = rita, "incident 42"
		}},
		{name: "clear schedule and override, set reason", change: func(r *releases.Release) {
			r.Status, r.UpdatedAt = releases.StatusCancelled, at(20)
			r.Window, r.StartAt = "", time.Time{}
			r.OverrideBy, r.OverrideReason = "", ""
			r.Reason = "superseded by v2"
		}},
	}
	for _, step := range steps {
		step.change(r)
		inTx(t, s, func(tx releases.Tx) error { return tx.UpdateRelease(ctx, r) })
		assertEqual(t, "release after "+step.name, load(t, s, r.ID), *r)
	}
	assertEqual(t, "untouched release", load(t, s, other.ID), *other)

	unknown := *r
	unknown.ID = other.ID + 1000
	err := s.Tx(ctx, func(tx releases.Tx) error { return tx.UpdateRelease(ctx, &unknown) })
	if !errors.Is(err, releases.ErrNotFound) {
		t.Errorf("UpdateRelease(unknown id): error %v, want ErrNotFound", err)
	}
}

func testSignOffs(t *testing.T, s releases.Store) {
	ctx := t.Context()
	r := createRelease(t, s, newRelease("api", "v1"))
	other := createRelease(t, s, newRelease("api", "v2"))
	so := func(r *releases.Release, team, user string, d releases.Decision, minute int) releases.SignOff {
		return releases.SignOff{ReleaseID: r.ID, Team: team, User: user, Decision: d, At: at(minute)}
	}

	// Inserted out of time order: they come back oldest first.
	aliceRisk := so(r, "risk", alice, releases.Approved, 4)
	alicePayments := so(r, "payments", alice, releases.Approved, 3)
	carolRisk := so(r, "risk", carol, releases.Approved, 1)
	danRisk := so(r, "risk", dan, releases.Rejected, 2)
	otherAlice := so(other, "payments", alice, releases.Approved, 0)
	putSignOffs(t, s, aliceRisk, alicePayments, carolRisk, danRisk, otherAlice)
	assertEqual(t, "sign-offs", load(t, s, r.ID).SignOffs,
		[]releases.SignOff{carolRisk, danRisk, alicePayments, aliceRisk})

	// A second decision by the same lead for the same team replaces the
	// first (and is now the newest).
	danRisk = so(r, "risk", dan, releases.Approved, 5)
	putSignOffs(t, s, danRisk)
	assertEqual(t, "sign-offs after dan changed his mind", load(t, s, r.ID).SignOffs,
		[]releases.SignOff{carolRisk, alicePayments, aliceRisk, danRisk})

	// Withdrawing one team's decision leaves the lead's others, and other
	// releases, alone.
	inTx(t, s, func(tx releases.Tx) error { return tx.DeleteSignOff(ctx, r.ID, "risk", alice) })
	assertEqual(t, "sign-offs after alice withdrew for risk", load(t, s, r.ID).SignOffs,
		[]releases.SignOff{carolRisk, alicePayments, danRisk})
	assertEqual(t, "other release's sign-offs", load(t, s, other.ID).SignOffs, []releases.SignOff{otherAlice})
}

func testAudit(t *testing.T, s releases.Store) {
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("api", "v2"))
	r3 := createRelease(t, s, newRelease("api", "v3"))
	events := []*releases.AuditEvent{
		{ReleaseID: 0, At: at(0), Actor: rita, Action: "freeze", Detail: "until Monday"}, // concerns no release
		{ReleaseID: r1.ID, At: at(1), Actor: bob, Action: releases.ActionCreated, Detail: "api v1"},
		{ReleaseID: r2.ID, At: at(2), Actor: bob, Action: releases.ActionCreated, Detail: "api v2"},
		{ReleaseID: r1.ID, At: at(3), Actor: alice, Action: releases.ActionSignedOff, Detail: ""},
		{ReleaseID: r1.ID, At: at(4), Actor: releases.SystemActor, Action: releases.ActionReady, Detail: "ünïcödé"},
	}
	inTx(t, s, func(tx releases.Tx) error {
		for _, e := range events {
			if err := tx.AddAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	var eventIDs []int64
	for _, e := range events {
		eventIDs = append(eventIDs, e.ID)
	}
	for i, id := range eventIDs {
		if id <= 0 || (i > 0 && id <= eventIDs[i-1]) {
			t.Fatalf("AddAudit set ids %v, want positive and increasing", eventIDs)
		}
	}
	for _, tc := range []struct {
		name string
		id   int64
		want []releases.AuditEvent
	}{
		{name: "r1", id: r1.ID, want: []releases.AuditEvent{*events[1], *events[3], *events[4]}},
		{name: "r2", id: r2.ID, want: []releases.AuditEvent{*events[2]}},
		{name: "release without events", id: r3.ID, want: nil},
		{name: "unknown release", id: r3.ID + 1000, want: nil},
	} {
		got, err := s.AuditEvents(ctx, tc.id)
		if err != nil {
			t.Errorf("AuditEvents(%s): %v", tc.name, err)
			continue
		}
		assertEqual(t, "audit events of "+tc.name, got, tc.want)
	}
}

func testReleases(t *testing.T, s releases.Store) {
	rel := func(service, version, by string, st releases.Status) *releases.Release {
		r := newRelease(service, version)
		r.CreatedBy, r.Status = by, st
		return createRelease(t, s, r)
	}
	a := rel("api", "v1", alice, releases.StatusDeployed)
	b := rel("api", "v2", bob, releases.StatusAwaitingSignoff)
	c := rel("web", "v1", alice, releases.StatusReady)
	d := rel("api", "v3", alice, releases.StatusAwaitingSignoff)
	e := rel("web", "v2", bob, releases.StatusCancelled)
	putSignOffs(t, s,
		releases.SignOff{ReleaseID: b.ID, Team: "payments", User: alice, Decision: releases.Approved, At: at(1)},
		releases.SignOff{ReleaseID: d.ID, Team: "payments", User: carol, Decision: releases.Rejected, At: at(2)},
		releases.SignOff{ReleaseID: d.ID, Team: "risk", User: dan, Decision: releases.Approved, At: at(3)})
	createDeployment(t, s, newDeployment(a, "staging", releases.DeploymentSucceeded))
	createDeployment(t, s, newDeployment(d, "staging", releases.DeploymentInProgress))
	createDeployment(t, s, newDeployment(a, "production", releases.DeploymentSucceeded))

	tests := []struct {
		name   string
		filter releases.Filter
		want   []*releases.Release
	}{
		{name: "everything, newest first", want: []*releases.Release{e, d, c, b, a}},
		{name: "statuses", filter: releases.Filter{Statuses: []releases.Status{releases.StatusAwaitingSignoff, releases.StatusReady}},
			want: []*releases.Release{d, c, b}},
		{name: "service", filter: releases.Filter{Service: "api"}, want: []*releases.Release{d, b, a}},
		{name: "created by", filter: releases.Filter{CreatedBy: alice}, want: []*releases.Release{d, c, a}},
		{name: "before", filter: releases.Filter{Before: d.ID}, want: []*releases.Release{c, b, a}},
		{name: "limit", filter: releases.Filter{Limit: 2}, want: []*releases.Release{e, d}},
		{name: "next page", filter: releases.Filter{Before: d.ID, Limit: 2}, want: []*releases.Release{c, b}},
		{name: "all filters", filter: releases.Filter{Statuses: releases.ActiveStatuses, Service: "api", CreatedBy: alice,
			Before: e.ID, Limit: 5}, want: []*releases.Release{d}},
		{name: "no match", filter: releases.Filter{Service: "nope"}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkReleases(t, s, tc.filter, tc.want) })
	}
	// The fixture has children where the test expects them, so the
	// comparison above compared something.
	if got := load(t, s, d.ID); len(got.SignOffs) != 2 || len(got.Deployments) != 1 {
		t.Fatalf("%s has %d sign-offs and %d deployments, want 2 and 1", d.Label(), len(got.SignOffs), len(got.Deployments))
	}
	if got := load(t, s, a.ID); len(got.SignOffs) != 0 || len(got.Deployments) != 2 {
		t.Fatalf("%s has %d sign-offs and %d deployments, want 0 and 2", a.Label(), len(got.SignOffs), len(got.Deployments))
	}
}

func testTxRollback(t *testing.T, s releases.Store) {
	ctx := t.Context()
	errBoom := errors.New("boom")
	var r *releases.Release
	var d *releases.Deployment
	err := s.Tx(ctx, func(tx releases.Tx) error {
		r = newRelease("api", "v1")
		if err := tx.CreateRelease(ctx, r); err != nil {
			return err
		}
		so := releases.SignOff{ReleaseID: r.ID, Team: "payments", User: alice, Decision: releases.Approved, At: at(1)}
		if err := tx.PutSignOff(ctx, so); err != nil {
			return err
		}
		d = newDeployment(r, "staging", releases.DeploymentPending)
		if err := tx.CreateDeployment(ctx, d); err != nil {
			return err
		}
		for _, e := range []*releases.AuditEvent{
			{ReleaseID: r.ID, At: at(1), Actor: alice, Action: releases.ActionCreated},
			{At: at(1), Actor: alice, Action: "freeze"},
		} {
			if err := tx.AddAudit(ctx, e); err != nil {
				return err
			}
		}
		// Everything is there until the transaction ends.
		if got := load(t, tx, r.ID); len(got.SignOffs) != 1 || len(got.Deployments) != 1 {
			t.Errorf("inside the transaction: %d sign-offs, %d deployments; want 1 and 1", len(got.SignOffs), len(got.Deployments))
		}
		if events, err := tx.AuditEvents(ctx, r.ID); err != nil || len(events) != 1 {
			t.Errorf("inside the transaction: AuditEvents = %v, %v; want one event", events, err)
		}
		return fmt.Errorf("give up: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Tx returned %v, want fn's error", err)
	}
	if r == nil || r.ID == 0 || d == nil || d.ID == 0 {
		t.Fatal("the transaction did not get as far as creating everything")
	}
	if got, err := s.Release(ctx, r.ID); !errors.Is(err, releases.ErrNotFound) {
		t.Errorf("Release(%d) after rollback = %+v, %v; want ErrNotFound", r.ID, got, err)
	}
	if got := list(t, s, releases.Filter{}); len(got) != 0 {
		t.Errorf("Releases after rollback = %v, want none", ids(got))
	}
	if got := audit(t, s, r.ID); len(got) != 0 {
		t.Errorf("AuditEvents after rollback = %+v, want none", got)
	}
	if got, err := s.DeploymentRelease(ctx, d.ID); !errors.Is(err, releases.ErrNotFound) {
		t.Errorf("DeploymentRelease(%d) after rollback = %d, %v; want ErrNotFound", d.ID, got, err)
	}
	// A release created afterwards gets the sign-offs, deployments and
	// events it is given, and no leftovers, even if it reuses the id.
	again := createRelease(t, s, newRelease("api", "v1"))
	if got := load(t, s, again.ID); len(got.SignOffs) != 0 || len(got.Deployments) != 0 {
		t.Errorf("new release has %d sign-offs and %d deployments, want none", len(got.SignOffs), len(got.Deployments))
	}
	if got := audit(t, s, again.ID); len(got) != 0 {
		t.Errorf("new release has audit events %+v, want none", got)
	}
}

// testLockReleaseSerialises runs read-modify-write transactions on one
// release from two goroutines. Without LockRelease holding the row, both
// read the same Reason and one append is lost.
func testLockReleaseSerialises(t *testing.T, s releases.Store) {
	ctx := t.Context()
	r := createRelease(t, s, newRelease("api", "v1"))
	const workers, rounds = 2, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				err := s.Tx(ctx, func(tx releases.Tx) error {
					cur, err := tx.LockRelease(ctx, r.ID)
					if err != nil {
						return err
					}
					time.Sleep(20 * time.Millisecond) // give the other worker time to read the same value
					cur.Reason += "x"
					return tx.UpdateRelease(ctx, cur)
				})
				if err != nil {
					t.Errorf("worker %d, round %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := load(t, s, r.ID).Reason
	if want := strings.Repeat("x", workers*rounds); got != want {
		t.Fatalf("reason has %d x's after %d locked updates, want %d: updates were lost", len(got), workers*rounds, len(want))
	}
}

func testPing(t *testing.T, s releases.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// testPosts covers releases.PostStore, for stores that keep posts too.
func testPosts(t *testing.T, s releases.Store) {
	ps, ok := s.(releases.PostStore)
	if !ok {
		t.Skipf("%T does not implement releases.PostStore", s)
	}
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("api", "v2"))
	posts := []releases.Post{
		{ReleaseID: r1.ID, Kind: releases.PostRequest, Team: "risk", Channel: "C0RISK", TS: "1700000000.000200", At: at(2)},
		{ReleaseID: r1.ID, Kind: releases.PostCard, Channel: "C0RELEASES", TS: "1700000000.000100", At: at(1)},
		{ReleaseID: r2.ID, Kind: releases.PostCard, Channel: "C0RELEASES", TS: "1700000000.000300", At: at(3)},
		{ReleaseID: r1.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: "1700000000.000400", At: at(4)},
	}
	for _, p := range posts {
		if err := ps.SavePost(ctx, p); err != nil {
			t.Fatalf("SavePost(%+v): %v", p, err)
		}
	}
	for _, p := range posts {
		got, err := ps.FindPost(ctx, p.Channel, p.TS)
		if err != nil {
			t.Errorf("FindPost(%s, %s): %v", p.Channel, p.TS, err)
			continue
		}
		assertEqual(t, "post at "+p.Channel+" "+p.TS, *got, p)
	}
	if got, err := ps.FindPost(ctx, "C0RELEASES", "1700000000.999999"); !errors.Is(err, releases.ErrNotFound) {
		t.Errorf("FindPost(unknown ts) = %+v, %v; want ErrNotFound", got, err)
	}
	if got, err := ps.FindPost(ctx, "C0RISK", posts[1].TS); !errors.Is(err, releases.ErrNotFound) {
		t.Errorf("FindPost(a ts of another channel) = %+v, %v; want ErrNotFound", got, err)
	}

	// A second card, or a second request to the same team, is a duplicate.
	for _, p := range []releases.Post{
		{ReleaseID: r1.ID, Kind: releases.PostCard, Channel: "C0OTHER", TS: "1700000001.000100", At: at(5)},
		{ReleaseID: r1.ID, Kind: releases.PostRequest, Team: "risk", Channel: "C0OTHER", TS: "1700000001.000200", At: at(5)},
	} {
		if err := ps.SavePost(ctx, p); !errors.Is(err, releases.ErrDuplicate) {
			t.Errorf("SavePost(second %s %q of %s): error %v, want ErrDuplicate", p.Kind, p.Team, releases.FormatID(p.ReleaseID), err)
		}
	}

	for _, tc := range []struct {
		name string
		id   int64
		want []releases.Post
	}{
		{name: "r1, oldest first", id: r1.ID, want: []releases.Post{posts[1], posts[0], posts[3]}},
		{name: "r2", id: r2.ID, want: []releases.Post{posts[2]}},
		{name: "unknown release", id: r2.ID + 1000, want: nil},
	} {
		got, err := ps.Posts(ctx, tc.id)
		if err != nil {
			t.Errorf("Posts(%s): %v", tc.name, err)
			continue
		}
		assertEqual(t, "posts of "+tc.name, got, tc.want)
	}
}

// checkReleases fails t unless s.Releases(f) gives want, in that order,
// each with its own sign-offs and deployments.
func checkReleases(t *testing.T, s releases.Store, f releases.Filter, want []*releases.Release) {
	t.Helper()
	got, err := s.Releases(t.Context(), f)
	if err != nil {
		t.Fatalf("Releases(%+v): %v", f, err)
	}
	if g, w := ids(got), idsOf(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("Releases(%+v) = %v, want %v", f, g, w)
	}
	for _, r := range got {
		assertEqual(t, releases.FormatID(r.ID)+" from Releases", r, load(t, s, r.ID))
	}
}

// testReleasesByTeam: a team filter selects the releases that ask that
// team's sign-off, newest first, alongside the other filters and pages.
func testReleasesByTeam(t *testing.T, s releases.Store) {
	ctx := t.Context()
	rel := func(service string, st releases.Status, teams ...string) *releases.Release {
		r := newRelease(service, "v1")
		r.Status, r.Teams = st, teams
		return createRelease(t, s, r)
	}
	a := rel("api", releases.StatusDeployed, "payments")
	b := rel("web", releases.StatusAwaitingSignoff, "payments", "risk")
	c := rel("ledger", releases.StatusAwaitingSignoff, "risk")
	rel("batch", releases.StatusDeployed)
	e := rel("cron", releases.StatusDeployed, "payments", "payments")
	putSignOffs(t, s, releases.SignOff{ReleaseID: b.ID, Team: "risk", User: dan, Decision: releases.Approved, At: at(1)})

	tests := []struct {
		name   string
		filter releases.Filter
		want   []*releases.Release
	}{
		{name: "team", filter: releases.Filter{Team: "payments"}, want: []*releases.Release{e, b, a}},
		{name: "another team", filter: releases.Filter{Team: "risk"}, want: []*releases.Release{c, b}},
		{name: "team and status", filter: releases.Filter{Team: "payments", Statuses: []releases.Status{releases.StatusDeployed}},
			want: []*releases.Release{e, a}},
		{name: "team and service", filter: releases.Filter{Team: "risk", Service: "web"}, want: []*releases.Release{b}},
		{name: "team, next page", filter: releases.Filter{Team: "payments", Before: e.ID, Limit: 1}, want: []*releases.Release{b}},
		{name: "a team no release asks", filter: releases.Filter{Team: "nope"}, want: nil},
		{name: "a team's name is not a pattern", filter: releases.Filter{Team: "pay%"}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkReleases(t, s, tc.filter, tc.want)
			n, err := s.Count(ctx, releases.Filter{Team: tc.filter.Team, Statuses: tc.filter.Statuses, Service: tc.filter.Service, Before: tc.filter.Before})
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			if tc.filter.Limit == 0 && n != len(tc.want) {
				t.Fatalf("Count(%+v) = %d, want %d", tc.filter, n, len(tc.want))
			}
		})
	}
}
