package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack"
	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

// The Slack app of the tests: Slack's documented example signing secret
// and a bot token the fake insists on.
const (
	secret = "8f742231b10e8888abcd99yyyzzz85a5"
	token  = "xoxb-17-releasebot-test"
)

// People and channels of testdata/releasebot.yaml.
const (
	alice    = "U0ALICE" // payments lead
	bob      = "U0BOB"   // payments lead
	carol    = "U0CAROL" // risk lead
	dave     = "U0DAVE"  // leads nothing
	relChan  = "C0RELEASES"
	payChan  = "C0PAY"
	riskChan = "C0RISK"
)

// t0 is a Tuesday morning, before the weekly-train window (14:00 Berlin).
var t0 = time.Date(2026, 12, 1, 10, 2, 3, 0, time.UTC)

// harness is releasebot's Slack side on a real database, with a fake Slack
// Web API. Nothing runs in the background: tests relay and send the chat
// outbox themselves (flush), so every step is deterministic.
type harness struct {
	t      testing.TB
	url    string
	clock  *clock
	cfg    *config.Config
	slack  *slacktest.Server
	signer slacktest.Signer

	store  *gormstore.Store
	svc    *releases.Coordinator
	router *gin.Engine
	relay  *bot.Relay
	sender *bot.Sender
	homes  *bot.Homes
	// groups, when set before start, hears of user group events.
	groups *slack.UserGroups
}

func testConfig(t testing.TB) *config.Config {
	t.Helper()
	data, err := os.ReadFile("testdata/releasebot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("testdata/releasebot.yaml", data, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newHarness starts the bot on the empty database at dbURL.
func newHarness(t testing.TB, dbURL string) *harness {
	h := &harness{t: t, url: dbURL, clock: testclock.New(t0), cfg: testConfig(t), slack: slacktest.New(t),
		signer: slacktest.Signer{Secret: secret}}
	h.slack.Token = token
	h.slack.Now = h.clock.Now // Slack stamps messages with the tests' time
	h.start()
	return h
}

// start wires everything anew on the same database: called again, it is a
// restart, the old relay, sender and adapter dropped wherever they were.
func (h *harness) start() {
	h.store = storetest.Open(h.t, h.url, h.clock.Now)
	cal := scheduler.NewCalendar(wire.Timetable(h.cfg))
	h.svc = releases.NewCoordinator(releases.Options{Store: h.store, Policy: h.cfg.Policy(), Now: h.clock.Now, Gate: cal})
	b := bot.New(bot.Options{Coordinator: h.svc, Now: h.svc.Now, Posts: h.store, Settings: wire.Bot(h.cfg), Calendar: cal})
	chat := slack.NewSlackChat(token, h.slack.URL+"/", nil)
	h.homes = bot.NewHomes(bot.HomesOptions{Bot: b, Publisher: chat, Now: h.clock.Now})
	h.svc.AddNotifier(h.homes)
	s := slack.NewSlack(slack.SlackOptions{Bot: b, Chat: chat, Claims: h.store, SigningSecret: secret, Now: h.clock.Now, Homes: h.homes, Groups: h.groups})
	gin.SetMode(gin.TestMode)
	h.router = gin.New()
	h.router.Use(gin.Recovery())
	s.Register(h.router)
	h.relay = bot.NewRelay(h.store, wire.Bot(h.cfg), h.clock.Now)
	h.sender = bot.NewSender(h.store, h.store, chat, h.clock.Now, nil)
}

// replica is a second releasebot process on the same database: its own
// connections, service, bot and HTTP handler.
func (h *harness) replica() http.Handler {
	store := storetest.Open(h.t, h.url, h.clock.Now)
	cal := scheduler.NewCalendar(wire.Timetable(h.cfg))
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: h.cfg.Policy(), Now: h.clock.Now, Gate: cal})
	b := bot.New(bot.Options{Coordinator: svc, Now: svc.Now, Posts: store, Settings: wire.Bot(h.cfg), Calendar: cal})
	s := slack.NewSlack(slack.SlackOptions{Bot: b, Chat: slack.NewSlackChat(token, h.slack.URL+"/", nil), Claims: store,
		SigningSecret: secret, Now: h.clock.Now})
	r := gin.New()
	s.Register(r)
	return r
}

// forEachDB runs fn on SQLite and, with TEST_DATABASE_URL, PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, h *harness)) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { fn(t, newHarness(t, db.URL(t))) })
	}
}

// send delivers r, signed, to the router.
func (h *harness) send(r slacktest.Request) *httptest.ResponseRecorder {
	return h.serve(h.signer.New("", r))
}

func (h *harness) serve(req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.router.ServeHTTP(w, req)
	return w
}

// reply is a slash command's HTTP answer.
type reply struct {
	ResponseType string          `json:"response_type"`
	Text         string          `json:"text"`
	Blocks       json.RawMessage `json:"blocks"`
}

