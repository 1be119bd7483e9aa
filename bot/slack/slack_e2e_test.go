package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases"
)

const createText = `create payments-api v2.4.0 --window weekly-train --notes "fixes the login bug"`

func TestSlackSignatureFailuresChangeNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		create := slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: "create payments-api v2.4.0",
			ResponseURL: h.slack.NewResponseURL()}.Request()
		// Slack's own documented request, signed correctly, in 2018.
		doc := slacktest.Request{Path: "/slack/commands", ContentType: slacktest.FormType,
			Body: []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")}
		now := time.Now()
		at := func(d time.Duration) func() time.Time { return func() time.Time { return now.Add(d) } }
		tests := []struct {
			name   string
			signer slacktest.Signer
			req    slacktest.Request
			edit   func(r *http.Request)
		}{
			{name: "bad signature", signer: h.signer, req: create,
				edit: func(r *http.Request) { r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32)) }},
			{name: "missing signature", signer: h.signer, req: create,
				edit: func(r *http.Request) { r.Header.Del("X-Slack-Signature") }},
			{name: "missing timestamp", signer: h.signer, req: create,
				edit: func(r *http.Request) { r.Header.Del("X-Slack-Request-Timestamp") }},
			{name: "no headers at all", signer: h.signer, req: create,
				edit: func(r *http.Request) {
					r.Header.Del("X-Slack-Signature")
					r.Header.Del("X-Slack-Request-Timestamp")
				}},
			{name: "another app's secret", signer: slacktest.Signer{Secret: "e6b19c573432dcc6b075501d51b51bb8"}, req: create},
			{name: "body changed after signing", signer: h.signer, req: create,
				edit: func(r *http.Request) {
					body := strings.Replace(string(create.Body), dave, "U0RM1", 1)
					r.Body, r.ContentLength = readCloser(body), int64(len(body))
				}},
			{name: "timestamp changed after signing", signer: h.signer, req: create,
				edit: func(r *http.Request) {
					r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()-1, 10))
				}},
			{name: "stale: 6 minutes old", signer: slacktest.Signer{Secret: secret, Now: at(-6 * time.Minute)}, req: create},
			{name: "from the future: 6 minutes ahead", signer: slacktest.Signer{Secret: secret, Now: at(6 * time.Minute)}, req: create},
			{name: "Slack's documented request, replayed years later", signer: slacktest.Signer{Secret: secret,
				Now: func() time.Time { return time.Unix(1531420618, 0) }}, req: doc},
			{name: "stale event", signer: slacktest.Signer{Secret: secret, Now: at(-5*time.Minute - 2*time.Second)},
				req: slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: "1.2"}.Request()},
			{name: "unsigned url_verification", signer: h.signer, req: slacktest.URLVerification("challenge"),
				edit: func(r *http.Request) { r.Header.Del("X-Slack-Signature") }},
			{name: "forged interaction", signer: slacktest.Signer{Secret: "not-the-secret"},
				req: slacktest.BlockAction{UserID: alice, Channel: payChan, MessageTS: "1.2", ActionID: "approve", Value: "1|payments"}.Request()},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := tt.signer.New("", tt.req)
				if tt.edit != nil {
					tt.edit(req)
				}
				w := h.serve(req)
				if w.Code != http.StatusUnauthorized {
					t.Errorf("HTTP %d, want 401: %s", w.Code, w.Body)
				}
				if strings.Contains(w.Body.String(), "challenge") {
					t.Errorf("an unsigned url_verification was answered: %s", w.Body)
				}
			})
		}
		h.flush()
		if n := h.count(); n != 0 {
			t.Errorf("%d releases after refused requests, want none", n)
		}
		if calls := h.slack.Calls(); len(calls) != 0 {
			t.Errorf("Slack was called after refused requests: %+v", calls)
		}
		// The same request, signed properly, goes through: the refusals
		// were about the signatures.
		if r := h.command(dave, relChan, "create payments-api v2.4.0"); !strings.HasPrefix(r.Text, "Opened R-1") {
			t.Errorf("signed create: %q", r.Text)
		}
	})
}

