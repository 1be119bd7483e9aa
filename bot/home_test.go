package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

// People of announceYAML.
const (
	homeAlice = "U0ALICE" // payments lead
	homeCarol = "U0CAROL" // risk lead
	homeDave  = "U0DAVE"  // leads nothing
)

// publisher is a HomePublisher that keeps what it was asked to publish,
// and can be told to fail.
type publisher struct {
	mu   sync.Mutex
	got  []published
	fail error
}

type published struct {
	user string
	home Message
}

func (p *publisher) PublishHome(_ context.Context, user string, m Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.got = append(p.got, published{user, m})
	return nil
}

// of returns the Homes published for user, oldest first.
func (p *publisher) of(user string) []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Message
	for _, g := range p.got {
		if g.user == user {
			out = append(out, g.home)
		}
	}
	return out
}

type homeEnv struct {
	t     *testing.T
	clock *testclock.Clock
	svc   *releases.Coordinator
	bot   *Bot
	homes *Homes
	pub   *publisher
}

// newHomeEnv runs fn with a bot over a real store whose Homes publish to
// a recording publisher; nothing runs in the background.
func forEachHomeEnv(t *testing.T, max int, fn func(t *testing.T, e *homeEnv)) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			cfg := announceConfig(t)
			clock := testclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) // a Tuesday, before the train
			store := storetest.Open(t, db.URL(t), clock.Now)
			cal := scheduler.NewCalendar(timetableOf(cfg), scheduler.WithFreezes(store))
			svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Now: clock.Now, Gate: cal})
			b := New(Options{Coordinator: svc, Posts: store, Settings: settingsOf(cfg), Calendar: cal, Now: svc.Now})
			pub := &publisher{}
			h := NewHomes(HomesOptions{Bot: b, Publisher: pub, Now: clock.Now, MaxUsers: max})
			svc.AddNotifier(h)
			fn(t, &homeEnv{t: t, clock: clock, svc: svc, bot: b, homes: h, pub: pub})
		})
	}
}

// open opens user's Home and returns what was published.
func (e *homeEnv) open(user string) Message {
	e.t.Helper()
	n := len(e.pub.of(user))
	if err := e.homes.Opened(context.Background(), user); err != nil {
		e.t.Fatal(err)
	}
	got := e.pub.of(user)
	if len(got) != n+1 {
		e.t.Fatalf("opening %s's Home published %d views, want 1", user, len(got)-n)
	}
	return got[len(got)-1]
}

// later lets the interval pass, publishes what is due, and returns the
// last Home of user.
func (e *homeEnv) later(user string) Message {
	e.t.Helper()
	e.clock.Advance(DefaultHomeInterval)
	e.homes.RunOnce(context.Background())
	got := e.pub.of(user)
	if len(got) == 0 {
		e.t.Fatalf("no Home published for %s", user)
	}
	return got[len(got)-1]
}

func (e *homeEnv) command(user, text string) string {
	e.t.Helper()
	return e.bot.HandleCommand(context.Background(), Invocation{User: user, Channel: "C0REL", Text: text}).Text
}

// section returns the text of the Home under head, up to the next head.
func section(m Message, head string) string {
	_, rest, ok := strings.Cut(m.Text, "*"+head+"*\n")
	if !ok {
		return ""
	}
	body, _, _ := strings.Cut(rest, "\n\n*")
	return body
}

// homeButtons lists the Home's buttons as action:value.
func homeButtons(m Message) []string {
	var out []string
	for _, b := range m.Blocks {
		for _, btn := range b.Buttons {
			out = append(out, btn.ActionID+":"+btn.Value)
		}
	}
	return out
}

