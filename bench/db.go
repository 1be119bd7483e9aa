package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// Users and teams of the benchmark configuration.
const (
	dave  = "U0DAVE"  // creates releases
	alice = "U0ALICE" // lead of payments
	carol = "U0CAROL" // lead of risk
	relCh = "C0REL"   // where /release is typed
	payCh = "C0PAY"
	rskCh = "C0RISK"
)

// database is where one run keeps its releases.
type database struct {
	kind string // "sqlite" or "postgres"
	url  string // DATABASE_URL for serve
	drop func() // removes what the run created
}

// newDatabase returns a fresh SQLite file under dir, or a fresh schema in
// the PostgreSQL database at base.
func newDatabase(kind, base, dir string) (*database, error) {
	switch kind {
	case "sqlite":
		return &database{kind: kind, url: "sqlite://" + filepath.Join(dir, "bench.db"), drop: func() {}}, nil
	case "postgres":
	default:
		return nil, fmt.Errorf("-db must be sqlite or postgres, not %q", kind)
	}
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact(base), err)
	}
	sqlDB, err := admin.DB()
	if err != nil {
		return nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "rbbench_" + hex.EncodeToString(b[:])
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("create schema on %s: %w", redact(base), err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		if err := admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop schema %s: %v\n", schema, err)
		}
		sqlDB.Close()
	}
	return &database{kind: kind, url: u.String(), drop: drop}, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the database URL"
	}
	return u.Redacted()
}

// seed migrates the database and inserts n finished releases in one
// transaction (storetest.SeedReleases). None is active, so serve has
// nothing to pick up from them.
func seed(ctx context.Context, databaseURL string, n int) error {
	s, err := gormstore.Open(ctx, databaseURL, gormstore.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	if err := storetest.SeedReleases(ctx, s, n, 0, time.Now().UTC().Add(-time.Duration(n+1)*time.Hour)); err != nil {
		return err
	}
	if err := markRelayed(ctx, s); err != nil {
		return err
	}
	return sealAll(ctx, s)
}

// sealAll seals every audit event into the audit chain, as serve would
// have while the history happened: otherwise serve starts by sealing a
// backlog of millions, and what is measured meanwhile measures that.
func sealAll(ctx context.Context, s *gormstore.Store) error {
	for {
		n, busy, err := s.Seal(ctx, 5000)
		if err != nil || (n == 0 && !busy) {
			return err
		}
	}
}

// markRelayed marks every audit event as already told to Slack, as it
// would be on a server that has run for a while; otherwise serve's relay
// would start by posting thousands of cards and replies about the seeded
// releases.
func markRelayed(ctx context.Context, s *gormstore.Store) error {
	for {
		n := 0
		err := s.Relay(ctx, func(tx releases.RelayTx) error {
			events, err := tx.UnrelayedEvents(ctx, 500)
			if err != nil {
				return err
			}
			n = len(events)
			ids := make([]int64, n)
			for i, e := range events {
				ids[i] = e.ID
			}
			return tx.MarkRelayed(ctx, ids, time.Now().UTC())
		})
		if err != nil || n == 0 {
			return err
		}
	}
}

// writeConfig writes releasebot.yaml: two teams with one lead each, two
// environments that deploy to the fake deployer at once, no windows.
func writeConfig(dir, deployURL, secret string) (string, error) {
	yaml := fmt.Sprintf(`timezone: UTC
release_managers: [U0RM1]
require_distinct_approver: true
limits: {creates_per_hour: 0} # the bench measures one user's creates
users:
  alice: %[3]s
  carol: %[4]s
  dave: %[5]s
teams:
  - name: payments
    channel: %[6]s
    leads: [%[3]s]
    approvals: 1
  - name: risk
    channel: %[7]s
    leads: [%[4]s]
    approvals: 1
environments:
  - name: staging
    deploy: {url: "%[1]s/staging", secret: "%[2]s", timeout: 5s}
    promote: auto
  - name: production
    deploy: {url: "%[1]s/production", secret: "%[2]s", timeout: 5s}
    promote: auto
`, deployURL, secret, alice, carol, dave, payCh, rskCh)
	path := filepath.Join(dir, "releasebot.yaml")
	return path, os.WriteFile(path, []byte(yaml), 0o600)
}
