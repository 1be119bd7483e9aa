package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// testCreateWithEvents: a store that writes a new release and its first
// events in one go (releases.Creator) gives back the same release and
// events, in order, as a transaction of CreateRelease and AddAudit would,
// and writes nothing at all for a duplicate. The team filter finds it
// under each of its teams, once, a team named twice included.
func testCreateWithEvents(t *testing.T, s releases.Store) {
	c, ok := s.(releases.Creator)
	if !ok {
		t.Skip("the store does not implement releases.Creator")
	}
	ctx := t.Context()
	r := newRelease("payments-api", "v2.4.0")
	r.StartAt, r.Notes, r.Origin = at(60), "notes: 'quoted', ünïcödé, 100%", "C0RELEASES"
	r.Teams = []string{"risk", "payments", "risk"}
	want := *r
	events := []releases.AuditEvent{
		{At: t0, Actor: bob, Action: releases.ActionCreated, Detail: "payments-api v2.4.0 for staging → production"},
		{At: t0, Actor: bob, Action: releases.ActionEnvOverride, Detail: "skips canary"},
	}
	if err := c.CreateWithEvents(ctx, r, events); err != nil {
		t.Fatalf("CreateWithEvents: %v", err)
	}
	if r.ID <= 0 {
		t.Fatalf("CreateWithEvents set id %d, want a positive id", r.ID)
	}
	want.ID = r.ID
	assertEqual(t, "release read back", load(t, s, r.ID), want)
	for i, e := range events {
		if e.ReleaseID != r.ID || e.ID <= 0 || (i > 0 && e.ID <= events[i-1].ID) {
			t.Errorf("event %d: release %d, id %d; want release %d and ids ascending in order", i, e.ReleaseID, e.ID, r.ID)
		}
	}
	got := audit(t, s, r.ID)
	if len(got) != len(events) {
		t.Fatalf("audit of the new release: %d events, want %d", len(got), len(events))
	}
	for i := range got {
		w := events[i]
		w.At = w.At.UTC()
		assertEqual(t, "audit event read back", got[i], w)
	}

	byTeam := func(when string) {
		t.Helper()
		for _, team := range []string{"payments", "risk"} {
			got := list(t, s, releases.Filter{Team: team})
			if len(got) != 1 || got[0].ID != r.ID {
				t.Errorf("%s: releases of team %s = %v, want only %d", when, team, ids(got), r.ID)
			}
			if n, err := s.Count(ctx, releases.Filter{Team: team}); err != nil || n != 1 {
				t.Errorf("%s: count of team %s = %d, %v; want 1", when, team, n, err)
			}
		}
	}
	byTeam("created")

	dup := newRelease("payments-api", "v2.4.0")
	dup.Teams = []string{"risk", "payments"}
	err := c.CreateWithEvents(ctx, dup, []releases.AuditEvent{{At: at(1), Actor: bob, Action: releases.ActionCreated}})
	if !errors.Is(err, releases.ErrDuplicate) {
		t.Fatalf("second active release of payments-api v2.4.0: error %v, want ErrDuplicate", err)
	}
	if n := len(list(t, s, releases.Filter{Service: "payments-api"})); n != 1 {
		t.Errorf("after the duplicate: %d releases of payments-api, want 1", n)
	}
	if n := len(audit(t, s, r.ID)); n != len(events) {
		t.Errorf("after the duplicate: %d audit events of the release, want %d", n, len(events))
	}
	byTeam("after the duplicate")
}

// testConcurrentCreates: creates at once, as a burst of commands makes
// them (a store may write them together), each get their own answer:
// every distinct release is written with its events and teams, and of
// four creates of one version exactly one opens it while the others get
// ErrDuplicate.
func testConcurrentCreates(t *testing.T, s releases.Store) {
	c, ok := s.(releases.Creator)
	if !ok {
		t.Skip("the store does not implement releases.Creator")
	}
	ctx := t.Context()
	type result struct {
		r      *releases.Release
		events []releases.AuditEvent
		err    error
	}
	out := make([]result, 24)
	var wg sync.WaitGroup
	for i := range out {
		r := newRelease(fmt.Sprintf("svc-%02d", i), "v1.0.0")
		if i >= 20 {
			r = newRelease("shared", "v1.0.0")
		}
		r.Teams = []string{"payments", fmt.Sprintf("team-%02d", i)}
		out[i].r = r
		out[i].events = []releases.AuditEvent{{At: t0, Actor: bob, Action: releases.ActionCreated, Detail: fmt.Sprintf("create %d", i)}}
		wg.Go(func() { out[i].err = c.CreateWithEvents(ctx, r, out[i].events) })
	}
	wg.Wait()
	opened := 0
	for i, res := range out {
		if i >= 20 && errors.Is(res.err, releases.ErrDuplicate) {
			continue
		}
		if res.err != nil {
			t.Fatalf("create %d (%s): %v", i, res.r.Service, res.err)
		}
		if i >= 20 {
			opened++
		}
		got := load(t, s, res.r.ID)
		if got.Service != res.r.Service || got.Teams[1] != res.r.Teams[1] {
			t.Errorf("create %d read back as %s for %v, want %s for %v", i, got.Service, got.Teams, res.r.Service, res.r.Teams)
		}
		a := audit(t, s, res.r.ID)
		if len(a) != 1 || a[0].ID != res.events[0].ID || a[0].Detail != res.events[0].Detail || res.events[0].ReleaseID != res.r.ID {
			t.Errorf("create %d: audit read back %+v, its event %+v", i, a, res.events[0])
		}
		if byTeam := list(t, s, releases.Filter{Team: res.r.Teams[1]}); len(byTeam) != 1 || byTeam[0].ID != res.r.ID {
			t.Errorf("create %d: releases of %s = %v, want only %d", i, res.r.Teams[1], ids(byTeam), res.r.ID)
		}
	}
	if opened != 1 {
		t.Errorf("four creates of shared v1.0.0 opened %d releases, want 1", opened)
	}
	if n := len(list(t, s, releases.Filter{Team: "payments"})); n != 21 {
		t.Errorf("releases of payments: %d, want 21", n)
	}
}
