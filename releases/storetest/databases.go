// Package storetest opens fresh, migrated databases for tests — SQLite
// always, PostgreSQL when TEST_DATABASE_URL is set — and holds the
// conformance suite every releases.Store implementation must pass.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/releasebot/releasebot/releases/gormstore"
)

// Database is one kind of database a test runs on.
type Database struct {
	Name string // "sqlite" or "postgres"
	// URL returns the DATABASE_URL of a new, empty database (a temporary
	// file, or a fresh schema) that lives until the test ends.
	URL func(t testing.TB) string
}

// Databases returns SQLite and, when TEST_DATABASE_URL is set, PostgreSQL.
// Under CI=true a missing TEST_DATABASE_URL fails the test: CI never skips
// the PostgreSQL half.
func Databases(t testing.TB) []Database {
	dbs := []Database{{Name: "sqlite", URL: sqliteURL}}
	base := os.Getenv("TEST_DATABASE_URL")
	switch {
	case base != "":
		dbs = append(dbs, Database{Name: "postgres", URL: func(t testing.TB) string { return PostgresSchemaURL(t, base) }})
	case os.Getenv("CI") == "true":
		t.Fatal("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI")
	}
	return dbs
}

// ForEach runs fn as a subtest on every database in Databases with a new,
// migrated store.
func ForEach(t *testing.T, fn func(t *testing.T, s *gormstore.Store)) {
	for _, db := range Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			fn(t, Open(t, db.URL(t), nil))
		})
	}
}

// Open opens and migrates the store at url and closes it when the test ends.
func Open(t testing.TB, url string, now func() time.Time) *gormstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := gormstore.Open(ctx, url, gormstore.Options{Now: now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func sqliteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "releasebot.db")
}

// PostgresSchemaURL creates a schema of its own for this test in the
// database at base, and returns a URL whose connections use it. The schema
// is dropped when the test ends.
func PostgresSchemaURL(t testing.TB, base string) string {
	t.Helper()
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	sqlDB, _ := admin.DB()
	t.Cleanup(func() { _ = sqlDB.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "rbtest_" + hex.EncodeToString(b[:])
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Must fails the test on err.
func Must[T any](t testing.TB, v T, err error) T {
	t.Helper()
	if err != nil {
		t.Fatal(fmt.Errorf("unexpected error: %w", err))
	}
	return v
}
