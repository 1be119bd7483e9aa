package bot

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// HomePublisher shows a user their Home view (in Slack, views.publish);
// *slack.SlackChat is one.
type HomePublisher interface {
	PublishHome(ctx context.Context, user string, m Message) error
}

// Defaults of HomesOptions.
const (
	// DefaultHomeInterval is the least time between two publishes of one
	// user's Home. Slack allows views.publish about 100 times a minute
	// (Tier 4) and counts per workspace; a few seconds per user keeps a
	// burst of changes (a release's sign-offs, a deploy) to one publish
	// each, showing the last state.
	DefaultHomeInterval = 5 * time.Second
	// DefaultHomeUsers is how many users' Homes are kept current: those
	// who opened it last. Others get theirs when they open it again.
	DefaultHomeUsers = 10000
)

// HomesOptions configure Homes; Bot and Publisher are required.
type HomesOptions struct {
	Bot       *Bot
	Publisher HomePublisher
	Now       func() time.Time // default: the bot's clock
	Interval  time.Duration    // default DefaultHomeInterval
	MaxUsers  int              // default DefaultHomeUsers
	Logger    *slog.Logger
}

// Homes keeps users' Home views current. A user who opened their Home is
// remembered (the last MaxUsers of them); a change to a release marks the
// Homes it shows in (its creator's, its teams' leads') out of date, and a
// freeze or its end marks everyone's. Out-of-date Homes are published
// again at most once per Interval per user, rendered when published, so a
// burst of changes costs one publish that shows the last state.
//
// What it remembers is this process's: with several replicas, a user's
// Home is refreshed for changes made in the replica that served their
// last opening of it, and brought up to date whenever they open it.
type Homes struct {
	bot      *Bot
	pub      HomePublisher
	now      func() time.Time
	interval time.Duration
	max      int
	log      *slog.Logger
	kick     chan struct{}

	mu    sync.Mutex
	users map[string]*list.Element // of *homeUser
	order *list.List               // most recently opened first
}

type homeUser struct {
	id        string
	published time.Time // last publish (or attempt)
	notBefore time.Time // Slack asked us to wait until
	stale     bool      // something in it changed since
	busy      bool      // being published
	failures  int       // in a row
}

// homeMaxFailures is how many failed publishes in a row end the retries
// for a user's Home until it changes again or they open it.
const homeMaxFailures = 3

var _ releases.Notifier = (*Homes)(nil)

// NewHomes returns the keeper of Homes published through opts.Publisher,
// and tells opts.Bot of it so that freezes mark every Home.
func NewHomes(opts HomesOptions) *Homes {
	h := &Homes{bot: opts.Bot, pub: opts.Publisher, now: opts.Now, interval: opts.Interval, max: opts.MaxUsers, log: opts.Logger,
		kick: make(chan struct{}, 1), users: map[string]*list.Element{}, order: list.New()}
	if h.now == nil {
		h.now = opts.Bot.now
	}
	if h.interval <= 0 {
		h.interval = DefaultHomeInterval
	}
	if h.max <= 0 {
		h.max = DefaultHomeUsers
	}
	if h.log == nil {
		h.log = opts.Bot.log
	}
	opts.Bot.homes = h
	return h
}

// Opened publishes user's Home, who just opened it, and remembers them.
// A Home published less than Interval ago is published again when that
// has passed (by Run), not at once.
func (h *Homes) Opened(ctx context.Context, user string) error {
	if user == "" {
		return nil
	}
	h.mu.Lock()
	u := h.remember(user)
	u.failures = 0
	now := h.now()
	if u.busy || now.Before(h.due(u)) {
		u.stale = true
		h.mu.Unlock()
		h.wake()
		return nil
	}
	u.busy = true
	h.mu.Unlock()
	return h.publish(ctx, u)
}

// remember records user as having opened their Home, forgetting the one
// who opened it longest ago when there are too many; h.mu is held.
func (h *Homes) remember(user string) *homeUser {
	if e, ok := h.users[user]; ok {
		h.order.MoveToFront(e)
		return e.Value.(*homeUser)
	}
	u := &homeUser{id: user}
	h.users[user] = h.order.PushFront(u)
	for h.order.Len() > h.max {
		last := h.order.Back()
		h.order.Remove(last)
		delete(h.users, last.Value.(*homeUser).id)
	}
	return u
}

