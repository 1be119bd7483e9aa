package migrations_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestUpDownUp applies every migration to an empty database, rolls them
// all back newest first, and applies them again, on SQLite (a temporary
// file) and, when TEST_DATABASE_URL is set, PostgreSQL (a fresh schema).
func TestUpDownUp(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			s, m := openUnmigrated(t, db)
			files := migrationFiles(t, string(s.Dialect()))
			versions := make([]int64, len(files))
			for i, f := range files {
				versions[i] = f.version
			}
			tables := createdTables(t, files)

			// Up applies everything.
			if n, err := m.Up(ctx); err != nil || n != len(files) {
				t.Fatalf("Up on an empty database = %d, %v; want %d applied", n, err, len(files))
			}
			checkStatus(t, ctx, m, versions, len(versions))
			checkTables(t, ctx, s.DB(), tables, true)

			// Down rolls back the newest, then the next, down to nothing.
			for i := len(versions) - 1; i >= 0; i-- {
				v, err := m.Down(ctx)
				if err != nil || v != versions[i] {
					t.Fatalf("Down = %d, %v; want %d rolled back", v, err, versions[i])
				}
				checkStatus(t, ctx, m, versions, i)
			}
			checkTables(t, ctx, s.DB(), tables, false)
			if _, err := s.DB().ExecContext(ctx, "SELECT count(*) FROM releases"); err == nil {
				t.Fatal("releases can still be queried after rolling every migration back")
			}

			// Up again restores the schema, and the store works on it.
			if n, err := m.Up(ctx); err != nil || n != len(files) {
				t.Fatalf("Up after rolling back = %d, %v; want %d applied", n, err, len(files))
			}
			checkStatus(t, ctx, m, versions, len(versions))
			checkTables(t, ctx, s.DB(), tables, true)
			r := &releases.Release{Service: "api", Version: "v1", Status: releases.StatusAwaitingSignoff,
				Environments: []string{"staging"}}
			if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r) }); err != nil {
				t.Fatalf("create a release after the round trip: %v", err)
			}
			if _, err := s.Release(ctx, r.ID); err != nil {
				t.Fatalf("read the release back: %v", err)
			}

			// Up on an up-to-date database does nothing.
			if n, err := m.Up(ctx); err != nil || n != 0 {
				t.Fatalf("second Up = %d, %v; want 0 applied", n, err)
			}
			checkStatus(t, ctx, m, versions, len(versions))
		})
	}
}

// TestDialectsHaveTheSameMigrations keeps SQLite and PostgreSQL from
// drifting: every migration exists in both folders, under the same name.
func TestDialectsHaveTheSameMigrations(t *testing.T) {
	names := func(dialect migrations.Dialect) []string {
		var out []string
		for _, f := range migrationFiles(t, string(dialect)) {
			out = append(out, f.name)
		}
		return out
	}
	sqlite, postgres := names(migrations.SQLite), names(migrations.Postgres)
	if len(sqlite) == 0 {
		t.Fatal("no migrations")
	}
	if !reflect.DeepEqual(sqlite, postgres) {
		t.Fatalf("migrations differ between dialects:\n\tsqlite:   %v\n\tpostgres: %v", sqlite, postgres)
	}
}

type migrationFile struct {
	name    string
	version int64
	sql     string
}

var fileName = regexp.MustCompile(`^(\d+)_\w+\.sql$`)

