package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
)

// curveSizes are the history sizes of -seed n: 1k, 10k, 100k and 300k up
// to n, and n itself.
func curveSizes(n int) []int {
	var out []int
	for _, s := range []int{1_000, 10_000, 100_000, 300_000} {
		if s < n {
			out = append(out, s)
		}
	}
	return append(out, n)
}

// probe is one thing the curve measures at every size.
type probe struct {
	what string
	path string // a GET of serve; "" for the in-process ones
}

// curveProbes are the pages, API calls and scrapes, in table order; the
// summary's DORA figures and shell start-up follow them.
func curveProbes(size int) []probe {
	mid := strconv.Itoa(size / 2)
	return []probe{
		{"`GET /api/releases` (page 1)", "/api/releases"},
		{"`GET /api/releases` page 100 (cursor)", "/api/releases?cursor=" + cursor(int64(size+historyOpen)-99*int64(releases.DefaultLimit))},
		{"`GET /api/releases?status=failed`", "/api/releases?status=failed"},
		{"`GET /api/releases?service=svc-07`", "/api/releases?service=svc-07"},
		{"`GET /api/releases?team=risk` page 100", "/api/releases?team=risk&cursor=" + cursor(int64(size+historyOpen)-99*int64(releases.DefaultLimit))},
		{"`GET /api/releases?status=deployed&service=svc-07` page 100", "/api/releases?status=deployed&service=svc-07&cursor=" + cursor(int64(size)/2)},
		{"`GET /`", "/"},
		{"`GET /releases/R-N` (mid-history)", "/releases/R-" + mid},
		{"`GET /windows`", "/windows"},
		{"`GET /calendar.ics`", "/calendar.ics"},
		{"`GET /metrics` (scrape)", "/metrics"},
	}
}

// cursor is the API's cursor of a page ending before id.
func cursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("before:" + strconv.FormatInt(max(id, 1), 10)))
}

const (
	doraProbe     = "summary's DORA figures (30 days, in process, from kept spans)"
	doraColdProbe = "the same with no span kept yet (first summary after the upgrade; one run)"
	shellProbe    = "`releasebot shell` start-up (to EOF on stdin)"
)

