package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/webhooks"
)

// cleanups stands in for the testing.TB that slacktest.New wants: the
// fake only calls Cleanup, and the harness closes it itself.
type cleanups struct {
	testing.TB
	fns []func()
}

func (c *cleanups) Cleanup(f func()) { c.fns = append(c.fns, f) }
func (c *cleanups) Helper()          {}

func (c *cleanups) run() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
}

// newFakeSlack starts bot/slack/slacktest's fake Web API in this process.
func newFakeSlack() (*slacktest.Server, func()) {
	c := &cleanups{}
	s := slacktest.New(c)
	return s, c.run
}

// waitPost waits until a top-level message in channel names release id
// (R-n) and returns its ts.
func waitPost(s *slacktest.Server, channel, id string, timeout time.Duration) (string, bool) {
	re := regexp.MustCompile(regexp.QuoteMeta(id) + `\b`)
	deadline := time.After(timeout)
	for {
		changed := s.Changed()
		posts := s.Posts(channel)
		for i := len(posts) - 1; i >= 0; i-- {
			if re.MatchString(posts[i].Text) {
				return posts[i].PostedTS, true
			}
		}
		select {
		case <-changed:
		case <-deadline:
			return "", false
		}
	}
}

// settle waits until the fake Slack has seen no call for quiet (the
// outbox of earlier writes has drained), or max has passed.
func settle(s *slacktest.Server, quiet, max time.Duration) {
	deadline := time.After(max)
	for {
		select {
		case <-s.Changed():
		case <-time.After(quiet):
			return
		case <-deadline:
			return
		}
	}
}

// deployer is a fake deployment webhook receiver: it verifies the
// Standard Webhooks signature, notes when the first delivery for each
// release arrived, and finishes every deployment at once.
type deployer struct {
	*httptest.Server
	key []byte

	mu      sync.Mutex
	first   map[string]time.Time // release id → first delivery's arrival
	waiters map[string]chan struct{}
	bad     int // deliveries whose signature did not verify
	total   int
}

func newDeployer(secret string) *deployer {
	d := &deployer{key: []byte(secret), first: map[string]time.Time{}, waiters: map[string]chan struct{}{}}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	return d
}

func (d *deployer) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(r.Body)
	if err := webhooks.Verify(d.key, r.Header, body, at); err != nil {
		d.mu.Lock()
		d.bad++
		d.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var p struct {
		ReleaseID string `json:"release_id"`
	}
	_ = json.Unmarshal(body, &p)
	d.mu.Lock()
	d.total++
	if _, seen := d.first[p.ReleaseID]; !seen {
		d.first[p.ReleaseID] = at
		if ch, ok := d.waiters[p.ReleaseID]; ok {
			close(ch)
			delete(d.waiters, p.ReleaseID)
		}
	}
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"succeeded"}`)
}

// firstDelivery waits for the first delivery for release id and returns
// when it arrived.
func (d *deployer) firstDelivery(id string, timeout time.Duration) (time.Time, bool) {
	d.mu.Lock()
	if at, ok := d.first[id]; ok {
		d.mu.Unlock()
		return at, true
	}
	ch, ok := d.waiters[id]
	if !ok {
		ch = make(chan struct{})
		d.waiters[id] = ch
	}
	d.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(timeout):
		return time.Time{}, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.first[id], true
}

func (d *deployer) counts() (total, bad int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.total, d.bad
}

// waitPosted waits until the fake Slack holds want top-level messages
// (cards and sign-off requests: every create posts exactly three), or max
// has passed; it returns how long that took and whether it got there.
// Counting the posts, rather than waiting for a quiet moment, also covers
// audit events serve has not yet turned into outbox entries. Only the
// calls since the last look are read: reading them all after every call
// made this process spend more CPU than serve while the posts drained.
func waitPosted(s *slacktest.Server, want int, max time.Duration) (time.Duration, bool) {
	start := time.Now()
	deadline := time.After(max)
	seen, posted := 0, 0
	for {
		changed := s.Changed()
		calls := s.CallsAfter(seen)
		seen += len(calls)
		for _, c := range calls {
			if c.Method == slacktest.PostMessage && c.OK() && c.ThreadTS == "" { // as Posts("") counts
				posted++
			}
		}
		if posted >= want {
			return time.Since(start), true
		}
		select {
		case <-changed:
		case <-deadline:
			return time.Since(start), false
		}
	}
}
