package slack_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
)

// A status answered from what releasebot holds in memory is the answer
// the full path gives, and is given only to releasebot's own workspace:
// another workspace's status of a release held in memory still gets the
// note, and nothing else.
func TestStatusFromMemoryOnlyAtHome(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.create(dave, createText)
		status := func(team string) (int, string) {
			w := h.send(slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: "status R-1",
				ResponseURL: h.slack.NewResponseURL(), TeamID: team}.Request())
			return w.Code, w.Body.String()
		}
		_, first := status("")
		if !strings.Contains(first, "*R-1 · payments-api v2.4.0*") {
			t.Fatalf("status: %s", first)
		}
		for range 3 { // held in memory from the first on
			if _, again := status(""); again != first {
				t.Fatalf("asked again:\n%s\nfirst:\n%s", again, first)
			}
		}
		code, foreign := status("T0FOREIGN")
		if code != http.StatusOK || strings.Contains(foreign, "payments-api") || !strings.Contains(foreign, "another one") {
			t.Errorf("status from another workspace: HTTP %d %s, want the note alone", code, foreign)
		}
	})
}
