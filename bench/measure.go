package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

const (
	signingSecret = "bench-slack-signing-secret-0123456789"
	deploySecret  = "bench-deploy-secret-0123456789abcdef"
	botToken      = "xoxb-bench-0000"
)

// measure runs every phase against fresh processes and a fresh database.
func measure(ctx context.Context, o options, log io.Writer) (*report, error) {
	sz := o.sizes()
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "releasebot-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	step := func(format string, args ...any) {
		fmt.Fprintf(log, "bench: %s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}

	step("building releasebot")
	bin, err := buildReleasebot(ctx, root, dir, o.cpuprofile != "")
	if err != nil {
		return nil, err
	}
	db, err := newDatabase(o.db, o.dburl, dir)
	if err != nil {
		return nil, err
	}
	defer db.drop()
	t0 := time.Now()
	if err := seed(ctx, db.url, sz.seeded); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	step("seeded %d releases on %s in %v", sz.seeded, db.kind, time.Since(t0).Round(time.Millisecond))

	slack, closeSlack := newFakeSlack()
	defer closeSlack()
	dep := newDeployer(deploySecret)
	defer dep.Close()
	cfgPath, err := writeConfig(dir, dep.URL, deploySecret)
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"DATABASE_URL": db.url, "RELEASEBOT_CONFIG": cfgPath,
		"SLACK_BOT_TOKEN": botToken, "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": slack.URL + "/",
		"RELEASEBOT_SLACK_POST_INTERVAL": "0s", // the fake Slack has no rate limit
	}
	prof := profiler{prefix: o.cpuprofile}
	if prof.prefix != "" {
		if prof.addr, err = freeLoopback(); err != nil {
			return nil, err
		}
		env["RELEASEBOT_PPROF_ADDR"] = prof.addr
	}
	serve, err := startServe(bin, dir, env)
	if err != nil {
		return nil, err
	}
	defer serve.stop()
	floor, err := startFloor(dir, signingSecret)
	if err != nil {
		return nil, err
	}
	defer floor.stop()
	step("serve on %s (pid %d), floor on %s (pid %d)", serve.base, serve.cmd.Process.Pid, floor.base, floor.cmd.Process.Pid)

	c := newClient(signingSecret, slack.NewResponseURL())
	rep := &report{date: time.Now(), machine: machine(), mode: "full"}
	rep.database = "SQLite (temporary file, WAL)"
	if db.kind == "postgres" {
		rep.database = "PostgreSQL (fresh schema in " + redact(o.dburl) + ")"
	}
	if o.quick {
		rep.mode = "quick (small counts: a smoke test, not a measurement)"
	}
	under := func(limit time.Duration) func(stats) bool { return func(s stats) bool { return s.p99 < limit } }

	conc := []int{1, 8, 32}
	run := fmt.Sprintf("%x", time.Now().Unix()%0xffffff)
	if o.only != "create" {
		// Dashboard first, on a quiet server holding only the seeded releases.
		step("dashboard: %d GETs of / and /api/releases", sz.pageGets)
		for _, p := range []struct{ name, path string }{{"GET /", "/"}, {"GET /api/releases", "/api/releases"}} {
			c.getMany(serve.base, p.path, 5) // warm up
			s := c.getMany(serve.base, p.path, sz.pageGets)
			rep.rows = append(rep.rows, latencyRow(fmt.Sprintf("dashboard %s (%d releases)", p.name, sz.seeded), s, false, "p99 < 100 ms", under(100*time.Millisecond)))
			noteErr(rep, p.name, s)
		}

		if err := ctx.Err(); err != nil {
			return nil, err
		}
		step("last sign-off → first webhook over %d releases", sz.signoffs)
		s := signoffs(c, serve, slack, dep, sz.signoffs, run)
		rep.rows = append(rep.rows, latencyRow("last sign-off (reaction_added) → first webhook at deployer", s, false, "p99 < 100 ms", under(100*time.Millisecond)))
		noteErr(rep, "sign-off", s)
		settle(slack, 300*time.Millisecond, time.Minute)

		// Deploy targets of the service catalog (issue 12): a serve of its own, bench/targets.go.
		trows, tnotes, err := targets(ctx, o, bin, dir, step)
		if err != nil {
			return nil, fmt.Errorf("deploy targets: %w", err)
		}
		rep.rows, rep.notes = append(rep.rows, trows...), append(rep.notes, tnotes...)
		// Release trains (issue 13): a serve of its own, bench/trains.go.
		if trows, tnotes, err = trains(ctx, o, bin, dir, step); err != nil {
			return nil, fmt.Errorf("trains: %w", err)
		}
		rep.rows, rep.notes = append(rep.rows, trows...), append(rep.notes, tnotes...)

		statusOK := hasAll("*R-1 · svc-00 v1.0.0*") // the first seeded release
		status := func() string { return "status R-1" }
		for _, n := range conc {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			step("status at concurrency %d", n)
			c.load(floor.base, n, min(200, sz.reads), sz.readLimit, status, hasAll(`"ok"`)) // warm up
			fl := c.load(floor.base, n, sz.reads, sz.readLimit, status, hasAll(`"ok"`))
			c.load(serve.base, n, min(200, sz.reads), sz.readLimit, status, statusOK)
			done := prof.start(fmt.Sprintf("status-c%d", n), sz.readLimit, log)
			rb := c.load(serve.base, n, sz.reads, sz.readLimit, status, statusOK)
			done()
			rep.rows = append(rep.rows,
				latencyRow(fmt.Sprintf("floor `status R-1`, concurrency %d", n), fl, true, "", nil),
				latencyRow(fmt.Sprintf("releasebot `status R-1`, concurrency %d", n), rb, true, "", nil),
				ratioRow(fmt.Sprintf("`status` throughput releasebot / floor, concurrency %d", n), rb, fl, statusTarget(n)))
			noteErr(rep, fmt.Sprintf("floor status c=%d", n), fl)
			noteErr(rep, fmt.Sprintf("status c=%d", n), rb)
		}
	}

	wf, err := openWriteFloor(ctx, db.kind, db.url)
	if err != nil {
		return nil, err
	}
	defer wf.Close()
	var acct *accountant
	if o.account {
		acct = &accountant{serve: serve.cmd.Process.Pid, log: log}
		if db.kind == "postgres" {
			acct.db = wf.db
		}
	}
	var version atomic.Int64
	create := func() string { return fmt.Sprintf("create svc-%d v%s.%d", version.Load()%25, run, version.Add(1)) }
	for _, n := range conc {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		step("create at concurrency %d", n)
		fl := c.load(floor.base, n, sz.commands, sz.cellLimit, create, hasAll(`"ok"`))
		wr := wf.load(ctx, n, sz.commands, sz.cellLimit)
		posted := len(slack.Posts(""))
		done := prof.start(fmt.Sprintf("create-c%d", n), 2*time.Second, log)
		whole := acct.cell(ctx, fmt.Sprintf("create c%d, answers and posts", n))
		answers := acct.cell(ctx, fmt.Sprintf("create c%d, answers", n))
		rb := c.load(serve.base, n, sz.commands, sz.cellLimit, create, hasAll("Opened R-"))
		answers(rb.n)
		done()
		target, check := "", (func(stats) bool)(nil)
		if n == 8 {
			target, check = "p99 < 50 ms", under(50*time.Millisecond)
		}
		// The cell's Slack posts go out after the answers; wait for them
		// so that the next cell does not compete with them, and say how
		// long they took.
		want := posted + 3*rb.n
		took, drained := waitPosted(slack, want, 3*time.Minute)
		if acct != nil {
			time.Sleep(11 * time.Second) // idle backends report their counters within 10 s
		}
		whole(rb.n)
		backlog := fmt.Sprintf("%d posts, the last %.1f s after the last answer", 3*rb.n, took.Seconds())
		if !drained {
			backlog = fmt.Sprintf("not all posted after %.0f s: %d of %d", took.Seconds(), len(slack.Posts(""))-posted, 3*rb.n)
		}
		rep.rows = append(rep.rows,
			latencyRow(fmt.Sprintf("floor `create`, concurrency %d", n), fl, true, "", nil),
			latencyRow(fmt.Sprintf("write floor: single-row inserts through gorm, concurrency %d", n), wr, true, "", nil),
			latencyRow(fmt.Sprintf("releasebot `create svc-N vN`, concurrency %d", n), rb, true, target, check),
			ratioRow(fmt.Sprintf("`create` throughput releasebot / floor, concurrency %d", n), rb, fl, 0), // no target: the floor does no work
			writeRatioRow(fmt.Sprintf("`create` throughput releasebot / write floor, concurrency %d", n), rb, wr, n == 8 && db.kind == "postgres"),
			row{what: fmt.Sprintf("Slack cards and sign-off requests of those creates (concurrency %d)", n), n: "—", p50: "—", p99: "—",
				throughput: backlog, target: "—", result: "—"})
		noteErr(rep, fmt.Sprintf("create c=%d", n), rb)
		noteErr(rep, fmt.Sprintf("write floor c=%d", n), wr)
	}

	rss, err := serve.peakRSS()
	if err != nil {
		return nil, fmt.Errorf("peak RSS: %w", err)
	}
	floorRSS, _ := floor.peakRSS()
	rep.rows = append(rep.rows, row{what: "peak RSS of serve (VmHWM at the end)", n: "1", p50: "—", p99: "—",
		throughput: fmt.Sprintf("%.1f MB (floor: %.1f MB)", float64(rss)/1e6, float64(floorRSS)/1e6),
		target:     "< 100 MB", result: passMiss(rss < 100e6)})

	total, bad := dep.counts()
	rep.notes = append(rep.notes, fmt.Sprintf("fake deployer: %d webhook deliveries verified, %d with a bad signature; fake Slack: %d Web API and response_url calls",
		total, bad, len(slack.Calls())))
	if bad > 0 {
		rep.notes = append(rep.notes, "**webhook signatures failed to verify**")
	}
	if errs := errorLines(serve.log); errs != "" {
		rep.notes = append(rep.notes, "serve logged errors: "+errs)
	}
	step("done")
	return rep, nil
}

