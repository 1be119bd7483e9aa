package slacktest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "slack", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Sign agrees with both published vectors: Slack's documented form body
// and slack-go's JSON event body.
func TestSignMatchesPublishedVectors(t *testing.T) {
	for _, name := range []string{"signing-example.json", "signing-slack-go-vector.json"} {
		t.Run(name, func(t *testing.T) {
			var v struct {
				Secret    string            `json:"signing_secret"`
				Timestamp string            `json:"timestamp"`
				Body      string            `json:"body"`
				Base      string            `json:"basestring"`
				Expected  string            `json:"expected_signature"`
				Headers   map[string]string `json:"headers"`
			}
			if err := json.Unmarshal(fixture(t, name), &v); err != nil {
				t.Fatal(err)
			}
			if got := Sign(v.Secret, v.Timestamp, []byte(v.Body)); got != v.Expected {
				t.Errorf("Sign = %s, want %s", got, v.Expected)
			}
			if v.Base != "" && v.Base != "v0:"+v.Timestamp+":"+v.Body {
				t.Errorf("the vector's basestring is not v0:ts:body")
			}
			// The Signer produces the vector's headers at the vector's time.
			req := Signer{Secret: v.Secret, Now: func() time.Time { return unix(t, v.Timestamp) }}.New("",
				Request{Path: "/slack/events", ContentType: JSONType, Body: []byte(v.Body)})
			for k, want := range v.Headers {
				if got := req.Header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			// slack-go's verifier, which the bot uses, accepts it.
			sv, err := slack.NewSecretsVerifier(req.Header, v.Secret)
			if err != slack.ErrExpiredTimestamp {
				t.Fatalf("a %s-old request: %v, want ErrExpiredTimestamp", time.Since(unix(t, v.Timestamp)).Round(time.Hour), err)
			}
			fresh := Signer{Secret: v.Secret}.New("", Request{Path: "/slack/events", ContentType: JSONType, Body: []byte(v.Body)})
			if sv, err = slack.NewSecretsVerifier(fresh.Header, v.Secret); err != nil {
				t.Fatal(err)
			}
			sv.Write([]byte(v.Body))
			if err := sv.Ensure(); err != nil {
				t.Errorf("slack-go refuses the signature: %v", err)
			}
		})
	}
}

func unix(t *testing.T, ts string) time.Time {
	var sec int64
	if err := json.Unmarshal([]byte(ts), &sec); err != nil {
		t.Fatal(err)
	}
	return time.Unix(sec, 0)
}

// keys lists the key paths of a JSON document: "event.item.ts", …
func keys(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				out = append(out, prefix+k)
				walk(prefix+k+".", x)
			}
		case []any:
			for _, x := range v {
				walk(prefix+"[].", x)
			}
		}
	}
	walk("", v)
	sort.Strings(out)
	return slices.Compact(out)
}

func TestRequestsHaveSlacksShapes(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		ours    []byte
		// differ are key paths the fixture has and ours may lack: a button
		// in an attachment has an attachment_id, a message block none.
		differ []string
	}{
		{name: "reaction_added", fixture: "event-reaction-added.json",
			ours: Reaction{EventID: "Ev1", User: "U1", Reaction: "x", Channel: "C1", TS: "1.2"}.Request().Body},
		{name: "reaction_removed", fixture: "event-reaction-removed.json",
			ours: Reaction{EventID: "Ev1", Removed: true, User: "U1", Reaction: "x", Channel: "C1", TS: "1.2"}.Request().Body},
		{name: "url_verification", fixture: "event-url-verification.json", ours: URLVerification("c").Body},
		{name: "block_actions", fixture: "interaction-block-actions.json",
			ours:   BlockAction{UserID: "U1", Channel: "C1", MessageTS: "1.2", ActionID: "approve", Value: "1|payments"}.Payload(),
			differ: []string{"container.attachment_id", "container.is_app_unfurl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, got := keys(t, fixture(t, tt.fixture)), keys(t, tt.ours)
			for _, k := range want {
				if !slices.Contains(got, k) && !slices.Contains(tt.differ, k) {
					t.Errorf("ours lacks %s", k)
				}
			}
			for _, k := range got {
				if !slices.Contains(want, k) {
					t.Errorf("ours has %s, which Slack's doesn't", k)
				}
			}
		})
	}

	// slack-go parses ours as it parses Slack's.
	ev, err := slackevents.ParseEvent(Reaction{EventID: "Ev1", User: "U1", Reaction: "x", Channel: "C1", TS: "1.2"}.Request().Body,
		slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); !ok || cb.EventID != "Ev1" {
		t.Errorf("event: %#v", ev.Data)
	}
	if re, ok := ev.InnerEvent.Data.(*slackevents.ReactionAddedEvent); !ok || re.Item.Timestamp != "1.2" || re.User != "U1" {
		t.Errorf("inner event: %#v", ev.InnerEvent.Data)
	}
	req := Signer{Secret: "s"}.New("", BlockAction{UserID: "U1", Channel: "C1", MessageTS: "1.2", ActionID: "approve", Value: "1|payments"}.Request())
	ic, err := slack.InteractionCallbackParse(req)
	if err != nil {
		t.Fatal(err)
	}
	if ic.Container.Type != "message" || ic.Container.MessageTs != "1.2" || ic.User.ID != "U1" ||
		len(ic.ActionCallback.BlockActions) != 1 || ic.ActionCallback.BlockActions[0].Value != "1|payments" {
		t.Errorf("interaction: %+v", ic)
	}
}