// migrationFiles reads a dialect's folder, oldest first, and checks that
// every file is a numbered goose migration with both directions.
func migrationFiles(t *testing.T, dir string) []migrationFile {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []migrationFile
	seen := map[int64]string{}
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			t.Errorf("%s/%s is not a migration named NNNNN_name.sql", dir, e.Name())
			continue
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[v]; dup {
			t.Errorf("%s: %s and %s share version %d", dir, other, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, mark := range []string{"-- +goose Up", "-- +goose Down"} {
			if !strings.Contains(string(b), mark) {
				t.Errorf("%s/%s has no %q section", dir, e.Name(), mark)
			}
		}
		out = append(out, migrationFile{name: e.Name(), version: v, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migrationFile) int { return int(a.version - b.version) })
	return out
}

var createTable = regexp.MustCompile(`(?i)CREATE TABLE\s+(?:IF NOT EXISTS\s+)?(\w+)`)

// createdTables lists the tables the migrations create.
func createdTables(t *testing.T, files []migrationFile) []string {
	t.Helper()
	var out []string
	for _, f := range files {
		for _, m := range createTable.FindAllStringSubmatch(f.sql, -1) {
			out = append(out, m[1])
		}
	}
	if !slices.Contains(out, "releases") {
		t.Fatalf("no migration creates the releases table (found %v)", out)
	}
	return out
}

// checkStatus checks that exactly the first applied of versions are
// applied.
func checkStatus(t *testing.T, ctx context.Context, m *migrations.Migrator, versions []int64, applied int) {
	t.Helper()
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if len(st) != len(versions) {
		t.Fatalf("Status lists %d migrations, want %d: %+v", len(st), len(versions), st)
	}
	for i, s := range st {
		if s.Version != versions[i] || s.Applied != (i < applied) {
			t.Fatalf("Status = %+v, want versions %v with the first %d applied", st, versions, applied)
		}
	}
}

func checkTables(t *testing.T, ctx context.Context, db *sql.DB, tables []string, exist bool) {
	t.Helper()
	for _, table := range tables {
		var n int
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n)
		switch {
		case exist && err != nil:
			t.Errorf("table %s: %v", table, err)
		case !exist && err == nil:
			t.Errorf("table %s still exists", table)
		}
	}
}

// openBefore opens db migrated up to just before version v: every
// migration applied, then rolled back newest first down to and including
// v, whichever came after it.
func openBefore(t *testing.T, db storetest.Database, v int64) (*gormstore.Store, *migrations.Migrator) {
	t.Helper()
	s, m := openUnmigrated(t, db)
	if _, err := m.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	for {
		got, err := m.Down(t.Context())
		if err != nil || got < v {
			t.Fatalf("Down = %d, %v; want the versions down to %d rolled back", got, err, v)
		}
		if got == v {
			return s, m
		}
	}
}

// TestServiceNamesFoldToLowerCase: migration 00010 folds older service
// names to lower case (names are case-insensitive from then on), except an
// open release whose folded name and version another open release holds.
func TestServiceNamesFoldToLowerCase(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			// Back to before 00010 (00011 keeps counts: it goes first).
			s, m := openBefore(t, db, 10)
			rows := []struct {
				service, version string
				status           releases.Status
				want             string
			}{
				{service: "Payments-API", version: "v1", status: releases.StatusDeployed, want: "payments-api"},
				{service: "Ledger", version: "v2", status: releases.StatusAwaitingSignoff, want: "ledger"},
				{service: "Risk", version: "v3", status: releases.StatusReady, want: "Risk"},
				{service: "risk", version: "v3", status: releases.StatusAwaitingSignoff, want: "risk"},
				{service: "already-lower", version: "v4", status: releases.StatusCancelled, want: "already-lower"},
			}
			ids := make([]int64, len(rows))
			for i, row := range rows {
				r := &releases.Release{Service: row.service, Version: row.version, Status: row.status,
					Environments: []string{"staging"}}
				if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r) }); err != nil {
					t.Fatalf("create %s %s: %v", row.service, row.version, err)
				}
				ids[i] = r.ID
			}
			// A deployment of the first, by the older code's name.
			if _, err := s.DB().ExecContext(ctx, `INSERT INTO deployments
				(release_id, environment, type, status, service, version, requested_by, created_at, updated_at)
				VALUES (`+strconv.FormatInt(ids[0], 10)+`, 'staging', 'deployment', 'succeeded', 'Payments-API', 'v1', 'U0DAVE',
				'2026-12-01 10:00:00', '2026-12-01 10:00:00')`); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatalf("Up with mixed-case names: %v", err)
			}
			for i, row := range rows {
				var got string
				if err := s.DB().QueryRowContext(ctx, "SELECT service FROM releases WHERE id = "+strconv.FormatInt(ids[i], 10)).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != row.want {
					t.Errorf("%s %s (%s): service %q after the migration, want %q", row.service, row.version, row.status, got, row.want)
				}
			}
			var dep string
			if err := s.DB().QueryRowContext(ctx, "SELECT service FROM deployments WHERE release_id = "+strconv.FormatInt(ids[0], 10)).Scan(&dep); err != nil {
				t.Fatal(err)
			}
			if dep != "payments-api" {
				t.Errorf("the deployment's service is %q after the migration, want payments-api", dep)
			}
		})
	}
}

