package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

const appToken = "xapp-1-A0RELEASEBOT-1-test"

// runClient runs slack-go's Socket Mode client against s until the test
// ends, and returns its events.
func runClient(t *testing.T, s *Server, opts ...slack.Option) *socketmode.Client {
	t.Helper()
	api := slack.New("xoxb-test", append([]slack.Option{slack.OptionAPIURL(s.URL + "/"), slack.OptionAppLevelToken(appToken)}, opts...)...)
	c := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.RunContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return c
}

// next returns the client's next event of type typ, skipping others.
func next(t *testing.T, c *socketmode.Client, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	timeout := time.After(socketWait)
	for {
		select {
		case evt := <-c.Events:
			if evt.Type == typ {
				return evt
			}
		case <-timeout:
			t.Fatalf("no %s event", typ)
		}
	}
}

// slack-go's client reads the fake's hello and envelopes as it reads
// Slack's, and its acks come back.
func TestSocketModeEnvelopesReachSlackGo(t *testing.T) {
	s := New(t)
	c := runClient(t, s)
	hello := next(t, c, socketmode.EventTypeHello)
	if r := hello.Request; r.NumConnections != 1 || r.ConnectionInfo.AppID == "" || r.DebugInfo.Host == "" {
		t.Errorf("hello: %+v", r)
	}
	if calls := s.Calls(); len(calls) != 1 || calls[0].Method != ConnectionsOpen || calls[0].Token != appToken || !calls[0].OK() {
		t.Errorf("calls %+v, want one apps.connections.open with the app-level token", calls)
	}

	id := s.Push(t, SlashCommand{UserID: "U1", UserName: "u1", ChannelID: "C1", Text: `create a v1 --notes "x & y"`,
		ResponseURL: "https://hooks.slack.com/commands/1/2"}.Envelope())
	evt := next(t, c, socketmode.EventTypeSlashCommand)
	sc, ok := evt.Data.(slack.SlashCommand)
	if !ok || sc.UserID != "U1" || sc.ChannelID != "C1" || sc.Command != "/release" || sc.Text != `create a v1 --notes "x & y"` ||
		sc.ResponseURL != "https://hooks.slack.com/commands/1/2" || sc.IsEnterpriseInstall {
		t.Errorf("slash command: %+v", evt.Data)
	}
	if evt.Request.EnvelopeID != id || !evt.Request.AcceptsResponsePayload {
		t.Errorf("envelope_id %q, accepts_response_payload %v", evt.Request.EnvelopeID, evt.Request.AcceptsResponsePayload)
	}
	if err := c.Ack(*evt.Request, map[string]string{"text": "hi"}); err != nil {
		t.Fatal(err)
	}
	if a := s.WaitAck(t, id); a.Conn != 1 || string(a.Payload) != `{"text":"hi"}` {
		t.Errorf("ack %+v", a)
	}

	id = s.Push(t, Reaction{EventID: "Ev1", User: "U1", Reaction: "white_check_mark", Channel: "C1", TS: "1.2", Retry: 2}.Envelope())
	evt = next(t, c, socketmode.EventTypeEventsAPI)
	ev, _ := evt.Data.(slackevents.EventsAPIEvent)
	cb, _ := ev.Data.(*slackevents.EventsAPICallbackEvent)
	re, _ := ev.InnerEvent.Data.(*slackevents.ReactionAddedEvent)
	if cb == nil || cb.EventID != "Ev1" || re == nil || re.User != "U1" || re.Item.Timestamp != "1.2" {
		t.Errorf("event: %+v", ev)
	}
	if r := evt.Request; r.RetryAttempt != 2 || r.RetryReason != "timeout" || r.AcceptsResponsePayload {
		t.Errorf("retry_attempt %d, retry_reason %q, accepts_response_payload %v", r.RetryAttempt, r.RetryReason, r.AcceptsResponsePayload)
	}
	if err := c.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	if a := s.WaitAck(t, id); a.Payload != nil {
		t.Errorf("ack without payload: %+v", a)
	}

	s.Push(t, BlockAction{UserID: "U1", Channel: "C1", MessageTS: "1.2", ActionID: "approve", Value: "1|payments"}.Envelope())
	evt = next(t, c, socketmode.EventTypeInteractive)
	ic, _ := evt.Data.(slack.InteractionCallback)
	if ic.Type != slack.InteractionTypeBlockActions || ic.User.ID != "U1" || ic.Container.MessageTs != "1.2" ||
		len(ic.ActionCallback.BlockActions) != 1 || ic.ActionCallback.BlockActions[0].Value != "1|payments" {
		t.Errorf("interaction: %+v", ic)
	}

	s.Ping()
	s.WaitPongs(t, 1, 1)
}

