package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
)

// trialDeadline bounds one trial: a kill during a claimed Slack post or
// webhook delivery costs the claim's lease (30 s + the timeout) before it
// is picked up again.
const trialDeadline = 100 * time.Second

// crashOutcome is what a trial saw, for the summary.
type crashOutcome struct {
	kills      []time.Duration
	replies    []string // normalised thread replies, in order
	duplicates []string // posts that arrived more than once
	orphans    []string // duplicate sign-off requests whose reactions the bot ignored
	missing    []string // baseline replies that never arrived
	took       time.Duration
}

// pgTrials bounds the crash trials on PostgreSQL that run at once.
var pgTrials = make(chan struct{}, 10)

// TestCrash walks releases from create to deployed while serve is killed
// with SIGKILL at seeded random moments and restarted on the same database.
func TestCrash(t *testing.T) {
	for i, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel() // a trial that waits out a claim lease costs ~60 s: wait side by side
			rng, _ := newRand(t, uint64(i+1))
			// A run without kills says which thread replies a release gets.
			base := crashTrial(t, db.URL(t), 0, nil)
			if t.Failed() {
				t.Fatalf("the run without kills failed")
			}
			t.Logf("baseline thread: %q", base.replies)
			var mu sync.Mutex
			var outcomes []crashOutcome
			t.Run("trials", func(t *testing.T) {
				for n := 1; n <= *trialsFlag; n++ {
					// Kill points spread over a release's life as the
					// baseline lived it (a little beyond, for the last posts).
					life := int64(base.took + base.took/4)
					kills := []time.Duration{time.Duration(rng.Int64N(life))}
					if rng.IntN(3) == 0 { // sometimes twice
						kills = append(kills, kills[0]+time.Duration(rng.Int64N(life)))
					}
					t.Run(fmt.Sprintf("%02d", n), func(t *testing.T) {
						t.Parallel()
						if db.Name == "postgres" {
							// Each serve holds a few connections, and the
							// server allows 100 by default, shared with
							// the packages tested alongside.
							pgTrials <- struct{}{}
							defer func() { <-pgTrials }()
						}
						t.Logf("kill -9 after %v", kills)
						o := crashTrial(t, db.URL(t), n, kills)
						if o.took == 0 {
							return // the trial stopped at an earlier failure
						}
						o.missing = missing(base.replies, o.replies)
						for _, m := range o.missing {
							t.Errorf("Slack post lost: thread reply %q never arrived (kills at %v)", m, kills)
						}
						mu.Lock()
						outcomes = append(outcomes, o)
						mu.Unlock()
					})
				}
			})
			dups, slow, orphans := 0, 0, 0
			for _, o := range outcomes {
				dups += len(o.duplicates)
				orphans += len(o.orphans)
				for _, d := range o.orphans {
					t.Logf("orphaned post (kills at %v): %s", o.kills, d)
				}
				if o.took > 20*time.Second {
					slow++
				}
				for _, d := range o.duplicates {
					t.Logf("duplicate post (kills at %v): %s", o.kills, d)
				}
			}
			// Duplicates are counted, not failed: without channels:history
			// (or when Slack's history is unreadable) the bot posts again
			// rather than lose a message. With the fake they should be rare.
			t.Logf("%d trials: %d duplicate Slack posts in all, %d duplicated sign-off requests whose first copy ignored a ✅; %d trials waited out a claim lease", len(outcomes), dups, orphans, slow)
		})
	}
}

