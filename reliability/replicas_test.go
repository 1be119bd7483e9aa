package reliability

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestReplicas runs three serve processes on one PostgreSQL schema and
// sends them interleaved, duplicated Slack traffic: each sign-off is
// recorded once, each deployment delivered once, each card and request
// posted once.
func TestReplicas(t *testing.T) {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but TEST_DATABASE_URL is not set: the replica test must run in CI")
		}
		t.Skip("replicas share PostgreSQL: set TEST_DATABASE_URL")
	}
	rng, _ := newRand(t, 99)
	url := storetest.PostgresSchemaURL(t, base)
	dir := t.TempDir()
	fake := slacktest.New(t)
	fake.Token = slackToken
	dep := newDeployer(t)
	dep.hold = 30 * time.Millisecond // overlapping deliveries of one deployment show
	cfg := writeConfig(t, dir, dep)
	var reps []*server
	for range 3 {
		// Paced as in production, scaled down: the replicas share each
		// channel's turns through the database.
		s := newServer(t, dir, url, cfg, fake, "RELEASEBOT_SLACK_POST_INTERVAL="+loadPostInterval.String())
		reps = append(reps, s)
	}
	reps[0].start() // migrates
	for _, s := range reps[1:] {
		s.start()
	}
	if t.Failed() {
		t.FailNow()
	}
	pick := func() *server { return reps[rng.IntN(len(reps))] }

	// Releases opened at random replicas, with status reads in between.
	const n = 8
	ids := make([]string, 0, n)
	for i := range n {
		code, body, err := pick().send(slacktest.SlashCommand{UserID: dave, UserName: "dave", ChannelID: relChan,
			Text: fmt.Sprintf("create svc-%d v1.0.0", i), ResponseURL: fake.NewResponseURL()}.Request())
		m := openedRE.FindStringSubmatch(body)
		if err != nil || code != http.StatusOK || m == nil {
			t.Fatalf("create: %d %s %v", code, body, err)
		}
		ids = append(ids, m[1])
		pick().send(slacktest.SlashCommand{UserID: dave, ChannelID: relChan, Text: "status " + m[1], ResponseURL: fake.NewResponseURL()}.Request())
	}
	reqs := map[string]map[string]slacktest.Call{}
	waitFor(t, 20*time.Second, "every sign-off request", func() bool {
		for _, id := range ids {
			reqs[id] = map[string]slacktest.Call{}
			for _, ch := range []string{payChan, rskChan} {
				if p := postsAbout(fake, ch, id); len(p) > 0 {
					reqs[id][ch] = p[0]
				}
			}
			if len(reqs[id]) < 2 {
				return false
			}
		}
		return true
	})

	// A late retry must not undo what came after it: alice's ✅ on the
	// first release, then its removal, then Slack's retry of the ✅ at a
	// third replica. The sign-off stays withdrawn.
	first := reqs[ids[0]][payChan]
	for k, e := range []slacktest.Reaction{
		{EventID: "EvLATE1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: first.PostedTS},
		{EventID: "EvLATE2", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: first.PostedTS, Removed: true},
		{EventID: "EvLATE1", User: alice, Reaction: "white_check_mark", Channel: payChan, TS: first.PostedTS, Retry: 1},
	} {
		if code, body, err := reps[k].send(e.Request()); err != nil || code != http.StatusOK {
			t.Fatalf("%s: %d %s %v", e.EventID, code, body, err)
		}
	}
	if r, err := reps[0].release(ids[0]); err != nil || len(r.Signoffs) != 0 {
		t.Errorf("%s after ✅, its removal and a late retry of the ✅: sign-offs %+v (%v); want none", ids[0], r.Signoffs, err)
	}

	// Every ✅ goes to every replica at once, and again as Slack's
	// retries; some leads also approve by command at a random replica.
	var wg sync.WaitGroup
	for i, id := range ids {
		for _, l := range []struct{ user, ch string }{{alice, payChan}, {carol, rskChan}} {
			ev := slacktest.Reaction{EventID: fmt.Sprintf("EvR%d%s", i, l.ch), User: l.user, Reaction: "white_check_mark",
				Channel: l.ch, TS: reqs[id][l.ch].PostedTS}
			for k, s := range reps {
				e := ev
				e.Retry = k // 0: the original; 1, 2: Slack's retries
				wg.Go(func() {
					// A duplicate that arrives while another replica is
					// processing may be told to come again (5xx); Slack
					// retries it, later, until a 200.
					for deadline := time.Now().Add(30 * time.Second); ; {
						code, body, err := s.send(e.Request())
						if err == nil && code == http.StatusOK {
							return
						}
						if err != nil || code < 500 || time.Now().After(deadline) {
							t.Errorf("%s at %s: %d %s %v", e.EventID, s.addr, code, body, err)
							return
						}
						e.Retry++
						time.Sleep(200 * time.Millisecond)
					}
				})
			}
			if rng.IntN(2) == 0 {
				s := pick()
				wg.Go(func() {
					s.send(slacktest.SlashCommand{UserID: l.user, ChannelID: relChan, Text: "approve " + id, ResponseURL: fake.NewResponseURL()}.Request())
				})
			}
		}
	}
	wg.Wait()
	for _, id := range ids {
		waitFor(t, 30*time.Second, id+" deployed", func() bool {
			r, err := pick().release(id)
			return err == nil && r.Status == "deployed"
		})
	}
	waitFor(t, 30*time.Second, "every release's last thread reply", func() bool {
		for _, id := range ids {
			card := postsAbout(fake, relChan, id)
			if len(card) == 0 {
				return false
			}
			done := false
			for _, c := range fake.Replies(card[0].PostedTS) {
				done = done || mentionsDeployed(c.Text)
			}
			if !done {
				return false
			}
		}
		return true
	})

	idsByDep, requests, successes, overlaps, badSig := dep.snapshot()
	for _, id := range ids {
		r, err := reps[0].release(id)
		if err != nil {
			t.Fatal(err)
		}
		signed := map[string]int{}
		for _, a := range r.Audit {
			if a.Action == "signed_off" {
				signed[a.Actor]++
			}
		}
		wantAlice := 1
		if id == ids[0] {
			wantAlice = 2 // signed, withdrew, signed again
		}
		if signed[alice] != wantAlice || signed[carol] != 1 || len(r.Signoffs) != 2 {
			t.Errorf("%s: sign-offs in the audit %v, in force %+v; want each lead once", id, signed, r.Signoffs)
		}
		if len(r.Deployments) != 2 {
			t.Errorf("%s: deployments %+v", id, r.Deployments)
		}
		for _, d := range r.Deployments {
			if requests[d.ID] != 2 || successes[d.ID] != 1 || len(idsByDep[d.ID]) != 1 {
				t.Errorf("%s: %d requests (want the 500 and one retry), %d successes, webhook-ids %v", d.ID, requests[d.ID], successes[d.ID], idsByDep[d.ID])
			}
		}
		if c := postsAbout(fake, relChan, id); len(c) != 1 {
			t.Errorf("%s: card posted %d times", id, len(c))
		}
		for _, ch := range []string{payChan, rskChan} {
			if c := postsAbout(fake, ch, id); len(c) != 1 {
				t.Errorf("%s: sign-off request in %s posted %d times", id, ch, len(c))
			}
		}
	}
	if len(overlaps) > 0 {
		t.Errorf("deliveries of one deployment overlapped: %v", overlaps)
	}
	if len(badSig) > 0 {
		t.Errorf("bad signatures: %v", badSig)
	}
	// Never two new messages in one channel within the interval, whichever
	// replica posted them.
	if gap, ch := closestNewMessages(fake); gap < loadPostInterval-loadPostInterval/4 {
		t.Errorf("%s got two new messages %v apart; the replicas pace a channel to one per %v", ch, gap, loadPostInterval)
	} else {
		t.Logf("closest two new messages in one channel: %v (%s)", gap, ch)
	}
	// Each thread reply once per release.
	for _, id := range ids {
		card := postsAbout(fake, relChan, id)
		seen := map[string]int{}
		for _, c := range fake.Replies(card[0].PostedTS) {
			seen[c.Text]++
			limit := 1
			if id == ids[0] && strings.Contains(c.Text, "<@"+alice+"> signed off") {
				limit = 2 // she signed off, withdrew and signed off again: two replies that read alike
			}
			if seen[c.Text] == limit+1 {
				t.Errorf("%s: thread reply %d times: %q", id, seen[c.Text], c.Text)
			}
		}
	}
}

func mentionsDeployed(s string) bool { return strings.Contains(s, "Deployed:") }