func TestSlackCreatePostsCardAndOneRequestPerTeam(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		r := h.command(dave, relChan, createText)
		if r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Opened R-1 · payments-api v2.4.0") ||
			!strings.Contains(r.Text, "<#C0PAY> (payments)") || !strings.Contains(r.Text, "<#C0RISK> (risk)") {
			t.Errorf("create answer: %+v", r)
		}
		if len(h.slack.Calls()) != 0 {
			t.Errorf("Slack was called before the outbox was flushed: %+v", h.slack.Calls())
		}
		h.flush()
		posts := h.slack.Posts("")
		if len(posts) != 3 {
			t.Fatalf("%d posts, want the card and two requests: %+v", len(posts), posts)
		}
		card := posts[0]
		if card.Channel != relChan || !strings.Contains(card.Text, "R-1") || !strings.Contains(string(card.Blocks), "R-1 · payments-api v2.4.0") {
			t.Errorf("card: %+v", card)
		}
		for i, want := range []struct{ channel, team string }{{payChan, "payments"}, {riskChan, "risk"}} {
			req := posts[i+1]
			if req.Channel != want.channel || req.ThreadTS != "" {
				t.Errorf("request %d went to %s (thread %q), want %s", i, req.Channel, req.ThreadTS, want.channel)
			}
			for _, s := range []string{"R-1", "Sign-off needed from " + want.team, "React :white_check_mark: to approve, :x: to reject"} {
				if !strings.Contains(req.Text, s) {
					t.Errorf("request to %s lacks %q: %s", want.channel, s, req.Text)
				}
			}
			got := buttons(t, req.Blocks)
			wantButtons := []button{{ActionID: "approve", Value: "1|" + want.team, Text: "Approve", Style: "primary"},
				{ActionID: "reject", Value: "1|" + want.team, Text: "Reject", Style: "danger"}}
			if !slices.Equal(got, wantButtons) {
				t.Errorf("request to %s has buttons %+v, want %+v", want.channel, got, wantButtons)
			}
		}
		for _, c := range h.slack.Calls() {
			if c.Token != token {
				t.Errorf("%s sent token %q", c.Method, c.Token)
			}
		}
		if n := h.pending(); n != 0 {
			t.Errorf("%d messages still queued", n)
		}
		// Nothing new happened: flushing again sends nothing.
		before := len(h.slack.Calls())
		h.flush()
		if after := len(h.slack.Calls()); after != before {
			t.Errorf("an idle flush made %d calls", after-before)
		}
	})
}

func TestSlackReactionsThatChangeNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		card, pay, _ := h.create(dave, createText)
		// bob leads payments and opens R-2: the four-eyes rule stops him.
		if r := h.command(bob, relChan, "create ledger v1.9.0"); !strings.HasPrefix(r.Text, "Opened R-2") {
			t.Fatalf("create R-2: %q", r.Text)
		}
		h.flush()
		pay2 := h.last(payChan)
		tests := []struct {
			name     string
			event    slacktest.Reaction
			release  int64
			wantNote string // to the reacting user alone; "" for silence
		}{
			{name: "non-lead approves", release: 1, wantNote: "Only payments' leads (<@U0ALICE>, <@U0BOB>) can sign off R-1", // Slack names them
				event: slacktest.Reaction{User: dave, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS}},
			{name: "non-lead rejects", release: 1, wantNote: "Only payments' leads",
				event: slacktest.Reaction{User: dave, Reaction: "x", Channel: payChan, TS: pay.PostedTS}},
			{name: "a lead of another team", release: 1, wantNote: "Only payments' leads",
				event: slacktest.Reaction{User: carol, Reaction: "heavy_check_mark", Channel: payChan, TS: pay.PostedTS}},
			{name: "the creator, who leads the team", release: 2, wantNote: "four-eyes",
				event: slacktest.Reaction{User: bob, Reaction: "+1", Channel: payChan, TS: pay2.PostedTS}},
			{name: "a lead on the card, not a request", release: 1,
				event: slacktest.Reaction{User: alice, Reaction: "white_check_mark", Channel: relChan, TS: card.PostedTS}},
			{name: "a lead on an unknown message", release: 1,
				event: slacktest.Reaction{User: alice, Reaction: "white_check_mark", Channel: payChan, TS: "1700000000.000001"}},
			{name: "the request's ts in another channel", release: 1,
				event: slacktest.Reaction{User: alice, Reaction: "white_check_mark", Channel: riskChan, TS: pay.PostedTS}},
			{name: "a lead's other emoji", release: 1,
				event: slacktest.Reaction{User: alice, Reaction: "eyes", Channel: payChan, TS: pay.PostedTS}},
			{name: "a non-lead removes a ✅ never counted", release: 1,
				event: slacktest.Reaction{User: dave, Reaction: "white_check_mark", Removed: true, Channel: payChan, TS: pay.PostedTS}},
			{name: "a lead removes a ❌", release: 1,
				event: slacktest.Reaction{User: alice, Reaction: "x", Removed: true, Channel: payChan, TS: pay.PostedTS}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, auditBefore, calls := h.release(tt.release), len(h.audit(tt.release)), len(h.slack.Calls())
				tt.event.EventID = fmt.Sprintf("Ev%03d", i)
				h.react(tt.event)
				h.flush()
				after := h.release(tt.release)
				if after.Status != before.Status || len(after.SignOffs) != len(before.SignOffs) || len(h.audit(tt.release)) != auditBefore {
					t.Errorf("the release changed: %s %v → %s %v", before.Status, signoffs(before), after.Status, signoffs(after))
				}
				// Reading an unknown message (it may be a request whose post
				// was never recorded) says nothing to anyone.
				var got []slacktest.Call
				for _, c := range h.slack.Calls()[calls:] {
					if c.Method != slacktest.History {
						got = append(got, c)
					}
				}
				switch {
				case tt.wantNote == "" && len(got) != 0:
					t.Errorf("Slack was called: %+v", got)
				case tt.wantNote != "" && (len(got) != 1 || got[0].Method != slacktest.PostEphemeral):
					t.Errorf("want one ephemeral note, got %+v", got)
				case tt.wantNote != "":
					if n := got[0]; n.User != tt.event.User || n.Channel != tt.event.Channel || !strings.Contains(n.Text, tt.wantNote) {
						t.Errorf("note to %s in %s: %q, want one to %s in %s mentioning %q", n.User, n.Channel, n.Text,
							tt.event.User, tt.event.Channel, tt.wantNote)
					}
				}
			})
		}
	})
}

