package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack"
	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

// The app-level token of the tests' Slack app.
const appToken = "xapp-1-A0RELEASEBOT-17-test"

// socketBot is releasebot served over Socket Mode against h's fake Slack.
type socketBot struct {
	*harness
	logs *logWatch
}

// socketSetup changes what startSocketMode wires.
type socketSetup struct {
	opts   slack.SocketModeOptions
	store  func(releases.Store) releases.Store             // wraps the service's store
	claims func(releases.EventClaims) releases.EventClaims // wraps the event claims
}

// startSocketMode runs releasebot over Socket Mode until the test ends and
// waits for its first connection. The Web API, the database and the outbox
// (flush) are h's.
func startSocketMode(t *testing.T, h *harness, setup socketSetup) *socketBot {
	t.Helper()
	var store releases.Store = h.store
	if setup.store != nil {
		store = setup.store(store)
	}
	var claims releases.EventClaims = h.store
	if setup.claims != nil {
		claims = setup.claims(claims)
	}
	cal := scheduler.NewCalendar(wire.Timetable(h.cfg))
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: h.cfg.Policy(), Now: h.clock.Now, Gate: cal})
	logs := newLogWatch()
	b := bot.New(bot.Options{Coordinator: svc, Now: svc.Now, Posts: h.store, Settings: wire.Bot(h.cfg), Calendar: cal})
	chat := slack.NewSlackChat(token, h.slack.URL+"/", nil)
	homes := bot.NewHomes(bot.HomesOptions{Bot: b, Publisher: chat, Now: h.clock.Now})
	s := slack.NewSlack(slack.SlackOptions{Bot: b, Chat: chat, Claims: claims, Now: h.clock.Now, Logger: slog.New(logs), Homes: homes})
	api := slackgo.New(token, slackgo.OptionAPIURL(h.slack.URL+"/"), slackgo.OptionAppLevelToken(appToken))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunSocketModeWith(ctx, api, setup.opts)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	h.slack.WaitSockets(t, 1)
	return &socketBot{harness: h, logs: logs}
}

// command types `/release text` as user in channel and returns the ack's
// payload: Slack shows it as the answer.
func (b *socketBot) command(user, channel, text string) reply {
	b.t.Helper()
	id := b.slack.Push(b.t, slacktest.SlashCommand{UserID: user, UserName: strings.ToLower(user), ChannelID: channel,
		ChannelName: "releases", Text: text, ResponseURL: b.slack.NewResponseURL()}.Envelope())
	ack := b.slack.WaitAck(b.t, id)
	var r reply
	if err := json.Unmarshal(ack.Payload, &r); err != nil {
		b.t.Fatalf("/release %s: the ack's payload is not an answer: %v\n%s", text, err, ack.Payload)
	}
	return r
}

// create opens a release from the releases channel and sends its card and
// requests.
func (b *socketBot) create(user, text string) (card, pay, risk slacktest.Call) {
	b.t.Helper()
	if r := b.command(user, relChan, text); !strings.HasPrefix(r.Text, "Opened R-") {
		b.t.Fatalf("create: %q", r.Text)
	}
	b.flush()
	return b.last(relChan), b.last(payChan), b.last(riskChan)
}

// react delivers e and waits for its ack, which comes once it was
// processed.
func (b *socketBot) react(e slacktest.Reaction) slacktest.Ack {
	b.t.Helper()
	return b.slack.WaitAck(b.t, b.slack.Push(b.t, e.Envelope()))
}

// press presses a button of msg as user and waits for the ack.
func (b *socketBot) press(user string, msg slacktest.Call, actionID string) slacktest.Ack {
	b.t.Helper()
	return b.slack.WaitAck(b.t, b.slack.Push(b.t, slacktest.BlockAction{UserID: user, UserName: strings.ToLower(user),
		Channel: msg.Channel, MessageTS: msg.PostedTS, ActionID: actionID, Value: buttonValue(b.t, msg, actionID),
		ButtonText: actionID, ResponseURL: b.slack.NewResponseURL()}.Envelope()))
}

