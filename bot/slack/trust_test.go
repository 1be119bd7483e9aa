package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases"
)

// Another app in the workspace, which can post messages that look like
// releasebot's, metadata and all.
const decoyToken = "xoxb-decoy"

var decoyApp = slacktest.App{TeamID: slacktest.TeamID, UserID: "U0DECOYAPP", BotID: "B0DECOYAPP"}

// decoy posts text in channel as the other app, with metadata copied from
// a message releasebot sent (or tried to send), and returns its ts.
func (h *harness) decoy(channel string, metadata json.RawMessage) string {
	h.t.Helper()
	h.slack.AddApp(decoyToken, decoyApp)
	var md slackgo.SlackMetadata
	if err := json.Unmarshal(metadata, &md); err != nil || md.EventType == "" {
		h.t.Fatalf("metadata %s: %v", metadata, err)
	}
	api := slackgo.New(decoyToken, slackgo.OptionAPIURL(h.slack.URL+"/"))
	_, ts, err := api.PostMessage(channel, slackgo.MsgOptionText("Sign-off needed: R-1 — react ✅", false), slackgo.MsgOptionMetadata(md))
	if err != nil {
		h.t.Fatal(err)
	}
	return ts
}

// Only releasebot's own messages are releasebot's: another app's message
// whose metadata imitates a sign-off request's tag is not adopted, and a
// ✅ on it counts for nothing.
func TestSlackDecoyRequestOfAnotherAppDoesNotCount(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		_, pay, _ := h.create(dave, createText)
		real, _ := h.slack.Message(payChan, pay.PostedTS)
		ts := h.decoy(payChan, real.Metadata)
		for _, tt := range []struct {
			name, itemUser string
		}{
			// What Slack says: the message is the other app's.
			{name: "item_user of the other app", itemUser: decoyApp.UserID},
			// Even if an event claimed otherwise, the message's bot_id is read.
			{name: "item_user claiming releasebot", itemUser: slacktest.Releasebot.UserID},
		} {
			t.Run(tt.name, func(t *testing.T) {
				h.react(slacktest.Reaction{EventID: "Ev" + tt.itemUser, User: alice, Reaction: "white_check_mark",
					Channel: payChan, TS: ts, ItemUser: tt.itemUser})
				if r := h.release(1); len(r.SignOffs) != 0 {
					t.Errorf("a ✅ on another app's decoy counted: %v", signoffs(r))
				}
				if _, err := h.store.FindPost(context.Background(), payChan, ts); err == nil {
					t.Errorf("the decoy was adopted as R-1's request")
				}
			})
		}
	})
}

// A reaction on a message releasebot didn't write costs no Web API call:
// Slack names the message's author (item_user) in the event.
func TestSlackReactionsOnPeoplesMessagesCallNoWebAPI(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.create(dave, createText)
		calls, auth := len(h.slack.Calls()), h.slack.AuthTests()
		for i := range 20 {
			h.react(slacktest.Reaction{EventID: fmt.Sprintf("EvPeople%d", i), User: alice, Reaction: "+1",
				Channel: payChan, TS: fmt.Sprintf("1764583200.%06d", i), ItemUser: bob})
		}
		if got := h.slack.Calls()[calls:]; len(got) != 0 {
			t.Errorf("20 👍 on people's messages made %d Web API calls: %v", len(got), got)
		}
		if n := h.slack.AuthTests() - auth; n != 0 {
			t.Errorf("20 👍 on people's messages made %d auth.test calls; releasebot's identity is asked once", n)
		}
	})
}

// A card whose post may have landed (a 500) is looked for before it is
// posted again; another app's message with the same tag is not it.
func TestSlackSenderDoesNotTakeADecoyForItsEarlierCopy(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.command(dave, relChan, createText)
		h.slack.FailNext(1, slacktest.ServerError) // the card's post: never made, maybe made
		h.flush()
		var tried slacktest.Call
		for _, c := range h.slack.Calls() {
			if c.Method == slacktest.PostMessage && c.Channel == relChan {
				tried = c
			}
		}
		if tried.Status != http.StatusInternalServerError {
			t.Fatalf("the card's post did not fail: %v", h.slack.Calls())
		}
		ts := h.decoy(relChan, tried.Metadata)
		h.clock.Advance(2 * time.Second)
		h.flush()
		posts, err := h.store.Posts(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range posts {
			if p.Kind != releases.PostCard {
				continue
			}
			if p.TS == ts {
				t.Fatalf("the decoy was taken for R-1's card")
			}
			if m, ok := h.slack.Message(p.Channel, p.TS); !ok || m.By != slacktest.Releasebot {
				t.Errorf("R-1's card is %+v, not releasebot's", m)
			}
			return
		}
		t.Errorf("R-1 has no card: %+v", posts)
	})
}

