package reliability

import (
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
)

// The train of the crash trials: a dependency chain, so that in each
// environment a kill can fall between one service's success and the start
// of the next, or between the last one's success and the promotion.
var (
	trainServices = []string{"ledger", "payments-api", "checkout"}
	trainDeps     = map[string]string{"payments-api": "ledger", "checkout": "payments-api"}
)

// trainCatalog is the catalog appended to writeConfig's file: risk owns
// ledger, payments the two others, so both teams sign off.
const trainCatalog = `services:
  - name: ledger
    teams: [risk]
  - name: payments-api
    teams: [payments]
    depends_on: [ledger]
  - name: checkout
    teams: [payments]
    depends_on: [payments-api]
`

// writeTrainConfig writes writeConfig's file with trainCatalog.
func writeTrainConfig(t testing.TB, dir string, d *deployer) string {
	t.Helper()
	path := writeConfig(t, dir, d)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(trainCatalog); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCrashTrain is TestCrash with a three-service train: serve is killed
// with SIGKILL at seeded random moments while the train is signed off and
// deploys, and restarted on the same database. Every service's deployment
// to each environment is delivered once (one deployment, one webhook-id),
// after what it depends on succeeded there; each environment completes
// once; the train ends deployed.
func TestCrashTrain(t *testing.T) {
	trials := max(1, *trialsFlag/4) // a train trial lives about three times as long
	for i, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel()
			rng, _ := newRand(t, uint64(100+i))
			base := trainTrial(t, db.URL(t), 0, nil)
			if t.Failed() {
				t.Fatalf("the run without kills failed")
			}
			t.Logf("baseline thread (%v): %q", base.took.Round(time.Millisecond), base.replies)
			var mu sync.Mutex
			var outcomes []crashOutcome
			t.Run("trials", func(t *testing.T) {
				for n := 1; n <= trials; n++ {
					life := int64(base.took + base.took/4)
					kills := []time.Duration{time.Duration(rng.Int64N(life))}
					if rng.IntN(2) == 0 { // a train lives longer: twice more often
						kills = append(kills, kills[0]+time.Duration(rng.Int64N(life)))
					}
					t.Run(fmt.Sprintf("%02d", n), func(t *testing.T) {
						t.Parallel()
						if db.Name == "postgres" {
							pgTrials <- struct{}{}
							defer func() { <-pgTrials }()
						}
						t.Logf("kill -9 after %v", kills)
						o := trainTrial(t, db.URL(t), n, kills)
						if o.took == 0 {
							return
						}
						for _, m := range missing(base.replies, o.replies) {
							t.Errorf("Slack post lost: thread reply %q never arrived (kills at %v)", m, kills)
						}
						mu.Lock()
						outcomes = append(outcomes, o)
						mu.Unlock()
					})
				}
			})
			dups := 0
			for _, o := range outcomes {
				dups += len(o.duplicates)
				for _, d := range o.duplicates {
					t.Logf("duplicate post (kills at %v): %s", o.kills, d)
				}
			}
			t.Logf("%d train trials: %d duplicate Slack posts in all", len(outcomes), dups)
		})
	}
}

