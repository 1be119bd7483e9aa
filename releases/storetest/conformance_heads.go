package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// testOutboxHeads: a release's chat messages queue per team — the card
// and its thread in order, each team's request and its updates in order —
// so a sign-off request does not wait for the card; and with a pace, new
// messages in one channel are handed out one per pace, to whichever sender
// asks first, while updates are not held.
func testOutboxHeads(t *testing.T, s releases.Store) {
	o, _ := outboxOf(t, s)
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("ledger", "v1"))
	entry := func(r *releases.Release, op releases.OutboxOp, team, channel string) releases.OutboxEntry {
		return releases.OutboxEntry{ReleaseID: r.ID, Op: op, Team: team, Channel: channel, Body: `{"text":"x"}`, NextAttemptAt: t0, CreatedAt: t0}
	}
	err := o.EnqueueOnce(ctx, []releases.OutboxEntry{
		entry(r1, releases.OpPostCard, "", "C0REL"),
		entry(r1, releases.OpPostRequest, "payments", "C0PAY"),
		entry(r1, releases.OpPostRequest, "risk", "C0RISK"),
		entry(r1, releases.OpReply, "", "C0REL"),
		entry(r1, releases.OpUpdateRequest, "payments", ""),
		entry(r2, releases.OpPostCard, "", "C0REL"),
		entry(r2, releases.OpPostRequest, "payments", "C0PAY"),
	})
	if err != nil {
		t.Fatalf("EnqueueOnce: %v", err)
	}
	const pace = time.Second
	claim := func(now time.Time) []string {
		t.Helper()
		got, err := o.ClaimOutbox(ctx, now, 30*time.Second, 10, pace)
		if err != nil {
			t.Fatalf("ClaimOutbox: %v", err)
		}
		var out []string
		for _, e := range got {
			if e.Op.NewMessage() { // as a sender does, just before it posts
				if ok, next, err := o.TakeTurn(ctx, e.Channel, now, pace); err != nil || !ok {
					t.Fatalf("TakeTurn(%s) for a claimed %s = %v, %v, %v; want its turn", e.Channel, e.Op, ok, next, err)
				}
			}
			out = append(out, releases.FormatID(e.ReleaseID)+" "+string(e.Op)+" "+e.Channel)
			if err := o.FinishOutbox(ctx, e.ID, releases.OutboxSent, now, nil); err != nil {
				t.Fatalf("FinishOutbox: %v", err)
			}
		}
		slices.Sort(out)
		return out
	}
	// One new message per channel: R-1's card and requests, not R-2's
	// card or payments request.
	assertEqual(t, "first claim", claim(at(1)),
		[]string{"R-1 post_card C0REL", "R-1 post_request C0PAY", "R-1 post_request C0RISK"})
	// Within the pace (another sender asking, say): only the update, which
	// is not paced.
	assertEqual(t, "second claim, half a pace later", claim(at(1).Add(pace/2)),
		[]string{"R-1 update_request "})
	// A pace later: R-1's reply and R-2's card compete for C0REL; the
	// older (R-1's reply) wins, and R-2's request takes C0PAY's turn.
	assertEqual(t, "third claim, a pace later", claim(at(1).Add(pace)),
		[]string{"R-1 reply C0REL", "R-2 post_request C0PAY"})
	assertEqual(t, "fourth claim", claim(at(1).Add(2*pace)), []string{"R-2 post_card C0REL"})
	assertEqual(t, "nothing left", claim(at(9)), []string(nil))

	// Two senders racing for one channel's turn: one gets it, the other
	// learns when the next comes.
	now := at(20)
	first, _, err := o.TakeTurn(ctx, "C0NEW", now, pace)
	if err != nil || !first {
		t.Fatalf("the first TakeTurn in a new channel: %v, %v", first, err)
	}
	second, next, err := o.TakeTurn(ctx, "C0NEW", now, pace)
	if err != nil || second || !next.Equal(now.Add(pace)) {
		t.Fatalf("the second TakeTurn at once = %v, next %v, %v; want no turn, next at %v", second, next, err, now.Add(pace))
	}
	if ok, _, err := o.TakeTurn(ctx, "C0NEW", now.Add(pace), pace); err != nil || !ok {
		t.Fatalf("TakeTurn a pace later: %v, %v", ok, err)
	}

	// A sender holds the channel while it posts; when the post ends, the
	// next turn comes a pace after that, however long the post took.
	now = at(40)
	if ok, _, err := o.TakeTurn(ctx, "C0NEW", now, time.Minute); err != nil || !ok {
		t.Fatalf("TakeTurn with a hold: %v, %v", ok, err)
	}
	if ok, next, err := o.TakeTurn(ctx, "C0NEW", now.Add(pace), pace); err != nil || ok || !next.Equal(now.Add(time.Minute)) {
		t.Fatalf("TakeTurn while another sender posts = %v, next %v, %v; want no turn before the hold ends", ok, next, err)
	}
	ended := now.Add(3 * pace) // a slow post
	if err := o.EndTurn(ctx, "C0NEW", ended.Add(pace), releases.Turn{Channel: "C0NEW", Creator: "U0DAVE", At: ended}); err != nil {
		t.Fatalf("EndTurn: %v", err)
	}
	if ok, next, err := o.TakeTurn(ctx, "C0NEW", ended, pace); err != nil || ok || !next.Equal(ended.Add(pace)) {
		t.Fatalf("TakeTurn as the slow post ended = %v, next %v, %v; want the next a pace after it", ok, next, err)
	}
	if ok, _, err := o.TakeTurn(ctx, "C0NEW", ended.Add(pace), pace); err != nil || !ok {
		t.Fatalf("TakeTurn a pace after the slow post ended: %v, %v", ok, err)
	}
}

