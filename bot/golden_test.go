package bot_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/releasebot/releasebot/bot/slacktest"
)

// TestSlackGolden pins the Block Kit JSON of a release's card, a team's
// sign-off request and the status reply, exactly as they go to Slack, for a
// fixed release at a fixed time. UPDATE=1 go test ./bot/ rewrites them.
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
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, got)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <@U0DAVE> readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden.json")
	if os.Getenv("UPDATE") != "" {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run UPDATE=1 go test ./bot/ to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from %s (UPDATE=1 go test ./bot/ accepts it):\n%s", name, path, buf.Bytes())
	}
}
