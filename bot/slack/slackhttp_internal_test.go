package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

const testSecret = "e6b19c573432dcc6b075501d51b51bb8"

func testRouter(s *Slack) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(gin.Recovery())
	s.Register(r)
	return r
}

func serveSigned(r http.Handler, req slacktest.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, slacktest.Signer{Secret: testSecret}.New("", req))
	return w
}

// Work runs outside the request's goroutine, where gin's recovery can't
// reach: a panic there must not end the process.
func TestSlackSurvivesPanickingWork(t *testing.T) {
	cfg := config.Demo()
	// A bot without a service panics on anything that needs one; a Slack
	// without event claims panics on every reaction.
	b := bot.New(bot.Options{Settings: wire.Bot(cfg)})
	s := NewSlack(SlackOptions{Bot: b, Chat: NewSlackChat("xoxb-1", slacktest.New(t).URL+"/", nil), SigningSecret: testSecret})
	r := testRouter(s)

	w := serveSigned(r, slacktest.SlashCommand{UserID: "U0DAVE", ChannelID: "C0REL", Text: "status R-1"}.Request())
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Internal error") || !strings.Contains(w.Body.String(), `"response_type":"ephemeral"`) {
		t.Errorf("panicking command: HTTP %d %s", w.Code, w.Body)
	}
	w = serveSigned(r, slacktest.Reaction{EventID: "Ev1", User: "U0ALICE", Reaction: "x", Channel: "C0PAY", TS: "1.1"}.Request())
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("panicking event: HTTP %d %s, want 503 so that Slack retries", w.Code, w.Body)
	}
	// Still serving.
	w = serveSigned(r, slacktest.SlashCommand{UserID: "U0DAVE", ChannelID: "C0REL", Text: "help"}.Request())
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/release create") {
		t.Errorf("after the panics: HTTP %d %s", w.Code, w.Body)
	}
}

// slowStore is a database that takes its time to read a release.
type slowStore struct {
	*gormstore.Store
	gate chan struct{}
}

func (s slowStore) Release(ctx context.Context, id int64) (*releases.Release, error) {
	<-s.gate
	return s.Store.Release(ctx, id)
}

// A slow database doesn't keep Slack waiting: the command is acknowledged
// within the budget and its answer follows through response_url.
func TestSlackAnswersSlowCommandsThroughResponseURL(t *testing.T) {
	cfg := config.Demo()
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "slow.db"), nil)
	slow := slowStore{Store: store, gate: make(chan struct{})}
	svc := releases.NewCoordinator(releases.Options{Store: slow, Policy: cfg.Policy()})
	if _, err := svc.Create(context.Background(), "U0DAVE", releases.CreateInput{Service: "payments-api", Version: "v1"}); err != nil {
		t.Fatal(err)
	}
	fake := slacktest.New(t)
	b := bot.New(bot.Options{Coordinator: svc, Now: svc.Now, Posts: store, Settings: wire.Bot(cfg), Calendar: scheduler.NewCalendar(wire.Timetable(cfg))})
	s := NewSlack(SlackOptions{Bot: b, Chat: NewSlackChat("xoxb-1", fake.URL+"/", nil), Claims: store, SigningSecret: testSecret})
	s.budget = 20 * time.Millisecond
	r := testRouter(s)

	hook := fake.NewResponseURL()
	changed := fake.Changed()
	start := time.Now()
	w := serveSigned(r, slacktest.SlashCommand{UserID: "U0DAVE", ChannelID: "C0REL", Text: "status R-1", ResponseURL: hook}.Request())
	if took := time.Since(start); w.Code != http.StatusOK || w.Body.Len() != 0 || took > time.Second {
		t.Fatalf("slow command: HTTP %d %q after %s, want an empty 200 at once", w.Code, w.Body, took)
	}
	close(slow.gate) // the database answers
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer through response_url")
	}
	calls := fake.Calls()
	if len(calls) != 1 || calls[0].Method != slacktest.ResponseURL || calls[0].ResponseType() != "ephemeral" ||
		!strings.Contains(calls[0].Text, "R-1 · payments-api v1") {
		t.Errorf("response_url calls: %v", calls)
	}
	var body map[string]any
	if err := json.Unmarshal(calls[0].Body, &body); err != nil || body["replace_original"] != false {
		t.Errorf("response_url body %s: it must not replace the message the command was typed under", calls[0].Body)
	}
}

