package slacktest

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// The fake serves conversations.history and conversations.replies from
// what was posted, as slack-go reads them: newest first in a channel, the
// parent then the replies in a thread, time ranges, pages, and message
// metadata only when asked for.
func TestFakeReadsBackWhatWasPosted(t *testing.T) {
	s := New(t)
	clock := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return clock }
	api := slack.New("xoxb-1", slack.OptionAPIURL(s.URL+"/"))
	ctx := context.Background()
	post := func(channel, thread, text string, md *slack.SlackMetadata) string {
		t.Helper()
		opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		if md != nil {
			opts = append(opts, slack.MsgOptionMetadata(*md))
		}
		_, ts, err := api.PostMessageContext(ctx, channel, opts...)
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Second)
		return ts
	}
	tag := slack.SlackMetadata{EventType: "releasebot_post", EventPayload: map[string]any{"entry": 7, "kind": "card"}}
	first := post("C1", "", "first", &tag)
	second := post("C1", "", "second", nil)
	reply1 := post("C1", first, "reply one", nil)
	reply2 := post("C1", first, "reply two", nil)
	post("C1", "", "third", nil)
	post("C2", "", "elsewhere", nil)
	if want := "1796119200.000000"; first != want {
		t.Errorf("first ts %s, want %s: the clock's time", first, want)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", first, slack.MsgOptionText("first, updated", false)); err != nil {
		t.Fatal(err)
	}

	texts := func(msgs []slack.Message) []string {
		var out []string
		for _, m := range msgs {
			out = append(out, m.Text)
		}
		return out
	}
	history := func(p slack.GetConversationHistoryParameters) *slack.GetConversationHistoryResponse {
		t.Helper()
		p.ChannelID = "C1"
		resp, err := api.GetConversationHistoryContext(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	all := history(slack.GetConversationHistoryParameters{})
	if got := texts(all.Messages); !slices.Equal(got, []string{"third", "second", "first, updated"}) {
		t.Errorf("history %q, want the top-level messages, newest first", got)
	}
	if md := all.Messages[2].Metadata; md.EventType != "" {
		t.Errorf("metadata %+v without include_all_metadata", md)
	}
	if m := all.Messages[2]; m.ReplyCount != 2 || m.ThreadTimestamp != first {
		t.Errorf("the thread's parent: reply_count %d thread_ts %q", m.ReplyCount, m.ThreadTimestamp)
	}
	withMD := history(slack.GetConversationHistoryParameters{IncludeAllMetadata: true})
	if md := withMD.Messages[2].Metadata; md.EventType != "releasebot_post" || md.EventPayload["entry"] != float64(7) {
		t.Errorf("metadata %+v, want what the post sent, kept by the update", md)
	}
	one := history(slack.GetConversationHistoryParameters{Latest: second, Oldest: second, Inclusive: true, Limit: 1})
	if got := texts(one.Messages); !slices.Equal(got, []string{"second"}) || one.HasMore {
		t.Errorf("latest=oldest=ts inclusive: %q (has_more %v), want that message alone", got, one.HasMore)
	}
	if got := texts(history(slack.GetConversationHistoryParameters{Oldest: first}).Messages); !slices.Equal(got, []string{"third", "second"}) {
		t.Errorf("oldest=first, exclusive: %q", got)
	}
	page1 := history(slack.GetConversationHistoryParameters{Limit: 2})
	page2 := history(slack.GetConversationHistoryParameters{Limit: 2, Cursor: page1.ResponseMetaData.NextCursor})
	if got := append(texts(page1.Messages), texts(page2.Messages)...); !page1.HasMore || page2.HasMore || len(got) != 3 || got[2] != "first, updated" {
		t.Errorf("pages of 2: %q, has_more %v then %v", got, page1.HasMore, page2.HasMore)
	}

	msgs, more, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1",
		Timestamp: first, IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(msgs); more || !slices.Equal(got, []string{"first, updated", "reply one", "reply two"}) {
		t.Errorf("replies %q, want the parent, then the replies in order", got)
	}
	if msgs[1].ThreadTimestamp != first || msgs[0].Metadata.EventType != "releasebot_post" {
		t.Errorf("replies: %+v", msgs)
	}
	msgs, _, _, err = api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1",
		Timestamp: first, Oldest: reply1})
	if got := texts(msgs); err != nil || !slices.Equal(got, []string{"first, updated", "reply two"}) {
		t.Errorf("replies after reply one: %q, %v", got, err)
	}
	if _, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1",
		Timestamp: reply2}); err == nil || err.Error() != "thread_not_found" {
		t.Errorf("replies of a reply: %v, want thread_not_found", err)
	}

	// Without channels:history, Slack says which scope is missing.
	s.RemoveScopes("channels:history")
	if _, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1"}); err == nil || err.Error() != "missing_scope" {
		t.Errorf("history without the scope: %v, want missing_scope", err)
	}
	if _, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: first}); err == nil || err.Error() != "missing_scope" {
		t.Errorf("replies without the scope: %v, want missing_scope", err)
	}
	resp, err := http.PostForm(s.URL+"/conversations.history", url.Values{"token": {"xoxb-1"}, "channel": {"C1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if got := keys(t, body); !slices.Equal(got, []string{"error", "needed", "ok", "provided"}) {
		t.Errorf("missing_scope answer has %v: %s", got, body)
	}
	if _, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "G1"}); err != nil {
		t.Errorf("a private channel needs groups:history, still granted: %v", err)
	}
}

// A success has the keys of Slack's documented conversations.history
// answer (slack-api-ref's example): ok, messages, has_more, pin_count and,
// when there is more, response_metadata.next_cursor.
func TestFakeHistoryHasSlacksShape(t *testing.T) {
	s := New(t)
	for _, text := range []string{"a", "b"} {
		if _, err := http.PostForm(s.URL+"/chat.postMessage", url.Values{"token": {"xoxb-1"}, "channel": {"C1"}, "text": {text}}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.PostForm(s.URL+"/conversations.history", url.Values{"token": {"xoxb-1"}, "channel": {"C1"}, "limit": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got := keys(t, body)
	for _, k := range []string{"ok", "messages", "messages.[].type", "messages.[].text", "messages.[].ts", "has_more", "pin_count",
		"response_metadata", "response_metadata.next_cursor"} {
		if !slices.Contains(got, k) {
			t.Errorf("history lacks %s: %s", k, body)
		}
	}
}