func TestSocketModeSlashCommandIsAnsweredInTheAck(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		b := startSocketMode(t, h, socketSetup{})
		r := b.command(dave, relChan, createText)
		if r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Opened R-1 · payments-api v2.4.0") ||
			!strings.Contains(string(r.Blocks), `"type":"section"`) {
			t.Errorf("ack payload: %+v", r)
		}
		if got := h.release(1); got.Service != "payments-api" || got.Version != "v2.4.0" || got.CreatedBy != dave {
			t.Errorf("release: %+v", got)
		}
		if hooks := h.slack.Delivered(slacktest.ResponseURL); len(hooks) != 0 {
			t.Errorf("answered through response_url too: %+v", hooks)
		}
		h.flush()
		if posts := h.slack.Posts(""); len(posts) != 3 {
			t.Errorf("%d posts, want the card and two requests", len(posts))
		}
		for _, c := range h.slack.Calls() {
			if want := map[bool]string{true: appToken, false: token}[c.Method == slacktest.ConnectionsOpen]; c.Token != want {
				t.Errorf("%s sent token %q, want %q", c.Method, c.Token, want)
			}
		}
		// A command without a user or channel is acknowledged and ignored.
		id := h.slack.Push(t, slacktest.SlashCommand{ChannelID: relChan, Text: "create ledger v1"}.Envelope())
		if ack := h.slack.WaitAck(t, id); ack.Payload != nil {
			t.Errorf("ack of a command without a user: %s", ack.Payload)
		}
		if n := h.count(); n != 1 {
			t.Errorf("%d releases, want 1", n)
		}
	})
}

func TestSocketModeLeadReactionSignsOff(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		b := startSocketMode(t, h, socketSetup{})
		card, pay, _ := b.create(dave, createText)
		ack := b.react(slacktest.Reaction{EventID: "Ev0ALICE1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS})
		if ack.Payload != nil {
			t.Errorf("ack of an event carries %s", ack.Payload)
		}
		// The ack comes once the sign-off is stored.
		if got := signoffs(h.release(1)); !slices.Equal(got, []string{"payments:U0ALICE:approved"}) {
			t.Errorf("sign-offs %v, want alice's", got)
		}
		h.flush()
		if replies := h.slack.Replies(card.PostedTS); len(replies) != 1 || !strings.Contains(replies[0].Text, "<@U0ALICE> signed off for payments") {
			t.Errorf("thread: %+v", replies)
		}
		// A non-lead's ✅ is refused with a note to them alone.
		b.react(slacktest.Reaction{EventID: "Ev0DAVE1", User: dave, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS})
		notes := h.slack.Delivered(slacktest.PostEphemeral)
		if len(notes) != 1 || notes[0].User != dave || !strings.Contains(notes[0].Text, "Only payments' leads") {
			t.Errorf("notes %+v", notes)
		}
	})
}

func TestSocketModeApproveButtonCounts(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		b := startSocketMode(t, h, socketSetup{})
		_, pay, risk := b.create(dave, "create payments-api v2.4.0")
		b.press(dave, pay, "approve")
		if notes := h.slack.Delivered(slacktest.ResponseURL); len(notes) != 1 || !strings.Contains(notes[0].Text, "Only payments' leads") {
			t.Errorf("a non-lead's Approve: notes %+v", notes)
		}
		b.press(alice, pay, "approve")
		if got := signoffs(h.release(1)); !slices.Equal(got, []string{"payments:U0ALICE:approved"}) {
			t.Errorf("after alice's Approve: %v", got)
		}
		b.press(carol, risk, "approve")
		if r := h.release(1); r.Status != releases.StatusDeploying || len(r.SignOffs) != 2 {
			t.Errorf("after both Approves: %s %v, want deploying", r.Status, signoffs(r))
		}
	})
}

// Slack delivers an unacknowledged event again, with a retry_attempt and
// the same event id: it counts once, even when it comes after a later
// change.
func TestSocketModeRedeliveredEventCountsOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		b := startSocketMode(t, h, socketSetup{})
		card, pay, _ := b.create(dave, createText)
		added := slacktest.Reaction{EventID: "Ev0ALICE1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS}
		b.react(added)
		added.Retry = 1
		b.react(added)
		h.flush()
		if got := signoffs(h.release(1)); !slices.Equal(got, []string{"payments:U0ALICE:approved"}) {
			t.Errorf("sign-offs %v", got)
		}
		if replies := h.slack.Replies(card.PostedTS); len(replies) != 1 {
			t.Errorf("%d thread replies, want 1", len(replies))
		}
		// alice takes her ✅ back; a late copy of the ✅ does not restore it.
		b.react(slacktest.Reaction{EventID: "Ev0ALICE2", Removed: true, User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS})
		added.Retry = 2
		b.react(added)
		if got := signoffs(h.release(1)); len(got) != 0 {
			t.Errorf("after the withdrawal and a late redelivery: sign-offs %v", got)
		}
		if n := len(h.audit(1)); n != 3 { // created, signed off, withdrawn
			t.Errorf("%d audit events, want 3", n)
		}
		// A non-lead's ✅, delivered twice, is refused once.
		refused := slacktest.Reaction{EventID: "Ev0DAVE1", User: dave, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS}
		b.react(refused)
		refused.Retry = 1
		b.react(refused)
		if notes := h.slack.Delivered(slacktest.PostEphemeral); len(notes) != 1 {
			t.Errorf("%d notes to dave, want 1", len(notes))
		}
	})
}

