package slack_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
)

// fuzzPaths are the Slack endpoints FuzzSlackEndpoints sends to.
var fuzzPaths = []string{"/slack/events", "/slack/interactions", "/slack/commands"}

// FuzzSlackEndpoints sends signed, random bodies with random content types
// to the three Slack endpoints. Whatever arrives correctly signed, the
// answer is never a 5xx (gin.Recovery turns a panic into a 500).
//
//	go test ./bot -run '^$' -fuzz FuzzSlackEndpoints -fuzztime 10s
func FuzzSlackEndpoints(f *testing.F) {
	h := newHarness(f, storetest.Databases(f)[0].URL(f))
	card, pay, _ := h.create(dave, createText)
	add := func(r slacktest.Request) {
		for i, p := range fuzzPaths {
			if p == r.Path {
				f.Add(uint8(i), r.ContentType, r.Body)
			}
		}
	}
	add(slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: "status R-1"}.Request())
	add(slacktest.SlashCommand{UserID: alice, ChannelID: relChan, Text: `reject R-1 "no"`}.Request())
	add(slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: "create x v1 --at \"2026-12-01 14:00\""}.Request())
	add(slacktest.Reaction{EventID: "EvF1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS}.Request())
	add(slacktest.Reaction{EventID: "EvF2", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS, Removed: true, Retry: 1}.Request())
	add(slacktest.URLVerification("challenge"))
	add(slacktest.BlockAction{UserID: alice, Channel: payChan, MessageTS: pay.PostedTS, ActionID: "approve", Value: "1|payments"}.Request())
	add(slacktest.BlockAction{UserID: dave, Channel: relChan, MessageTS: card.PostedTS, ActionID: "promote", Value: "1"}.Request())
	f.Add(uint8(0), slacktest.JSONType, []byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"reaction_added","item":{"type":"file"}}}`))
	f.Add(uint8(0), slacktest.JSONType, []byte(`{"type":"event_callback","event_id":"Ev2","event":null}`))
	f.Add(uint8(0), slacktest.JSONType, []byte(`{"type":"app_rate_limited"}`))
	f.Add(uint8(1), slacktest.FormType, []byte("payload="+url.QueryEscape(`{"type":"view_submission","user":{"id":"U0ALICE"}}`)))
	f.Add(uint8(1), slacktest.FormType, []byte("payload="+url.QueryEscape(`{"type":"block_actions","user":{"id":"U0ALICE"},"actions":[]}`)))
	f.Add(uint8(2), slacktest.FormType, []byte("user_id=U0DAVE&channel_id=C0RELEASES&text=%00%ff"))
	f.Add(uint8(2), "text/plain; charset=utf-8", []byte("user_id=U0DAVE"))
	f.Fuzz(func(t *testing.T, path uint8, contentType string, body []byte) {
		r := slacktest.Request{Path: fuzzPaths[int(path)%len(fuzzPaths)], ContentType: contentType, Body: body}
		req := h.signer.New("", r)
		if contentType == "" {
			req.Header.Del("Content-Type")
		}
		w := h.serve(req)
		if w.Code >= http.StatusInternalServerError {
			t.Fatalf("%s %q %q: HTTP %d %s", r.Path, contentType, body, w.Code, w.Body.String())
		}
	})
}