// curve runs -seed: for each size, a fresh database seeded with that much
// history and a fresh serve, then the probes; it prints one markdown table
// of p50 latencies, one column a size, and the ratio of the largest to 10k.
func curve(ctx context.Context, o options, n int, stdout, log io.Writer) error {
	gets := 50
	if o.quick {
		gets = 10
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "releasebot-curve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	step := func(format string, args ...any) {
		fmt.Fprintf(log, "bench: %s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	step("building releasebot")
	bin, err := buildReleasebot(ctx, root, dir, false)
	if err != nil {
		return err
	}
	sizes := curveSizes(n)
	results := map[string][]stats{}
	var order []string
	record := func(what string, s stats) {
		if _, ok := results[what]; !ok {
			order = append(order, what)
		}
		results[what] = append(results[what], s)
	}
	var notes []string
	for _, size := range sizes {
		if err := ctx.Err(); err != nil {
			return err
		}
		sub := filepath.Join(dir, strconv.Itoa(size))
		if err := os.Mkdir(sub, 0o700); err != nil {
			return err
		}
		probes, seedTook, err := curveAt(ctx, o, bin, sub, size, gets, record, step)
		if err != nil {
			return fmt.Errorf("%d releases: %w", size, err)
		}
		notes = append(notes, fmt.Sprintf("%d releases seeded in %v%s", size, seedTook.Round(time.Millisecond), probes))
	}

	fmt.Fprintf(stdout, "## Cost as history grows (%s, %s)\n\n", o.db, machine())
	fmt.Fprintf(stdout, "p50 of %d requests (DORA and shell: of 5 runs); each size is a fresh database with two years of history plus %d open releases.\n\n", gets, historyOpen)
	head := "| what |"
	sep := "|---|"
	for _, s := range sizes {
		head += " " + sizeLabel(s) + " |"
		sep += "---:|"
	}
	ratio := slices.Index(sizes, 10_000) >= 0 && sizes[len(sizes)-1] != 10_000
	if ratio {
		head += " " + sizeLabel(sizes[len(sizes)-1]) + " / 10k |"
		sep += "---:|"
	}
	fmt.Fprintln(stdout, head)
	fmt.Fprintln(stdout, sep)
	for _, what := range order {
		line := "| " + what + " |"
		ss := results[what]
		for _, s := range ss {
			cell := ms(s.p50)
			if s.errs > 0 {
				cell += fmt.Sprintf(" (%d errors)", s.errs)
				notes = append(notes, what+": "+s.firstErr)
			}
			line += " " + cell + " |"
		}
		if ratio && len(ss) == len(sizes) {
			base := ss[slices.Index(sizes, 10_000)].p50
			if base > 0 {
				line += fmt.Sprintf(" %.2f× |", float64(ss[len(ss)-1].p50)/float64(base))
			} else {
				line += " — |"
			}
		}
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintln(stdout)
	for _, note := range notes {
		fmt.Fprintln(stdout, "- "+note)
	}
	return nil
}

// curveAt seeds one database with size releases and measures every probe
// on it.
func curveAt(ctx context.Context, o options, bin, dir string, size, gets int, record func(string, stats), step func(string, ...any)) (string, time.Duration, error) {
	db, err := newDatabase(o.db, o.dburl, dir)
	if err != nil {
		return "", 0, err
	}
	defer db.drop()
	now := time.Now().UTC()
	t0 := time.Now()
	if err := seedHistory(ctx, db.url, size, now); err != nil {
		return "", 0, fmt.Errorf("seed: %w", err)
	}
	seedTook := time.Since(t0)
	step("seeded %d releases on %s in %v", size, db.kind, seedTook.Round(time.Millisecond))

	slack, closeSlack := newFakeSlack()
	defer closeSlack()
	dep := newDeployer(deploySecret)
	defer dep.Close()
	cfgPath, err := writeConfig(dir, dep.URL, deploySecret)
	if err != nil {
		return "", 0, err
	}
	// A window and a freeze, so that /windows and /calendar.ics have
	// something to show.
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return "", 0, err
	}
	_, err = fmt.Fprintf(f, "windows:\n  - name: weekly-train\n    schedule: \"0 14 * * TUE,THU\"\n    duration: 2h\nfreezes:\n  - name: next-month\n    start: %s\n    end: %s\n",
		now.AddDate(0, 1, 0).Format(time.RFC3339), now.AddDate(0, 1, 7).Format(time.RFC3339))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	env := map[string]string{
		"DATABASE_URL": db.url, "RELEASEBOT_CONFIG": cfgPath,
		"SLACK_BOT_TOKEN": botToken, "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": slack.URL + "/",
		"RELEASEBOT_SLACK_POST_INTERVAL": "0s",
	}
	serve, err := startServe(bin, dir, env)
	if err != nil {
		return "", 0, err
	}
	stopped := false
	defer func() {
		if !stopped {
			serve.stop()
		}
	}()
	c := newClient(signingSecret, slack.NewResponseURL())
	for _, p := range curveProbes(size) {
		c.getMany(serve.base, p.path, 3) // warm up
		record(p.what, c.getMany(serve.base, p.path, gets))
	}
	rss, err := serve.peakRSS()
	if err != nil {
		return "", 0, err
	}
	serve.stop()
	stopped = true

	// The summary's DORA figures, as scheduler.Summary computes them: from
	// the spans serve's scheduler kept while it ran (KeepDORA), and once
	// with none kept, as the first summary after the upgrade that added
	// them reads.
	s, err := gormstore.Open(ctx, db.url, gormstore.Options{})
	if err != nil {
		return "", 0, err
	}
	from := now.Add(-30 * 24 * time.Hour)
	summary := func() (int, time.Duration, error) {
		t0 := time.Now()
		w, err := releases.ReadDORA(ctx, s, "production", from, now)
		if err != nil {
			return 0, 0, err
		}
		d := w.Releases()
		w.ByService()
		return d.Changes, time.Since(t0), nil
	}
	var lat []time.Duration
	deps, cold, err := 0, time.Duration(0), error(nil)
	if _, err = s.DB().ExecContext(ctx, "DELETE FROM dora_spans"); err == nil {
		deps, cold, err = summary()
	}
	for i := 0; i < 5 && err == nil; i++ {
		var took time.Duration
		if _, took, err = summary(); err == nil {
			lat = append(lat, took)
		}
	}
	s.Close()
	if err != nil {
		return "", 0, err
	}
	record(doraColdProbe, summarise([]time.Duration{cold}, 0, "", 0))
	record(doraProbe, summarise(lat, 0, "", 0))

	// Shell start-up: open the database, load the configuration, read EOF.
	lat = lat[:0]
	var errs int
	var first string
	for range 5 {
		cmd := exec.CommandContext(ctx, bin, "shell", "-quiet")
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DATABASE_URL=" + db.url, "RELEASEBOT_CONFIG=" + cfgPath}
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			errs++
			first = cmp(first, fmt.Sprintf("%v: %.200s", err, strings.TrimSpace(string(out))))
			continue
		}
		lat = append(lat, time.Since(t0))
	}
	record(shellProbe, summarise(lat, errs, first, 0))
	return fmt.Sprintf(" (%d production changes in the DORA window; serve's peak RSS %.1f MB)", deps, float64(rss)/1e6), seedTook, nil
}

func sizeLabel(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}