// due is the earliest time u's Home may be published again; h.mu is held.
func (h *Homes) due(u *homeUser) time.Time {
	t := u.published.Add(h.interval)
	if u.notBefore.After(t) {
		t = u.notBefore
	}
	return t
}

// ReleaseChanged marks out of date the Homes c's release shows in: its
// creator's and its teams' leads'.
func (h *Homes) ReleaseChanged(_ context.Context, c releases.Change) {
	affected := []string{c.Release.CreatedBy}
	for _, team := range c.Release.Teams {
		if t, ok := h.bot.cfg.Team(team); ok {
			affected = append(affected, t.Leads...)
		}
	}
	h.mark(affected)
}

// Everyone marks every remembered Home out of date: what is coming up
// changed (a freeze was declared or lifted).
func (h *Homes) Everyone() { h.mark(nil) }

// mark marks the Homes of users (every remembered one when nil) out of
// date.
func (h *Homes) mark(users []string) {
	h.mu.Lock()
	n := 0
	set := func(u *homeUser) {
		u.stale, u.failures = true, 0
		n++
	}
	if users == nil {
		for _, e := range h.users {
			set(e.Value.(*homeUser))
		}
	}
	for _, id := range users {
		if e, ok := h.users[id]; ok {
			set(e.Value.(*homeUser))
		}
	}
	h.mu.Unlock()
	if n > 0 {
		h.wake()
	}
}

func (h *Homes) wake() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// RunOnce publishes the out-of-date Homes that are due and returns how
// many it published, and when the next one is due (zero: none is waiting).
func (h *Homes) RunOnce(ctx context.Context) (int, time.Time) {
	h.mu.Lock()
	now := h.now()
	var due []*homeUser
	var next time.Time
	for e := h.order.Front(); e != nil; e = e.Next() {
		u := e.Value.(*homeUser)
		if !u.stale || u.busy {
			continue
		}
		if at := h.due(u); now.Before(at) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		u.stale, u.busy = false, true
		due = append(due, u)
	}
	h.mu.Unlock()
	n := 0
	for _, u := range due {
		if h.publish(ctx, u) == nil {
			n++
		}
	}
	if len(due) > 0 {
		// Publishing took time and may have failed: ask again.
		_, next = h.peek()
	}
	return n, next
}

// peek returns how many Homes are out of date and when the first is due.
func (h *Homes) peek() (int, time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	var next time.Time
	for _, e := range h.users {
		u := e.Value.(*homeUser)
		if !u.stale {
			continue
		}
		n++
		if at := h.due(u); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return n, next
}

// publish renders and publishes u's Home; u.busy is set. A failure that
// may pass (a rate limit, Slack down) leaves the Home out of date, to be
// tried again after Retry-After or Interval, up to homeMaxFailures times.
func (h *Homes) publish(ctx context.Context, u *homeUser) error {
	m, err := h.bot.Home(ctx, u.id)
	if err == nil {
		err = h.pub.PublishHome(ctx, u.id, m)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	u.busy, u.published = false, h.now()
	if err == nil {
		u.failures = 0
		return nil
	}
	u.failures++
	wait, transient := retryAfter(err, u.failures)
	var ce *ChatError
	if errors.As(err, &ce) && ce.RateLimited {
		u.notBefore = u.published.Add(wait)
	}
	if transient && u.failures < homeMaxFailures {
		u.stale = true
	}
	h.log.WarnContext(ctx, "publish a Home view", "user", u.id, "err", err, "retry", u.stale)
	return err
}

// Run publishes out-of-date Homes as they fall due until ctx ends.
func (h *Homes) Run(ctx context.Context) {
	for {
		_, next := h.RunOnce(ctx)
		var timer *time.Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			timer = time.NewTimer(max(next.Sub(h.now()), 10*time.Millisecond))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-h.kick:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}