func TestHomeFollowsChanges(t *testing.T) {
	forEachHomeEnv(t, 0, func(t *testing.T, e *homeEnv) {
		ctx := context.Background()
		if got := section(e.open(homeAlice), "Waiting for you"); got != "Nothing waits for your sign-off." {
			t.Fatalf("alice's Home before any release: %q", got)
		}
		if got := section(e.open(homeDave), "Your releases"); got != "You have no open releases." {
			t.Fatalf("dave's Home before any release: %q", got)
		}

		// A request appears in Waiting for you, with its buttons.
		if reply := e.command(homeDave, "create payments-api v2.4.0 --window weekly-train"); !strings.HasPrefix(reply, "Opened R-1") {
			t.Fatal(reply)
		}
		home := e.later(homeAlice)
		if got := section(home, "Waiting for you"); !strings.Contains(got, "R-1 · payments-api v2.4.0* needs payments's sign-off") {
			t.Fatalf("alice's Home after the create:\n%s", home.Text)
		}
		if got := homeButtons(home); strings.Join(got, " ") != "new_release:create approve:1|payments reject:1|payments" {
			t.Errorf("alice's buttons: %v", got)
		}
		mine := section(e.pub.of(homeDave)[len(e.pub.of(homeDave))-1], "Your releases")
		if !strings.Contains(mine, "waiting for sign-off: payments 0 of 1, risk 0 of 1") || !strings.Contains(mine, "Next: sign-off from payments (<@U0ALICE>, <@U0BOB>), risk (<@U0CAROL>).") {
			t.Errorf("dave's releases after the create:\n%s", mine)
		}

		// Approving with the Home's button acts as the request's button and
		// takes the request off the Home.
		if note := e.bot.HandleAction(ctx, Action{User: homeAlice, Channel: homeAlice, ActionID: ActionApprove, Value: "1|payments"}); note != nil {
			t.Fatalf("approve from the Home: %s", note.Text)
		}
		if got := section(e.later(homeAlice), "Waiting for you"); got != "Nothing waits for your sign-off." {
			t.Errorf("alice's Home after approving: %q", got)
		}
		if got := section(e.pub.of(homeDave)[len(e.pub.of(homeDave))-1], "Your releases"); !strings.Contains(got, "risk 0 of 1") || strings.Contains(got, "payments 0 of 1") {
			t.Errorf("dave's releases after alice approved:\n%s", got)
		}

		// The same checks as the request's button: dave leads nothing.
		if note := e.bot.HandleAction(ctx, Action{User: homeDave, ActionID: ActionApprove, Value: "1|risk"}); note == nil {
			t.Error("dave's approval for risk was accepted")
		}

		// The last sign-off makes it ready: dave's Home says what comes next.
		e.open(homeCarol)
		if _, err := e.svc.SignOff(ctx, homeCarol, 1, "risk"); err != nil {
			t.Fatal(err)
		}
		mine = section(e.later(homeDave), "Your releases")
		if !strings.Contains(mine, "ready; waits for the window weekly-train") || !strings.Contains(mine, "it deploys when the window weekly-train opens") {
			t.Errorf("dave's releases once ready:\n%s", mine)
		}
		if got := section(e.pub.of(homeCarol)[len(e.pub.of(homeCarol))-1], "Waiting for you"); got != "Nothing waits for your sign-off." {
			t.Errorf("carol's Home after signing off: %q", got)
		}

		// A freeze over the window's opening holds it: Coming up says so,
		// on every Home, though no release changed.
		if reply := e.command("U0RM1", `freeze until "2026-12-01 18:00" "incident"`); !strings.Contains(reply, "frozen") {
			t.Fatal(reply)
		}
		coming := section(e.later(homeAlice), "Coming up")
		if !strings.Contains(coming, "weekly-train: Tue 1 Dec 2026 14:00 CET") || !strings.Contains(coming, "held by") || !strings.Contains(coming, "Holds R-1") {
			t.Errorf("alice's Coming up during the freeze:\n%s", coming)
		}

		// Cancelled, it leaves dave's releases.
		if reply := e.command(homeDave, `cancel R-1 "not today"`); !strings.HasPrefix(reply, "You cancelled") {
			t.Fatal(reply)
		}
		if got := section(e.later(homeDave), "Your releases"); got != "You have no open releases." {
			t.Errorf("dave's releases after cancelling: %q", got)
		}
	})
}

