package slack_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack"
	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/internal/syncbuf"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
)

// errKilled stands for a kill -9: the process is gone before it records
// what it did.
var errKilled = errors.New("killed")

// dyingStore is the outbox of a sender that is killed right after Slack
// took its message of op (for team, if set): the post is in Slack, its ts
// is never recorded, and the claim holds until its lease lapses.
type dyingStore struct {
	*gormstore.Store
	op    releases.OutboxOp
	team  string
	mine  map[int64]bool
	dead  bool
	posts int
}

func (d *dyingStore) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int, pace time.Duration) ([]releases.OutboxEntry, error) {
	entries, err := d.Store.ClaimOutbox(ctx, now, lease, limit, pace)
	for _, e := range entries {
		if e.Op == d.op && (d.team == "" || e.Team == d.team) {
			d.mine[e.ID] = true
		}
	}
	return entries, err
}

func (d *dyingStore) FinishOutbox(ctx context.Context, id int64, status string, at time.Time, post *releases.Post) error {
	if d.dead || (d.mine[id] && status == releases.OutboxSent) {
		d.dead = true
		return errKilled
	}
	return d.Store.FinishOutbox(ctx, id, status, at, post)
}

// FinishOutboxes dies as FinishOutbox does: none of the ends is recorded.
func (d *dyingStore) FinishOutboxes(ctx context.Context, ends []releases.OutboxFinish) error {
	for _, e := range ends {
		if d.dead || (d.mine[e.ID] && e.Status == releases.OutboxSent) {
			d.dead = true
			return errKilled
		}
	}
	return d.Store.FinishOutboxes(ctx, ends)
}

// killSenderAfter relays what happened and sends with a sender that is
// killed right after Slack took its message of op (for team, if set);
// the harness is then restarted, as serve would be.
func (h *harness) killSenderAfter(op releases.OutboxOp, team string) {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.relay.RunOnce(ctx); err != nil {
		h.t.Fatal(err)
	}
	d := &dyingStore{Store: h.store, op: op, team: team, mine: map[int64]bool{}}
	dying := bot.NewSender(d, h.store, slack.NewSlackChat(token, h.slack.URL+"/", nil), h.clock.Now, nil)
	if err := dying.Drain(ctx); !errors.Is(err, errKilled) {
		h.t.Fatalf("the sender was not killed after %s %s: %v; Slack saw %v", op, team, err, h.slack.Calls())
	}
	h.start()
}