// command types `/release text` as user in channel and returns the answer.
func (h *harness) command(user, channel, text string) reply {
	h.t.Helper()
	w := h.send(slacktest.SlashCommand{UserID: user, UserName: strings.ToLower(user), ChannelID: channel,
		ChannelName: "releases", Text: text, ResponseURL: h.slack.NewResponseURL()}.Request())
	if w.Code != http.StatusOK {
		h.t.Fatalf("/release %s: HTTP %d %s", text, w.Code, w.Body)
	}
	var r reply
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		h.t.Fatalf("/release %s: answer is not JSON: %v\n%s", text, err, w.Body)
	}
	return r
}

// react delivers a reaction event and expects Slack's 200.
func (h *harness) react(e slacktest.Reaction) {
	h.t.Helper()
	if w := h.send(e.Request()); w.Code != http.StatusOK {
		h.t.Fatalf("reaction %+v: HTTP %d %s", e, w.Code, w.Body)
	}
}

// press presses a button of msg as user and expects Slack's 200.
func (h *harness) press(user string, msg slacktest.Call, actionID string) {
	h.t.Helper()
	value := buttonValue(h.t, msg, actionID)
	w := h.send(slacktest.BlockAction{UserID: user, UserName: strings.ToLower(user), Channel: msg.Channel,
		MessageTS: msg.PostedTS, ActionID: actionID, Value: value, ButtonText: actionID,
		ResponseURL: h.slack.NewResponseURL()}.Request())
	if w.Code != http.StatusOK {
		h.t.Fatalf("press %s: HTTP %d %s", actionID, w.Code, w.Body)
	}
}

// flush relays what happened into the chat outbox and sends what is due.
func (h *harness) flush() {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.relay.RunOnce(ctx); err != nil {
		h.t.Fatalf("relay: %v", err)
	}
	if err := h.sender.Drain(ctx); err != nil {
		h.t.Fatalf("send: %v", err)
	}
}

// create opens a release as user from the releases channel and sends its
// card and requests.
func (h *harness) create(user, text string) (card, pay, risk slacktest.Call) {
	h.t.Helper()
	r := h.command(user, relChan, text)
	if !strings.HasPrefix(r.Text, "Opened R-") {
		h.t.Fatalf("create: %q", r.Text)
	}
	h.flush()
	return h.last(relChan), h.last(payChan), h.last(riskChan)
}

// last is the newest top-level post in channel.
func (h *harness) last(channel string) slacktest.Call {
	h.t.Helper()
	posts := h.slack.Posts(channel)
	if len(posts) == 0 {
		h.t.Fatalf("nothing was posted in %s; calls: %+v", channel, h.slack.Calls())
	}
	return posts[len(posts)-1]
}

func (h *harness) release(id int64) *releases.Release {
	h.t.Helper()
	r, err := h.svc.Get(context.Background(), id)
	if err != nil {
		h.t.Fatalf("get R-%d: %v", id, err)
	}
	return r
}

func (h *harness) count() int {
	h.t.Helper()
	rs, err := h.svc.List(context.Background(), releases.Filter{Limit: 200})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(rs)
}

func (h *harness) audit(id int64) []releases.AuditEvent {
	h.t.Helper()
	events, err := h.svc.Audit(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return events
}

func (h *harness) pending() int {
	h.t.Helper()
	n, err := h.store.PendingOutbox(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// buttonValue finds the value of msg's button actionID in its blocks.
func buttonValue(t testing.TB, msg slacktest.Call, actionID string) string {
	t.Helper()
	for _, b := range buttons(t, msg.Blocks) {
		if b.ActionID == actionID {
			return b.Value
		}
	}
	t.Fatalf("message %s has no %q button: %s", msg.PostedTS, actionID, msg.Blocks)
	return ""
}

type button struct {
	ActionID, Value, Text, Style string
}

// buttons lists the buttons in Block Kit JSON.
func buttons(t testing.TB, blocks json.RawMessage) []button {
	t.Helper()
	var bs []struct {
		Type     string `json:"type"`
		Elements []struct {
			Type     string          `json:"type"`
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
			Style    string          `json:"style"`
			Text     json.RawMessage `json:"text"` // a string in a context block
		} `json:"elements"`
	}
	if len(blocks) > 0 {
		if err := json.Unmarshal(blocks, &bs); err != nil {
			t.Fatalf("blocks: %v\n%s", err, blocks)
		}
	}
	var out []button
	for _, b := range bs {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type != "button" {
				continue
			}
			var text struct{ Text string }
			if err := json.Unmarshal(e.Text, &text); err != nil {
				t.Fatalf("button text: %v", err)
			}
			out = append(out, button{ActionID: e.ActionID, Value: e.Value, Text: text.Text, Style: e.Style})
		}
	}
	return out
}

// signoffs are the sign-offs in force, as "team:user:decision".
func signoffs(r *releases.Release) []string {
	out := []string{}
	for _, so := range r.SignOffs {
		out = append(out, so.Team+":"+so.User+":"+string(so.Decision))
	}
	return out
}

type clock = testclock.Clock