func TestSlackLeadReactionCountsOnceHoweverOftenDelivered(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		card, pay, risk := h.create(dave, createText)
		calls := len(h.slack.Calls())
		ev := slacktest.Reaction{EventID: "Ev0ALICE1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS}
		for retry := range 4 { // the original, then Slack's retries 1..3
			ev.Retry = retry
			h.react(ev)
			h.flush()
		}
		r := h.release(1)
		if got := signoffs(r); !slices.Equal(got, []string{"payments:U0ALICE:approved"}) || r.Status != releases.StatusAwaitingSignoff {
			t.Errorf("after four deliveries: %s %v, want one sign-off by alice", r.Status, got)
		}
		replies := h.slack.Replies(card.PostedTS)
		if len(replies) != 1 {
			t.Fatalf("%d thread replies, want 1: %+v", len(replies), replies)
		}
		if rep := replies[0]; rep.Channel != relChan || rep.ThreadTS != card.PostedTS ||
			!strings.Contains(rep.Text, "<@U0ALICE> signed off for payments (1 of 1)") {
			t.Errorf("reply: %+v", rep)
		}
		// The card and both requests were updated in place, once each.
		var updated []string
		for _, c := range h.slack.Calls()[calls:] {
			if c.Method == slacktest.Update {
				updated = append(updated, c.Channel+"/"+c.TS)
			}
			if c.Method == slacktest.PostMessage && c.ThreadTS == "" {
				t.Errorf("a new top-level post: %+v", c)
			}
		}
		// (Each message's queue is in order; the three queues are not in
		// step with one another.)
		want := []string{relChan + "/" + card.PostedTS, payChan + "/" + pay.PostedTS, riskChan + "/" + risk.PostedTS}
		slices.Sort(updated)
		slices.Sort(want)
		if !slices.Equal(updated, want) {
			t.Errorf("chat.update calls %v, want %v", updated, want)
		}
		if m, _ := h.slack.Message(relChan, card.PostedTS); !strings.Contains(m.Text, "payments 1/1 (<@U0ALICE>)") {
			t.Errorf("the card was not brought up to date: %s", m.Text)
		}
		if m, _ := h.slack.Message(payChan, pay.PostedTS); !strings.Contains(m.Text, "Signed off by <@U0ALICE>") {
			t.Errorf("payments' request was not brought up to date: %s", m.Text)
		}

		// A retry whose original never arrived is processed.
		h.react(slacktest.Reaction{EventID: "Ev0CAROL1", Retry: 2, User: carol, Reaction: "+1::skin-tone-3", Channel: riskChan, TS: risk.PostedTS})
		h.flush()
		r = h.release(1)
		if r.Status != releases.StatusReady || len(r.SignOffs) != 2 {
			t.Errorf("after carol's retried event: %s %v, want ready with two sign-offs", r.Status, signoffs(r))
		}
		if n := len(h.slack.Replies(card.PostedTS)); n != 2 {
			t.Errorf("%d thread replies, want 2", n)
		}
	})
}

