package storetest

import (
	"slices"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// testReactions covers the reactions of releases.PostStore: which
// approving reactions each person has on a post, across processes.
func testReactions(t *testing.T, s releases.Store) {
	ps, ok := s.(releases.PostStore)
	if !ok {
		t.Skipf("%T does not implement releases.PostStore", s)
	}
	ctx := t.Context()
	const ch, ts, other = "C0PAY", "1700000000.000100", "1700000000.000200"
	react := func(user, emoji string) releases.PostReaction {
		return releases.PostReaction{Channel: ch, TS: ts, User: user, Emoji: emoji, At: at(1)}
	}
	want := func(user string, emoji ...string) {
		t.Helper()
		got, err := ps.Reactions(ctx, ch, ts, user)
		if err != nil {
			t.Fatalf("Reactions(%s): %v", user, err)
		}
		if emoji == nil {
			emoji = []string{}
		}
		if got == nil {
			got = []string{}
		}
		if !slices.Equal(got, emoji) {
			t.Errorf("Reactions(%s) = %q, want %q", user, got, emoji)
		}
	}
	want(alice)
	for _, r := range []releases.PostReaction{
		react(alice, "white_check_mark"), react(alice, "+1::skin-tone-3"),
		react(alice, "white_check_mark"), // again: no error, no second row
		react(bob, "heavy_check_mark"),
		{Channel: ch, TS: other, User: alice, Emoji: "+1", At: at(2)},
		{Channel: "C0RISK", TS: ts, User: alice, Emoji: "+1", At: at(2)},
	} {
		if err := ps.AddReaction(ctx, r); err != nil {
			t.Fatalf("AddReaction(%+v): %v", r, err)
		}
	}
	want(alice, "+1::skin-tone-3", "white_check_mark")
	want(bob, "heavy_check_mark")

	if err := ps.RemoveReaction(ctx, react(alice, "+1::skin-tone-3")); err != nil {
		t.Fatal(err)
	}
	want(alice, "white_check_mark")
	// Forgetting one never recorded (a reaction from before the store kept
	// them) is no error.
	if err := ps.RemoveReaction(ctx, react(alice, "thumbsup")); err != nil {
		t.Fatalf("RemoveReaction(never recorded): %v", err)
	}
	if err := ps.RemoveReaction(ctx, react(alice, "white_check_mark")); err != nil {
		t.Fatal(err)
	}
	want(alice)
	want(bob, "heavy_check_mark")
	// Other posts keep theirs.
	if got, err := ps.Reactions(ctx, ch, other, alice); err != nil || !slices.Equal(got, []string{"+1"}) {
		t.Errorf("Reactions on another message = %q, %v", got, err)
	}
	if got, err := ps.Reactions(ctx, "C0RISK", ts, alice); err != nil || !slices.Equal(got, []string{"+1"}) {
		t.Errorf("Reactions on the same ts in another channel = %q, %v", got, err)
	}
}
