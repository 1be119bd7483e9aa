package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/webhooks"
)

// This file measures release trains (issue 13): a train of 20 services in
// 5 dependency levels, from its last sign-off to the first webhook of
// every service of the first level, which start together. The train runs
// in a serve of its own with a catalog of those services, on a fresh,
// unseeded database; each train deploys to the end before the next is
// signed off, so each sign-off meets a quiet server.

const (
	trainLevels = 5
	trainWidth  = 4 // services per level
)

// trainService names service i of level l: "tr-2-3".
func trainService(l, i int) string { return fmt.Sprintf("tr-%d-%d", l, i) }

// trainsPerRun is how many trains are measured.
func trainsPerRun(o options) int {
	if o.quick {
		return 3
	}
	return 30
}

// trains starts the train serve and measures; it returns the rows and
// notes for the report.
func trains(ctx context.Context, o options, bin, dir string, step func(string, ...any)) ([]row, []string, error) {
	n := trainsPerRun(o)
	dir = filepath.Join(dir, "trains")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	db, err := newDatabase(o.db, o.dburl, dir)
	if err != nil {
		return nil, nil, err
	}
	defer db.drop()
	slack, closeSlack := newFakeSlack()
	defer closeSlack()
	dep := newTrainDeployer(deploySecret)
	defer dep.Close()
	cfgPath, err := writeTrainConfig(dir, dep.URL)
	if err != nil {
		return nil, nil, err
	}
	serve, err := startServe(bin, dir, map[string]string{
		"DATABASE_URL": db.url, "RELEASEBOT_CONFIG": cfgPath,
		"SLACK_BOT_TOKEN": botToken, "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": slack.URL + "/",
		"RELEASEBOT_SLACK_POST_INTERVAL": "0s",
		"BENCH_DEPLOY_SECRET":            deploySecret,
	})
	if err != nil {
		return nil, nil, err
	}
	defer serve.stop()
	step("trains: serve on %s (pid %d), %d trains of %d services in %d levels", serve.base, serve.cmd.Process.Pid, n, trainLevels*trainWidth, trainLevels)

	c := newClient(signingSecret, slack.NewResponseURL())
	var lat []time.Duration
	var errs int
	var first string
	fail := func(format string, args ...any) {
		errs++
		first = cmp(first, fmt.Sprintf(format, args...))
	}
	var parts []string
	for l := range trainLevels {
		for i := range trainWidth {
			parts = append(parts, trainService(l, i)+"@v1.0.%[1]d")
		}
	}
	create := "create " + strings.Join(parts, " ") + " --name train-%[1]d"
	start := time.Now()
	for k := range n {
		if ctx.Err() != nil {
			break
		}
		code, body, _, err := c.do(serve.base, c.command(fmt.Sprintf(create, k)))
		m := openedRE.FindStringSubmatch(body)
		if err != nil || code != http.StatusOK || m == nil {
			fail("create: HTTP %d %v %.200s", code, err, body)
			continue
		}
		id := "R-" + m[1]
		ts, ok := waitPost(slack, payCh, id, 20*time.Second)
		if !ok {
			fail("%s: no sign-off request posted within 20 s", id)
			continue
		}
		settle(slack, 100*time.Millisecond, 5*time.Second)
		react := slacktest.Reaction{EventID: fmt.Sprintf("EvTrain%06d", k), User: alice, Reaction: "white_check_mark",
			Channel: payCh, TS: ts}.Request()
		sent := time.Now()
		if code, body, _, err := c.do(serve.base, react); err != nil || code != http.StatusOK {
			fail("%s: reaction: HTTP %d %v %.200s", id, code, err, body)
			continue
		}
		var last time.Time // the first level's last first request
		for i := range trainWidth {
			at, ok := dep.firstDelivery(id, trainService(0, i), 15*time.Second)
			if !ok {
				fail("%s: no webhook for %s within 15 s of the sign-off", id, trainService(0, i))
				last = time.Time{}
				break
			}
			last = later(last, at)
		}
		if !last.IsZero() {
			lat = append(lat, last.Sub(sent))
		}
		// The whole train deploys before the next sign-off.
		if !waitStatus(c, serve.base, id, "deployed", 60*time.Second) {
			fail("%s: not deployed within 60 s of its sign-off", id)
		}
	}
	s := summarise(lat, errs, first, time.Since(start))
	rows := []row{latencyRow(fmt.Sprintf("train of %d services in %d levels: last sign-off (reaction_added) → every first-level service's first webhook",
		trainLevels*trainWidth, trainLevels), s, false, "p99 < 100 ms", func(s stats) bool { return s.p99 < 100*time.Millisecond })}
	rss, err := serve.peakRSS()
	if err != nil {
		return nil, nil, fmt.Errorf("peak RSS: %w", err)
	}
	rows = append(rows, row{what: "peak RSS of the train serve (VmHWM at the end)", n: "1", p50: "—", p99: "—",
		throughput: fmt.Sprintf("%.1f MB", float64(rss)/1e6), target: "< 100 MB", result: passMiss(rss < 100e6)})
	total, bad := dep.counts()
	notes := []string{fmt.Sprintf("trains (own serve, unseeded database): deployer %d webhook deliveries verified, %d with a bad signature, %d deployments delivered twice",
		total, bad, dep.twice())}
	if s.errs > 0 {
		notes = append(notes, fmt.Sprintf("trains: %d errors, first: %s", s.errs, s.firstErr))
	}
	if e := errorLines(serve.log); e != "" {
		notes = append(notes, "train serve logged errors: "+e)
	}
	return rows, notes, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// waitStatus waits until release id has status.
func waitStatus(c *client, base, id, status string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := c.http.Get(base + "/api/releases/" + id)
		if err == nil {
			var r struct {
				Status string `json:"status"`
			}
			err = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if err == nil && r.Status == status {
				return true
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// writeTrainConfig writes the train serve's releasebot.yaml: one team
// (payments, led by alice) owning every service, one environment
// deploying to deployURL, and the catalog: each service of level l > 0
// depends on two of level l-1.
func writeTrainConfig(dir, deployURL string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, `timezone: UTC
release_managers: [U0RM1]
require_distinct_approver: true
limits: {creates_per_hour: 0}
teams:
  - name: payments
    channel: %[1]s
    leads: [%[2]s]
    approvals: 1
environments:
  - name: staging
    deploy: {url: "%[3]s/staging", secret: "${BENCH_DEPLOY_SECRET}", timeout: 5s}
services:
`, payCh, alice, deployURL)
	for l := range trainLevels {
		for i := range trainWidth {
			fmt.Fprintf(&b, "  - name: %s\n    teams: [payments]\n", trainService(l, i))
			if l > 0 {
				fmt.Fprintf(&b, "    depends_on: [%s, %s]\n", trainService(l-1, i), trainService(l-1, (i+1)%trainWidth))
			}
		}
	}
	path := filepath.Join(dir, "releasebot.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// trainDeployer is deployer for trains: it notes the first delivery of
// each release's service, and finishes every deployment at once.
type trainDeployer struct {
	*httptest.Server
	key []byte

	mu         sync.Mutex
	first      map[string]time.Time // "R-n/service" → first delivery's arrival
	deliveries map[string]int       // deployment id → deliveries
	waiters    map[string]chan struct{}
	bad, total int
}

func newTrainDeployer(secret string) *trainDeployer {
	d := &trainDeployer{key: []byte(secret), first: map[string]time.Time{}, deliveries: map[string]int{}, waiters: map[string]chan struct{}{}}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	return d
}

func (d *trainDeployer) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := webhooks.Verify(d.key, r.Header, body, at); err != nil {
		d.mu.Lock()
		d.bad++
		d.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var p struct {
		DeploymentID string `json:"deployment_id"`
		ReleaseID    string `json:"release_id"`
		Service      string `json:"service"`
	}
	_ = json.Unmarshal(body, &p)
	key := p.ReleaseID + "/" + p.Service
	d.mu.Lock()
	d.total++
	d.deliveries[p.DeploymentID]++
	if _, seen := d.first[key]; !seen {
		d.first[key] = at
		if ch, ok := d.waiters[key]; ok {
			close(ch)
			delete(d.waiters, key)
		}
	}
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"succeeded"}`)
}

// firstDelivery waits for the first delivery of release id's service.
func (d *trainDeployer) firstDelivery(id, service string, timeout time.Duration) (time.Time, bool) {
	key := id + "/" + service
	d.mu.Lock()
	if at, ok := d.first[key]; ok {
		d.mu.Unlock()
		return at, true
	}
	ch, ok := d.waiters[key]
	if !ok {
		ch = make(chan struct{})
		d.waiters[key] = ch
	}
	d.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(timeout):
		return time.Time{}, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.first[key], true
}

func (d *trainDeployer) counts() (total, bad int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.total, d.bad
}

// twice counts deployments delivered more than once (every one is
// answered with success at once: there should be none).
func (d *trainDeployer) twice() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, k := range d.deliveries {
		if k > 1 {
			n++
		}
	}
	return n
}
