// Command bench measures releasebot from the outside: it builds the
// binary, starts `releasebot serve` as a separate process on SQLite or
// PostgreSQL with a fake Slack Web API and a fake deployer in this
// process, and a floor process that only checks Slack's signature, then
// prints one markdown table of latencies, throughputs, peak RSS and
// targets. It exits 0 whether targets are met or missed; 1 when it could
// not measure at all.
//
//	go run ./bench                         # SQLite, full counts (a few minutes)
//	go run ./bench -db postgres            # TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test
//	go run ./bench -quick -out bench.md    # small counts, a smoke test
//	go run ./bench -seed 300000            # cost as history grows: 1k, 10k, 100k, 300k
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	db, dburl string
	quick     bool
	out       string
	// cpuprofile, when set, builds serve with pprof_bench.go and writes
	// CPU profiles of its status and create cells at concurrency 8 and 32
	// to cpuprofile-status-c8.pprof and so on.
	cpuprofile string
	// account logs where the create cells' time went (accountant).
	account bool
	// only, when "create", runs just the seed and the create cells: for
	// trying a change to the create path in a minute, not five.
	only string
}

// sizes are the counts and time limits of one run.
type sizes struct {
	seeded    int           // releases in the database before serve starts
	pageGets  int           // GETs of each dashboard page
	signoffs  int           // releases walked to their first webhook
	commands  int           // slash commands per cell, at most
	cellLimit time.Duration // per cell, at most
	// status cells are cheap: they run longer, so that a throughput is not
	// the figure of a few dozen milliseconds
	reads     int
	readLimit time.Duration
}

func (o options) sizes() sizes {
	if o.quick {
		return sizes{seeded: 1000, pageGets: 20, signoffs: 5, commands: 100, cellLimit: 2 * time.Second,
			reads: 200, readLimit: time.Second}
	}
	return sizes{seeded: 10_000, pageGets: 200, signoffs: 100, commands: 2000, cellLimit: 20 * time.Second,
		reads: 50_000, readLimit: 3 * time.Second}
}

func main() {
	if secret := os.Getenv(floorEnv); secret != "" {
		if err := runFloor(secret); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, measures, and prints the table on stdout (and -out).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.db, "db", "sqlite", "database: sqlite or postgres")
	fs.StringVar(&o.dburl, "dburl", "", "PostgreSQL URL; a schema is created in it for the run and dropped after (default $TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	fs.BoolVar(&o.quick, "quick", false, "small counts: a smoke test, not a measurement")
	fs.StringVar(&o.out, "out", "", "also write the markdown table to this file")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write CPU profiles of serve's status and create cells at concurrency 8 and 32 to PREFIX-status-c8.pprof and so on")
	fs.StringVar(&o.only, "only", "", "\"create\": run only the seed and the create cells (a partial table, for trying a change)")
	fs.BoolVar(&o.account, "account", false, "log the CPU of each process, and PostgreSQL's commits, rows and WAL flushes, per request of the create cells")
	seedN := fs.Int("seed", 0, "instead: seed fresh databases with 1k, 10k, 100k, 300k releases (up to this many) of two years' history and print the cost curve of pages, API, scrape, DORA and shell start-up")
	floor := fs.Bool("floor", false, "run only the floor server (signing secret from $SLACK_SIGNING_SECRET) and print its address")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *floor {
		if err := runFloor(os.Getenv("SLACK_SIGNING_SECRET")); err != nil {
			fmt.Fprintln(stderr, "floor:", err)
			return 1
		}
		return 0
	}
	if o.dburl == "" {
		o.dburl = os.Getenv("TEST_DATABASE_URL")
	}
	if o.dburl == "" {
		o.dburl = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	if *seedN > 0 {
		if err := curve(ctx, o, *seedN, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		return 0
	}
	rep, err := measure(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	rep.write(stdout)
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		rep.write(f)
		if err := f.Close(); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
	}
	return 0
}
