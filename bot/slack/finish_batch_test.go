package slack_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
)

// finishCounter notes how the sender records ends: the ids of each call.
type finishCounter struct {
	*gormstore.Store
	calls [][]int64
}

func (f *finishCounter) FinishOutbox(ctx context.Context, id int64, status string, at time.Time, post *releases.Post) error {
	f.calls = append(f.calls, []int64{id})
	return f.Store.FinishOutbox(ctx, id, status, at, post)
}

func (f *finishCounter) FinishOutboxes(ctx context.Context, ends []releases.OutboxFinish) error {
	var ids []int64
	for _, e := range ends {
		ids = append(ids, e.ID)
	}
	f.calls = append(f.calls, ids)
	return f.Store.FinishOutboxes(ctx, ends)
}

// slowChat is a chat whose every post takes d of the tests' clock.
type slowChat struct {
	*slack.SlackChat
	h *harness
	d time.Duration
}

func (c slowChat) Post(ctx context.Context, channel, thread string, m bot.Message) (bot.Ref, error) {
	c.h.clock.Advance(c.d)
	return c.SlackChat.Post(ctx, channel, thread, m)
}

// The sender records the ends of the messages it sent together, not one
// statement each: the messages of three creates — every card and sign-off
// request at the head of its queue at once — in one call. Posts that are
// slow (as Slack's are, more than a tenth of a second) are recorded one at
// a time, so that a post is not unknown for long to the reactions on it.
func TestSenderRecordsEndsTogether(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		for i := range 3 {
			if r := h.command(dave, relChan, fmt.Sprintf("create payments-api v2.4.%d", i)); r.Text == "" {
				t.Fatal("no answer to create")
			}
		}
		ctx := context.Background()
		if _, err := h.relay.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		f := &finishCounter{Store: h.store}
		sender := bot.NewSender(f, h.store, slack.NewSlackChat(token, h.slack.URL+"/", nil), h.clock.Now, nil)
		if n, err := sender.RunOnce(ctx); err != nil || n != 9 {
			t.Fatalf("RunOnce = %d, %v; want the 9 cards and requests finished", n, err)
		}
		if len(f.calls) != 1 || len(f.calls[0]) != 9 {
			t.Errorf("ends recorded in calls of %v; want one call of 9", f.calls)
		}
		if got := len(h.slack.Posts("")); got != 9 {
			t.Errorf("Slack has %d posts, want 9", got)
		}

		for i := range 2 {
			h.command(dave, relChan, fmt.Sprintf("create payments-api v2.5.%d", i))
		}
		if _, err := h.relay.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		f.calls = nil
		slow := slowChat{SlackChat: slack.NewSlackChat(token, h.slack.URL+"/", nil), h: h, d: 100 * time.Millisecond}
		sender = bot.NewSender(f, h.store, slow, h.clock.Now, nil)
		if n, err := sender.RunOnce(ctx); err != nil || n != 6 {
			t.Fatalf("RunOnce = %d, %v; want the 6 cards and requests finished", n, err)
		}
		if len(f.calls) != 6 {
			t.Errorf("slow posts' ends recorded in calls of %v; want one call each", f.calls)
		}
	})
}