func TestSlackRefusesEverythingWithoutASecret(t *testing.T) {
	s := NewSlack(SlackOptions{Bot: bot.New(bot.Options{Settings: wire.Bot(config.Demo())}), SigningSecret: ""})
	r := testRouter(s)
	w := httptest.NewRecorder()
	// Signed with the empty key, as a forger would.
	r.ServeHTTP(w, slacktest.Signer{Secret: ""}.New("", slacktest.URLVerification("c")))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("HTTP %d, want 401", w.Code)
	}
}

// flakyPosts fails its first FindPost, as a database that blips.
type flakyPosts struct {
	*gormstore.Store
	failed bool
}

func (p *flakyPosts) FindPost(ctx context.Context, channel, ts string) (*releases.Post, error) {
	if !p.failed {
		p.failed = true
		return nil, errors.New("connection reset")
	}
	return p.Store.FindPost(ctx, channel, ts)
}

// A reaction that could not be processed is answered 503 and its claim let
// go, so Slack's retry of the same event is processed.
func TestSlackRetryProcessesAFailedReaction(t *testing.T) {
	cfg := config.Demo()
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "flaky.db"), nil)
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy()})
	ctx := context.Background()
	r, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "payments-api", Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SavePost(ctx, releases.Post{ReleaseID: r.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: "1.1", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	posts := &flakyPosts{Store: store}
	fake := slacktest.New(t)
	b := bot.New(bot.Options{Coordinator: svc, Now: svc.Now, Posts: posts, Settings: wire.Bot(cfg), Calendar: scheduler.NewCalendar(wire.Timetable(cfg))})
	s := NewSlack(SlackOptions{Bot: b, Chat: NewSlackChat("xoxb-1", fake.URL+"/", nil), Claims: store, SigningSecret: testSecret})
	router := testRouter(s)

	ev := slacktest.Reaction{EventID: "EvFLAKY", User: "U0ALICE", Reaction: "white_check_mark", Channel: "C0PAY", TS: "1.1"}
	if w := serveSigned(router, ev.Request()); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("first delivery during a database blip: HTTP %d, want 503", w.Code)
	}
	if got, _ := svc.Get(ctx, r.ID); len(got.SignOffs) != 0 {
		t.Fatalf("the failed delivery changed the release: %+v", got.SignOffs)
	}
	if w := serveSigned(router, ev.Request()); w.Code != http.StatusOK {
		t.Fatalf("Slack's retry: HTTP %d, want 200", w.Code)
	}
	if got, _ := svc.Get(ctx, r.ID); len(got.Approvals("payments")) != 1 {
		t.Fatalf("the retry was not processed: %+v", got.SignOffs)
	}
	if w := serveSigned(router, ev.Request()); w.Code != http.StatusOK {
		t.Fatalf("a further retry: HTTP %d", w.Code)
	}
	if events, _ := svc.Audit(ctx, r.ID); len(events) != 2 { // created, signed_off
		t.Fatalf("audit %+v: the sign-off must be recorded once", events)
	}
}