// An event that could not be processed (here: another replica holds it)
// is not acknowledged, so that Slack delivers it again; the redelivery is
// processed.
func TestSocketModeUnprocessedEventIsNotAcked(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		b := startSocketMode(t, h, socketSetup{})
		_, pay, _ := b.create(dave, createText)
		ctx := context.Background()
		if ok, err := h.store.ClaimEvent(ctx, "Ev0ALICE1", h.clock.Now(), 30*time.Second); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		ev := slacktest.Reaction{EventID: "Ev0ALICE1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS}
		first := h.slack.Push(t, ev.Envelope())
		b.logs.wait(t, "slack event is being processed elsewhere; Slack will retry")
		// The other replica died; its claim is let go.
		if err := h.store.ReleaseEvent(ctx, "Ev0ALICE1"); err != nil {
			t.Fatal(err)
		}
		ev.Retry = 1
		b.react(ev)
		// slack-go sends acks in order: had the first been acknowledged, its
		// ack would be here by now.
		for _, a := range h.slack.Acks() {
			if a.EnvelopeID == first {
				t.Errorf("the unprocessed delivery was acknowledged")
			}
		}
		if got := signoffs(h.release(1)); !slices.Equal(got, []string{"payments:U0ALICE:approved"}) {
			t.Errorf("sign-offs %v", got)
		}
	})
}

// Slack waits 3 s for each ack: a slow request must not hold up the next.
func TestSocketModeSlowCommandHoldsUpNoOther(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		entered, gate := make(chan struct{}, 1), make(chan struct{})
		b := startSocketMode(t, h, socketSetup{store: func(s releases.Store) releases.Store {
			return gatedStore{Store: s, entered: entered, gate: gate}
		}})
		open := sync.OnceFunc(func() { close(gate) })
		t.Cleanup(open) // before the bot stops, which waits for the create
		slow := h.slack.Push(t, slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: createText,
			ResponseURL: h.slack.NewResponseURL()}.Envelope())
		<-entered // the create is in its transaction, which waits
		if r := b.command(dave, relChan, "help"); !strings.Contains(r.Text, "/release create") {
			t.Errorf("help: %q", r.Text)
		}
		for _, a := range h.slack.Acks() {
			if a.EnvelopeID == slow {
				t.Errorf("the slow command was acknowledged before the quick one was answered")
			}
		}
		open()
		var r reply
		if err := json.Unmarshal(h.slack.WaitAck(t, slow).Payload, &r); err != nil || !strings.HasPrefix(r.Text, "Opened R-1") {
			t.Errorf("the slow command's answer: %q, %v", r.Text, err)
		}
	})
}

// gatedStore holds every transaction until gate is closed, telling
// entered when one starts.
type gatedStore struct {
	releases.Store
	entered chan<- struct{}
	gate    <-chan struct{}
}

func (s gatedStore) Tx(ctx context.Context, fn func(releases.Tx) error) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-s.gate
	return s.Store.Tx(ctx, fn)
}

// An answer too big for an ack (Slack drops acks of 20 KB or more) goes
// through response_url instead.
func TestSocketModeBigAnswerGoesThroughResponseURL(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		startSocketMode(t, h, socketSetup{})
		for i := range 90 { // by a release manager: the create quota doesn't apply
			if r := h.command("U0RM1", relChan, fmt.Sprintf("create payments-api-with-a-long-name v%d.0.0-rc.1", i)); !strings.HasPrefix(r.Text, "Opened") {
				t.Fatalf("create %d: %q", i, r.Text)
			}
		}
		id := h.slack.Push(t, slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: "list --limit 200",
			ResponseURL: h.slack.NewResponseURL()}.Envelope())
		if ack := h.slack.WaitAck(t, id); ack.Payload != nil {
			t.Errorf("ack payload of %d bytes", len(ack.Payload))
		}
		hooks := waitDelivered(t, h.slack, slacktest.ResponseURL, 1)
		if hooks[0].ResponseType() != "ephemeral" || strings.Count(hooks[0].Text, "payments-api-with-a-long-name") != 90 {
			t.Errorf("the answer through response_url: %s", hooks[0].Body)
		}
	})
}

// waitDelivered waits until the fake took n successful calls of method,
// and returns them.
func waitDelivered(t *testing.T, s *slacktest.Server, method string, n int) []slacktest.Call {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		changed := s.Changed()
		if got := s.Delivered(method); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no %d %s calls; calls: %v", n, method, s.Calls())
		}
	}
}