// Slack may hand the same event to two replicas at once; one of them
// processes it. A replica that finds it being processed elsewhere answers
// 503, and Slack's retry of that delivery is then answered 200 and changes
// nothing.
func TestSlackSameEventAtTwoReplicasCountsOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		card, pay, _ := h.create(dave, createText)
		replicas := []http.Handler{h.router, h.replica(), h.router, h.replica()}
		ev := slacktest.Reaction{EventID: "Ev0TWICE", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS}
		codes := make([]int, len(replicas))
		var wg sync.WaitGroup
		for i, r := range replicas {
			wg.Go(func() {
				w := httptest.NewRecorder()
				r.ServeHTTP(w, h.signer.New("", ev.Request()))
				codes[i] = w.Code
			})
		}
		wg.Wait()
		for i, c := range codes {
			switch c {
			case http.StatusOK:
			case http.StatusServiceUnavailable: // busy elsewhere: Slack retries
				w := httptest.NewRecorder()
				replicas[i].ServeHTTP(w, h.signer.New("", ev.Request()))
				if w.Code != http.StatusOK {
					t.Errorf("replica %d: retry answered %d, want 200", i, w.Code)
				}
			default:
				t.Errorf("replica %d answered %d", i, c)
			}
		}
		h.flush()
		if r := h.release(1); !slices.Equal(signoffs(r), []string{"payments:U0ALICE:approved"}) {
			t.Errorf("sign-offs %v", signoffs(r))
		}
		if got := h.slack.Replies(card.PostedTS); len(got) != 1 {
			t.Errorf("%d thread replies, want 1: %v", len(got), got)
		}
		if n := len(h.audit(1)); n != 2 { // created, signed off
			t.Errorf("%d audit events, want 2", n)
		}
	})
}

func TestSlackButtons(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		// No window: the last sign-off starts the deployment at once.
		card, pay, risk := h.create(dave, "create payments-api v2.4.0")

		calls := len(h.slack.Calls())
		h.press(dave, pay, "approve")
		h.flush()
		got := h.slack.Calls()[calls:]
		if len(got) != 1 || got[0].Method != slacktest.ResponseURL || got[0].ResponseType() != "ephemeral" ||
			!strings.Contains(got[0].Text, "Only payments' leads") {
			t.Errorf("a non-lead's Approve: want one ephemeral note via response_url, got %+v", got)
		}
		if r := h.release(1); len(r.SignOffs) != 0 {
			t.Errorf("a non-lead's Approve counted: %v", signoffs(r))
		}

		h.press(alice, pay, "approve")
		h.flush()
		if r := h.release(1); !slices.Equal(signoffs(r), []string{"payments:U0ALICE:approved"}) {
			t.Errorf("alice's Approve: %v", signoffs(r))
		}
		h.press(carol, risk, "approve")
		h.flush()
		r := h.release(1)
		if r.Status != releases.StatusDeploying || len(r.SignOffs) != 2 {
			t.Fatalf("after both Approves: %s %v, want deploying", r.Status, signoffs(r))
		}
		replies, audit := len(h.slack.Replies(card.PostedTS)), len(h.audit(1))

		// Double clicks, the second arriving after the first took effect,
		// change nothing and say nothing.
		calls = len(h.slack.Calls())
		h.press(carol, risk, "approve")
		h.press(alice, pay, "approve")
		h.flush()
		if got := h.slack.Calls()[calls:]; len(got) != 0 {
			t.Errorf("a double-clicked Approve made Slack calls: %+v", got)
		}
		if len(h.audit(1)) != audit || len(h.slack.Replies(card.PostedTS)) != replies {
			t.Errorf("a double-clicked Approve changed the release")
		}
		// The requests lost their buttons once deployment started.
		for _, m := range []slacktest.Call{pay, risk} {
			msg, _ := h.slack.Message(m.Channel, m.PostedTS)
			if b := buttons(t, msg.Blocks); len(b) != 0 || !strings.Contains(msg.Text, "Sign-offs are closed") {
				t.Errorf("request in %s after deployment started: buttons %v, text %q", m.Channel, b, msg.Text)
			}
		}
	})
}

