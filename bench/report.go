package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// row is one line of the results table.
type row struct {
	what       string // the measurement
	n          string // how many samples, and errors
	p50, p99   string
	throughput string
	target     string
	result     string // pass, miss, or "—" where no target applies
}

// report is everything one run prints.
type report struct {
	date     time.Time
	machine  string
	database string
	mode     string
	rows     []row
	notes    []string
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
}

func count(s stats) string {
	if s.errs > 0 {
		return fmt.Sprintf("%d (%d errors)", s.n, s.errs)
	}
	return strconv.Itoa(s.n)
}

// latencyRow turns stats into a row; check, when set, judges them.
func latencyRow(what string, s stats, rate bool, target string, check func(stats) bool) row {
	r := row{what: what, n: count(s), p50: "—", p99: "—", throughput: "—", target: "—", result: "—"}
	if s.n > 0 {
		r.p50, r.p99 = ms(s.p50), ms(s.p99)
		if rate {
			r.throughput = fmt.Sprintf("%.0f/s", s.rps)
		}
	}
	if check != nil {
		r.target = target
		r.result = passMiss(s.n > 0 && s.errs == 0 && check(s))
	}
	return r
}

func passMiss(ok bool) string {
	if ok {
		return "pass"
	}
	return "**miss**"
}

// machine describes the host: cores, CPU model, memory.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "? GiB"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				mem = fmt.Sprintf("%.1f GiB", kb/1024/1024)
			}
		}
	}
	return fmt.Sprintf("%d cores (nproc), %s, %s RAM, %s/%s, %s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// write prints the report as markdown.
func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "### releasebot bench: %s\n\n", r.database)
	fmt.Fprintf(w, "- date: %s\n", r.date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- machine: %s\n", r.machine)
	fmt.Fprintf(w, "- database: %s\n", r.database)
	fmt.Fprintf(w, "- mode: %s\n\n", r.mode)
	fmt.Fprintln(w, "| measurement | samples | p50 | p99 | throughput | target | result |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, x := range r.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", x.what, x.n, x.p50, x.p99, x.throughput, x.target, x.result)
	}
	if len(r.notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range r.notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}
