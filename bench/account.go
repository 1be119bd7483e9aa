package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// accountant says where a cell's time went (-account): the CPU of serve,
// of this process (the client and the fake Slack), of PostgreSQL's
// backends and its other processes, and of the whole machine; and, on
// PostgreSQL, the commits, rows and WAL flushes of the database, per
// request of the cell. Commits are transactions, read-only ones too (not
// this accounting's own). Other processes on the machine count in the
// machine's CPU and PostgreSQL's, not in serve's or this process's.
type accountant struct {
	serve int      // pid
	db    *gorm.DB // nil: SQLite, no database counters
	log   io.Writer
}

// usage is one reading of the counters.
type usage struct {
	at                   time.Time
	serve, self          time.Duration
	pgBackends, pgOther  time.Duration
	allProcs             time.Duration
	machineBusy, machine time.Duration // all CPUs: busy, and in all
	irq, steal           time.Duration
	commits, rollbacks   int64
	inserted, updated    int64
	walRecords, walSyncs int64
	walWrites            int64
	lockWaits            int64 // backends waiting on a lock at the reading
	haveDB               bool
}

// clockTick is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTick = 100

func ticks(n int64) time.Duration { return time.Duration(n) * time.Second / clockTick }

// procCPU reads utime+stime of pid.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command may hold spaces
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ticks(u + st), true
}

// postgresCPU sums the CPU of processes named postgres: backends (a
// client's connection) and the rest (WAL writer, checkpointer, …); and
// of every process (of those alive at both readings, their CPU between).
func postgresCPU() (backends, other, all time.Duration) {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		cpu, ok := procCPU(pid)
		if !ok {
			continue
		}
		all += cpu
		comm, err := os.ReadFile(d + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		cmd, _ := os.ReadFile(d + "/cmdline")
		if strings.Contains(string(cmd), "(") { // "postgres: 15/main: user db 127.0.0.1(port) …"
			backends += cpu
		} else {
			other += cpu
		}
	}
	return backends, other, all
}

// machineCPU reads the time of all CPUs: busy (user, system, interrupts),
// of that in interrupts (the loopback network's, among others), stolen
// by the host, and in all.
func machineCPU() (busy, irq, steal, total time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)[1:] // user nice system idle iowait irq softirq steal guest guest_nice
	var v [8]int64
	for i := range min(len(f), 8) {
		v[i], _ = strconv.ParseInt(f[i], 10, 64)
	}
	busy = ticks(v[0] + v[1] + v[2] + v[5] + v[6])
	return busy, ticks(v[5] + v[6]), ticks(v[7]), busy + ticks(v[3]+v[4]+v[7])
}

func (a *accountant) read(ctx context.Context) usage {
	u := usage{at: time.Now()}
	u.serve, _ = procCPU(a.serve)
	u.self, _ = procCPU(os.Getpid())
	u.pgBackends, u.pgOther, u.allProcs = postgresCPU()
	u.machineBusy, u.irq, u.steal, u.machine = machineCPU()
	if a.db == nil {
		return u
	}
	db := a.db.WithContext(ctx)
	err := db.Raw(`SELECT xact_commit, xact_rollback, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = current_database()`).
		Row().Scan(&u.commits, &u.rollbacks, &u.inserted, &u.updated)
	if err == nil {
		err = db.Raw(`SELECT wal_records, wal_write, wal_sync FROM pg_stat_wal`).Row().Scan(&u.walRecords, &u.walWrites, &u.walSyncs)
	}
	if err == nil {
		err = db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'`).Row().Scan(&u.lockWaits)
	}
	u.haveDB = err == nil
	return u
}

// cell starts accounting for a cell named what; the returned func ends
// it after n requests and logs the difference.
func (a *accountant) cell(ctx context.Context, what string) func(n int) {
	if a == nil {
		return func(int) {}
	}
	// Lock waits are sampled: counted every 10 ms while the cell runs.
	stop := make(chan struct{})
	samples := make(chan [2]int64, 1)
	go func() {
		var waits, reads int64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				samples <- [2]int64{waits, reads}
				return
			case <-t.C:
				if a.db == nil {
					continue
				}
				var n int64
				if a.db.WithContext(ctx).Raw(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'`).Row().Scan(&n) == nil {
					waits, reads = waits+n, reads+1
				}
			}
		}
	}()
	before := a.read(ctx)
	return func(n int) {
		after := a.read(ctx)
		close(stop)
		lw := <-samples
		wall := after.at.Sub(before.at)
		per := func(d time.Duration) string {
			return fmt.Sprintf("%.2f cores, %.0f µs/req", d.Seconds()/wall.Seconds(), float64(d.Microseconds())/float64(max(n, 1)))
		}
		fmt.Fprintf(a.log, "account %s: %d requests in %.2f s\n", what, n, wall.Seconds())
		known := after.serve - before.serve + after.self - before.self + after.pgBackends - before.pgBackends + after.pgOther - before.pgOther
		fmt.Fprintf(a.log, "  CPU serve %s; bench (client+fake Slack) %s; postgres backends %s; postgres other %s; other processes %s\n",
			per(after.serve-before.serve), per(after.self-before.self), per(after.pgBackends-before.pgBackends),
			per(after.pgOther-before.pgOther), per(after.allProcs-before.allProcs-known))
		fmt.Fprintf(a.log, "  machine: busy %s (interrupts %s), stolen %s, of %.1f cores\n", per(after.machineBusy-before.machineBusy),
			per(after.irq-before.irq), per(after.steal-before.steal), (after.machine-before.machine).Seconds()/wall.Seconds())
		if before.haveDB && after.haveDB {
			f := func(d int64) string { return fmt.Sprintf("%d (%.2f/req)", d, float64(d)/float64(max(n, 1))) }
			fmt.Fprintf(a.log, "  database: commits %s, rollbacks %s, rows inserted %s, updated %s; WAL records %s, writes %s, syncs %s; lock waits sampled %d in %d readings\n",
				f(after.commits-before.commits-lw[1]-3), f(after.rollbacks-before.rollbacks), f(after.inserted-before.inserted), f(after.updated-before.updated),
				f(after.walRecords-before.walRecords), f(after.walWrites-before.walWrites), f(after.walSyncs-before.walSyncs), lw[0], lw[1])
		}
	}
}