// testOutboxHeadsUnpaced: without a pace a claim hands out the head of
// every queue that is due, oldest first, up to its limit: a release's
// queue per team, and messages of no release queued by team. A head that
// is claimed, or waits to be retried, holds its queue; finished, the next
// one is the head.
func testOutboxHeadsUnpaced(t *testing.T, s releases.Store) {
	o, _ := outboxOf(t, s)
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("ledger", "v1"))
	entry := func(r *releases.Release, op releases.OutboxOp, team, channel, key string) releases.OutboxEntry {
		e := releases.OutboxEntry{Op: op, Team: team, Channel: channel, Body: `{"text":"x"}`, NextAttemptAt: t0, CreatedAt: t0, DedupeKey: key}
		if r != nil {
			e.ReleaseID = r.ID
		}
		return e
	}
	err := o.EnqueueOnce(ctx, []releases.OutboxEntry{
		entry(r1, releases.OpPostCard, "", "C0REL", ""),
		entry(nil, releases.OpPost, "", "C0ANN", "announce-1"),
		entry(r1, releases.OpPostRequest, "payments", "C0PAY", ""),
		entry(r1, releases.OpReply, "", "C0REL", ""),
		entry(nil, releases.OpPost, "", "C0OPS", "announce-2"),
		entry(r2, releases.OpPostCard, "", "C0REL", ""),
		entry(r1, releases.OpUpdateRequest, "payments", "", ""),
		entry(nil, releases.OpPost, "payments", "C0PAY", "announce-3"),
		entry(r2, releases.OpReply, "", "C0REL", ""),
	})
	if err != nil {
		t.Fatalf("EnqueueOnce: %v", err)
	}
	name := func(e releases.OutboxEntry) string {
		if e.ReleaseID == 0 {
			return e.DedupeKey
		}
		return releases.FormatID(e.ReleaseID) + " " + string(e.Op)
	}
	claim := func(now time.Time, limit int) []releases.OutboxEntry {
		t.Helper()
		got, err := o.ClaimOutbox(ctx, now, time.Hour, limit, 0)
		if err != nil {
			t.Fatalf("ClaimOutbox: %v", err)
		}
		return got
	}
	names := func(es []releases.OutboxEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, name(e))
		}
		return out
	}
	finish := func(es []releases.OutboxEntry, now time.Time) {
		t.Helper()
		for _, e := range es {
			if err := o.FinishOutbox(ctx, e.ID, releases.OutboxSent, now, nil); err != nil {
				t.Fatalf("FinishOutbox: %v", err)
			}
		}
	}
	// The heads, oldest first, up to the limit.
	first := claim(at(1), 3)
	assertEqual(t, "first claim, limit 3", names(first), []string{"R-1 post_card", "announce-1", "R-1 post_request"})
	// The rest of the heads; the claimed ones hold their queues.
	second := claim(at(1), 10)
	assertEqual(t, "second claim", names(second), []string{"R-2 post_card", "announce-3"})
	finish(first, at(2))
	// R-1's card sent: its reply is the head. announce-1 sent:
	// announce-2 (no release, no team, as announce-1) is. R-1's payments
	// request sent: its update is. R-2's card is still claimed.
	third := claim(at(2), 10)
	assertEqual(t, "third claim", names(third), []string{"R-1 reply", "announce-2", "R-1 update_request"})
	// A head to be retried later holds its queue until then.
	if err := o.RetryOutbox(ctx, third[0].ID, 1, at(30), "timeout", false); err != nil {
		t.Fatalf("RetryOutbox: %v", err)
	}
	finish(third[1:], at(3))
	finish(second, at(3))
	assertEqual(t, "fourth claim", names(claim(at(3), 10)), []string{"R-2 reply"})
	assertEqual(t, "after the retry's time", names(claim(at(31), 10)), []string{"R-1 reply"})
}
