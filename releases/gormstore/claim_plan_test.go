package gormstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestClaimOutboxReadsHeadsOnly: with a backlog of thousands of pending
// chat messages, an unpaced claim of 50 reads about 50 of them, walking
// the pending ones from the oldest, not the whole backlog — on SQLite by
// the plan, on PostgreSQL by the rows the plan actually read.
func TestClaimOutboxReadsHeadsOnly(t *testing.T) {
	const releasesN, limit = 700, 50
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := t.Context()
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		if err := storetest.SeedReleases(ctx, s, releasesN, 0, now.Add(-time.Duration(releasesN+1)*time.Hour)); err != nil {
			t.Fatal(err)
		}
		var entries []releases.OutboxEntry
		for id := int64(1); id <= releasesN; id++ {
			for _, team := range []string{"", "payments", "risk"} {
				entries = append(entries, releases.OutboxEntry{ReleaseID: id, Op: releases.OpPostRequest, Team: team, Channel: "C0" + team,
					Body: `{"text":"x"}`, NextAttemptAt: now, CreatedAt: now})
			}
		}
		if err := s.EnqueueOnce(ctx, entries); err != nil {
			t.Fatal(err)
		}
		if s.Dialect() == "postgres" {
			if _, err := s.DB().ExecContext(ctx, "ANALYZE chat_outbox"); err != nil {
				t.Fatal(err)
			}
		}
		plan, err := s.ClaimOutboxPlan(ctx, now.Add(time.Minute), limit)
		if err != nil {
			t.Fatal(err)
		}
		if s.Dialect() != "postgres" {
			for _, line := range plan {
				if strings.HasPrefix(line, "SCAN chat_outbox") && !strings.Contains(line, "INDEX chat_outbox_pending_id") || strings.Contains(line, "TEMP B-TREE") {
					t.Errorf("the claim reads the backlog:\n\t%s", strings.Join(plan, "\n\t"))
				}
			}
			return
		}
		if n := rowsRead(t, plan, "chat_outbox"); n > 4*limit {
			t.Errorf("the claim read %d rows of chat_outbox (%d pending), want at most %d:\n%s", n, len(entries), 4*limit, strings.Join(plan, ""))
		}
	})
}