// crashTrial walks one release from create to deployed on a fresh serve,
// killing it at the given offsets (each restart waits for the process to
// be gone, then starts it on the same database), and checks what must
// survive. n names the trial.
func crashTrial(t *testing.T, dbURL string, n int, kills []time.Duration) crashOutcome {
	start := time.Now()
	out := crashOutcome{kills: kills}
	dir := t.TempDir()
	fake := slacktest.New(t)
	fake.Token = slackToken
	dep := newDeployer(t)
	srv := newServer(t, dir, dbURL, writeConfig(t, dir, dep), fake)
	srv.start()
	if t.Failed() {
		return out
	}
	start = time.Now() // kill points count from serve's first answer
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
				return false // start said why; waiting for a server that isn't there is vain
			}
			if time.Now().After(deadline) {
				t.Errorf("gave up waiting for %s (kills at %v)\nSlack saw %v\nrelease: %s\nserve's log:\n%s", what, kills, fake.Calls(), state(), tail(grepv(srv.logText(), `"msg":"http request"`), 60))
				return false
			}
			time.Sleep(20 * time.Millisecond)
		}
		return true
	}

	// create: acknowledged, or retyped once serve is back if it never
	// landed.
	version := fmt.Sprintf("v1.%d.0", n)
	acked := false
	hook := fake.NewResponseURL()
	if !retry("create", func() bool {
		code, body, err := srv.send(slacktest.SlashCommand{UserID: dave, UserName: "dave", ChannelID: relChan, ChannelName: "releases",
			Text: "create payments-api " + version, ResponseURL: hook}.Request())
		if err == nil && code == http.StatusOK {
			if m := openedRE.FindStringSubmatch(body); m != nil {
				id, acked = m[1], true
				return true
			}
			if !strings.Contains(body, "already has an open release") {
				t.Errorf("create answered %s", body)
				return true
			}
			// The create in flight at the kill landed: find it below.
		}
		time.Sleep(20 * time.Millisecond)
		l, err := srv.list()
		if err != nil {
			return false
		}
		for _, r := range l {
			if r.Version == version {
				id = r.ID
				return true
			}
		}
		return false
	}) || id == "" {
		return out
	}
	t.Logf("%s created (acknowledged: %v)", id, acked)

	// Sign-offs: each lead reacts ✅ on their team's request; Slack
	// redelivers with X-Slack-Retry-Num until it gets a 200.
	type lead struct{ user, channel, team string }
	signedOff := func(r *apiRelease, l lead) bool {
		for _, s := range r.Signoffs {
			if s.Team == l.team && s.User == l.user && s.Decision == "approved" {
				return true
			}
		}
		for _, a := range r.Audit { // signed off, and the release moved on
			if a.Actor == l.user && a.Action == "signed_off" {
				return true
			}
		}
		return false
	}
	// An acknowledged sign-off is recorded before the answer: it shows at
	// once. Were the ✅ on a copy of the request the bot lost track of
	// (posted, then killed before it stored the ts) ignored, the bot would
	// post the request again after the claim lapsed: the lead then reacts
	// on the new copy, as a person would, and the trial fails (an orphan).
	for _, l := range []lead{{alice, payChan, "payments"}, {carol, rskChan, "risk"}} {
		reacted := 0
		for round := 0; ; round++ {
			var req []slacktest.Call
			if !retry(l.team+"'s sign-off request", func() bool { req = postsAbout(fake, l.channel, id); return len(req) > reacted }) {
				return out
			}
			// React as soon as the request shows: a ✅ that arrives while
			// the bot is still storing the request's ts must count too.
			for k := reacted; k < len(req); k++ {
				ev := slacktest.Reaction{EventID: fmt.Sprintf("Ev%03d%s%d", n, l.team, k), User: l.user, Reaction: "white_check_mark",
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
			shown := func() bool { r, err := srv.release(id); return err == nil && signedOff(r, l) }
			if waitUpTo(5*time.Second, shown) {
				break
			}
			// The sign-off shows late (serve was down, or still
			// restarting, through the first wait), or a copy posted after
			// the claim lapsed (30 s) means the ✅ went to an orphan.
			if round == 0 && waitUpTo(45*time.Second, func() bool { return len(postsAbout(fake, l.channel, id)) > reacted || shown() }) {
				if shown() {
					break
				}
				orphan := fmt.Sprintf("%s's sign-off request of %s: the ✅ on the copy posted before the kill was ignored", l.team, id)
				out.orphans = append(out.orphans, orphan)
				// The bot finds its earlier copy by its metadata (or
				// adopts it when the ✅ comes first): a lead's ✅ on any
				// copy counts, or the sign-off is lost.
				t.Errorf("orphaned post (kills at %v): %s", kills, orphan)
				continue
			}
			t.Errorf("sign-off lost: %s's ✅ for %s was answered 200 but %s has none (kills at %v): %s", l.user, l.team, id, kills, state())
			return out
		}
	}

	// The release deploys on its own, through kills.
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
		t.Logf("the release finished before the last kill (%v)", out.took.Round(time.Millisecond))
	}

	// No release lost, no sign-off lost, every deployment finished.
	if rel.Status != "deployed" {
		t.Errorf("%s ended %s: %+v", id, rel.Status, rel.Deployments)
	}
	for _, l := range []lead{{alice, payChan, "payments"}, {carol, rskChan, "risk"}} {
		if !signedOff(rel, l) {
			t.Errorf("sign-off lost: %s for %s was acknowledged but %s has %+v", l.user, l.team, id, rel.Signoffs)
		}
	}
	envs := map[string]bool{}
	for _, d := range rel.Deployments {
		envs[d.Environment] = true
		if d.Status != "succeeded" {
			t.Errorf("%s %s ended %s", d.ID, d.Environment, d.Status)
		}
	}
	if len(envs) != 2 {
		t.Errorf("%s has deployments %+v, want staging and production", id, rel.Deployments)
	}
	for _, a := range rel.Audit {
		if a.Action == "created" && strings.Count(a.Detail, version) > 1 {
			t.Errorf("odd audit %v", a)
		}
	}
	// One webhook-id per delivery, however often serve died.
	ids, requests, _, _, badSig := dep.snapshot()
	for did, byID := range ids {
		if len(byID) != 1 {
			t.Errorf("%s was sent with %d webhook-ids %v: a restart minted a new id for an old delivery", did, len(byID), byID)
		}
		if requests[did] < 2 {
			t.Errorf("%s: %d requests, want the 500 and a retry", did, requests[did])
		}
	}
	for _, d := range rel.Deployments {
		if ids[d.ID] == nil {
			t.Errorf("%s never reached the deployer", d.ID)
		}
	}
	if len(badSig) > 0 {
		t.Errorf("the deployer refused signatures: %v", badSig)
	}

	// Slack: one card and one request per team; count duplicates.
	if len(card) > 1 {
		out.duplicates = append(out.duplicates, fmt.Sprintf("card of %s ×%d", id, len(card)))
	}
	for _, ch := range []string{payChan, rskChan} {
		if p := postsAbout(fake, ch, id); len(p) > 1 {
			out.duplicates = append(out.duplicates, fmt.Sprintf("sign-off request in %s ×%d", ch, len(p)))
		}
	}
	// A thread reply batches the lines of the events relayed together,
	// and kills change the batching: compare lines.
	seen := map[string]int{}
	for _, c := range replies() {
		for _, line := range strings.Split(c.Text, "\n") {
			r := normalise(line)
			out.replies = append(out.replies, r)
			seen[r]++
		}
	}
	for r, k := range seen {
		if k > 1 {
			out.duplicates = append(out.duplicates, fmt.Sprintf("thread reply ×%d %q", k, r))
		}
	}
	sort.Strings(out.duplicates)
	return out
}