func TestSlashCommandHasSlacksFields(t *testing.T) {
	var want []string
	for _, f := range strings.Split(string(fixture(t, "slash-command.form")), "&") {
		k, _, _ := strings.Cut(f, "=")
		want = append(want, k)
	}
	r := SlashCommand{UserID: "U1", ChannelID: "C1", Text: `create a v1 --notes "x & y"`, ResponseURL: "https://hooks.slack.com/commands/1/2"}.Request()
	var got []string
	for _, f := range strings.Split(string(r.Body), "&") {
		k, _, _ := strings.Cut(f, "=")
		got = append(got, k)
	}
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want Slack's %v", got, want)
	}
	req := Signer{Secret: "s"}.New("", r)
	sc, err := slack.SlashCommandParse(req)
	if err != nil || sc.Text != `create a v1 --notes "x & y"` || sc.UserID != "U1" || sc.Command != "/release" {
		t.Errorf("%v %+v", err, sc)
	}
	if vals, err := url.ParseQuery(string(fixture(t, "slash-command.form"))); err != nil || vals.Get("command") != "/weather" {
		t.Errorf("fixture: %v %v", err, vals)
	}
}

// The fake answers as Slack does: a success like
// chat-postMessage-response.json, an error like
// chat-postMessage-error-response.json and a 429 like ratelimited-429.txt.
func TestFakeAnswersLikeSlack(t *testing.T) {
	s := New(t)
	post := func() *http.Response {
		resp, err := http.PostForm(s.URL+"/chat.postMessage", url.Values{"token": {"xoxb-1"}, "channel": {"C1"}, "text": {"hi"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	body := func(resp *http.Response) []byte { b, _ := io.ReadAll(resp.Body); return b }

	ok := body(post())
	for _, k := range []string{"ok", "channel", "ts", "message", "message.text", "message.ts", "message.type", "message.subtype", "message.bot_id"} {
		if !slices.Contains(keys(t, ok), k) {
			t.Errorf("success lacks %s: %s", k, ok)
		}
	}
	for _, k := range keys(t, ok) {
		if !slices.Contains(keys(t, fixture(t, "chat-postMessage-response.json")), k) {
			t.Errorf("success has %s, which Slack's doesn't", k)
		}
	}

	s.FailNext(1, ChannelNotFound)
	if got := body(post()); !slices.Equal(keys(t, got), keys(t, fixture(t, "chat-postMessage-error-response.json"))) ||
		!bytes.Contains(got, []byte(`"channel_not_found"`)) {
		t.Errorf("error: %s", got)
	}

	want, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(fixture(t, "ratelimited-429.txt"))), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.FailNext(1, RateLimited)
	got := post()
	if got.StatusCode != want.StatusCode || got.Header.Get("Retry-After") != "1" {
		t.Errorf("429: %d Retry-After %q", got.StatusCode, got.Header.Get("Retry-After"))
	}
	var a, b map[string]any
	json.Unmarshal(body(got), &a)
	json.Unmarshal(body(want), &b)
	if a["error"] != b["error"] || a["ok"] != false {
		t.Errorf("429 body %v, want %v", a, b)
	}

	// Every ts is new and later than the last.
	var last string
	for _, c := range s.Delivered(PostMessage) {
		if c.PostedTS <= last {
			t.Errorf("ts %s after %s", c.PostedTS, last)
		}
		last = c.PostedTS
	}
	if n := len(s.Calls()); n != 3 {
		t.Errorf("recorded %d calls, want 3", n)
	}
}

// auth.test names the app of the token; another app's messages carry its
// own bot_id and user in conversations.history.
func TestFakeKnowsWhoPosted(t *testing.T) {
	s := New(t)
	s.Token = "xoxb-rb"
	other := App{TeamID: TeamID, UserID: "U0OTHER", BotID: "B0OTHER"}
	s.AddApp("xoxb-other", other)
	for _, tt := range []struct {
		name, token string
		want        App
	}{
		{name: "releasebot", token: "xoxb-rb", want: Releasebot},
		{name: "another app", token: "xoxb-other", want: other},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := slack.New(tt.token, slack.OptionAPIURL(s.URL+"/"))
			id, err := api.AuthTest()
			if err != nil || id.TeamID != tt.want.TeamID || id.UserID != tt.want.UserID || id.BotID != tt.want.BotID {
				t.Fatalf("auth.test = %+v, %v; want %+v", id, err, tt.want)
			}
			_, ts, err := api.PostMessage("C1", slack.MsgOptionText("hi", false))
			if err != nil {
				t.Fatal(err)
			}
			h, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", Latest: ts, Oldest: ts, Inclusive: true})
			if err != nil || len(h.Messages) != 1 || h.Messages[0].BotID != tt.want.BotID || h.Messages[0].User != tt.want.UserID {
				t.Errorf("history: %+v, %v", h, err)
			}
		})
	}
	if _, err := slack.New("xoxb-nobody", slack.OptionAPIURL(s.URL+"/")).AuthTest(); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("auth.test with an unknown token: %v", err)
	}
	if n := s.AuthTests(); n != 3 || len(s.Calls()) != 4 {
		t.Errorf("%d auth.test calls and %d others recorded, want 3 apart from the 4 others", n, len(s.Calls()))
	}
}