// Many changes within the interval make one publish per user, showing the
// last state; users who never opened their Home get none.
func TestHomeCoalescesPublishes(t *testing.T) {
	forEachHomeEnv(t, 0, func(t *testing.T, e *homeEnv) {
		ctx := context.Background()
		e.open(homeAlice)
		for i := range 10 {
			if reply := e.command(homeDave, "create payments-api v1."+string(rune('0'+i))); !strings.HasPrefix(reply, "Opened") {
				t.Fatal(reply)
			}
		}
		if n, next := e.homes.RunOnce(ctx); n != 0 || !next.Equal(e.clock.Now().Add(DefaultHomeInterval)) {
			t.Fatalf("within the interval: published %d, next at %v", n, next)
		}
		e.clock.Advance(DefaultHomeInterval - time.Second)
		if n, _ := e.homes.RunOnce(ctx); n != 0 {
			t.Fatalf("published %d before the interval passed", n)
		}
		e.clock.Advance(time.Second)
		if n, next := e.homes.RunOnce(ctx); n != 1 || !next.IsZero() {
			t.Fatalf("after the interval: published %d, next %v; want 1 and nothing waiting", n, next)
		}
		got := e.pub.of(homeAlice)
		if len(got) != 2 || strings.Count(section(got[1], "Waiting for you"), "needs payments's sign-off") != 10 {
			t.Fatalf("alice got %d Homes; the last:\n%s", len(got), got[len(got)-1].Text)
		}
		if n := len(e.pub.of(homeCarol)) + len(e.pub.of(homeDave)); n != 0 {
			t.Errorf("%d Homes published for users who never opened theirs", n)
		}
		// Opening it again within the interval publishes when it has passed.
		if err := e.homes.Opened(ctx, homeAlice); err != nil {
			t.Fatal(err)
		}
		if len(e.pub.of(homeAlice)) != 2 {
			t.Error("an opening within the interval published at once")
		}
		e.later(homeAlice)
		if len(e.pub.of(homeAlice)) != 3 {
			t.Error("the opening within the interval was never published")
		}
	})
}

// Only the users who opened their Home last are remembered; a rate limit
// puts the next publish off by Slack's Retry-After.
func TestHomeRemembersFewUsersAndHonoursRateLimits(t *testing.T) {
	forEachHomeEnv(t, 2, func(t *testing.T, e *homeEnv) {
		ctx := context.Background()
		e.open(homeAlice)
		e.open(homeCarol)
		e.open(homeDave) // alice is forgotten
		e.command(homeDave, "create payments-api v1")
		e.later(homeDave)
		if n := len(e.pub.of(homeAlice)); n != 1 {
			t.Errorf("alice, forgotten, got %d Homes", n)
		}
		if n := len(e.pub.of(homeCarol)); n != 2 {
			t.Errorf("carol got %d Homes, want 2", n)
		}

		e.pub.fail = &ChatError{Err: context.DeadlineExceeded, RateLimited: true, Wait: 30 * time.Second, Refused: true}
		e.command(homeDave, "cancel R-1")
		e.clock.Advance(DefaultHomeInterval)
		if n, next := e.homes.RunOnce(ctx); n != 0 || !next.Equal(e.clock.Now().Add(30*time.Second)) {
			t.Fatalf("rate-limited: published %d, next %v", n, next)
		}
		e.pub.fail = nil
		e.clock.Advance(29 * time.Second)
		if n, _ := e.homes.RunOnce(ctx); n != 0 {
			t.Fatal("published before Retry-After passed")
		}
		e.clock.Advance(time.Second)
		if n, _ := e.homes.RunOnce(ctx); n != 2 {
			t.Fatalf("published %d after Retry-After, want carol's and dave's", n)
		}
	})
}

// With a catalog the form's service is picked from it; without one, typed.
func TestCreateFormServicePicker(t *testing.T) {
	b := New(Options{Settings: settingsOf(announceConfig(t))})
	if in := b.CreateForm("C0REL").Inputs[0]; in.ID != releases.FieldService || in.Kind != InputText {
		t.Errorf("without a catalog: %+v", in)
	}
	cfg, err := config.Parse("catalog.yaml", []byte(announceYAML+`
services:
  - {name: payments-api, teams: [payments]}
  - {name: ledger, teams: [risk]}
`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	in := New(Options{Settings: settingsOf(cfg)}).CreateForm("C0REL").Inputs[0]
	if in.Kind != InputSelect || len(in.Options) != 2 || in.Options[0].Value != "payments-api" || in.Options[1].Value != "ledger" {
		t.Errorf("with a catalog: %+v", in)
	}
}