func TestSlackRejectButtonAndReaction(t *testing.T) {
	tests := []struct {
		name   string
		reject func(h *harness, pay slacktest.Call)
	}{
		{name: "button", reject: func(h *harness, pay slacktest.Call) { h.press(alice, pay, "reject") }},
		{name: "reaction", reject: func(h *harness, pay slacktest.Call) {
			h.react(slacktest.Reaction{EventID: "EvX", User: alice, Reaction: "x", Channel: payChan, TS: pay.PostedTS})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, h *harness) {
				card, pay, risk := h.create(dave, createText)
				tt.reject(h, pay)
				h.flush()
				r := h.release(1)
				if r.Status != releases.StatusRejected || !slices.Equal(signoffs(r), []string{"payments:U0ALICE:rejected"}) {
					t.Fatalf("after alice's reject: %s %v", r.Status, signoffs(r))
				}
				replies := h.slack.Replies(card.PostedTS)
				if len(replies) != 1 || !strings.Contains(replies[0].Text, "<@U0ALICE> rejected the release for payments") {
					t.Errorf("thread: %+v", replies)
				}
				if m, _ := h.slack.Message(relChan, card.PostedTS); !strings.Contains(m.Text, "rejected") {
					t.Errorf("card not updated: %s", m.Text)
				}
				for _, m := range []slacktest.Call{pay, risk} {
					msg, _ := h.slack.Message(m.Channel, m.PostedTS)
					if len(buttons(t, msg.Blocks)) != 0 || !strings.Contains(msg.Text, "R-1 was rejected") {
						t.Errorf("request in %s still open: %s", m.Channel, msg.Text)
					}
				}
				// Pressing Reject again changes and says nothing.
				calls := len(h.slack.Calls())
				h.press(alice, pay, "reject")
				h.flush()
				if got := h.slack.Calls()[calls:]; len(got) != 0 {
					t.Errorf("a second Reject made Slack calls: %+v", got)
				}
			})
		})
	}
}

func TestSlackRemovingApprovalWithdrawsIt(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		card, pay, risk := h.create(dave, createText)
		h.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS})
		h.react(slacktest.Reaction{EventID: "Ev2", User: carol, Reaction: "white_check_mark", Channel: riskChan, TS: risk.PostedTS})
		h.flush()
		if r := h.release(1); r.Status != releases.StatusReady {
			t.Fatalf("after both sign-offs: %s, want ready (the window is closed)", r.Status)
		}
		h.react(slacktest.Reaction{EventID: "Ev3", Removed: true, User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS})
		h.flush()
		r := h.release(1)
		if r.Status != releases.StatusAwaitingSignoff || !slices.Equal(signoffs(r), []string{"risk:U0CAROL:approved"}) {
			t.Errorf("after alice removed her ✅: %s %v", r.Status, signoffs(r))
		}
		replies := h.slack.Replies(card.PostedTS)
		last := replies[len(replies)-1].Text
		if !strings.Contains(last, "<@U0ALICE> withdrew the sign-off for payments") || !strings.Contains(last, "Back to waiting for sign-off") {
			t.Errorf("last reply: %q", last)
		}
		if m, _ := h.slack.Message(relChan, card.PostedTS); !strings.Contains(m.Text, ":hourglass_flowing_sand: payments 0/1") {
			t.Errorf("card: %s", m.Text)
		}
	})
}

// Slack allows about one message per second per channel: when changes
// queue up, each gets its thread reply but a message is updated once, to
// its newest state.
func TestSlackUpdatesOnlyTheNewestState(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		card, pay, risk := h.create(dave, createText)
		calls := len(h.slack.Calls())
		h.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: pay.PostedTS})
		if _, err := h.relay.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		h.react(slacktest.Reaction{EventID: "Ev2", User: carol, Reaction: "white_check_mark", Channel: riskChan, TS: risk.PostedTS})
		h.flush()
		// The card's thread and the card in order; each request's updates
		// in order too, but not in step with the card's.
		var got, release []string
		for _, c := range h.slack.Calls()[calls:] {
			got = append(got, c.Method+" "+c.Channel)
			if c.Channel == relChan {
				release = append(release, c.Method)
			}
		}
		if want := []string{"chat.postMessage", "chat.postMessage", "chat.update"}; !slices.Equal(release, want) {
			t.Errorf("calls in the release channel %v, want %v", release, want)
		}
		want := []string{"chat.postMessage C0RELEASES", "chat.postMessage C0RELEASES",
			"chat.update C0PAY", "chat.update C0RELEASES", "chat.update C0RISK"}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("calls %v, want %v", got, want)
		}
		if m, _ := h.slack.Message(relChan, card.PostedTS); m.Updates != 1 || !strings.Contains(m.Text, "ready; waits for the window weekly-train") {
			t.Errorf("card updated %d times, now %q", m.Updates, m.Text)
		}
	})
}

func TestSlackURLVerification(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		fixture, err := os.ReadFile("testdata/slack/event-url-verification.json")
		if err != nil {
			t.Fatal(err)
		}
		w := h.send(slacktest.Request{Path: "/slack/events", ContentType: slacktest.JSONType, Body: fixture})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"`) {
			t.Errorf("HTTP %d %s", w.Code, w.Body)
		}
	})
}

