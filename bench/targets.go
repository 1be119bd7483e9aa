package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
)

// This file measures the deploy targets of the service catalog (issue
// 12): for each kind, the time from the sign-off that starts a release's
// deployment to the first request at the kind's fake.
//
// A catalog service always has at least one owning team, and a team needs
// at least one sign-off, so no release of a catalog service deploys
// straight from its create: the clock starts at the one sign-off its one
// owning team needs (alice's ✅), which is both its first and its last.
//
// The catalog runs in a serve of its own, on a database of its own seeded
// like the main one: with a catalog, only its services may be released,
// which the other phases' services are not.

// Tokens of the fake targets, handed to serve as ${VAR}s.
const (
	benchGitHubToken   = "ghp_bench_token_0123456789"
	benchGitLabTrigger = "glptt-bench-trigger-0123456789"
	benchGitLabToken   = "glpat-bench-read-0123456789"
	benchArgoCDToken   = "argocd-bench-token-0123456789"
)

// targetKind is one deploy target kind under measurement.
type targetKind struct {
	kind   string // as config names it
	prefix string // of its services' names
	what   string // the row's measurement
	wait   func(release string, timeout time.Duration) (time.Time, bool)
	deploy func(service string) string // the service's deploy.staging, as YAML flow
}

// targetsPerKind is how many releases each kind deploys.
func targetsPerKind(o options) int {
	if o.quick {
		return 5
	}
	return 50
}

// targets starts the catalog serve and measures each kind; it returns the
// rows and notes for the report.
func targets(ctx context.Context, o options, bin, dir string, step func(string, ...any)) ([]row, []string, error) {
	n := targetsPerKind(o)
	dir = filepath.Join(dir, "targets")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	db, err := newDatabase(o.db, o.dburl, dir)
	if err != nil {
		return nil, nil, err
	}
	defer db.drop()
	seeded := o.sizes().seeded
	step("deploy targets: seeding %d releases for the catalog serve", seeded)
	if err := seed(ctx, db.url, seeded); err != nil {
		return nil, nil, fmt.Errorf("seed: %w", err)
	}

	slack, closeSlack := newFakeSlack()
	defer closeSlack()
	dep := newDeployer(deploySecret)
	defer dep.Close()
	gh := newFakeGitHub(benchGitHubToken)
	defer gh.Close()
	gl := newFakeGitLab(benchGitLabTrigger, benchGitLabToken)
	defer gl.Close()
	argo := newFakeArgoCD(benchArgoCDToken)
	defer argo.Close()

	kinds := []targetKind{
		{kind: "webhook", prefix: "hook", what: "`webhook` target: sign-off (reaction_added) → first webhook at deployer",
			wait: dep.firstDelivery,
			deploy: func(string) string {
				return fmt.Sprintf(`{url: "%s/staging", secret: "${BENCH_DEPLOY_SECRET}", timeout: 5s}`, dep.URL)
			}},
		{kind: "github_actions", prefix: "gha", what: "`github_actions` target: sign-off (reaction_added) → first dispatch at fake GitHub",
			wait: gh.firstFor,
			deploy: func(s string) string {
				return fmt.Sprintf(`{github_actions: {repo: "acme/%s", workflow: deploy.yml, ref: main, token: "${BENCH_GITHUB_TOKEN}", api_url: "%s"}, timeout: 5s}`, s, gh.URL)
			}},
		{kind: "gitlab", prefix: "gl", what: "`gitlab` target: sign-off (reaction_added) → first trigger at fake GitLab",
			wait: gl.firstFor,
			deploy: func(s string) string {
				return fmt.Sprintf(`{gitlab: {url: "%s", project: "acme/%s", ref: main, trigger_token: "${BENCH_GITLAB_TRIGGER_TOKEN}", token: "${BENCH_GITLAB_TOKEN}"}, timeout: 5s}`, gl.URL, s)
			}},
		{kind: "argocd", prefix: "argo", what: "`argocd` target: sign-off (reaction_added) → first sync at fake Argo CD",
			wait: argo.firstFor,
			deploy: func(s string) string {
				return fmt.Sprintf(`{argocd: {server: "%s", app: "%s-staging", token: "${BENCH_ARGOCD_TOKEN}"}, timeout: 5s}`, argo.URL, s)
			}},
	}
	cfgPath, err := writeCatalogConfig(dir, kinds, n)
	if err != nil {
		return nil, nil, err
	}
	serve, err := startServe(bin, dir, map[string]string{
		"DATABASE_URL": db.url, "RELEASEBOT_CONFIG": cfgPath,
		"SLACK_BOT_TOKEN": botToken, "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": slack.URL + "/",
		"RELEASEBOT_SLACK_POST_INTERVAL": "0s",
		"BENCH_DEPLOY_SECRET":            deploySecret,
		"BENCH_GITHUB_TOKEN":             benchGitHubToken,
		"BENCH_GITLAB_TRIGGER_TOKEN":     benchGitLabTrigger,
		"BENCH_GITLAB_TOKEN":             benchGitLabToken,
		"BENCH_ARGOCD_TOKEN":             benchArgoCDToken,
	})
	if err != nil {
		return nil, nil, err
	}
	defer serve.stop()
	step("deploy targets: catalog serve on %s (pid %d), %d releases of each kind", serve.base, serve.cmd.Process.Pid, n)

	c := newClient(signingSecret, slack.NewResponseURL())
	lat, errs, first := measureTargets(ctx, c, serve, slack, kinds, n)
	var rows []row
	var notes []string
	for i, k := range kinds {
		s := summarise(lat[i], errs[i], first[i], 0)
		rows = append(rows, latencyRow(k.what, s, false, "p99 < 100 ms", func(s stats) bool { return s.p99 < 100*time.Millisecond }))
		if s.errs > 0 {
			notes = append(notes, fmt.Sprintf("%s target: %d errors, first: %s", k.kind, s.errs, s.firstErr))
		}
	}
	total, bad := dep.counts()
	notes = append(notes, fmt.Sprintf("deploy targets (catalog serve): deployer %d webhook deliveries verified, %d with a bad signature; %s; %s; %s",
		total, bad, describe("fake GitHub", gh.arrivals), describe("fake GitLab", gl.arrivals), describe("fake Argo CD", argo.arrivals)))
	for _, f := range []struct {
		name string
		a    *arrivals
	}{{"GitHub", gh.arrivals}, {"GitLab", gl.arrivals}, {"Argo CD", argo.arrivals}} {
		if d, s, _, refused := f.a.counts(); s > d || refused > 0 {
			notes = append(notes, fmt.Sprintf("**fake %s: %d run-starting requests for %d deployments, %d refused**", f.name, s, d, refused))
		}
	}
	if e := errorLines(serve.log); e != "" {
		notes = append(notes, "catalog serve logged errors: "+e)
	}
	return rows, notes, nil
}

