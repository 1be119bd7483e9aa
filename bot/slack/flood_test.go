package slack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

const erin = "U0ERIN" // leads nothing; opens one hotfix

// quotaRefusal is the answer to dave's 21st create of the hour: t0 is
// 10:02:03 UTC, the hour of his first ends at 11:02:03 UTC, which is
// 12:02:03 in Berlin: "after 12:03".
const quotaRefusal = "You have opened 20 releases in the last hour; the limit is 20. Try again after 12:03 CET, or ask a release manager."

// TestCreateQuota: a person may open 20 releases in any hour (the default
// of limits.creates_per_hour); the 21st is refused with when to try
// again, and nothing is opened. Release managers are exempt. An hour after
// the first, the next goes through.
func TestCreateQuota(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		for i := range 20 {
			if r := h.command(dave, relChan, fmt.Sprintf("create svc%02d v1", i)); !strings.HasPrefix(r.Text, "Opened R-") {
				t.Fatalf("create %d of 20: %q", i+1, r.Text)
			}
		}
		h.clock.Advance(59 * time.Minute)
		if r := h.command(dave, relChan, "create svc20 v1"); r.Text != quotaRefusal {
			t.Fatalf("the 21st create in an hour: %q\nwant %q", r.Text, quotaRefusal)
		}
		if n := h.count(); n != 20 {
			t.Fatalf("%d releases after a refused create; want 20", n)
		}
		for i := range 21 { // U0RM1 is a release manager
			if r := h.command("U0RM1", relChan, fmt.Sprintf("create rm%02d v1", i)); !strings.HasPrefix(r.Text, "Opened R-") {
				t.Fatalf("release manager's create %d: %q", i+1, r.Text)
			}
		}
		h.clock.Set(time.Date(2026, 12, 1, 11, 3, 0, 0, time.UTC)) // 12:03 CET, as the refusal said
		if r := h.command(dave, relChan, "create svc20 v1"); !strings.HasPrefix(r.Text, "Opened R-") {
			t.Fatalf("at the time the refusal named: %q", r.Text)
		}
	})
}

// TestPacedChannelServesCreatorsInTurn: dave opens 20 releases, then erin
// one. With Slack's pace of one new message a second per channel, erin's
// sign-off requests go out within the first two posts of each team
// channel, not behind dave's twenty.
func TestPacedChannelServesCreatorsInTurn(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.sender.PostInterval = time.Second
		for i := range 20 {
			h.command(dave, relChan, fmt.Sprintf("create svc%02d v1", i))
		}
		hotfix := openedID(t, h.command(erin, relChan, "create hotfix-api v9"))
		drainPaced(t, h)
		for _, ch := range []string{payChan, riskChan, relChan} {
			if at := position(t, h, ch, hotfix); at > 2 {
				t.Errorf("%s: %s's message was post %d of %d; want it among the first two", ch, hotfix, at, len(h.slack.Posts(ch)))
			}
		}
	})
}

// TestFloodFromOneUser: 60 creates from one person in a burst open 20
// releases (40 refusals, each saying when to try again), and the leads
// get 20 requests from it, not 60; a hotfix opened by someone else right
// after has its sign-off requests posted second, not 21st.
func TestFloodFromOneUser(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.sender.PostInterval = time.Second
		refused := 0
		for i := range 60 {
			r := h.command(dave, relChan, fmt.Sprintf("create flood%02d v1", i))
			switch {
			case strings.HasPrefix(r.Text, "Opened R-"):
			case r.Text == quotaRefusal:
				refused++
			default:
				t.Fatalf("create %d: %q", i+1, r.Text)
			}
		}
		if refused != 40 {
			t.Fatalf("%d of 60 creates refused; want 40", refused)
		}
		hotfix := openedID(t, h.command(erin, relChan, "create hotfix-api v9"))
		drainPaced(t, h)
		for _, ch := range []string{payChan, riskChan} {
			if n := len(h.slack.Posts(ch)); n != 21 {
				t.Errorf("%s got %d sign-off requests; want 21 (20 of the flood, 1 hotfix)", ch, n)
			}
			if at := position(t, h, ch, hotfix); at > 2 {
				t.Errorf("%s: the hotfix's request was post %d; want it among the first two", ch, at)
			}
		}
	})
}

func openedID(t *testing.T, r reply) string {
	t.Helper()
	id, _, ok := strings.Cut(strings.TrimPrefix(r.Text, "Opened "), " ")
	if !strings.HasPrefix(r.Text, "Opened R-") || !ok {
		t.Fatalf("create: %q", r.Text)
	}
	return id
}

// drainPaced relays and sends, a second at a time, until the outbox is
// empty.
func drainPaced(t *testing.T, h *harness) {
	t.Helper()
	for range 200 {
		h.flush()
		if h.pending() == 0 {
			return
		}
		h.clock.Advance(time.Second)
	}
	t.Fatalf("the outbox still holds %d messages after 200 s", h.pending())
}

// position is where (1, 2, …) the first post in ch naming release id is.
func position(t *testing.T, h *harness, ch, id string) int {
	t.Helper()
	for i, p := range h.slack.Posts(ch) {
		if strings.Contains(p.Text, id+" ") || strings.Contains(p.Text, id+"*") || strings.Contains(p.Text, id+":") {
			return i + 1
		}
	}
	t.Fatalf("nothing in %s names %s", ch, id)
	return 0
}

// TestExpiredReleaseSaysSoInItsThread: a release still awaiting sign-off
// 14 days after it was opened (the default of limits.signoff_expiry) is
// cancelled by releasebot, which says why in its thread.
func TestExpiredReleaseSaysSoInItsThread(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		card, _, _ := h.create(dave, "create payments-api v2.4.0")
		sched := scheduler.New(wire.Scheduler(h.cfg, scheduler.Options{Calendar: scheduler.NewCalendar(wire.Timetable(h.cfg)), Releases: h.svc,
			Firings: h.store, History: h.store, Now: h.clock.Now}))
		h.clock.Advance(14 * 24 * time.Hour)
		if _, err := sched.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.flush()
		if st := h.release(1).Status; st != releases.StatusCancelled {
			t.Fatalf("R-1 after 14 days: %s; want cancelled", st)
		}
		replies := h.slack.Replies(card.PostedTS)
		want := ":no_entry_sign: R-1 expired after 14 days without all sign-offs; cancelled."
		if len(replies) == 0 || replies[len(replies)-1].Text != want {
			t.Fatalf("thread replies: %+v\nwant the last to say %q", replies, want)
		}
	})
}