func TestSlackRateLimitDelaysButNeverDrops(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.command(dave, relChan, createText)
		h.slack.FailNext(2, slacktest.RateLimited) // the card, twice
		h.flush()
		if posts := h.slack.Posts(""); len(posts) != 0 {
			t.Fatalf("posted while rate-limited: %+v", posts)
		}
		if calls := h.slack.Calls(); len(calls) != 1 || calls[0].Status != http.StatusTooManyRequests {
			t.Fatalf("want one refused call, then waiting; got %+v", calls)
		}
		h.clock.Advance(999 * time.Millisecond)
		h.flush()
		if n := len(h.slack.Calls()); n != 1 {
			t.Fatalf("tried again %d times before Retry-After passed", n-1)
		}
		h.clock.Advance(time.Millisecond) // Retry-After: 1 has passed
		h.flush()
		if n := len(h.slack.Calls()); n != 2 || len(h.slack.Posts("")) != 0 {
			t.Fatalf("after the second 429: %d calls, %d posts", n, len(h.slack.Posts("")))
		}
		h.clock.Advance(time.Second)
		h.flush()
		posts := h.slack.Posts("")
		var order []string
		for _, p := range posts {
			order = append(order, p.Channel)
		}
		if !slices.Equal(order, []string{relChan, payChan, riskChan}) {
			t.Fatalf("delivered %v, want the card then both requests", order)
		}
		if n := h.pending(); n != 0 {
			t.Errorf("%d messages still queued", n)
		}

		// Rate-limited in the middle of a change: the reply and updates
		// still arrive after the wait, the card's after its reply.
		h.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: posts[1].PostedTS})
		h.slack.FailNext(1, slacktest.RateLimited)
		h.flush()
		if n := len(h.slack.Replies(posts[0].PostedTS)); n != 0 {
			t.Fatalf("reply sent despite the 429")
		}
		h.clock.Advance(time.Second)
		h.flush()
		calls := h.slack.Calls()
		var seq []string
		for _, c := range calls[len(calls)-4:] {
			seq = append(seq, c.Method+" "+c.Channel)
		}
		want := []string{"chat.postMessage C0RELEASES", "chat.update C0PAY", "chat.update C0RISK", "chat.update C0RELEASES"}
		if !slices.Equal(seq, want) {
			t.Errorf("after the wait: %v, want %v (the requests' queues are not held by the card's)", seq, want)
		}
	})
}

func TestSlackServerErrorIsRetried(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.command(dave, relChan, createText)
		h.slack.FailNext(1, slacktest.ServerError) // the card
		h.flush()
		// The sign-off requests don't wait for the card.
		if posts := h.slack.Posts(""); len(posts) != 2 || posts[0].Channel != payChan || posts[1].Channel != riskChan {
			t.Fatalf("posts after the card's 500: %+v, want both requests", posts)
		}
		h.clock.Advance(2 * time.Second) // the first backoff is at most a second
		h.flush()
		if n := len(h.slack.Posts("")); n != 3 {
			t.Fatalf("%d posts after the 500 and a wait, want 3", n)
		}
		// Slack may have posted the card before failing: the bot looks for
		// it before posting it again.
		calls := h.slack.Calls()
		if len(calls) != 5 || calls[0].Status != http.StatusInternalServerError ||
			calls[3].Method != slacktest.History || calls[3].Channel != relChan || calls[4].Channel != relChan {
			t.Errorf("want the refused card, both requests, a look at the channel's history, then the card again: %+v", calls)
		}
	})
}

func TestSlackChannelNotFoundDoesNotBlockTheQueue(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.command(dave, relChan, createText)
		h.slack.FailNext(1, slacktest.ChannelNotFound) // the card
		h.flush()
		if n := h.pending(); n != 0 {
			t.Fatalf("%d messages still queued after a permanent failure", n)
		}
		posts := h.slack.Posts("")
		if len(posts) != 2 || posts[0].Channel != payChan || posts[1].Channel != riskChan {
			t.Fatalf("posts %+v, want both requests", posts)
		}
		// With no card, thread replies have nowhere to go and are set aside.
		h.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: posts[0].PostedTS})
		h.flush()
		if r := h.release(1); len(r.SignOffs) != 1 {
			t.Errorf("sign-off not recorded: %v", signoffs(r))
		}
		if n := h.pending(); n != 0 {
			t.Errorf("%d messages stuck in the queue", n)
		}
	})
}