// A disconnect message or a cut connection makes the client open a new
// one, through apps.connections.open again.
func TestSocketModeReconnects(t *testing.T) {
	s := New(t)
	c := runClient(t, s)
	next(t, c, socketmode.EventTypeHello)
	s.Disconnect(t, RefreshRequested)
	next(t, c, socketmode.EventTypeHello)
	s.WaitClosed(t, 1) // slack-go closed it, having been asked to
	s.Drop(t)
	next(t, c, socketmode.EventTypeHello)
	if socks := s.Sockets(); len(socks) != 3 || socks[0].Open || socks[1].Open || !socks[2].Open {
		t.Errorf("connections %+v, want three, the first two closed", socks)
	}
	opens := 0
	for _, call := range s.Calls() {
		if call.Method == ConnectionsOpen {
			opens++
		}
	}
	if opens != 3 {
		t.Errorf("%d calls of apps.connections.open, want 3", opens)
	}
	// Envelopes go to the connection in use.
	id := s.Push(t, BlockAction{UserID: "U1", Channel: "C1", MessageTS: "1.2", ActionID: "approve", Value: "1|payments"}.Envelope())
	evt := next(t, c, socketmode.EventTypeInteractive)
	_ = c.Ack(*evt.Request)
	if a := s.WaitAck(t, id); a.Conn != 3 {
		t.Errorf("ack over connection %d, want 3", a.Conn)
	}
}

// slack-go in debug mode asks for debug_reconnects; the fake tells.
func TestSocketModeDebugReconnects(t *testing.T) {
	s := New(t)
	c := runClient(t, s, slack.OptionDebug(true), slack.OptionLog(discard{}))
	hello := next(t, c, socketmode.EventTypeHello)
	if socks := s.Sockets(); len(socks) != 1 || !socks[0].DebugReconnects || hello.Request.DebugInfo.ApproximateConnectionTime != 360 {
		t.Errorf("connections %+v, hello %+v", socks, hello.Request)
	}
}

type discard struct{}

func (discard) Output(int, string) error { return nil }

// apps.connections.open wants the app-level token, fails as told, and its
// URLs open one connection each.
func TestConnectionsOpen(t *testing.T) {
	s := New(t)
	ctx := context.Background()
	open := func(appToken string) (string, error) {
		_, u, err := slack.New("xoxb-test", slack.OptionAPIURL(s.URL+"/"), slack.OptionAppLevelToken(appToken)).StartSocketModeContext(ctx)
		return u, err
	}
	if _, err := open("xoxb-bot-token"); err == nil || err.Error() != "not_allowed_token_type" {
		t.Errorf("a bot token: %v", err)
	}
	s.FailNext(1, Failure{Status: http.StatusOK, Error: "invalid_auth"})
	if _, err := open(appToken); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("told to fail: %v", err)
	}
	s.FailNext(1, RateLimited)
	var rl *slack.RateLimitedError
	if _, err := open(appToken); !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Errorf("rate-limited: %v", err)
	}
	u, err := open(appToken)
	if err != nil || !strings.HasPrefix(u, "ws://") {
		t.Fatalf("url %q, %v", u, err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var hello map[string]any
	if err := ws.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
		t.Errorf("first message %v, %v", hello, err)
	}
	if _, resp, err := websocket.DefaultDialer.Dial(u, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a used URL: %v", err)
	}
	// What is not an ack is not recorded as one.
	for _, msg := range []string{`{"type":"ping"}`, `not json`, `{"envelope_id":"e1","payload":{"text":"ok"}}`} {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	s.WaitAck(t, "e1")
	if acks := s.Acks(); len(acks) != 1 || string(acks[0].Payload) != `{"text":"ok"}` {
		t.Errorf("acks %+v", acks)
	}
	var env map[string]any
	if err := json.Unmarshal(mustJSON(Reaction{EventID: "Ev1"}.Envelope()), &env); err != nil || env["type"] != EventsAPI ||
		env["retry_attempt"] != 0.0 || env["retry_reason"] != "" || env["accepts_response_payload"] != false {
		t.Errorf("events_api envelope %v, %v", env, err)
	}
}