// trainTrial walks one train from create to deployed on a fresh serve,
// killing it at the given offsets, and checks what must survive.
func trainTrial(t *testing.T, dbURL string, n int, kills []time.Duration) crashOutcome {
	out := crashOutcome{kills: kills}
	dir := t.TempDir()
	fake := slacktest.New(t)
	fake.Token = slackToken
	dep := newDeployer(t)
	srv := newServer(t, dir, dbURL, writeTrainConfig(t, dir, dep), fake)
	srv.start()
	if t.Failed() {
		return out
	}
	start := time.Now()
	done := make(chan struct{})
	var killer sync.WaitGroup
	killer.Go(func() {
		for _, k := range kills {
			select {
			case <-done:
				return
			case <-time.After(time.Until(start.Add(k))):
			}
			srv.kill()
			t.Logf("killed at %v", time.Since(start).Round(time.Millisecond))
			srv.start()
		}
	})
	defer func() { close(done); killer.Wait() }()

	var id string
	state := func() string {
		_, body, err := srv.get("/api/releases/" + id)
		return fmt.Sprint(body, err)
	}
	deadline := start.Add(trialDeadline)
	retry := func(what string, fn func() bool) bool {
		t.Helper()
		for !fn() {
			if srv.startFailed() {
				return false
			}
			if time.Now().After(deadline) {
				t.Errorf("gave up waiting for %s (kills at %v)\nSlack saw %v\nrelease: %s\nserve's log:\n%s", what, kills, fake.Calls(), state(), tail(grepv(srv.logText(), `"msg":"http request"`), 60))
				return false
			}
			time.Sleep(20 * time.Millisecond)
		}
		return true
	}

	// create, retyped once serve is back if it never landed.
	version := fmt.Sprintf("v1.%d.0", n)
	var parts []string
	for _, s := range trainServices {
		parts = append(parts, s+"@"+version)
	}
	text := "create " + strings.Join(parts, " ") + " --name q3"
	if !retry("create", func() bool {
		code, body, err := srv.send(slacktest.SlashCommand{UserID: dave, UserName: "dave", ChannelID: relChan, ChannelName: "releases",
			Text: text, ResponseURL: fake.NewResponseURL()}.Request())
		if err == nil && code == http.StatusOK {
			if m := openedRE.FindStringSubmatch(body); m != nil {
				id = m[1]
				return true
			}
			if !strings.Contains(body, "already has an open release") {
				t.Errorf("create answered %s", body)
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
		l, err := srv.list()
		if err != nil {
			return false
		}
		for _, r := range l {
			if r.Name == "q3" {
				id = r.ID
				return true
			}
		}
		return false
	}) || id == "" {
		return out
	}
	t.Logf("%s created", id)

	// Sign-offs, as in crashTrial: a ✅ on each copy of a team's request
	// as it shows; a copy posted after the ✅ on an earlier one was
	// acknowledged but not counted is an orphan: the sign-off was lost.
	type lead struct{ user, channel, team string }
	leads := []lead{{alice, payChan, "payments"}, {carol, rskChan, "risk"}}
	signedOff := func(r *apiRelease, l lead) bool {
		for _, s := range r.Signoffs {
			if s.Team == l.team && s.User == l.user && s.Decision == "approved" {
				return true
			}
		}
		for _, a := range r.Audit {
			if a.Actor == l.user && a.Action == "signed_off" {
				return true
			}
		}
		return false
	}
	for _, l := range leads {
		reacted := 0
		shown := func() bool { r, err := srv.release(id); return err == nil && signedOff(r, l) }
		for {
			var req []slacktest.Call
			if !retry(l.team+"'s sign-off request", func() bool { req = postsAbout(fake, l.channel, id); return len(req) > reacted }) {
				return out
			}
			for k := reacted; k < len(req); k++ {
				ev := slacktest.Reaction{EventID: fmt.Sprintf("EvT%03d%s%d", n, l.team, k), User: l.user, Reaction: "white_check_mark",
					Channel: l.channel, TS: req[k].PostedTS}
				if !retry(l.team+"'s sign-off", func() bool {
					code, _, err := srv.send(ev.Request())
					if err == nil && code == http.StatusOK {
						return true
					}
					ev.Retry++
					return false
				}) {
					return out
				}
			}
			reacted = len(req)
			var copies int
			if !retry(l.team+"'s sign-off to show", func() bool {
				copies = len(postsAbout(fake, l.channel, id))
				return shown() || copies > reacted
			}) {
				return out
			}
			if shown() {
				break
			}
			t.Errorf("orphaned post (kills at %v): %s's sign-off request of %s: the ✅ on a copy was answered 200 and ignored, and the bot posted it again", kills, l.team, id)
		}
	}

	// The train deploys on its own, through kills.
	var rel *apiRelease
	if !retry(id+" deployed", func() bool {
		r, err := srv.release(id)
		if err != nil {
			return false
		}
		rel = r
		return r.Status == "deployed" || r.Status == "failed"
	}) {
		return out
	}
	var card []slacktest.Call
	retry(id+"'s card", func() bool { card = postsAbout(fake, relChan, id); return len(card) > 0 })
	if len(card) == 0 {
		return out
	}
	replies := func() []slacktest.Call {
		var out []slacktest.Call
		for _, c := range card {
			out = append(out, fake.Replies(c.PostedTS)...)
		}
		return out
	}
	retry(id+"'s last thread reply", func() bool {
		card = postsAbout(fake, relChan, id)
		for _, c := range replies() {
			if strings.Contains(c.Text, "Deployed") {
				return true
			}
		}
		return false
	})
	out.took = time.Since(start)
	if len(kills) > 0 && kills[len(kills)-1] > out.took {
		t.Logf("the train finished before the last kill (%v)", out.took.Round(time.Millisecond))
	}

	if rel.Status != "deployed" {
		t.Errorf("%s ended %s: %+v", id, rel.Status, rel.Deployments)
	}
	for _, l := range leads {
		if !signedOff(rel, l) {
			t.Errorf("sign-off lost: %s for %s was acknowledged but %s has %+v", l.user, l.team, id, rel.Signoffs)
		}
	}
	// One forward deployment per service and environment, succeeded.
	envs := []string{"staging", "production"}
	byTarget := map[string][]string{} // service@env → deployment ids
	for _, d := range rel.Deployments {
		if d.Type != "deployment" {
			t.Errorf("%s: unexpected %s %s of %s to %s", id, d.Type, d.ID, d.Service, d.Environment)
			continue
		}
		byTarget[d.Service+"@"+d.Environment] = append(byTarget[d.Service+"@"+d.Environment], d.ID)
		if d.Status != "succeeded" {
			t.Errorf("%s (%s) %s ended %s", d.ID, d.Service, d.Environment, d.Status)
		}
	}
	for _, e := range envs {
		for _, s := range trainServices {
			if ids := byTarget[s+"@"+e]; len(ids) != 1 {
				t.Errorf("%s has %d deployments of %s to %s (%v), want 1 (kills at %v)", id, len(ids), s, e, ids, kills)
			}
		}
	}
	if len(rel.Deployments) != len(envs)*len(trainServices) {
		t.Errorf("%s has %d deployments, want %d: %+v", id, len(rel.Deployments), len(envs)*len(trainServices), rel.Deployments)
	}
	// Each environment completes once: its deployments start once each,
	// and the train is deployed once.
	started, deployed := map[string]int{}, 0
	for _, a := range rel.Audit {
		switch a.Action {
		case "deployment_started":
			for _, e := range envs {
				if strings.HasSuffix(a.Detail, " to "+e) {
					started[e]++
				}
			}
		case "deployed":
			deployed++
		}
	}
	for _, e := range envs {
		if started[e] != len(trainServices) {
			t.Errorf("%s: %d deployment_started audits for %s, want %d: an environment completed twice or not at all", id, started[e], e, len(trainServices))
		}
	}
	if deployed != 1 {
		t.Errorf("%s: %d deployed audits, want 1", id, deployed)
	}

	// The deployer: one webhook-id per deployment, one deployment per
	// service and environment, and a service's first request only after
	// what it depends on succeeded in that environment.
	ids, requests, _, _, badSig := dep.snapshot()
	targets, firstAt, succeededAt := dep.trainSnapshot()
	for did, byID := range ids {
		if len(byID) != 1 {
			t.Errorf("%s (%s) was sent with %d webhook-ids %v: a restart minted a new id for an old delivery", did, targets[did], len(byID), byID)
		}
		if requests[did] < 2 {
			t.Errorf("%s (%s): %d requests, want the 500 and a retry", did, targets[did], requests[did])
		}
	}
	seen := map[string][]string{} // service@env → deployment ids the deployer saw
	for did, tg := range targets {
		seen[tg] = append(seen[tg], did)
	}
	for _, e := range envs {
		for _, s := range trainServices {
			tg := s + "@" + e
			if len(seen[tg]) != 1 {
				t.Errorf("the deployer saw %d deployments of %s (%v), want 1 (kills at %v)", len(seen[tg]), tg, seen[tg], kills)
				continue
			}
			need, ok := trainDeps[s]
			if !ok || len(seen[need+"@"+e]) != 1 {
				continue
			}
			before := seen[need+"@"+e][0]
			if at := succeededAt[before]; at.IsZero() || firstAt[seen[tg][0]].Before(at) {
				t.Errorf("%s was sent before %s succeeded in %s (%v, %v)", tg, need, e, firstAt[seen[tg][0]], at)
			}
		}
	}
	for _, d := range rel.Deployments {
		if ids[d.ID] == nil {
			t.Errorf("%s (%s to %s) never reached the deployer", d.ID, d.Service, d.Environment)
		}
	}
	if len(badSig) > 0 {
		t.Errorf("the deployer refused signatures: %v", badSig)
	}

	// Slack: duplicates are counted (see TestCrash), losses fail.
	if len(card) > 1 {
		out.duplicates = append(out.duplicates, fmt.Sprintf("card of %s ×%d", id, len(card)))
	}
	for _, ch := range []string{payChan, rskChan} {
		if p := postsAbout(fake, ch, id); len(p) > 1 {
			out.duplicates = append(out.duplicates, fmt.Sprintf("sign-off request in %s ×%d", ch, len(p)))
		}
	}
	lines := map[string]int{}
	for _, c := range replies() {
		for _, line := range strings.Split(c.Text, "\n") {
			r := normalise(line)
			out.replies = append(out.replies, r)
			lines[r]++
		}
	}
	for r, k := range lines {
		if k > 1 {
			out.duplicates = append(out.duplicates, fmt.Sprintf("thread reply ×%d %q", k, r))
		}
	}
	sort.Strings(out.duplicates)
	return out
}
