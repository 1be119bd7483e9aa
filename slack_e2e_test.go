package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/internal/syncbuf"
)

// TestServeWithSlack runs `releasebot serve` with Slack on, against a fake
// Slack Web API: a signed /release create and a lead's ✅ come in over
// HTTP, and the card, both sign-off requests and the thread reply go out
// through the durable outbox.
func TestServeWithSlack(t *testing.T) {
	t.Chdir(t.TempDir()) // the demo configuration: payments (C0PAY) and risk (C0RISK)
	const secret, token = "8f742231b10e8888abcd99yyyzzz85a5", "xoxb-17-e2e"
	fake := slacktest.New(t)
	fake.Token = token
	addr, vars := heldAddr(t)
	vars["DATABASE_URL"] = "sqlite://serve.db"
	vars["SLACK_BOT_TOKEN"] = token
	vars["RELEASEBOT_DEMO"] = "1" // the demo configuration with Slack on, on purpose
	vars["SLACK_SIGNING_SECRET"] = secret
	vars["SLACK_API_URL"] = fake.URL + "/"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() { done <- run(ctx, []string{"serve"}, testEnv(vars), strings.NewReader(""), io.Discard, logs) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", logs.String())
		}
	}()
	base := "http://" + addr
	waitFor(t, base+"/healthz")
	signer := slacktest.Signer{Secret: secret}
	send := func(r slacktest.Request) string {
		t.Helper()
		resp, err := http.DefaultClient.Do(signer.New(base, r))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s", r.Path, resp.StatusCode, body)
		}
		return string(body)
	}
	// One deadline for all the waiting: the outbox is kicked by every
	// change, so each step takes milliseconds, not its 1 s poll.
	deadline := time.After(5 * time.Second)
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			select {
			case <-fake.Changed():
			case <-time.After(100 * time.Millisecond): // the fake's channel is renewed on each call
			case <-deadline:
				t.Fatalf("gave up waiting for %s; Slack saw %v", what, fake.Calls())
			}
		}
	}

	// A signed request with a bad signature is refused before anything.
	bad := signer.New(base, slacktest.SlashCommand{UserID: "U0DAVE", ChannelID: "C0REL", Text: "create x v1"}.Request())
	bad.Header.Set("X-Slack-Signature", "v0=00")
	if resp, err := http.DefaultClient.Do(bad); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a forged command: %v %v", err, resp)
	}

	answer := send(slacktest.SlashCommand{UserID: "U0DAVE", UserName: "dave", ChannelID: "C0REL", ChannelName: "releases",
		Text: "create payments-api v2.4.0", ResponseURL: fake.NewResponseURL()}.Request())
	if !strings.Contains(answer, `"response_type":"ephemeral"`) || !strings.Contains(answer, "Opened R-1") {
		t.Fatalf("create answered %s", answer)
	}
	waitUntil("the card and two requests", func() bool { return len(fake.Posts("")) == 3 })
	card, pay := fake.Posts("C0REL"), fake.Posts("C0PAY")
	if len(card) != 1 || len(pay) != 1 || len(fake.Posts("C0RISK")) != 1 {
		t.Fatalf("posts: %v", fake.Posts(""))
	}

	// alice leads payments; Slack delivers her ✅ twice.
	ev := slacktest.Reaction{EventID: "Ev0E2E", User: "U0ALICE", Reaction: "white_check_mark", Channel: "C0PAY", TS: pay[0].PostedTS}
	send(ev.Request())
	ev.Retry = 1
	send(ev.Request())
	waitUntil("the thread reply", func() bool { return len(fake.Replies(card[0].PostedTS)) > 0 })
	reply := fake.Replies(card[0].PostedTS)[0]
	if reply.Channel != "C0REL" || !strings.Contains(reply.Text, "<@U0ALICE> signed off for payments (1 of 1)") {
		t.Errorf("thread reply: %v %q", reply, reply.Text)
	}
	for _, c := range fake.Calls() {
		if c.Method != slacktest.ResponseURL && c.Token != token {
			t.Errorf("%v carried token %q", c, c.Token)
		}
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), token) {
		t.Errorf("a secret reached the log")
	}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer = syncbuf.Buffer
