package storetest

import (
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// testFinishOutboxes: the ends of several entries recorded at once are each
// recorded as FinishOutbox records one: sent, failed and superseded
// entries leave their queues, the next entry of a queue becomes due, and
// the posts are recorded — but not over a post the release already has
// of that kind and team.
func testFinishOutboxes(t *testing.T, s releases.Store) {
	o, ps := outboxOf(t, s)
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("ledger", "v1"))
	r3 := createRelease(t, s, newRelease("risk-engine", "v1"))
	for _, r := range []*releases.Release{r1, r2, r3} {
		enqueue(t, o, r)
	}
	// Behind r1's card in its queue.
	reply := releases.OutboxEntry{ReleaseID: r1.ID, Op: releases.OpReply, Channel: "C0REL", Body: `{"text":"reply"}`, NextAttemptAt: t0, CreatedAt: t0}
	if err := o.EnqueueOnce(ctx, []releases.OutboxEntry{reply}); err != nil {
		t.Fatalf("EnqueueOnce: %v", err)
	}
	kept := releases.Post{ReleaseID: r3.ID, Kind: releases.PostCard, Channel: "C0REL", TS: "1700000003.000001", At: at(0)}
	if err := ps.SavePost(ctx, kept); err != nil {
		t.Fatalf("SavePost: %v", err)
	}
	claimed, err := o.ClaimOutbox(ctx, at(1), 30*time.Second, 100, 0)
	if err != nil {
		t.Fatalf("ClaimOutbox: %v", err)
	}
	if len(claimed) != 6 {
		t.Fatalf("claimed %d entries, want the card and the request of each of 3 releases", len(claimed))
	}
	entry := func(r *releases.Release, op releases.OutboxOp) int64 {
		for _, e := range claimed {
			if e.ReleaseID == r.ID && e.Op == op {
				return e.ID
			}
		}
		t.Fatalf("%s's %s was not claimed", releases.FormatID(r.ID), op)
		return 0
	}
	post := func(r *releases.Release, kind releases.PostKind, team, channel, ts string) *releases.Post {
		return &releases.Post{ReleaseID: r.ID, Kind: kind, Team: team, Channel: channel, TS: ts, At: at(1)}
	}
	card1 := post(r1, releases.PostCard, "", "C0REL", "1700000001.000001")
	req1 := post(r1, releases.PostRequest, "payments", "C0PAY", "1700000001.000002")
	req3 := post(r3, releases.PostRequest, "payments", "C0PAY", "1700000003.000002")
	ends := []releases.OutboxFinish{
		{ID: entry(r1, releases.OpPostCard), Status: releases.OutboxSent, At: at(1), Post: card1},
		{ID: entry(r1, releases.OpPostRequest), Status: releases.OutboxSent, At: at(1), Post: req1},
		{ID: entry(r2, releases.OpPostCard), Status: releases.OutboxFailed, At: at(1)},
		{ID: entry(r2, releases.OpPostRequest), Status: releases.OutboxSuperseded, At: at(1)},
		{ID: entry(r3, releases.OpPostCard), Status: releases.OutboxSent, At: at(1),
			Post: post(r3, releases.PostCard, "", "C0REL", "1700000003.000009")},
		{ID: entry(r3, releases.OpPostRequest), Status: releases.OutboxSent, At: at(1), Post: req3},
	}
	if err := o.FinishOutboxes(ctx, ends); err != nil {
		t.Fatalf("FinishOutboxes: %v", err)
	}
	if err := o.FinishOutboxes(ctx, nil); err != nil {
		t.Errorf("FinishOutboxes of nothing: %v", err)
	}
	if n, err := o.PendingOutbox(ctx); err != nil || n != 1 {
		t.Errorf("PendingOutbox = %d, %v; want 1, r1's reply", n, err)
	}
	next, err := o.ClaimOutbox(ctx, at(2), 30*time.Second, 100, 0)
	if err != nil {
		t.Fatalf("ClaimOutbox: %v", err)
	}
	if len(next) != 1 || next[0].ReleaseID != r1.ID || next[0].Op != releases.OpReply {
		t.Errorf("after the ends, claimed %+v; want r1's reply alone", next)
	}
	posts := func(r *releases.Release) []releases.Post {
		got, err := ps.Posts(ctx, r.ID)
		if err != nil {
			t.Fatalf("Posts(%s): %v", releases.FormatID(r.ID), err)
		}
		return got
	}
	assertEqual(t, "r1's posts", posts(r1), []releases.Post{*card1, *req1})
	assertEqual(t, "r2's posts", posts(r2), []releases.Post(nil))
	assertEqual(t, "r3's posts, the card recorded before kept", posts(r3), []releases.Post{kept, *req3})
}
