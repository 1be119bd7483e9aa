package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
)

var openedRE = regexp.MustCompile(`Opened\D*R-(\d+)`)

// signoffs measures, over n releases, the time from sending the last
// sign-off — carol's ✅ reaction_added on risk's sign-off request, after
// alice pressed Approve for payments — to the fake deployer receiving the
// release's first webhook. The releases are opened and half signed off
// first; then each last sign-off is sent alone, on a quiet server (the
// previous release's deployment and Slack posts have settled).
func signoffs(c *client, serve *process, slack *slacktest.Server, dep *deployer, n int, run string) stats {
	var lat []time.Duration
	var errs int
	var first string
	fail := func(format string, args ...any) {
		errs++
		first = cmp(first, fmt.Sprintf(format, args...))
	}
	type pending struct {
		id     string
		riskTS string
	}
	var ready []pending
	start := time.Now()
	var opened []string // release numbers
	for i := range n {
		code, body, _, err := c.do(serve.base, c.command(fmt.Sprintf("create signoff-%s v1.0.%d", run, i)))
		m := openedRE.FindStringSubmatch(body)
		if err != nil || code != http.StatusOK || m == nil {
			fail("create: HTTP %d %v %.200s", code, err, body)
			continue
		}
		opened = append(opened, m[1])
	}
	for _, num := range opened {
		id := "R-" + num
		payTS, ok1 := waitPost(slack, payCh, id, 20*time.Second)
		riskTS, ok2 := waitPost(slack, rskCh, id, 20*time.Second)
		if !ok1 || !ok2 {
			fail("%s: no sign-off requests posted within 20 s", id)
			continue
		}
		approve := slacktest.BlockAction{UserID: alice, UserName: "alice", Channel: payCh, MessageTS: payTS,
			ActionID: "approve", Value: num + "|payments", ButtonText: "Approve", ResponseURL: c.hook}
		if code, body, _, err := c.do(serve.base, approve.Request()); err != nil || code != http.StatusOK {
			fail("%s: Approve: HTTP %d %v %.200s", id, code, err, body)
			continue
		}
		ready = append(ready, pending{id: id, riskTS: riskTS})
	}
	for i, p := range ready {
		if !waitSignoffs(c, serve.base, p.id, 1, 10*time.Second) {
			fail("%s: payments' sign-off not in force within 10 s", p.id)
			continue
		}
		settle(slack, 100*time.Millisecond, 5*time.Second)
		react := slacktest.Reaction{EventID: fmt.Sprintf("Ev%s%06d", run, i), User: carol, Reaction: "white_check_mark",
			Channel: rskCh, TS: p.riskTS}
		sent := time.Now()
		if code, body, _, err := c.do(serve.base, react.Request()); err != nil || code != http.StatusOK {
			fail("%s: reaction: HTTP %d %v %.200s", p.id, code, err, body)
			continue
		}
		at, ok := dep.firstDelivery(p.id, 15*time.Second)
		if !ok {
			fail("%s: no webhook within 15 s of the last sign-off", p.id)
			continue
		}
		lat = append(lat, at.Sub(sent))
	}
	return summarise(lat, errs, first, time.Since(start))
}

// waitSignoffs waits until release id has at least want sign-offs in
// force, as GET /api/releases/{id} shows them.
func waitSignoffs(c *client, base, id string, want int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := c.http.Get(base + "/api/releases/" + id)
		if err == nil {
			var r struct {
				Signoffs []json.RawMessage `json:"signoffs"`
			}
			err = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if err == nil && len(r.Signoffs) >= want {
				return true
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}
