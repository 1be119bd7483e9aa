package slack_test

import (
	"strings"
	"testing"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
)

// A lead who reacted ✅ and 👍 and takes back only 👍 keeps the sign-off:
// the ✅ still shows. Removing the last approving reaction withdraws it,
// also after a restart (another replica).
func TestSlackSignOffStandsWhileAnApprovingReactionRemains(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		_, pay, _ := h.create(dave, createText)
		react := func(id, emoji string, removed bool) {
			t.Helper()
			h.react(slacktest.Reaction{EventID: id, User: alice, Reaction: emoji, Channel: payChan, TS: pay.PostedTS, Removed: removed})
		}
		react("Ev1", "white_check_mark", false)
		react("Ev2", "+1::skin-tone-3", false)
		react("Ev3", "+1::skin-tone-3", true)
		if r := h.release(1); len(r.Approvals("payments")) != 1 {
			t.Fatalf("removing 👍 while ✅ stays withdrew the sign-off: %v", signoffs(r))
		}
		if notes := h.slack.Delivered(slacktest.PostEphemeral); len(notes) != 0 {
			t.Errorf("notes on reactions that changed nothing: %v", notes)
		}
		h.start() // a restart: nothing of the reactions is in memory
		react("Ev4", "white_check_mark", true)
		if r := h.release(1); len(r.Approvals("payments")) != 0 {
			t.Fatalf("removing the last approving reaction kept the sign-off: %v", signoffs(r))
		}
		// Someone else's ✅ on the same message is theirs, not alice's.
		react("Ev5", "heavy_check_mark", false)
		h.react(slacktest.Reaction{EventID: "Ev6", User: bob, Reaction: "heavy_check_mark", Channel: payChan, TS: pay.PostedTS})
		h.react(slacktest.Reaction{EventID: "Ev7", User: bob, Reaction: "heavy_check_mark", Channel: payChan, TS: pay.PostedTS, Removed: true})
		if r := h.release(1); !strings.Contains(strings.Join(signoffs(r), ","), "payments:"+alice+":approved") {
			t.Fatalf("bob's removal took alice's sign-off: %v", signoffs(r))
		}
	})
}
