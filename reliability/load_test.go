package reliability

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestLoadProfile is a platform team's week compressed: 50 teams, 5
// environments, a hundred releases opened back to back (a week holds
// 500), each needing two teams, and their sign-offs arriving as a burst of
// 100 reactions within one second, then the rest. Nothing may be dropped;
// the test reports the most messages the fake Slack saw in one channel in
// any one second (Slack allows about one per second per channel).
//
//	go test ./reliability -run TestLoadProfile -reliability.load -v
func TestLoadProfile(t *testing.T) {
	if !*loadFlag {
		t.Skip("slow: run with -reliability.load")
	}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { loadProfile(t, db.URL(t)) })
	}
}

func loadProfile(t *testing.T, dbURL string) {
	const teams, envs, releases = 50, 5, 100
	dir := t.TempDir()
	fake := slacktest.New(t)
	fake.Token = slackToken
	dep := newDeployer(t)
	var b strings.Builder
	// One user opens every release: the create quota is off.
	b.WriteString("timezone: UTC\nrelease_managers: [U0RM1]\nrequire_distinct_approver: true\nlimits: {creates_per_hour: 0}\nteams:\n")
	for i := range teams {
		fmt.Fprintf(&b, "  - {name: team%02d, channel: C0T%02d, leads: [U0L%02d], approvals: 1}\n", i, i, i)
	}
	b.WriteString("environments:\n")
	for e := range envs {
		name := fmt.Sprintf("env%d", e)
		dep.keys[name] = []byte(stagingSecret)
		fmt.Fprintf(&b, "  - name: %s\n    deploy: {url: %q, secret: \"${STAGING_DEPLOY_SECRET}\", timeout: 2s, retries: 30, backoff: 50ms}\n    promote: auto\n", name, dep.URL+"/"+name)
	}
	cfg := filepath.Join(dir, "releasebot.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// Slack allows about one new message a second in a channel, and serve
	// paces them so (RELEASEBOT_SLACK_POST_INTERVAL, 1s by default); here
	// the interval is scaled down twentyfold to keep the run short, and
	// the spacing is checked against it.
	srv := newServer(t, dir, dbURL, cfg, fake, "RELEASEBOT_SLACK_POST_INTERVAL="+loadPostInterval.String())
	srv.start()
	if t.Failed() {
		t.FailNow()
	}

	// Stamp every Slack call with when it was first seen.
	type stamped struct {
		slacktest.Call
		at time.Time
	}
	var mu sync.Mutex
	var seen []stamped
	stop := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() {
		for {
			calls := fake.Calls()
			now := time.Now()
			mu.Lock()
			for _, c := range calls[len(seen):] {
				seen = append(seen, stamped{c, now})
			}
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-fake.Changed():
			case <-time.After(20 * time.Millisecond):
			}
		}
	})

	start := time.Now()
	ids := make([]string, releases)
	for i := range releases {
		a, bb := i%teams, (i*7+3)%teams
		if a == bb {
			bb = (bb + 1) % teams
		}
		code, body, err := srv.send(slacktest.SlashCommand{UserID: dave, ChannelID: relChan,
			Text: fmt.Sprintf("create svc%03d v1.0.0 --teams team%02d,team%02d", i, a, bb)}.Request())
		m := openedRE.FindStringSubmatch(body)
		if err != nil || code != http.StatusOK || m == nil {
			t.Fatalf("create %d: %d %s %v", i, code, body, err)
		}
		ids[i] = m[1]
	}
	created := time.Since(start)
	type pending struct{ user, channel string }
	var reactions []slacktest.Reaction
	waitFor(t, 120*time.Second, "every sign-off request", func() bool {
		reactions = reactions[:0]
		for i, id := range ids {
			a, bb := i%teams, (i*7+3)%teams
			if a == bb {
				bb = (bb + 1) % teams
			}
			for _, tm := range []int{a, bb} {
				ch := fmt.Sprintf("C0T%02d", tm)
				p := postsAbout(fake, ch, id)
				if len(p) == 0 {
					return false
				}
				reactions = append(reactions, slacktest.Reaction{EventID: fmt.Sprintf("EvL%s%02d", id, tm), User: fmt.Sprintf("U0L%02d", tm),
					Reaction: "white_check_mark", Channel: ch, TS: p[0].PostedTS})
			}
		}
		return true
	})
	requested := time.Since(start)
	// The burst: 100 reactions within one second, concurrently.
	burstStart := time.Now()
	var wg sync.WaitGroup
	var failed []string
	var fmu sync.Mutex
	for i, r := range reactions {
		if i == 100 {
			wg.Wait()
			t.Logf("burst of 100 reactions answered in %v", time.Since(burstStart).Round(time.Millisecond))
		}
		wg.Go(func() {
			if i < 100 {
				time.Sleep(time.Duration(i) * 10 * time.Millisecond)
			}
			for try := 0; try < 50; try++ {
				code, _, err := srv.send(r.Request())
				if err == nil && code == http.StatusOK {
					return
				}
				r.Retry++
				time.Sleep(200 * time.Millisecond)
			}
			fmu.Lock()
			failed = append(failed, r.EventID)
			fmu.Unlock()
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Errorf("reactions never answered 200: %v", failed)
	}
	for _, id := range ids {
		waitFor(t, 300*time.Second, id+" deployed", func() bool {
			r, err := srv.release(id)
			return err == nil && r.Status == "deployed" && len(r.Signoffs) == 2
		})
	}
	deployed := time.Since(start)
	// Let the outbox drain: every release's last thread reply.
	waitFor(t, 600*time.Second, "every Deployed reply", func() bool {
		n := 0
		for _, c := range fake.Delivered(slacktest.PostMessage) {
			if strings.Contains(c.Text, "Deployed:") {
				n++
			}
		}
		return n >= releases
	})
	drained := time.Since(start)
	close(stop)
	watcher.Wait()

	// Messages per channel per second, over posts and updates.
	mu.Lock()
	defer mu.Unlock()
	per := map[string][]time.Time{}
	for _, c := range seen {
		if (c.Method == slacktest.PostMessage || c.Method == slacktest.Update) && c.OK() {
			per[c.Channel] = append(per[c.Channel], c.at)
		}
	}
	type peak struct {
		ch string
		n  int
	}
	var peaks []peak
	for ch, ts := range per {
		best := 0
		for i := range ts {
			j := i
			for j < len(ts) && ts[j].Sub(ts[i]) < time.Second {
				j++
			}
			best = max(best, j-i)
		}
		peaks = append(peaks, peak{ch, best})
	}
	sort.Slice(peaks, func(i, j int) bool { return peaks[i].n > peaks[j].n })
	rl := 0
	for _, c := range seen {
		if c.Status == http.StatusTooManyRequests {
			rl++
		}
	}
	t.Logf("%d releases, %d teams, %d environments: created in %v, requests posted by %v, all deployed by %v, Slack drained by %v",
		releases, teams, envs, created.Round(time.Millisecond), requested.Round(time.Millisecond), deployed.Round(time.Millisecond), drained.Round(time.Millisecond))
	t.Logf("Slack calls: %d; busiest channels (messages posted or updated in any 1 s): %v", len(seen), peaks[:min(5, len(peaks))])

	// New messages in one channel never closer than the interval (less
	// a little for the trip from the sender to the fake).
	closest, where := closestNewMessages(fake)
	t.Logf("closest two new messages in one channel: %v apart (%s); the interval is %v", closest, where, loadPostInterval)
	if closest < loadPostInterval-loadPostInterval/4 {
		t.Errorf("%s got two new messages %v apart; serve paces a channel to one per %v", where, closest, loadPostInterval)
	}
}

// closestNewMessages returns the shortest time between two new messages
// in one channel that the fake took, and that channel.
func closestNewMessages(fake *slacktest.Server) (time.Duration, string) {
	posts := map[string][]time.Time{}
	for _, c := range fake.Calls() {
		if c.Method == slacktest.PostMessage && c.OK() {
			posts[c.Channel] = append(posts[c.Channel], c.At)
		}
	}
	closest, where := time.Duration(1<<62), ""
	for ch, ts := range posts {
		for i := 1; i < len(ts); i++ {
			if gap := ts[i].Sub(ts[i-1]); gap < closest {
				closest, where = gap, ch
			}
		}
	}
	return closest, where
}

// loadPostInterval is Slack's one message a second per channel, scaled
// down for the load profile.
const loadPostInterval = 50 * time.Millisecond