// TestReleaseStatusCountsBackfill: migration 00011 counts the releases
// already in each final status, and its triggers keep the counts from
// then on.
func TestReleaseStatusCountsBackfill(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			s, m := openBefore(t, db, 11)
			create := func(i int, st releases.Status) *releases.Release {
				r := &releases.Release{Service: "api", Version: "v" + strconv.Itoa(i), Status: st, Environments: []string{"staging"}}
				if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r) }); err != nil {
					t.Fatal(err)
				}
				return r
			}
			for i, st := range []releases.Status{releases.StatusDeployed, releases.StatusDeployed, releases.StatusFailed,
				releases.StatusCancelled, releases.StatusAwaitingSignoff, releases.StatusDeploying} {
				create(i, st)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatalf("Up over existing releases: %v", err)
			}
			r := create(10, releases.StatusDeploying)
			r.Status = releases.StatusDeployed
			if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.UpdateRelease(ctx, r) }); err != nil {
				t.Fatal(err)
			}
			got, err := s.CountReleases(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := map[releases.Status]int{releases.StatusDeployed: 3, releases.StatusFailed: 1, releases.StatusCancelled: 1,
				releases.StatusAwaitingSignoff: 1, releases.StatusDeploying: 1}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("CountReleases after the migration = %v, want %v", got, want)
			}
		})
	}
}

// openUnmigrated opens db's store without migrating it, and a migrator
// for it.
func openUnmigrated(t *testing.T, db storetest.Database) (*gormstore.Store, *migrations.Migrator) {
	t.Helper()
	s, err := gormstore.Open(t.Context(), db.URL(t), gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	m, err := migrations.New(s.DB(), s.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	return s, m
}

// TestReleaseTeamsBackfill: migration 00013 lists the teams of the
// releases already there, and its triggers those of releases from then on,
// so that a team filter finds both.
func TestReleaseTeamsBackfill(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			s, m := openBefore(t, db, 13)
			create := func(version string, teams ...string) int64 {
				r := &releases.Release{Service: "api", Version: version, Status: releases.StatusDeployed, Teams: teams,
					Environments: []string{"staging"}}
				if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r) }); err != nil {
					t.Fatal(err)
				}
				return r.ID
			}
			older := create("v1", "payments", "risk")
			create("v2", "risk")
			if _, err := m.Up(ctx); err != nil {
				t.Fatalf("Up over existing releases: %v", err)
			}
			newer := create("v3", "payments")
			got, err := s.Releases(ctx, releases.Filter{Team: "payments"})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if want := []int64{newer, older}; !slices.Equal(ids, want) {
				t.Fatalf("releases of payments = %v, want %v", ids, want)
			}

			// Changed teams move the rows; a deleted release takes its own.
			exec := func(q string) {
				t.Helper()
				if _, err := s.DB().ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`UPDATE releases SET teams = '["risk"]' WHERE id = ` + strconv.FormatInt(newer, 10))
			exec(`DELETE FROM releases WHERE id = ` + strconv.FormatInt(older, 10))
			var rows []string
			q, err := s.DB().QueryContext(ctx, "SELECT team || ':' || release_id FROM release_teams ORDER BY release_id, team")
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			for q.Next() {
				var row string
				if err := q.Scan(&row); err != nil {
					t.Fatal(err)
				}
				rows = append(rows, row)
			}
			if want := []string{fmt.Sprintf("risk:%d", older+1), fmt.Sprintf("risk:%d", newer)}; !slices.Equal(rows, want) {
				t.Fatalf("release_teams after an update and a delete = %v, want %v", rows, want)
			}
		})
	}
}
