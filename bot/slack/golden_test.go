package slack_test

import (
	"encoding/json"
	"testing"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	goldenfile "github.com/releasebot/releasebot/internal/golden"
)

// TestSlackGolden pins the Block Kit JSON of a release's card, a team's
// sign-off request and the status reply, exactly as they go to Slack, for a
// fixed release at a fixed time. UPDATE=1 go test ./bot/slack/ rewrites them.
func TestSlackGolden(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		card, pay, _ := h.create(dave, createText)
		golden(t, "card", message(card))
		golden(t, "signoff-request", message(pay))

		h.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS})
		h.flush()
		w := h.send(slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: "status R-1",
			ResponseURL: h.slack.NewResponseURL()}.Request())
		golden(t, "status", w.Body.Bytes())

		m, _ := h.slack.Message(relChan, card.PostedTS)
		golden(t, "card-signed-off", message(slacktest.Call{Text: m.Text, Blocks: m.Blocks}))
	})
}

// message is what a chat call sent: its text and blocks.
func message(c slacktest.Call) []byte {
	b, err := json.Marshal(map[string]any{"text": c.Text, "blocks": c.Blocks})
	if err != nil {
		panic(err)
	}
	return b
}

// golden compares got, re-indented, with testdata/NAME.golden.json.
func golden(t *testing.T, name string, got []byte) { goldenfile.JSON(t, name, got) }