// A ✅ can reach us between Slack accepting a sign-off request and the
// sender recording it: that reaction is retried (503), not ignored.
func TestSlackRetriesAReactionOnARequestBeingRecorded(t *testing.T) {
	cfg := config.Demo()
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "race.db"), nil)
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy()})
	ctx := context.Background()
	r, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "payments-api", Version: "v1", Origin: "C0REL"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bot.NewRelay(store, wire.Bot(cfg), time.Now).RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// A sender posts the card, then is mid-way through posting payments'
	// request: it has been sent to Slack (as 7.7) but not recorded yet.
	var inFlight releases.OutboxEntry
	for inFlight.ID == 0 {
		claimed, err := store.ClaimOutbox(ctx, time.Now(), time.Minute, 1, 0)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		e := claimed[0]
		if e.Op == releases.OpPostRequest && e.Team == "payments" {
			inFlight = e
			break
		}
		post := &releases.Post{ReleaseID: r.ID, Kind: releases.PostCard, Channel: e.Channel, TS: "6.6", At: time.Now()}
		if err := store.FinishOutbox(ctx, e.ID, releases.OutboxSent, time.Now(), post); err != nil {
			t.Fatal(err)
		}
	}
	fake := slacktest.New(t)
	b := bot.New(bot.Options{Coordinator: svc, Now: svc.Now, Posts: store, Settings: wire.Bot(cfg), Calendar: scheduler.NewCalendar(wire.Timetable(cfg))})
	s := NewSlack(SlackOptions{Bot: b, Chat: NewSlackChat("xoxb-1", fake.URL+"/", nil), Claims: store, SigningSecret: testSecret})
	router := testRouter(s)

	ev := slacktest.Reaction{EventID: "EvRACE", User: "U0ALICE", Reaction: "white_check_mark", Channel: "C0PAY", TS: "7.7"}
	if w := serveSigned(router, ev.Request()); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("reaction on a request not recorded yet: HTTP %d, want 503", w.Code)
	}
	// The sender records the post.
	post := &releases.Post{ReleaseID: r.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: "7.7", At: time.Now()}
	if err := store.FinishOutbox(ctx, inFlight.ID, releases.OutboxSent, time.Now(), post); err != nil {
		t.Fatal(err)
	}
	if w := serveSigned(router, ev.Request()); w.Code != http.StatusOK {
		t.Fatalf("Slack's retry: HTTP %d, want 200", w.Code)
	}
	if got, _ := svc.Get(ctx, r.ID); len(got.Approvals("payments")) != 1 {
		t.Fatalf("the retried reaction was not counted: %+v", got.SignOffs)
	}
	// A reaction on a message that is not ours, with nothing in flight, is
	// simply ignored.
	other := slacktest.Reaction{EventID: "EvOTHER", User: "U0ALICE", Reaction: "white_check_mark", Channel: "C0PAY", TS: "1.0"}
	if w := serveSigned(router, other.Request()); w.Code != http.StatusOK {
		t.Fatalf("reaction elsewhere: HTTP %d, want 200", w.Code)
	}
}

// Two releases opened in one channel: their cards go out at least a second
// apart (Slack allows about one message per second per channel), and
// nothing is dropped.
func TestSenderPacesPostsPerChannel(t *testing.T) {
	cfg := config.Demo()
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "pace.db"), nil)
	clock := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Now: now})
	ctx := context.Background()
	for _, v := range []string{"v1", "v2"} {
		if _, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "payments-api", Version: v, Origin: "C0REL"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bot.NewRelay(store, wire.Bot(cfg), now).RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	fake := slacktest.New(t)
	sender := bot.NewSender(store, store, NewSlackChat("xoxb-1", fake.URL+"/", nil), now, nil)
	sender.PostInterval = time.Second
	cardsIn := func(channel string) int {
		n := 0
		for _, c := range fake.Calls() {
			if c.Method == slacktest.PostMessage && c.Channel == channel {
				n++
			}
		}
		return n
	}
	if err := sender.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := cardsIn("C0REL"); n != 1 {
		t.Fatalf("%d posts in C0REL at once, want 1 (the second waits a second)", n)
	}
	clock = clock.Add(999 * time.Millisecond)
	if err := sender.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := cardsIn("C0REL"); n != 1 {
		t.Fatalf("%d posts in C0REL after 999 ms, want 1", n)
	}
	clock = clock.Add(time.Millisecond)
	for range 4 { // each channel's next message, a second apart
		if err := sender.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Second)
	}
	if n := cardsIn("C0REL"); n != 2 {
		t.Fatalf("%d posts in C0REL, want both cards", n)
	}
	if n := cardsIn("C0PAY") + cardsIn("C0RISK"); n != 4 {
		t.Fatalf("%d sign-off requests, want 4", n)
	}
	if pending, _ := store.PendingOutbox(ctx); pending != 0 {
		t.Fatalf("%d messages still queued", pending)
	}
}

// landingPosts misses a post on its first read, as when the sender records
// it (and ends its flight) between the bot's two reads.
type landingPosts struct {
	*gormstore.Store
	reads int
}

