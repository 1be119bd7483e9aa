package gormstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// BenchmarkEnqueuePostgres enqueues a relay's batch of 30 chat messages
// (ten creates' cards and sign-off requests, ~1 KB each) on PostgreSQL,
// as the relay does (one statement text for any batch) and as gorm's
// multi-row INSERT did. Needs TEST_DATABASE_URL.
func BenchmarkEnqueuePostgres(b *testing.B) {
	s := postgresStore(b)
	ctx := context.Background()
	r := &releases.Release{Service: "api", Version: "v1", Status: releases.StatusAwaitingSignoff, CreatedBy: "U0DAVE",
		CreatedAt: time.Now(), UpdatedAt: time.Now(), Teams: []string{"payments"}, Environments: []string{"staging"}}
	if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r) }); err != nil {
		b.Fatal(err)
	}
	body := fmt.Sprintf(`{"format":2,"text":%q}`, string(make([]byte, 1000)))
	batch := make([]releases.OutboxEntry, 30)
	for i := range batch {
		batch[i] = releases.OutboxEntry{ReleaseID: r.ID, Op: releases.OpReply, Team: fmt.Sprintf("t%d", i%3), Channel: "C0REL",
			Body: body, NextAttemptAt: time.Now(), CreatedAt: time.Now(), Creator: "U0DAVE"}
	}
	for _, bc := range []struct {
		name    string
		enqueue func([]releases.OutboxEntry) error
	}{
		{"recordset", func(es []releases.OutboxEntry) error { return s.EnqueueOnce(ctx, es) }},
		{"gorm", func(es []releases.OutboxEntry) error { return s.EnqueueByGorm(ctx, es) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.enqueue(batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreateWithEventsPostgres writes a new release with its created
// event in one statement, as `/release create` does on PostgreSQL. Needs
// TEST_DATABASE_URL.
func BenchmarkCreateWithEventsPostgres(b *testing.B) {
	s := postgresStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		now := time.Now()
		r := &releases.Release{Service: fmt.Sprintf("svc-%d", n%25), Version: fmt.Sprintf("v1.%d", n), Status: releases.StatusAwaitingSignoff,
			CreatedBy: "U0DAVE", CreatedAt: now, UpdatedAt: now, Teams: []string{"payments", "risk"}, Environments: []string{"staging", "production"},
			Origin: "C0REL", Components: []releases.Component{{Service: fmt.Sprintf("svc-%d", n%25), Version: fmt.Sprintf("v1.%d", n)}}}
		events := []releases.AuditEvent{{At: now, Actor: "U0DAVE", Action: releases.ActionCreated, Detail: "created"}}
		if err := s.CreateWithEvents(ctx, r, events); err != nil {
			b.Fatal(err)
		}
	}
}

// postgresStore opens a store on a new PostgreSQL schema, or skips the
// benchmark without TEST_DATABASE_URL.
func postgresStore(b *testing.B) *gormstore.Store {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		b.Skip("TEST_DATABASE_URL is not set")
	}
	return storetest.Open(b, storetest.PostgresSchemaURL(b, base), time.Now)
}
