package storetest

import (
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// testPacedCreatorsTakeTurns: in a paced channel, creators take turns —
// of the due new messages there, the claim hands out the oldest of the
// creator whose turn (EndTurn) is longest ago, so one creator's backlog
// doesn't hold up another's message.
func testPacedCreatorsTakeTurns(t *testing.T, s releases.Store) {
	o, _ := outboxOf(t, s)
	ctx := t.Context()
	const pace = time.Second
	var entries []releases.OutboxEntry
	add := func(creator string, n int) {
		for range n {
			r := createRelease(t, s, newRelease("svc-"+creator, "v"+time.Duration(len(entries)).String()))
			entries = append(entries, releases.OutboxEntry{ReleaseID: r.ID, Op: releases.OpPostRequest, Team: "payments",
				Channel: "C0PAY", Body: `{"text":"x"}`, NextAttemptAt: t0, CreatedAt: t0, Creator: creator})
		}
	}
	add("A", 5)
	add("B", 1)
	add("A", 1)
	add("C", 2)
	if err := o.EnqueueOnce(ctx, entries); err != nil {
		t.Fatalf("EnqueueOnce: %v", err)
	}
	var order []string
	for i := range len(entries) + 1 {
		now := at(1).Add(time.Duration(i) * pace)
		got, err := o.ClaimOutbox(ctx, now, 30*time.Second, 10, pace)
		if err != nil {
			t.Fatalf("ClaimOutbox: %v", err)
		}
		if len(got) > 1 {
			t.Fatalf("claim %d handed out %d new messages for one channel", i, len(got))
		}
		for _, e := range got {
			if ok, _, err := o.TakeTurn(ctx, e.Channel, now, pace); err != nil || !ok {
				t.Fatalf("TakeTurn: %v, %v", ok, err)
			}
			if err := o.EndTurn(ctx, e.Channel, now.Add(pace), releases.Turn{Channel: e.Channel, Creator: e.Creator, At: now}); err != nil {
				t.Fatalf("EndTurn: %v", err)
			}
			if err := o.FinishOutbox(ctx, e.ID, releases.OutboxSent, now, nil); err != nil {
				t.Fatalf("FinishOutbox: %v", err)
			}
			order = append(order, e.Creator)
		}
	}
	assertEqual(t, "creators in the order served", order, []string{"A", "B", "C", "A", "C", "A", "A", "A", "A"})
}

// testCountAndRecentCreates: Count counts what Releases pages through;
// RecentCreates is the quota's count, newest first, bounded.
func testCountAndRecentCreates(t *testing.T, s releases.Store) {
	ctx := t.Context()
	for i := range 5 {
		r := newRelease("api", "v"+string(rune('1'+i)))
		r.CreatedBy, r.CreatedAt = alice, at(10*i)
		createRelease(t, s, r)
	}
	other := newRelease("ledger", "v1")
	other.CreatedAt = at(45)
	createRelease(t, s, other)

	for _, tc := range []struct {
		name string
		f    releases.Filter
		want int
	}{
		{name: "all, the limit ignored", f: releases.Filter{Limit: 2}, want: 6},
		{name: "by creator", f: releases.Filter{CreatedBy: alice}, want: 5},
		{name: "created before", f: releases.Filter{CreatedBefore: at(20)}, want: 2},
		{name: "status and before", f: releases.Filter{Statuses: releases.ActiveStatuses, Before: other.ID}, want: 5},
	} {
		n, err := s.Count(ctx, tc.f)
		if err != nil || n != tc.want {
			t.Errorf("%s: Count = %d, %v; want %d", tc.name, n, err, tc.want)
		}
	}
	var got []time.Time
	inTx(t, s, func(tx releases.Tx) error {
		var err error
		got, err = tx.RecentCreates(ctx, alice, at(10), 2) // after 10 minutes: at 20, 30, 40
		return err
	})
	if len(got) != 2 || !got[0].Equal(at(40)) || !got[1].Equal(at(30)) {
		t.Fatalf("RecentCreates(alice, after %v, 2) = %v; want %v, %v", at(10), got, at(40), at(30))
	}
}