func TestSlackRestartResumesTheQueue(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		h.command(dave, relChan, createText)
		if _, err := h.relay.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		// A sender takes the card and both requests and dies before
		// sending them: its claims hold for the lease (30 s), then lapse.
		if claimed, err := h.store.ClaimOutbox(ctx, h.clock.Now(), 30*time.Second, 10, 0); err != nil || len(claimed) != 3 {
			t.Fatalf("claim: %v %+v", err, claimed)
		}
		h.start() // restart: a new store connection, bot, relay and sender
		h.flush()
		if n := len(h.slack.Posts("")); n != 0 {
			t.Fatalf("%d posts right after the restart; the dead sender's claims should hold for a while", n)
		}
		h.clock.Advance(31 * time.Second)
		h.flush()
		posts := h.slack.Posts("")
		if len(posts) != 3 || posts[0].Channel != relChan || posts[1].Channel != payChan || posts[2].Channel != riskChan {
			t.Fatalf("after the claims lapsed: %+v", posts)
		}
		card := posts[0]
		// A change committed just before a crash, never relayed, is told
		// after the restart, in the thread of the card posted before it.
		h.react(slacktest.Reaction{EventID: "Ev1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: posts[1].PostedTS})
		h.start()
		h.flush()
		replies := h.slack.Replies(card.PostedTS)
		if len(replies) != 1 || !strings.Contains(replies[0].Text, "signed off for payments") {
			t.Errorf("thread after the second restart: %+v", replies)
		}
		if n := h.pending(); n != 0 {
			t.Errorf("%d messages still queued", n)
		}
	})
}

func TestSlackEphemeralReplies(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		tests := []struct {
			name, text string
			want       []string
		}{
			{name: "help", text: "help", want: []string{"/release create", "/release status"}},
			// "" opens the create form (TestCreateForm), or answers help when it can't (TestCreateFormFallsBackToHelp).
			{name: "help for a command", text: "help deploy", want: []string{"/release deploy R-n"}},
			{name: "no active releases", text: "status", want: []string{"No releases are active"}},
			{name: "misspelt command", text: "stauts R-1", want: []string{"Did you mean `/release status`?", "Usage:"}},
			{name: "missing version", text: "create payments-api", want: []string{"Usage: `/release create SERVICE VERSION"}},
			{name: "unknown option", text: "list --stauts deployed", want: []string{"Usage: `/release list"}},
			{name: "unknown release", text: "status R-99", want: []string{"There is no release R-99."}},
			{name: "unknown team", text: "create payments-api v1 --teams ops", want: []string{`There is no team "ops"`}},
			{name: "create", text: createText, want: []string{"Opened R-1"}},
			{name: "status of one", text: "status R-1", want: []string{"*R-1 · payments-api v2.4.0*", "waiting for sign-off"}},
			{name: "status of the active", text: "status", want: []string{"Active releases", "R-1 · payments-api v2.4.0"}},
			{name: "list", text: "list --mine", want: []string{"Releases", "R-1 · payments-api v2.4.0"}},
			{name: "not a lead", text: "approve R-1", want: []string{"Only payments' leads (<@U0ALICE>, <@U0BOB>) or risk's leads"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				calls := len(h.slack.Calls())
				r := h.command(dave, relChan, tt.text)
				if r.ResponseType != "ephemeral" {
					t.Errorf("response_type %q, want ephemeral", r.ResponseType)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.Text, w) {
						t.Errorf("answer lacks %q:\n%s", w, r.Text)
					}
				}
				if !strings.Contains(string(r.Blocks), `"type":"section"`) {
					t.Errorf("answer has no Block Kit section: %s", r.Blocks)
				}
				if got := h.slack.Calls()[calls:]; len(got) != 0 {
					t.Errorf("an ephemeral answer called Slack: %+v", got)
				}
			})
		}
	})
}

func TestSlackUndoesSlackEscaping(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		// Typed: create payments-api v1 --notes "R&D <b> &lt; x > y"
		r := h.command(dave, relChan, `create payments-api v1 --notes "R&amp;D &lt;b&gt; &amp;lt; x &gt; y"`)
		if !strings.HasPrefix(r.Text, "Opened R-1") {
			t.Fatalf("create: %q", r.Text)
		}
		if got := h.release(1).Notes; got != "R&D <b> &lt; x > y" {
			t.Errorf("notes %q", got)
		}
		// Slack leaves quotes alone: a smart-quoted reason, as a phone
		// keyboard types it, is one argument.
		if r := h.command(alice, relChan, "reject R-1 “fails &amp; flakes”"); !strings.HasPrefix(r.Text, "You rejected R-1") {
			t.Fatalf("reject: %q", r.Text)
		}
		if got := h.release(1).Reason; got != "fails & flakes" {
			t.Errorf("reason %q", got)
		}
	})
}

type stringReader struct {
	*strings.Reader
}

func (stringReader) Close() error { return nil }

func readCloser(s string) stringReader { return stringReader{strings.NewReader(s)} }