// A sender killed after Slack took a message, before it recorded the
// message's ts: once its claim lapses, the next sender finds the message
// in Slack (its metadata names the queued entry) and records it, instead
// of posting it a second time.
func TestSlackSenderFindsItsPostAfterACrash(t *testing.T) {
	tests := []struct {
		name string
		op   releases.OutboxOp
		team string
		// before sets the scene before the sender is killed.
		before func(h *harness)
		check  func(t *testing.T, h *harness)
	}{
		{name: "release card", op: releases.OpPostCard,
			check: func(t *testing.T, h *harness) {
				card := h.posts(relChan, 1)[0]
				pay := h.posts(payChan, 1)[0]
				h.react(slacktest.Reaction{EventID: "EvOK", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.TS})
				h.flush()
				if replies := h.slack.Replies(card.TS); len(replies) != 1 || !strings.Contains(replies[0].Text, "signed off for payments") {
					t.Errorf("the thread of the card posted before the crash: %+v", replies)
				}
			}},
		{name: "sign-off request", op: releases.OpPostRequest, team: "payments",
			check: func(t *testing.T, h *harness) {
				req := h.posts(payChan, 1)[0]
				h.react(slacktest.Reaction{EventID: "EvOK", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: req.TS})
				if r := h.release(1); len(r.Approvals("payments")) != 1 {
					t.Errorf("the ✅ on the request posted before the crash was ignored: %v", signoffs(r))
				}
			}},
		{name: "thread reply", op: releases.OpReply,
			before: func(h *harness) {
				_, pay, _ := h.create(dave, createText)
				h.react(slacktest.Reaction{EventID: "EvPay", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS})
			},
			check: func(t *testing.T, h *harness) {
				card := h.posts(relChan, 1)[0]
				if replies := h.slack.Replies(card.TS); len(replies) != 1 {
					t.Errorf("the thread has %d replies, want the sign-off told once: %+v", len(replies), replies)
				}
				if m, _ := h.slack.Message(relChan, card.TS); m.Updates != 1 {
					t.Errorf("the card was updated %d times, want once, after the reply", m.Updates)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, h *harness) {
				if tt.before != nil {
					tt.before(h)
				} else {
					h.command(dave, relChan, createText)
				}
				h.killSenderAfter(tt.op, tt.team)
				posted := len(h.slack.Delivered(slacktest.PostMessage))

				if tt.op == releases.OpPostRequest {
					// While the dead sender's claim holds, a ✅ on its post
					// is answered 503: Slack retries it later.
					ev := slacktest.Reaction{EventID: "EvEarly", User: alice, Reaction: "white_check_mark", Channel: payChan,
						TS: h.last(payChan).PostedTS}
					if w := h.send(ev.Request()); w.Code != http.StatusServiceUnavailable {
						t.Errorf("a ✅ while the post is in flight: HTTP %d, want 503", w.Code)
					}
				}
				h.flush()
				if n := len(h.slack.Delivered(slacktest.PostMessage)); n != posted {
					t.Fatalf("posted while the dead sender's claim holds: %v", h.slack.Calls())
				}
				h.clock.Advance(31 * time.Second) // the claim lapses
				h.flush()
				if n := h.pending(); n != 0 {
					t.Errorf("%d messages still queued", n)
				}
				tt.check(t, h)
			})
		})
	}
}

// posts returns channel's top-level messages and fails unless there are
// want of them.
func (h *harness) posts(channel string, want int) []slacktest.Message {
	h.t.Helper()
	ms := h.slack.Messages(channel)
	if len(ms) != want {
		var seen []string
		for _, m := range ms {
			first, _, _ := strings.Cut(m.Text, "\n")
			seen = append(seen, m.TS+" "+first)
		}
		h.t.Fatalf("%d messages in %s, want %d: %q", len(ms), channel, want, seen)
	}
	return ms
}

// A lead reacts ✅ on a sign-off request whose sender was killed before it
// recorded the post, after its claim lapsed and before another sender
// took it over: the bot reads the message's metadata, records the post and
// counts the sign-off; the request is not posted again.
func TestSlackReactionOnAnUnrecordedRequestCounts(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.command(dave, relChan, createText)
		h.killSenderAfter(releases.OpPostRequest, "payments")
		h.clock.Advance(31 * time.Second)
		req := h.last(payChan)
		h.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: req.PostedTS})
		if r := h.release(1); len(r.Approvals("payments")) != 1 {
			t.Fatalf("the ✅ was ignored: %v", signoffs(r))
		}
		if p, err := h.store.FindPost(context.Background(), payChan, req.PostedTS); err != nil || p.ReleaseID != 1 || p.Team != "payments" {
			t.Errorf("the request's post: %+v, %v", p, err)
		}
		h.flush()
		h.posts(payChan, 1)
		card := h.last(relChan)
		if replies := h.slack.Replies(card.PostedTS); len(replies) != 1 || !strings.Contains(replies[0].Text, "signed off for payments") {
			t.Errorf("thread: %+v", replies)
		}
		if m, _ := h.slack.Message(payChan, req.PostedTS); m.Updates == 0 {
			t.Errorf("the adopted request was never updated")
		}
		if n := h.pending(); n != 0 {
			t.Errorf("%d messages still queued", n)
		}
	})
}

