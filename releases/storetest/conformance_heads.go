package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// testOutboxHeads: a release's chat messages queue per team — the card
// and its thread in order, each team's request and its updates in order —
// so a sign-off request does not wait for the card, and a sender can pass
// over the channels it must not post to yet.
func testOutboxHeads(t *testing.T, s releases.Store) {
	o, _ := outboxOf(t, s)
	ctx := t.Context()
	r := createRelease(t, s, newRelease("api", "v1"))
	err := o.EnqueueOnce(ctx, []releases.OutboxEntry{
		{ReleaseID: r.ID, Op: releases.OpPostCard, Channel: "C0REL", Body: `{"text":"card"}`, NextAttemptAt: t0, CreatedAt: t0},
		{ReleaseID: r.ID, Op: releases.OpPostRequest, Team: "payments", Channel: "C0PAY", Body: `{"text":"request"}`, NextAttemptAt: t0, CreatedAt: t0},
		{ReleaseID: r.ID, Op: releases.OpPostRequest, Team: "risk", Channel: "C0RISK", Body: `{"text":"request"}`, NextAttemptAt: t0, CreatedAt: t0},
		{ReleaseID: r.ID, Op: releases.OpReply, Channel: "C0REL", Body: `{"text":"signed off"}`, NextAttemptAt: t0, CreatedAt: t0},
		{ReleaseID: r.ID, Op: releases.OpUpdateRequest, Team: "payments", Body: `{"text":"request, signed"}`, NextAttemptAt: t0, CreatedAt: t0},
	})
	if err != nil {
		t.Fatalf("EnqueueOnce: %v", err)
	}
	claim := func(now time.Time, busy ...string) []string {
		t.Helper()
		got, err := o.ClaimOutbox(ctx, now, 30*time.Second, 10, busy)
		if err != nil {
			t.Fatalf("ClaimOutbox: %v", err)
		}
		var out []string
		for _, e := range got {
			out = append(out, string(e.Op)+" "+e.Team+" "+e.Channel)
			if err := o.FinishOutbox(ctx, e.ID, releases.OutboxSent, now, nil); err != nil {
				t.Fatalf("FinishOutbox: %v", err)
			}
		}
		slices.Sort(out)
		return out
	}
	// The release channel is busy: both requests go, the card waits.
	assertEqual(t, "first claim, C0REL busy", claim(at(1), "C0REL"),
		[]string{"post_request payments C0PAY", "post_request risk C0RISK"})
	// Then the card and the request's update (not before its request).
	assertEqual(t, "second claim", claim(at(2)),
		[]string{"post_card  C0REL", "update_request payments "})
	// The reply waited for the card.
	assertEqual(t, "third claim", claim(at(3)), []string{"reply  C0REL"})
}