// When the connection drops or Slack asks for a new one, releasebot
// connects again and carries on.
func TestSocketModeReconnects(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		b := startSocketMode(t, h, socketSetup{})
		b.create(dave, createText)
		h.slack.Drop(t)
		h.slack.WaitSockets(t, 2)
		id := h.slack.Push(t, slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: "status R-1"}.Envelope())
		if ack := h.slack.WaitAck(t, id); ack.Conn != 2 || !strings.Contains(string(ack.Payload), "waiting for sign-off") {
			t.Errorf("ack over connection %d: %s", ack.Conn, ack.Payload)
		}
		h.slack.Disconnect(t, slacktest.RefreshRequested)
		h.slack.WaitSockets(t, 3)
		pay := h.last(payChan)
		if ack := b.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS}); ack.Conn != 3 {
			t.Errorf("ack over connection %d, want 3", ack.Conn)
		}
		if got := signoffs(h.release(1)); len(got) != 1 {
			t.Errorf("sign-offs %v", got)
		}
	})
}

// What releasebot or slack-go cannot read is acknowledged, when it has an
// envelope id, and ignored; the connection stays.
func TestSocketModeMalformedEnvelopes(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		b := startSocketMode(t, h, socketSetup{})
		tests := []struct {
			name  string
			frame string // %s: the envelope id
		}{
			{name: "unknown type", frame: `{"type":"surprise","envelope_id":"%s","payload":{}}`},
			{name: "slash command payload not an object", frame: `{"type":"slash_commands","envelope_id":"%s","payload":"create x v1","accepts_response_payload":true}`},
			{name: "events_api payload not an event", frame: `{"type":"events_api","envelope_id":"%s","payload":{"type":"event_callback","event":{"type":"reaction_added","item":"x"}}}`},
			{name: "interactive payload with actions of the wrong type", frame: `{"type":"interactive","envelope_id":"%s","payload":{"type":"block_actions","actions":"approve"}}`},
			{name: "events_api without an event id", frame: `{"type":"events_api","envelope_id":"%s","payload":{"type":"event_callback","event":{"type":"reaction_added","user":"U0ALICE","reaction":"x","item":{"type":"message","channel":"C0PAY","ts":"1.2"}}}}`},
			{name: "block_actions without a user", frame: `{"type":"interactive","envelope_id":"%s","payload":{"type":"block_actions","actions":[{"action_id":"approve","value":"1|payments"}]}}`},
			{name: "app_rate_limited", frame: `{"type":"events_api","envelope_id":"%s","payload":{"token":"x","type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}}`},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := fmt.Sprintf("bad-%d", i)
				h.slack.PushRaw(t, fmt.Appendf(nil, tt.frame, id))
				if ack := h.slack.WaitAck(t, id); ack.Payload != nil {
					t.Errorf("ack payload %s", ack.Payload)
				}
			})
		}
		h.slack.PushRaw(t, []byte("not JSON at all"))
		if r := b.command(dave, relChan, createText); !strings.HasPrefix(r.Text, "Opened R-1") {
			t.Errorf("create after the malformed envelopes: %q", r.Text)
		}
		if n := len(h.slack.Sockets()); n != 1 {
			t.Errorf("%d connections, want the first one still", n)
		}
		if n := h.count(); n != 1 {
			t.Errorf("%d releases, want 1", n)
		}
	})
}

// After slack-go gives up (here: invalid_auth), releasebot pauses, longer
// after each failure in a row; a connection that Slack greeted ends the
// row, so the next failure pauses the shortest time again.
func TestSocketModeReconnectPauseStartsOverAfterAConnection(t *testing.T) {
	h := newHarness(t, storetest.Databases(t)[0].URL(t))
	var mu sync.Mutex
	var pauses []time.Duration
	after := func(d time.Duration) <-chan time.Time {
		mu.Lock()
		pauses = append(pauses, d)
		mu.Unlock()
		c := make(chan time.Time, 1)
		c <- time.Time{} // no waiting in tests
		return c
	}
	invalidAuth := slacktest.Failure{Status: 200, Error: "invalid_auth"}
	h.slack.FailNext(3, invalidAuth)
	b := startSocketMode(t, h, socketSetup{opts: slack.SocketModeOptions{After: after}})
	// Greeted: hello came before this command's envelope, and the command
	// was answered.
	b.command(dave, relChan, "help")
	h.slack.FailNext(2, invalidAuth)
	h.slack.Drop(t)
	h.slack.WaitSockets(t, 2)
	b.command(dave, relChan, "help")
	got := func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(pauses)
	}()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, time.Second, 2 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("pauses %v, want %v", got, want)
	}
}

// logWatch is a slog handler that keeps messages for tests to wait on.
type logWatch struct {
	mu      sync.Mutex
	msgs    []string
	changed chan struct{}
}

func newLogWatch() *logWatch { return &logWatch{changed: make(chan struct{})} }

func (l *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (l *logWatch) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logWatch) WithGroup(string) slog.Handler            { return l }

func (l *logWatch) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// wait blocks until msg was logged.
func (l *logWatch) wait(t *testing.T, msg string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		found, changed := slices.Contains(l.msgs, msg), l.changed
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("%q was never logged", msg)
		}
	}
}