// When the bot could not read Slack's history at the reclaim, the request
// was posted again and that copy recorded: a ✅ on the first copy counts
// all the same, once the bot may read it.
func TestSlackReactionOnTheFirstOfTwoCopiesCounts(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.slack.RemoveScopes("channels:history", "groups:history")
		h.command(dave, relChan, createText)
		h.killSenderAfter(releases.OpPostRequest, "payments")
		h.clock.Advance(31 * time.Second)
		h.flush()
		copies := h.posts(payChan, 2)
		h.slack.GrantScopes("channels:history", "groups:history")
		h.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: copies[0].TS})
		if r := h.release(1); len(r.Approvals("payments")) != 1 {
			t.Fatalf("the ✅ on the first copy was ignored: %v", signoffs(r))
		}
	})
}

// Only the bot's own, queued requests are adopted, and only reactions in
// a team's sign-off channel make the bot read a message.
func TestSlackReactionOnAnUnknownMessage(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.create(dave, createText)
		// A message that claims to be a request of R-1, posted for no entry
		// this releasebot queued (another app, another releasebot).
		api := slackgo.New(token, slackgo.OptionAPIURL(h.slack.URL+"/"))
		forged := slackgo.SlackMetadata{EventType: "releasebot_post",
			EventPayload: map[string]any{"entry": 999, "release": "R-1", "kind": "signoff_request", "team": "payments"}}
		_, ts, err := api.PostMessage(payChan, slackgo.MsgOptionText("approve me", false), slackgo.MsgOptionMetadata(forged))
		if err != nil {
			t.Fatal(err)
		}
		h.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: ts})
		if r := h.release(1); len(r.SignOffs) != 0 {
			t.Errorf("a ✅ on a forged request counted: %v", signoffs(r))
		}
		calls := len(h.slack.Calls())
		h.react(slacktest.Reaction{EventID: "Ev2", User: alice, Reaction: "white_check_mark", Channel: relChan, TS: "1700000000.000001"})
		if got := h.slack.Calls()[calls:]; len(got) != 0 {
			t.Errorf("a ✅ outside the sign-off channels made the bot call Slack: %v", got)
		}
	})
}

// Without channels:history the bot can't look for its earlier copy: it
// says so in the log and posts again (a duplicate is better than a lost
// request).
func TestSlackSenderPostsAgainWithoutHistoryScope(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.slack.RemoveScopes("channels:history", "groups:history")
		h.command(dave, relChan, createText)
		h.killSenderAfter(releases.OpPostRequest, "payments")
		h.clock.Advance(31 * time.Second)
		var logs syncbuf.Buffer
		sender := bot.NewSender(h.store, h.store, slack.NewSlackChat(token, h.slack.URL+"/", nil), h.clock.Now,
			slog.New(slog.NewTextHandler(&logs, nil)))
		if err := sender.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		copies := h.posts(payChan, 2)
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "missing_scope") {
			t.Errorf("no warning about the missing scope in the log:\n%s", logs.String())
		}
		if p, err := h.store.FindPost(context.Background(), payChan, copies[1].TS); err != nil || p.Team != "payments" {
			t.Errorf("the second copy is not recorded: %+v, %v", p, err)
		}
		if n := h.pending(); n != 0 {
			t.Errorf("%d messages still queued", n)
		}
	})
}

// Slack took the card but its answer was lost (a 500 from a proxy): the
// retry finds the card instead of posting a second.
func TestSlackServerErrorAfterTheCardWasTaken(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.command(dave, relChan, createText)
		h.slack.FailNext(1, slacktest.Failure{Status: http.StatusInternalServerError, TookEffect: true})
		h.flush()
		h.clock.Advance(2 * time.Second)
		h.flush()
		card := h.posts(relChan, 1)[0]
		if p, err := h.store.FindPost(context.Background(), relChan, card.TS); err != nil || p.Kind != releases.PostCard {
			t.Errorf("the card taken before the 500 is not recorded: %+v, %v", p, err)
		}
		h.posts(payChan, 1)
	})
}