// Requests from another workspace change nothing: events and button
// presses are answered 200 (Slack must not retry them) and ignored, a
// slash command gets a note.
func TestSlackRequestsFromAnotherWorkspaceChangeNothing(t *testing.T) {
	const foreign = "T0FOREIGN"
	forEachDB(t, func(t *testing.T, h *harness) {
		_, pay, _ := h.create(dave, createText)
		calls, audit := len(h.slack.Calls()), len(h.audit(1))

		h.react(slacktest.Reaction{EventID: "EvForeign", User: alice, Reaction: "white_check_mark", Channel: payChan,
			TS: pay.PostedTS, TeamID: foreign})
		w := h.send(slacktest.BlockAction{UserID: alice, Channel: payChan, MessageTS: pay.PostedTS, ActionID: "approve",
			Value: buttonValue(t, pay, "approve"), ResponseURL: h.slack.NewResponseURL(), TeamID: foreign}.Request())
		if w.Code != http.StatusOK {
			t.Errorf("button from another workspace: HTTP %d, want 200", w.Code)
		}
		if r := h.command(alice, relChan, "create ledger v1.0.0"); !strings.HasPrefix(r.Text, "Opened R-2") {
			t.Fatalf("the same command from this workspace: %q", r.Text)
		}
		w = h.send(slacktest.SlashCommand{UserID: alice, ChannelID: relChan, Text: "create ledger v1.0.0",
			ResponseURL: h.slack.NewResponseURL(), TeamID: foreign}.Request())
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"response_type":"ephemeral"`) ||
			!strings.Contains(w.Body.String(), "workspace") {
			t.Errorf("command from another workspace: HTTP %d %s, want an ephemeral note", w.Code, w.Body)
		}
		h.flush()
		if got := h.release(1); len(got.SignOffs) != 0 {
			t.Errorf("another workspace signed off: %v", signoffs(got))
		}
		if n := h.count(); n != 2 { // the one alice opened from this workspace
			t.Errorf("%d releases, want 2", n)
		}
		if n := len(h.audit(1)); n != audit {
			t.Errorf("R-1's audit grew from %d to %d", audit, n)
		}
		for _, c := range h.slack.Calls()[calls:] {
			if c.Method == slacktest.ResponseURL {
				t.Errorf("a note went to another workspace: %v", c)
			}
		}
	})
}

// Socket Mode envelopes from another workspace are acknowledged and
// ignored.
func TestSocketModeIgnoresAnotherWorkspace(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		b := startSocketMode(t, h, socketSetup{})
		_, pay, _ := b.create(dave, createText)
		b.react(slacktest.Reaction{EventID: "EvForeign", User: alice, Reaction: "white_check_mark", Channel: payChan,
			TS: pay.PostedTS, TeamID: "T0FOREIGN"})
		id := h.slack.Push(t, slacktest.BlockAction{UserID: alice, Channel: payChan, MessageTS: pay.PostedTS, ActionID: "approve",
			Value: buttonValue(t, pay, "approve"), TeamID: "T0FOREIGN"}.Envelope())
		h.slack.WaitAck(t, id)
		id = h.slack.Push(t, slacktest.SlashCommand{UserID: alice, ChannelID: relChan, Text: "create ledger v1.0.0",
			TeamID: "T0FOREIGN"}.Envelope())
		if ack := h.slack.WaitAck(t, id); !strings.Contains(string(ack.Payload), "workspace") {
			t.Errorf("ack of a command from another workspace: %s", ack.Payload)
		}
		if got := h.release(1); len(got.SignOffs) != 0 {
			t.Errorf("another workspace signed off: %v", signoffs(got))
		}
		if n := h.count(); n != 1 {
			t.Errorf("%d releases, want 1", n)
		}
	})
}

// When Slack can't say who releasebot is (auth.test fails), reactions
// still count on the requests it has on record, and one on a message it
// has no record of costs no Web API call: it adopts nothing it can't
// check is its own.
func TestSlackReactionsCountOnRecordsWithoutItsIdentity(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.slack.AuthTestDown = true
		_, pay, _ := h.create(dave, createText)
		calls := len(h.slack.Calls())
		h.react(slacktest.Reaction{EventID: "EvUnknown", User: alice, Reaction: "white_check_mark",
			Channel: payChan, TS: "1764583200.000001", ItemUser: slacktest.Releasebot.UserID})
		if got := h.slack.Calls()[calls:]; len(got) != 0 {
			t.Errorf("a ✅ on a message not on record made %d Web API calls without an identity: %v", len(got), got)
		}
		h.react(slacktest.Reaction{EventID: "EvKnown", User: alice, Reaction: "white_check_mark",
			Channel: payChan, TS: pay.PostedTS, ItemUser: slacktest.Releasebot.UserID})
		if r := h.release(1); len(r.SignOffs) != 1 || r.SignOffs[0].User != alice {
			t.Errorf("alice's ✅ on R-1's request without an identity: sign-offs %v, want hers", signoffs(r))
		}
		if n := h.slack.AuthTests(); n != 1 {
			t.Errorf("%d auth.test calls, want 1: a failure is not asked again for a minute", n)
		}
	})
}