// ratioRow compares releasebot's throughput with the floor's; want > 0
// is the target.
func ratioRow(what string, rb, fl stats, want float64) row {
	r := row{what: what, n: "—", p50: "—", p99: "—", throughput: "—", target: "—", result: "—"}
	if fl.rps > 0 {
		r.throughput = fmt.Sprintf("%.2f", rb.rps/fl.rps)
	}
	if want > 0 {
		r.target = fmt.Sprintf("≥ %.1f", want)
		r.result = passMiss(fl.rps > 0 && rb.rps/fl.rps >= want && rb.errs == 0)
	}
	return r
}

// statusTarget is the `status` ratio wanted at concurrency n: issue 7's
// 0.5 at 1, issue 11's 0.6 at 8 and 32.
func statusTarget(n int) float64 {
	if n == 1 {
		return 0.5
	}
	return 0.6
}

// writeRatioRow compares releasebot's create throughput with the write
// floor's; judged, the target is issue 11's ≥ 0.3 (at concurrency 8 on
// PostgreSQL).
func writeRatioRow(what string, rb, wr stats, judged bool) row {
	r := row{what: what, n: "—", p50: "—", p99: "—", throughput: "—", target: "—", result: "—"}
	if wr.rps > 0 {
		r.throughput = fmt.Sprintf("%.2f", rb.rps/wr.rps)
	}
	if judged {
		r.target = "≥ 0.3"
		r.result = passMiss(wr.rps > 0 && rb.rps/wr.rps >= 0.3 && rb.errs == 0 && wr.errs == 0)
	}
	return r
}

func noteErr(rep *report, what string, s stats) {
	if s.errs > 0 {
		rep.notes = append(rep.notes, fmt.Sprintf("%s: %d errors, first: %s", what, s.errs, s.firstErr))
	}
}

// errorLines counts serve's ERROR log lines and quotes the first.
func errorLines(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var n int
	var first string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, "level=ERROR") {
			n++
			first = cmp(first, line)
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d, first: `%.300s`", n, first)
}
