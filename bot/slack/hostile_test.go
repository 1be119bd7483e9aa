package slack_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
)

// TestSlackHostileInput sends requests no honest Slack sends. Each gets the
// right 4xx, or a clean ephemeral error, and changes nothing; none panics.
func TestSlackHostileInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		// One release to aim at, with its messages sent.
		_, pay, _ := h.create(dave, createText)
		hook := h.slack.NewResponseURL()
		slash := func(text string) slacktest.Request {
			return slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: text, ResponseURL: hook}.Request()
		}
		form := func(path, body string) slacktest.Request {
			return slacktest.Request{Path: path, ContentType: slacktest.FormType, Body: []byte(body)}
		}
		asJSON := func(path, body string) slacktest.Request {
			return slacktest.Request{Path: path, ContentType: slacktest.JSONType, Body: []byte(body)}
		}
		withType := func(r slacktest.Request, ct string) slacktest.Request { r.ContentType = ct; return r }
		press := func(actionID, value string) slacktest.Request {
			return slacktest.BlockAction{UserID: alice, Channel: payChan, MessageTS: pay.PostedTS, ActionID: actionID,
				Value: value, ResponseURL: hook}.Request()
		}
		huge := bytes.Repeat([]byte("a"), 1<<20+1)
		tests := []struct {
			name string
			req  slacktest.Request
			// want is the HTTP status; for 200 answers to commands, the
			// ephemeral text must contain wantText.
			want     int
			wantText string
			// note: a button's refusal, sent through response_url.
			wantNote string
		}{
			{name: "oversized command", req: form("/slack/commands", "text="+string(huge)), want: http.StatusRequestEntityTooLarge},
			{name: "oversized event", req: asJSON("/slack/events", `{"type":"`+string(huge)+`"}`), want: http.StatusRequestEntityTooLarge},
			{name: "oversized interaction", req: form("/slack/interactions", "payload="+string(huge)), want: http.StatusRequestEntityTooLarge},
			{name: "command as JSON", req: withType(slash("create evil v1"), slacktest.JSONType), want: http.StatusUnsupportedMediaType},
			{name: "command as text/plain", req: withType(slash("create evil v1"), "text/plain"), want: http.StatusUnsupportedMediaType},
			{name: "command without a content type", req: withType(slash("create evil v1"), ""), want: http.StatusUnsupportedMediaType},
			{name: "event as a form", req: form("/slack/events", "type=url_verification&challenge=x"), want: http.StatusUnsupportedMediaType},
			{name: "interaction as JSON", req: withType(press("approve", "1|payments"), slacktest.JSONType), want: http.StatusUnsupportedMediaType},
			{name: "malformed form", req: form("/slack/commands", "user_id=U0DAVE&channel_id=C1&text=%zz"), want: http.StatusBadRequest},
			{name: "command without a user", req: form("/slack/commands", "channel_id=C0RELEASES&command=%2Frelease&text=create+evil+v1"), want: http.StatusBadRequest},
			{name: "empty command body", req: form("/slack/commands", ""), want: http.StatusBadRequest},
			{name: "malformed JSON event", req: asJSON("/slack/events", `{"type":"event_callback","event":`), want: http.StatusBadRequest},
			{name: "JSON that is not an object", req: asJSON("/slack/events", `["event_callback"]`), want: http.StatusBadRequest},
			{name: "event callback without an id", req: asJSON("/slack/events",
				`{"type":"event_callback","event":{"type":"reaction_added","user":"U0ALICE","reaction":"x","item":{"type":"message","channel":"C0PAY","ts":"`+pay.PostedTS+`"}}}`),
				want: http.StatusBadRequest},
			{name: "unknown event type", req: asJSON("/slack/events", `{"type":"something_new","event_id":"Ev9"}`), want: http.StatusOK},
			{name: "unknown inner event", req: asJSON("/slack/events", `{"type":"event_callback","event_id":"Ev10","event":{"type":"app_uninstalled"}}`), want: http.StatusOK},
			{name: "interaction without payload", req: form("/slack/interactions", "foo=bar"), want: http.StatusBadRequest},
			{name: "interaction payload not JSON", req: form("/slack/interactions", "payload=%7Bnot+json"), want: http.StatusBadRequest},
			{name: "interaction without a user", req: form("/slack/interactions", "payload="+url.QueryEscape(`{"type":"block_actions","actions":[{"action_id":"reject","value":"1|payments"}]}`)), want: http.StatusBadRequest},
			{name: "view submission", req: form("/slack/interactions", "payload="+url.QueryEscape(`{"type":"view_submission","user":{"id":"U0ALICE"}}`)), want: http.StatusOK},
			{name: "button value garbage", req: press("reject", "'; DROP TABLE releases;--"), want: http.StatusOK},
			{name: "button for an unknown release", req: press("reject", "99|payments"), want: http.StatusOK, wantNote: "There is no release R-99."},
			{name: "button for an unknown team", req: press("reject", "1|ops"), want: http.StatusOK, wantNote: "doesn't need ops' sign-off"},
			{name: "unknown button", req: press("delete_everything", "1|payments"), want: http.StatusOK},
			{name: "NUL in text", req: slash("create evil\x00 v1"), want: http.StatusOK, wantText: "control character U+0000"},
			{name: "escape sequence in text", req: slash("create \x1b[31mevil v1"), want: http.StatusOK, wantText: "control character U+001B"},
			{name: "invalid UTF-8", req: form("/slack/commands", "team_id="+slacktest.TeamID+"&user_id=U0DAVE&channel_id=C0RELEASES&text=create+%FF%FE+v1"), want: http.StatusOK, wantText: "not valid UTF-8"},
			{name: "unicode service name", req: slash("create paymënts-api 🚀"), want: http.StatusOK, wantText: "is not a service name"},
			{name: "right-to-left override", req: slash("create payments\u202e-api v1"), want: http.StatusOK, wantText: "U+202E (RIGHT-TO-LEFT OVERRIDE)"},
			{name: "SQL in a service name", req: slash(`create "x'); DROP TABLE releases;--" v1`), want: http.StatusOK, wantText: "is not a service name"},
			{name: "SQL in a release id", req: slash("status R-1' OR '1'='1"), want: http.StatusOK, wantText: "Usage:"},
			{name: "SQL in a status filter", req: slash("list --status \"deployed' OR 1=1 --\""), want: http.StatusOK, wantText: "Unknown status"},
			{name: "huge release number", req: slash("status R-99999999999999999999999"), want: http.StatusOK, wantText: "R-"},
			{name: "too long text", req: slash("create a v1 --notes \"" + strings.Repeat("x", 5000) + "\""), want: http.StatusOK, wantText: "too long"},
			{name: "unbalanced quote", req: slash(`create a v1 --notes "open`), want: http.StatusOK, wantText: "Usage:"},
			{name: "mention instead of a team", req: slash("approve R-1 --team <@U0ALICE>"), want: http.StatusOK, wantText: "doesn't need"},
		}
		audit, count := len(h.audit(1)), h.count()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				calls := len(h.slack.Calls())
				w := h.send(tt.req)
				if w.Code != tt.want {
					t.Fatalf("HTTP %d, want %d: %.300s", w.Code, tt.want, w.Body)
				}
				if tt.wantText != "" {
					if !strings.Contains(w.Body.String(), `"response_type":"ephemeral"`) || !strings.Contains(w.Body.String(), tt.wantText) {
						t.Errorf("answer is not an ephemeral error mentioning %q: %.500s", tt.wantText, w.Body)
					}
					if strings.Contains(w.Body.String(), "Internal error") {
						t.Errorf("hostile text caused an internal error: %s", w.Body)
					}
				}
				h.flush()
				got := h.slack.Calls()[calls:]
				switch {
				case tt.wantNote == "" && len(got) != 0:
					t.Errorf("Slack was called: %v", got)
				case tt.wantNote != "" && (len(got) != 1 || got[0].Method != slacktest.ResponseURL || !strings.Contains(got[0].Text, tt.wantNote)):
					t.Errorf("want one note mentioning %q, got %v", tt.wantNote, got)
				}
				if n := h.count(); n != count {
					t.Errorf("%d releases, want %d", n, count)
				}
				if n := len(h.audit(1)); n != audit {
					t.Errorf("R-1's audit grew from %d to %d events", audit, n)
				}
			})
		}
	})
}
