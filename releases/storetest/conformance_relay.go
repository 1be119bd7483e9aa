package storetest

import (
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// testRelayBatch: a relay loads the releases of its events in one go, and
// the entries it enqueues in one call keep their order in each release's
// queue, a dedupe key taken earlier in the same call dropping the later
// entry.
func testRelayBatch(t *testing.T, s releases.Store) {
	o, _ := outboxOf(t, s)
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("web", "v1"))
	putSignOffs(t, s, releases.SignOff{ReleaseID: r1.ID, Team: "payments", User: alice, Decision: releases.Approved, At: at(2)})
	reply := func(r *releases.Release, key, body string) releases.OutboxEntry {
		return releases.OutboxEntry{ReleaseID: r.ID, Op: releases.OpReply, DedupeKey: key, Body: body, NextAttemptAt: t0, CreatedAt: t0}
	}
	want1, want2 := load(t, s, r1.ID), load(t, s, r2.ID) // outside: a store may have one connection
	var rels map[int64]*releases.Release
	err := o.Relay(ctx, func(tx releases.RelayTx) error {
		var err error
		if rels, err = tx.ReleasesByID(ctx, []int64{r2.ID, r1.ID, r2.ID + 1000}); err != nil {
			return err
		}
		return tx.Enqueue(ctx, []releases.OutboxEntry{
			reply(r1, "k1", "first"), reply(r2, "", "other"), reply(r1, "k1", "dropped"), reply(r1, "", "second"),
		})
	})
	if err != nil {
		t.Fatalf("Relay: %v", err)
	}
	if len(rels) != 2 || rels[r1.ID] == nil || rels[r2.ID] == nil {
		t.Errorf("ReleasesByID: %d releases %v, want %s and %s", len(rels), rels, releases.FormatID(r1.ID), releases.FormatID(r2.ID))
	} else {
		assertEqual(t, "release by id", *rels[r1.ID], want1)
		assertEqual(t, "release by id", *rels[r2.ID], want2)
	}
	var got []string
	for range 3 {
		e, ok := claimAll(t, o, at(10))[r1.ID]
		if !ok {
			break
		}
		got = append(got, e.Body)
		if err := o.FinishOutbox(ctx, e.ID, releases.OutboxSent, at(10), nil); err != nil {
			t.Fatalf("FinishOutbox: %v", err)
		}
	}
	assertEqual(t, "the release's queue, in order", got, []string{"first", "second"})
}
