// Package migrations holds releasebot's versioned schema, one folder of
// numbered goose SQL files per database, embedded in the binary.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Dialect names a database family.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Migrator applies the schema of one dialect to one database.
type Migrator struct{ p *goose.Provider }

// New returns a Migrator for db. On PostgreSQL a session advisory lock
// makes replicas that start together migrate once. Don't Close the
// Migrator's provider: it would close db, which belongs to the caller.
func New(db *sql.DB, dialect Dialect) (*Migrator, error) {
	sub, err := fs.Sub(files, string(dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	var opts []goose.ProviderOption
	gd := goose.DialectSQLite3
	if dialect == Postgres {
		gd = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrator{p: p}, nil
}

// Up applies every pending migration and returns how many it applied.
func (m *Migrator) Up(ctx context.Context) (int, error) {
	res, err := m.p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate up: %w", err)
	}
	return len(res), nil
}

// Down rolls back the newest applied migration and returns its version.
func (m *Migrator) Down(ctx context.Context) (int64, error) {
	res, err := m.p.Down(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate down: %w", err)
	}
	return res.Source.Version, nil
}

// Migration is one schema version and whether it is applied.
type Migration struct {
	Version int64
	Name    string
	Applied bool
}

// Status lists every migration, oldest first.
func (m *Migrator) Status(ctx context.Context) ([]Migration, error) {
	st, err := m.p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate status: %w", err)
	}
	out := make([]Migration, len(st))
	for i, s := range st {
		out[i] = Migration{Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied}
	}
	return out, nil
}