var (
	numberRE  = regexp.MustCompile(`\b(R|D)-\d+\b`)
	versionRE = regexp.MustCompile(`v1\.\d+\.0`)
	attemptRE = regexp.MustCompile(`\d+ attempts?|attempt \d+|\d+(\.\d+)?\s?(ms|s)\b`)
)

// normalise makes one release's thread text comparable with another's.
func normalise(s string) string {
	s = numberRE.ReplaceAllString(s, "$1-n")
	s = versionRE.ReplaceAllString(s, "vX")
	return attemptRE.ReplaceAllString(s, "…")
}

// missing returns the replies of want not in got (as multisets: each
// distinct reply at least once).
func missing(want, got []string) []string {
	have := map[string]bool{}
	// Whether a deployer's 202 is told as in_progress depends on whether
	// its callback overtook the worker recording the 202: optional.
	for _, w := range want {
		if strings.Contains(w, ": in_progress") {
			have[w] = true
		}
	}
	for _, g := range got {
		have[g] = true
	}
	var out []string
	for _, w := range want {
		if !have[w] {
			out = append(out, w)
		}
	}
	return out
}

// waitUpTo polls ok for up to d.
func waitUpTo(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func grepv(s, drop string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, drop) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

var _ = rand.N[int]
var _ = filepath.Join

// TestRetryOfEventClaimedByDeadProcess: a replica claims a Slack event and
// dies (kill -9, OOM) before recording it. Slack's immediate retry reaches a
// live process while the dead one's claim still holds. The retry must not
// be answered 200 and dropped: Slack stops retrying after a 200, and the
// sign-off is lost. (The rule: "a retry whose original never arrived or was
// never processed is processed.") Either the retry is processed, or it is
// refused with a 5xx so that Slack retries after the claim lapsed.
func TestRetryOfEventClaimedByDeadProcess(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			url := db.URL(t)
			st := newStack(t, url)
			id, reqs := st.create("create payments-api v3.0.0")
			// The dead process: its claim, taken just now, and nothing else.
			dead := storetest.Open(t, url, nil)
			if ok, err := dead.ClaimEvent(context.Background(), "EvDEAD1", time.Now(), time.Minute); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			ev := slacktest.Reaction{EventID: "EvDEAD1", User: alice, Reaction: "white_check_mark", Channel: payChan,
				TS: reqs[payChan].PostedTS, Retry: 1}
			code, body, err := st.srv.send(ev.Request())
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.srv.release(id)
			if err != nil {
				t.Fatal(err)
			}
			if code == http.StatusOK && len(r.Signoffs) == 0 {
				t.Errorf("Slack's retry of an event whose claimant died was answered 200 %q and dropped: alice's sign-off is lost for good", body)
			}
		})
	}
}