// measureTargets opens n releases of each kind's services (one release
// per service, so that none queues behind a run still in progress), waits
// for their sign-off requests, then sends each sign-off alone on a quiet
// server, the kinds taking turns, and waits for the kind's first request.
func measureTargets(ctx context.Context, c *client, serve *process, slack *slacktest.Server, kinds []targetKind, n int) (lat [][]time.Duration, errs []int, first []string) {
	lat, errs, first = make([][]time.Duration, len(kinds)), make([]int, len(kinds)), make([]string, len(kinds))
	fail := func(k int, format string, args ...any) {
		errs[k]++
		first[k] = cmp(first[k], fmt.Sprintf(format, args...))
	}
	ids := make([][]string, len(kinds)) // release ids, "" where the create failed
	for k, kind := range kinds {
		for i := range n {
			code, body, _, err := c.do(serve.base, c.command(fmt.Sprintf("create %s-%03d v1.0.%d", kind.prefix, i, i)))
			m := openedRE.FindStringSubmatch(body)
			if err != nil || code != http.StatusOK || m == nil {
				fail(k, "create: HTTP %d %v %.200s", code, err, body)
				ids[k] = append(ids[k], "")
				continue
			}
			ids[k] = append(ids[k], m[1])
		}
	}
	ts := make([][]string, len(kinds)) // the payments sign-off request of each
	for k := range kinds {
		for _, num := range ids[k] {
			t := ""
			if num != "" {
				var ok bool
				if t, ok = waitPost(slack, payCh, "R-"+num, 20*time.Second); !ok {
					fail(k, "R-%s: no sign-off request posted within 20 s", num)
				}
			}
			ts[k] = append(ts[k], t)
		}
	}
	for i := range n {
		for k, kind := range kinds {
			if ctx.Err() != nil {
				return
			}
			num, t := ids[k][i], ts[k][i]
			if num == "" || t == "" {
				continue
			}
			id := "R-" + num
			settle(slack, 100*time.Millisecond, 5*time.Second)
			react := slacktest.Reaction{EventID: fmt.Sprintf("EvT%s%d", num, k), User: alice, Reaction: "white_check_mark",
				Channel: payCh, TS: t}
			sent := time.Now()
			if code, body, _, err := c.do(serve.base, react.Request()); err != nil || code != http.StatusOK {
				fail(k, "%s: reaction: HTTP %d %v %.200s", id, code, err, body)
				continue
			}
			at, ok := kind.wait(id, 15*time.Second)
			if !ok {
				fail(k, "%s: no %s request within 15 s of the sign-off", id, kind.kind)
				continue
			}
			lat[k] = append(lat[k], at.Sub(sent))
		}
	}
	return
}

// writeCatalogConfig writes the catalog serve's releasebot.yaml: one team
// (payments, led by alice), one environment whose own deploy only logs,
// and n services of each kind, owned by payments, each deploying to
// staging through its kind.
func writeCatalogConfig(dir string, kinds []targetKind, n int) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, `timezone: UTC
release_managers: [U0RM1]
require_distinct_approver: true
limits: {creates_per_hour: 0}
users:
  alice: %[1]s
  dave: %[2]s
teams:
  - name: payments
    channel: %[3]s
    leads: [%[1]s]
    approvals: 1
environments:
  - name: staging
    deploy: {url: "log:staging"}
services:
`, alice, dave, payCh)
	for _, k := range kinds {
		for i := range n {
			s := fmt.Sprintf("%s-%03d", k.prefix, i)
			fmt.Fprintf(&b, "  - name: %s\n    teams: [payments]\n    deploy:\n      staging: %s\n", s, k.deploy(s))
		}
	}
	path := filepath.Join(dir, "releasebot.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}
