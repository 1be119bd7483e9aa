package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// outboxOf returns s as the outbox and post stores it must also be, or
// skips the test.
func outboxOf(t *testing.T, s releases.Store) (releases.OutboxStore, releases.PostStore) {
	t.Helper()
	o, ok := s.(releases.OutboxStore)
	if !ok {
		t.Skipf("%T does not implement releases.OutboxStore", s)
	}
	ps, ok := s.(releases.PostStore)
	if !ok {
		t.Skipf("%T does not implement releases.PostStore", s)
	}
	return o, ps
}

// enqueue adds a card and a sign-off request for payments, at t0, to r's
// queue.
func enqueue(t *testing.T, o releases.OutboxStore, r *releases.Release) {
	t.Helper()
	err := o.EnqueueOnce(t.Context(), []releases.OutboxEntry{
		{ReleaseID: r.ID, Op: releases.OpPostCard, Channel: "C0REL", Body: `{"text":"card"}`, NextAttemptAt: t0, CreatedAt: t0},
		{ReleaseID: r.ID, Op: releases.OpPostRequest, Team: "payments", Channel: "C0PAY", Body: `{"text":"request"}`, NextAttemptAt: t0, CreatedAt: t0},
	})
	if err != nil {
		t.Fatalf("EnqueueOnce: %v", err)
	}
}

// claimAll claims at now (lease 30 s) and returns what it got, by release.
func claimAll(t *testing.T, o releases.OutboxStore, now time.Time) map[int64]releases.OutboxEntry {
	t.Helper()
	claimed, err := o.ClaimOutbox(t.Context(), now, 30*time.Second, 100, 0)
	if err != nil {
		t.Fatalf("ClaimOutbox(%v): %v", now, err)
	}
	out := map[int64]releases.OutboxEntry{}
	for _, e := range claimed {
		out[e.ReleaseID] = e
	}
	return out
}

// testAdoptPost: a message found in chat, tagged as an outbox entry's
// post, is recorded as that entry's post — only for the entry it names,
// once — and the entry, if nobody holds it, is done.
func testAdoptPost(t *testing.T, s releases.Store) {
	o, ps := outboxOf(t, s)
	a, ok := s.(releases.PostAdopter)
	if !ok {
		t.Skipf("%T does not implement releases.PostAdopter", s)
	}
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("ledger", "v1"))
	r3 := createRelease(t, s, newRelease("risk-engine", "v1"))
	rs := []*releases.Release{r1, r2, r3}
	for _, r := range rs {
		enqueue(t, o, r)
	}
	// A release's card and its request are at the head of their queues
	// (the card's and the team's) at once.
	claimed, err := o.ClaimOutbox(t.Context(), at(1), 30*time.Second, 100, 0)
	if err != nil {
		t.Fatalf("ClaimOutbox: %v", err)
	}
	cards, req := map[int64]releases.OutboxEntry{}, map[int64]releases.OutboxEntry{}
	for _, e := range claimed {
		if e.Op == releases.OpPostCard {
			cards[e.ReleaseID] = e
		} else {
			req[e.ReleaseID] = e
		}
	}
	for _, r := range rs {
		e, ok := cards[r.ID]
		if !ok || e.Op != releases.OpPostCard {
			t.Fatalf("claim %s's card: %+v %v", releases.FormatID(r.ID), e, ok)
		}
		post := &releases.Post{ReleaseID: r.ID, Kind: releases.PostCard, Channel: "C0REL", TS: fmt.Sprintf("1700000000.%06d", r.ID), At: at(1)}
		if err := o.FinishOutbox(ctx, e.ID, releases.OutboxSent, at(1), post); err != nil {
			t.Fatalf("FinishOutbox: %v", err)
		}
	}
	// Each release's request was claimed by a sender that dies after
	// posting it.
	for _, r := range rs {
		if e, ok := req[r.ID]; !ok || e.Op != releases.OpPostRequest {
			t.Fatalf("claim %s's request: %+v %v", releases.FormatID(r.ID), e, ok)
		}
	}
	held := at(1).Add(5 * time.Second) // the dead senders' leases still hold
	p1 := releases.Post{ReleaseID: r1.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: "1700000001.000100", At: held}

	if err := a.AdoptPost(ctx, req[r1.ID].ID, p1); err != nil {
		t.Fatalf("AdoptPost(r1's request): %v", err)
	}
	if got, err := ps.FindPost(ctx, p1.Channel, p1.TS); err != nil {
		t.Errorf("FindPost after AdoptPost: %v", err)
	} else {
		assertEqual(t, "adopted post", *got, p1)
	}
	if err := a.AdoptPost(ctx, req[r1.ID].ID, p1); err != nil {
		t.Errorf("AdoptPost of the same post again: %v, want nil", err)
	}

	for _, tc := range []struct {
		name  string
		entry int64
		post  releases.Post
		want  error
	}{
		{name: "another copy of an adopted request", entry: req[r1.ID].ID, want: releases.ErrDuplicate,
			post: releases.Post{ReleaseID: r1.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: "1700000002.000100", At: held}},
		{name: "a ts that is another release's post", entry: req[r3.ID].ID, want: releases.ErrDuplicate,
			post: releases.Post{ReleaseID: r3.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: p1.TS, At: held}},
		{name: "another release than the entry's", entry: req[r1.ID].ID, want: releases.ErrNotFound,
			post: releases.Post{ReleaseID: r2.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: "1700000003.000100", At: held}},
		{name: "another team than the entry's", entry: req[r2.ID].ID, want: releases.ErrNotFound,
			post: releases.Post{ReleaseID: r2.ID, Kind: releases.PostRequest, Team: "risk", Channel: "C0RISK", TS: "1700000003.000200", At: held}},
		{name: "another kind than the entry's", entry: req[r2.ID].ID, want: releases.ErrNotFound,
			post: releases.Post{ReleaseID: r2.ID, Kind: releases.PostCard, Channel: "C0REL", TS: "1700000003.000300", At: held}},
		{name: "an entry that does not exist", entry: req[r3.ID].ID + 1000, want: releases.ErrNotFound,
			post: releases.Post{ReleaseID: r2.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: "1700000003.000400", At: held}},
	} {
		if err := a.AdoptPost(ctx, tc.entry, tc.post); !errors.Is(err, tc.want) {
			t.Errorf("AdoptPost(%s): %v, want %v", tc.name, err, tc.want)
		}
		if tc.post.TS != p1.TS {
			if got, err := ps.FindPost(ctx, tc.post.Channel, tc.post.TS); !errors.Is(err, releases.ErrNotFound) {
				t.Errorf("AdoptPost(%s) recorded %+v, %v", tc.name, got, err)
			}
		}
	}

	// r1's request entry was held when it was adopted: it stays its
	// sender's, who, back after the lease, finds the post recorded and
	// records the same post again without trouble.
	e, ok := claimAll(t, o, at(2))[r1.ID]
	if !ok || e.ID != req[r1.ID].ID || !e.MaybeSent {
		t.Fatalf("r1's request after the lease: %+v %v, want it claimed again, MaybeSent", e, ok)
	}
	if err := o.FinishOutbox(ctx, e.ID, releases.OutboxSent, at(2), &p1); err != nil {
		t.Errorf("FinishOutbox with the adopted post: %v", err)
	}

	// r2's request, adopted after its sender's lease lapsed, is done.
	p2 := releases.Post{ReleaseID: r2.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: "1700000004.000100", At: at(3)}
	if err := a.AdoptPost(ctx, req[r2.ID].ID, p2); err != nil {
		t.Fatalf("AdoptPost(r2's request): %v", err)
	}
	if e, ok := claimAll(t, o, at(4))[r2.ID]; ok {
		t.Errorf("r2's adopted request was claimed again: %+v", e)
	}
	posts, err := ps.Posts(ctx, r2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 || posts[1].TS != p2.TS {
		t.Errorf("r2's posts %+v, want its card and the adopted request", posts)
	}
}

