package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
)

// historyOpen is how many releases of a seeded history are still open
// (awaiting sign-off, created in the last hour), whatever its size.
const historyOpen = 20

// seedHistory migrates the database and writes n releases spread evenly
// over the two years before now, newest last, with the shape of a real
// history: 25 services, a mix of ended statuses, two sign-offs each, a
// deployment per environment once started (a failure in production for a
// failed release, a rollback for a rolled-back one), audit events already
// relayed to chat; and historyOpen releases awaiting sign-off. It writes
// batches of multi-row INSERTs, one transaction each.
func seedHistory(ctx context.Context, databaseURL string, n int, now time.Time) error {
	s, err := gormstore.Open(ctx, databaseURL, gormstore.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	pg := s.Dialect() == "postgres"
	db := s.DB()
	const batch = 500 // keeps every statement under SQLite's 32,766 parameters
	total := n + historyOpen
	for from := 0; from < total; from += batch {
		if err := seedBatch(ctx, db, pg, from, min(total, from+batch), n, now); err != nil {
			return fmt.Errorf("seed releases %d–%d: %w", from+1, min(total, from+batch), err)
		}
	}
	if err := sealAll(ctx, s); err != nil {
		return err
	}
	if pg {
		for _, q := range []string{
			"SELECT setval(pg_get_serial_sequence('releases', 'id'), (SELECT max(id) FROM releases))",
			"ANALYZE",
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return err
			}
		}
	}
	return nil
}

var historyEnded = []releases.Status{
	releases.StatusDeployed, releases.StatusDeployed, releases.StatusDeployed, releases.StatusDeployed,
	releases.StatusDeployed, releases.StatusDeployed, releases.StatusFailed, releases.StatusCancelled,
	releases.StatusRolledBack, releases.StatusRejected,
}

// seedBatch inserts releases [from, to) of a history of n (and the open
// ones after it) in one transaction.
func seedBatch(ctx context.Context, db *sql.DB, pg bool, from, to, n int, now time.Time) error {
	step := 2 * 365 * 24 * time.Hour / time.Duration(max(n, 1))
	start := now.Add(-2 * 365 * 24 * time.Hour)
	rel, sos, deps, audit := newInsert(pg, "releases",
		"id, service, version, status, created_by, created_at, updated_at, teams, environments, notes"),
		newInsert(pg, "signoffs", "release_id, team, user_id, decision, created_at"),
		newInsert(pg, "deployments", "release_id, environment, type, status, service, version, requested_by, attempts, created_at, updated_at, finished_at"),
		newInsert(pg, "audit_events", "release_id, at, actor, action, detail, relayed_at")
	for i := from; i < to; i++ {
		id := int64(i + 1)
		at := start.Add(time.Duration(i) * step)
		st := historyEnded[i%len(historyEnded)]
		if i >= n {
			at, st = now.Add(-time.Duration(to-i)*time.Minute), releases.StatusAwaitingSignoff
		}
		svc, ver := fmt.Sprintf("svc-%02d", i%25), fmt.Sprintf("v1.%d.0", i)
		rel.add(id, svc, ver, string(st), dave, at, at.Add(time.Hour), `["payments","risk"]`, `["staging","production"]`, "seeded")
		audit.add(id, at, dave, releases.ActionCreated, "seeded", now)
		if st == releases.StatusAwaitingSignoff {
			continue
		}
		for j, so := range [][2]string{{"payments", alice}, {"risk", carol}} {
			t := at.Add(time.Duration(j+1) * time.Minute)
			decision := releases.Approved
			if st == releases.StatusRejected && j == 1 {
				decision = releases.Rejected
			}
			sos.add(id, so[0], so[1], string(decision), t)
			audit.add(id, t, so[1], releases.ActionSignedOff, "seeded", now)
		}
		if !st.Started() {
			continue
		}
		done := at.Add(4 * time.Minute)
		prod := releases.DeploymentSucceeded
		if st == releases.StatusFailed {
			prod = releases.DeploymentFailed
		}
		deps.add(id, "staging", string(releases.TypeDeployment), string(releases.DeploymentSucceeded), svc, ver, dave, 1, at.Add(3*time.Minute), done, done)
		deps.add(id, "production", string(releases.TypeDeployment), string(prod), svc, ver, dave, 1, done, done.Add(time.Minute), done.Add(time.Minute))
		outcome := releases.ActionDeployed
		switch st {
		case releases.StatusFailed:
			outcome = releases.ActionFailed
		case releases.StatusRolledBack:
			outcome = releases.ActionRolledBack
			deps.add(id, "production", string(releases.TypeRollback), string(releases.DeploymentSucceeded), svc, ver, dave, 1,
				done.Add(10*time.Minute), done.Add(12*time.Minute), done.Add(12*time.Minute))
		}
		audit.add(id, done.Add(time.Minute), dave, outcome, "seeded", now)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	for _, ins := range []*insert{rel, sos, deps, audit} {
		if err := ins.exec(ctx, tx); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// insert builds one multi-row INSERT.
type insert struct {
	pg     bool
	head   string
	width  int
	values []string
	args   []any
}

func newInsert(pg bool, table, columns string) *insert {
	return &insert{pg: pg, head: "INSERT INTO " + table + " (" + columns + ") VALUES ", width: strings.Count(columns, ",") + 1}
}

func (ins *insert) add(vals ...any) {
	if len(vals) != ins.width {
		panic(fmt.Sprintf("%s: %d values for %d columns", ins.head, len(vals), ins.width))
	}
	marks := make([]string, len(vals))
	for i, v := range vals {
		if t, ok := v.(time.Time); ok {
			vals[i] = t.UTC()
		}
		marks[i] = "?"
		if ins.pg {
			marks[i] = "$" + strconv.Itoa(len(ins.args)+i+1)
		}
	}
	ins.values = append(ins.values, "("+strings.Join(marks, ", ")+")")
	ins.args = append(ins.args, vals...)
}

func (ins *insert) exec(ctx context.Context, tx *sql.Tx) error {
	if len(ins.values) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, ins.head+strings.Join(ins.values, ", "), ins.args...)
	return err
}
