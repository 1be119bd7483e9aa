package storetest

import (
	"fmt"
	"testing"
	"time"

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

// testEnqueueMany: a relay's batch of entries — more than one statement's
// worth on some stores, of several releases and none — comes back as it
// went in: in order (ids ascending as given), every field as written
// (bodies byte for byte, times to the microsecond), and an entry whose
// dedupe key is taken, earlier in the batch or before it, dropped.
func testEnqueueMany(t *testing.T, s releases.Store) {
	o, _ := outboxOf(t, s)
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("web", "v1"))
	if err := o.EnqueueOnce(ctx, []releases.OutboxEntry{{Op: releases.OpPost, Team: "t-taken", Channel: "C0SUM", DedupeKey: "taken",
		Body: `{"text":"before"}`, NextAttemptAt: t0, CreatedAt: t0}}); err != nil {
		t.Fatalf("EnqueueOnce: %v", err)
	}
	var entries, want []releases.OutboxEntry
	for i := range 450 {
		e := releases.OutboxEntry{Op: releases.OpReply, Team: fmt.Sprintf("t%03d", i), Channel: "C0REL",
			Body:          fmt.Sprintf(`{"text":"%d: \"quoted\" <b>&amp; ünïcödé 🚀\n\ttab \\ back"}`, i),
			NextAttemptAt: at(i % 7), CreatedAt: at(i % 5), Creator: fmt.Sprintf("U%d", i%3)}
		switch i % 3 {
		case 0:
			e.ReleaseID = r1.ID
		case 1:
			e.ReleaseID = r2.ID
		}
		switch i {
		case 10:
			e.DedupeKey = "k10"
		case 20:
			e.DedupeKey = "k10" // taken earlier in the batch
		case 30:
			e.DedupeKey = "taken" // taken before it
		}
		entries = append(entries, e)
		if i != 20 && i != 30 {
			want = append(want, e)
		}
	}
	if err := o.Relay(ctx, func(tx releases.RelayTx) error { return tx.Enqueue(ctx, entries) }); err != nil {
		t.Fatalf("Relay: %v", err)
	}
	claimed, err := o.ClaimOutbox(ctx, at(10), 30*time.Second, 1000, 0)
	if err != nil {
		t.Fatalf("ClaimOutbox: %v", err)
	}
	var got []releases.OutboxEntry
	for _, e := range claimed {
		if e.Team == "t-taken" {
			continue
		}
		if e.Status != releases.OutboxPending || e.Attempts != 0 || e.LastError != "" || e.MaybeSent {
			t.Errorf("entry %d: status %q, attempts %d, last error %q, maybe sent %v; want a fresh pending entry",
				e.ID, e.Status, e.Attempts, e.LastError, e.MaybeSent)
		}
		e.ID, e.Status = 0, ""
		got = append(got, e)
	}
	for i := range want {
		want[i].NextAttemptAt, want[i].CreatedAt = want[i].NextAttemptAt.UTC(), want[i].CreatedAt.UTC()
	}
	if len(got) != len(want) {
		t.Fatalf("claimed %d entries of the batch, want %d", len(got), len(want))
	}
	for i := range want {
		assertEqual(t, fmt.Sprintf("entry %d of the batch, in id order", i), got[i], want[i])
	}
}