// testOutboxMaybeSent: an entry whose claim lapsed unfinished comes back
// MaybeSent, and so does one retried after an attempt that may have
// reached chat; the mark stays for every later attempt.
func testOutboxMaybeSent(t *testing.T, s releases.Store) {
	o, _ := outboxOf(t, s)
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("ledger", "v1"))
	for _, r := range []*releases.Release{r1, r2} {
		if err := o.EnqueueOnce(ctx, []releases.OutboxEntry{{ReleaseID: r.ID, Op: releases.OpPostCard, Channel: "C0REL",
			Body: `{"text":"card"}`, NextAttemptAt: t0, CreatedAt: t0}}); err != nil {
			t.Fatalf("EnqueueOnce: %v", err)
		}
	}
	first := claimAll(t, o, at(1))
	if len(first) != 2 || first[r1.ID].MaybeSent || first[r2.ID].MaybeSent {
		t.Fatalf("first claim: %+v, want both cards, neither MaybeSent", first)
	}
	if again := claimAll(t, o, at(1).Add(10*time.Second)); len(again) != 0 {
		t.Fatalf("claimed again while the lease holds: %+v", again)
	}
	// r2's sender retries after a refusal that says chat did not take it.
	e2 := first[r2.ID]
	if err := o.RetryOutbox(ctx, e2.ID, 1, at(1), "ratelimited", false); err != nil {
		t.Fatalf("RetryOutbox: %v", err)
	}
	// r1's sender dies; its lease lapses.
	second := claimAll(t, o, at(2))
	if e := second[r1.ID]; e.ID != first[r1.ID].ID || !e.MaybeSent {
		t.Errorf("after r1's claim lapsed: %+v, want the card again, MaybeSent", e)
	}
	if e := second[r2.ID]; e.ID != e2.ID || e.MaybeSent || e.Attempts != 1 || e.LastError != "ratelimited" {
		t.Errorf("after r2's retry: %+v, want the card again, attempt 1, not MaybeSent", e)
	}

	// The mark stays: retried without it, r1's card is still MaybeSent.
	if err := o.RetryOutbox(ctx, first[r1.ID].ID, 1, at(2), "timeout", false); err != nil {
		t.Fatalf("RetryOutbox: %v", err)
	}
	// r2's second attempt timed out: chat may have taken it.
	if err := o.RetryOutbox(ctx, e2.ID, 2, at(2), "context deadline exceeded", true); err != nil {
		t.Fatalf("RetryOutbox: %v", err)
	}
	third := claimAll(t, o, at(3))
	if e := third[r1.ID]; !e.MaybeSent {
		t.Errorf("r1 after a retry: %+v, want MaybeSent still", e)
	}
	if e := third[r2.ID]; !e.MaybeSent || e.Attempts != 2 {
		t.Errorf("r2 after a timeout: %+v, want MaybeSent, attempt 2", e)
	}
	for _, e := range third {
		if err := o.FinishOutbox(ctx, e.ID, releases.OutboxSent, at(3), nil); err != nil {
			t.Fatalf("FinishOutbox: %v", err)
		}
	}
	if n, err := o.PendingOutbox(ctx); err != nil || n != 0 {
		t.Errorf("PendingOutbox = %d, %v; want 0", n, err)
	}
}