// What people type reaches team channels only as text: Slack's mention and
// link syntax in notes or reasons must not ping @channel or disguise a
// link. Versions can't hold it at all: they are [A-Za-z0-9._+-].
func TestSlackEscapesWhatPeopleTyped(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		if r := h.command(dave, relChan, `create payments-api v1&lt;!here&gt;`); !strings.Contains(r.Text, "is not a version") || strings.Contains(r.Text, "<!here>") {
			t.Fatalf("a version with mention syntax: %q", r.Text)
		}
		// Typed: create payments-api v1 --notes "<!channel> & <https://evil.example|the runbook>"
		card, _, _ := h.create(dave, `create payments-api v1 --notes "&lt;!channel&gt; &amp; &lt;https://evil.example|the runbook&gt;"`)
		if r := h.release(1); r.Version != "v1" || r.Notes != "<!channel> & <https://evil.example|the runbook>" {
			t.Fatalf("stored %q %q, want what was typed", r.Version, r.Notes)
		}
		if r := h.command(alice, relChan, `reject R-1 "&lt;!subteam^S0EVIL&gt; said so"`); !strings.HasPrefix(r.Text, "You rejected R-1") {
			t.Fatalf("reject: %q", r.Text)
		}
		h.flush()
		if r := h.release(1); r.Reason != "<!subteam^S0EVIL> said so" {
			t.Fatalf("reason %q", r.Reason)
		}
		calls := h.slack.Calls()
		if len(calls) < 7 { // card, requests, reply, updates
			t.Fatalf("calls: %v", calls)
		}
		for _, c := range append(calls, card) {
			for _, s := range append(mrkdwn(t, c.Blocks), c.Text) {
				for _, bad := range []string{"<!here>", "<!channel>", "<https://evil", "<!subteam"} {
					if strings.Contains(s, bad) {
						t.Errorf("%v carries %q unescaped:\n%s", c, bad, s)
					}
				}
			}
		}
		if replies := h.slack.Replies(card.PostedTS); len(replies) != 1 || !strings.Contains(replies[0].Text, "rejected the release for payments: &lt;!subteam^S0EVIL&gt; said so") {
			t.Errorf("thread: %v", replies)
		}
		if !strings.Contains(card.Text, "&lt;!channel&gt; &amp; &lt;https://evil.example|the runbook&gt;") {
			t.Errorf("card does not show the notes as typed:\n%s", card.Text)
		}
	})
}

// mrkdwn returns the mrkdwn texts in Block Kit JSON.
func mrkdwn(t *testing.T, blocks json.RawMessage) []string {
	t.Helper()
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				s, _ := v["text"].(string)
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var v any
	if len(blocks) > 0 {
		if err := json.Unmarshal(blocks, &v); err != nil {
			t.Fatal(err)
		}
	}
	walk(v)
	return out
}

// TestSlackPacesEachChannelNotTheQueue: with Slack's one message a second
// per channel, a burst of releases gets its cards one a second in the
// release channel, while every sign-off request goes out at once in the
// team channels — none waits behind a card.
func TestSlackPacesEachChannelNotTheQueue(t *testing.T) {
	forEachDB(t, func(t *testing.T, h *harness) {
		h.sender.PostInterval = time.Second
		for _, v := range []string{"v1", "v2", "v3"} {
			h.command(dave, relChan, "create payments-api "+v)
		}
		h.flush()
		count := func(ch string) int { return len(h.slack.Posts(ch)) }
		if cards, pay, risk := count(relChan), count(payChan), count(riskChan); cards != 1 || pay != 1 || risk != 1 {
			t.Fatalf("first round: %d cards, %d payments and %d risk requests; want one of each (one per channel)", cards, pay, risk)
		}
		for second := 1; second <= 2; second++ {
			h.clock.Advance(time.Second)
			h.flush()
			if cards, pay, risk := count(relChan), count(payChan), count(riskChan); cards != 1+second || pay != 1+second || risk != 1+second {
				t.Fatalf("after %d s: %d cards, %d and %d requests; want %d of each", second, cards, pay, risk, 1+second)
			}
		}
		// Never two new messages in one channel within the interval.
		for _, ch := range []string{relChan, payChan, riskChan} {
			posts := h.slack.Posts(ch)
			for i := 1; i < len(posts); i++ {
				a, _ := strconv.ParseFloat(posts[i-1].PostedTS, 64)
				b, _ := strconv.ParseFloat(posts[i].PostedTS, 64)
				if b-a < 0.999 {
					t.Errorf("%s: posts %s and %s less than a second apart", ch, posts[i-1].PostedTS, posts[i].PostedTS)
				}
			}
		}
	})
}
