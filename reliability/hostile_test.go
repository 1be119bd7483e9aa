package reliability

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

// TestHostileRequests sends requests no honest Slack or deployer sends to a
// running serve: each gets the right 4xx, or for text a clean ephemeral
// error, and changes nothing (the API's answer and Slack's messages are the
// same before and after).
func TestHostileRequests(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			st := newStack(t, db.URL(t))
			id, reqs := st.create("create payments-api v2.0.0")
			hook := st.fake.NewResponseURL()
			slash := func(text string) slacktest.Request {
				return slacktest.SlashCommand{UserID: dave, UserName: "dave", ChannelID: relChan, Text: text, ResponseURL: hook}.Request()
			}
			raw := func(path, ct, body string) slacktest.Request {
				return slacktest.Request{Path: path, ContentType: ct, Body: []byte(body)}
			}
			withHeader := func(r slacktest.Request, k, v string) slacktest.Request {
				r.Header = http.Header{k: {v}}
				return r
			}
			huge := strings.Repeat("a", 1<<20+1)
			react := slacktest.Reaction{EventID: "EvHOSTILE", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: reqs[payChan].PostedTS}.Request()
			type tc struct {
				name     string
				req      slacktest.Request
				signer   *slacktest.Signer // nil: the right secret, now
				want     int
				wantText string // for 200 answers: the ephemeral text contains it
			}
			stale := slacktest.Signer{Secret: signingSecret, Now: func() time.Time { return time.Now().Add(-6 * time.Minute) }}
			future := slacktest.Signer{Secret: signingSecret, Now: func() time.Time { return time.Now().Add(6 * time.Minute) }}
			wrong := slacktest.Signer{Secret: "not-the-secret"}
			tests := []tc{
				{name: "command with a bad signature", req: withHeader(slash("approve "+id), "X-Slack-Signature", "v0=deadbeef"), want: 401},
				{name: "reaction with a bad signature", req: withHeader(react, "X-Slack-Signature", "v0="+strings.Repeat("0", 64)), want: 401},
				{name: "command signed with another secret", req: slash("approve " + id), signer: &wrong, want: 401},
				{name: "reaction signed with another secret", req: react, signer: &wrong, want: 401},
				{name: "command without a signature", req: withHeader(slash("approve "+id), "X-Slack-Signature", ""), want: 401},
				{name: "command without a timestamp", req: withHeader(slash("approve "+id), "X-Slack-Request-Timestamp", ""), want: 401},
				{name: "stale command", req: slash("approve " + id), signer: &stale, want: 401},
				{name: "command from the future", req: slash("approve " + id), signer: &future, want: 401},
				{name: "stale reaction", req: react, signer: &stale, want: 401},
				{name: "stale interaction", req: slacktest.BlockAction{UserID: alice, Channel: payChan, MessageTS: reqs[payChan].PostedTS,
					ActionID: "approve", Value: "x", ResponseURL: hook}.Request(), signer: &stale, want: 401},
				{name: "oversized command", req: raw("/slack/commands", slacktest.FormType, "text="+huge), want: 413},
				{name: "oversized event", req: raw("/slack/events", slacktest.JSONType, `{"type":"`+huge+`"}`), want: 413},
				{name: "oversized interaction", req: raw("/slack/interactions", slacktest.FormType, "payload="+huge), want: 413},
				{name: "command as JSON", req: raw("/slack/commands", slacktest.JSONType, `{"text":"approve `+id+`"}`), want: 415},
				{name: "event as a form", req: raw("/slack/events", slacktest.FormType, "type=url_verification&challenge=x"), want: 415},
				{name: "interaction as JSON", req: raw("/slack/interactions", slacktest.JSONType, `{"type":"block_actions"}`), want: 415},
				{name: "command as multipart", req: raw("/slack/commands", "multipart/form-data; boundary=x", "--x--"), want: 415},
				{name: "malformed form", req: raw("/slack/commands", slacktest.FormType, "user_id=U0DAVE&text=%zz"), want: 400},
				{name: "empty command", req: raw("/slack/commands", slacktest.FormType, ""), want: 400},
				{name: "malformed JSON event", req: raw("/slack/events", slacktest.JSONType, `{"type":"event_callback","event":`), want: 400},
				{name: "JSON array event", req: raw("/slack/events", slacktest.JSONType, `["event_callback"]`), want: 400},
				{name: "event callback without an id", req: raw("/slack/events", slacktest.JSONType, `{"type":"event_callback","event":{"type":"reaction_added","user":"U0ALICE","reaction":"x","item":{"type":"message","channel":"C0PAY","ts":"`+reqs[payChan].PostedTS+`"}}}`), want: 400},
				{name: "interaction that is not JSON", req: raw("/slack/interactions", slacktest.FormType, "payload=%7Bnope"), want: 400},
				{name: "interaction without a payload", req: raw("/slack/interactions", slacktest.FormType, "foo=bar"), want: 400},
				{name: "SQL in a status", req: slash("status '; DROP TABLE releases; --"), want: 200, wantText: "R-"},
				{name: "SQL in an approve", req: slash("approve " + id + "'; DELETE FROM signoffs; --"), want: 200, wantText: "R-"},
				{name: "SQL as a release id", req: slash("cancel R-1' OR '1'='1"), want: 200, wantText: ""},
				{name: "SQL as a list filter", req: slash("list --status \"deployed' OR '1'='1\""), want: 200, wantText: ""},
				{name: "control characters", req: slash("approve \x00\x1b[31m" + id + "\r\n"), want: 200, wantText: ""},
				{name: "bidi and zero-width", req: slash("appr\u200bove \u202e" + id), want: 200, wantText: ""},
				{name: "invalid UTF-8", req: slash("approve \xff\xfe" + id), want: 200, wantText: ""},
				{name: "reaction by someone who leads nothing", req: slacktest.Reaction{EventID: "EvDAVE", User: dave, Reaction: "white_check_mark",
					Channel: payChan, TS: reqs[payChan].PostedTS}.Request(), want: 200},
				{name: "reaction on a message that is not the bot's", req: slacktest.Reaction{EventID: "EvOTHER", User: alice, Reaction: "white_check_mark",
					Channel: payChan, TS: "1111.2222"}.Request(), want: 200},
			}
			before := st.snapshot(id)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					sg := slacktest.Signer{Secret: signingSecret}
					if tt.signer != nil {
						sg = *tt.signer
					}
					req := sg.New(st.srv.base, tt.req)
					for k, v := range tt.req.Header {
						if v[0] == "" {
							req.Header.Del(k)
						}
					}
					code, body, err := do(req)
					if err != nil {
						t.Fatal(err)
					}
					if code != tt.want {
						t.Errorf("HTTP %d %.200s, want %d", code, body, tt.want)
					}
					if tt.want == 200 && tt.req.Path == "/slack/commands" {
						var m struct {
							ResponseType string `json:"response_type"`
							Text         string `json:"text"`
						}
						json.Unmarshal([]byte(body), &m)
						if m.ResponseType != "ephemeral" || !strings.Contains(m.Text, tt.wantText) {
							t.Errorf("answer %.300s, want an ephemeral error", body)
						}
						if strings.Contains(strings.ToLower(m.Text), "internal error") || strings.Contains(m.Text, "SQL") {
							t.Errorf("answer %.300s", body)
						}
					}
				})
			}
			// Deployer callbacks that are not the deployer's.
			cb := func(path string, body []byte, h http.Header) int {
				req, _ := http.NewRequest(http.MethodPost, st.srv.base+path, bytes.NewReader(body))
				req.Header = h
				code, _, err := do(req)
				if err != nil {
					t.Fatal(err)
				}
				return code
			}
			signedH := func(key []byte, ts time.Time, body []byte) http.Header {
				h := http.Header{"Content-Type": {"application/json"}}
				webhooks.SetHeaders(h, key, "msg_hostile", ts, body)
				return h
			}
			ok := []byte(`{"status":"succeeded"}`)
			for _, c := range []struct {
				name string
				path string
				body []byte
				h    http.Header
				want int
			}{
				{"callback for an unknown deployment", "/webhooks/deployments/D-999/status", ok, signedH([]byte(stagingSecret), time.Now(), ok), 404},
				{"callback with a SQL id", "/webhooks/deployments/D-1';DROP%20TABLE%20deployments;--/status", ok, signedH([]byte(stagingSecret), time.Now(), ok), 404},
				{"oversized callback", "/webhooks/deployments/D-1/status", bytes.Repeat([]byte("a"), 65<<10), http.Header{}, 413},
			} {
				if got := cb(c.path, c.body, c.h); got != c.want {
					t.Errorf("%s: HTTP %d, want %d", c.name, got, c.want)
				}
			}
			time.Sleep(300 * time.Millisecond) // anything the requests set off has been relayed
			if after := st.snapshot(id); after != before {
				t.Errorf("hostile requests changed something:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// snapshot is what hostile input must not change: the API's view of every
// release and the messages in Slack's channels and threads.
func (st *stack) snapshot(id string) string {
	st.t.Helper()
	_, list, err := st.srv.get("/api/releases")
	if err != nil {
		st.t.Fatal(err)
	}
	_, one, _ := st.srv.get("/api/releases/" + id)
	var posts []string
	for _, c := range st.fake.Delivered(slacktest.PostMessage) {
		posts = append(posts, c.Channel+"/"+c.ThreadTS+": "+c.Text)
	}
	return list + "\n" + one + "\n" + strings.Join(posts, "\n")
}
