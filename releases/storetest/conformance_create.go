package storetest

import (
	"errors"
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