func (p *landingPosts) FindPost(ctx context.Context, channel, ts string) (*releases.Post, error) {
	p.reads++
	if p.reads == 1 {
		return nil, releases.ErrNotFound
	}
	return p.Store.FindPost(ctx, channel, ts)
}

func (p *landingPosts) PostInFlight(context.Context, string, time.Time) (bool, error) {
	return false, nil
}

func TestReactionOnAPostRecordedMeanwhileCounts(t *testing.T) {
	approveOnce(t, func(s *gormstore.Store) releases.PostStore { return &landingPosts{Store: s} })
}

// approveOnce has alice ✅ payments' request of a new release through the
// posts posts wraps around the store, and checks it counted at once.
func approveOnce(t *testing.T, posts func(*gormstore.Store) releases.PostStore) {
	t.Helper()
	cfg := config.Demo()
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "approve.db"), nil)
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy()})
	ctx := context.Background()
	r, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "payments-api", Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SavePost(ctx, releases.Post{ReleaseID: r.ID, Kind: releases.PostRequest, Team: "payments", Channel: "C0PAY", TS: "1.1", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	b := bot.New(bot.Options{Coordinator: svc, Now: svc.Now, Posts: posts(store), Settings: wire.Bot(cfg), Calendar: scheduler.NewCalendar(wire.Timetable(cfg))})
	note, err := b.HandleReaction(ctx, bot.Reaction{User: "U0ALICE", Channel: "C0PAY", TS: "1.1", Emoji: "white_check_mark", Added: true}, nil)
	if err != nil || note != nil {
		t.Fatalf("note %v, err %v; want the ✅ counted at once", note, err)
	}
	if got, _ := svc.Get(ctx, r.ID); len(got.Approvals("payments")) != 1 {
		t.Fatalf("the ✅ was not counted: %+v", got.SignOffs)
	}
}

// Without its identity (auth.test fails) a signed slash command is still
// run, and Slack is asked again a minute later, not on every request.
func TestSlackServesSignedCommandsWithoutItsIdentity(t *testing.T) {
	cfg := config.Demo()
	fake := slacktest.New(t)
	fake.AuthTestDown = true
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	chat := NewSlackChat("xoxb-1", fake.URL+"/", nil)
	chat.now = func() time.Time { return now }
	b := bot.New(bot.Options{Settings: wire.Bot(cfg)})
	r := testRouter(NewSlack(SlackOptions{Bot: b, Chat: chat, SigningSecret: testSecret}))
	for range 3 {
		w := serveSigned(r, slacktest.SlashCommand{UserID: "U0DAVE", ChannelID: "C0REL", Text: "help"}.Request())
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/release create") {
			t.Fatalf("help without an identity: HTTP %d %s", w.Code, w.Body)
		}
	}
	if n := fake.AuthTests(); n != 1 {
		t.Errorf("%d auth.test calls for 3 commands in a minute, want 1", n)
	}
	now = now.Add(identityRetry)
	serveSigned(r, slacktest.SlashCommand{UserID: "U0DAVE", ChannelID: "C0REL", Text: "help"}.Request())
	if n := fake.AuthTests(); n != 2 {
		t.Errorf("%d auth.test calls a minute later, want 2", n)
	}
}

// recordingPosts has a post in flight that is recorded on the third read,
// as when the sender records the ends of a batch of posts a few
// milliseconds after the lead reacted to the first.
type recordingPosts struct {
	*gormstore.Store
	reads int
}

func (p *recordingPosts) FindPost(ctx context.Context, channel, ts string) (*releases.Post, error) {
	p.reads++
	if p.reads < 3 {
		return nil, releases.ErrNotFound
	}
	return p.Store.FindPost(ctx, channel, ts)
}

func (p *recordingPosts) PostInFlight(context.Context, string, time.Time) (bool, error) {
	return p.reads < 3, nil
}

// A ✅ on a request whose post is about to be recorded is counted on its
// first delivery: Slack's retry would come a minute later at best.
func TestReactionOnAPostBeingRecordedCountsAtOnce(t *testing.T) {
	approveOnce(t, func(s *gormstore.Store) releases.PostStore { return &recordingPosts{Store: s} })
}
