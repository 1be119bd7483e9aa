package gormstore

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/releasebot/releasebot/releases"
)

// CountReleasesPlan returns the database's plan of CountReleases's
// statement: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's EXPLAIN
// (ANALYZE, FORMAT JSON) document.
func (s *Store) CountReleasesPlan(ctx context.Context) ([]string, error) {
	q, args := countReleasesQuery()
	prefix := "EXPLAIN QUERY PLAN "
	if s.dialect == "postgres" {
		prefix = "EXPLAIN (ANALYZE, FORMAT JSON) "
	}
	return s.plan(ctx, prefix+q, args...)
}

// ClaimOutboxPlan returns the plan, as CountReleasesPlan does, of the
// statement with which an unpaced ClaimOutbox finds the entries to claim.
func (s *Store) ClaimOutboxPlan(ctx context.Context, now time.Time, limit int) ([]string, error) {
	q := s.db.ToSQL(func(db *gorm.DB) *gorm.DB {
		var ids []int64
		return firstDueHeads(db, now, limit).Pluck("id", &ids)
	})
	prefix := "EXPLAIN QUERY PLAN "
	if s.dialect == "postgres" {
		prefix = "EXPLAIN (ANALYZE, FORMAT JSON) "
	}
	return s.plan(ctx, prefix+q)
}

func (s *Store) plan(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		var detail string
		for i := range vals {
			vals[i] = new(any)
		}
		vals[len(vals)-1] = &detail
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}

// SetTouchChunk makes flushDORA's statements take n releases or spans at
// a time until the returned func restores it.
func SetTouchChunk(n int) (restore func()) {
	old := touchChunk
	touchChunk = n
	return func() { touchChunk = old }
}

// EnqueueByGorm enqueues entries with gorm's multi-row INSERT, as enqueue
// does on SQLite: what enqueuePostgres replaced, for its benchmark.
func (s *Store) EnqueueByGorm(ctx context.Context, entries []releases.OutboxEntry) error {
	rows := make([]outboxRow, len(entries))
	for i, e := range entries {
		rows[i] = toOutboxRow(e)
	}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, enqueueBatch).Error
}

// HoldCreates takes every statement slot of the create batcher: creates
// queue until the returned func hands the slots on, as returning
// statements do.
func (s *Store) HoldCreates() (handOn func()) {
	s.creates.mu.Lock()
	s.creates.running = createsInFlight
	s.creates.mu.Unlock()
	return func() {
		for range createsInFlight {
			s.creates.handOn()
		}
	}
}

// QueuedCreates is the number of creates waiting for a statement.
func (s *Store) QueuedCreates() int {
	s.creates.mu.Lock()
	defer s.creates.mu.Unlock()
	return len(s.creates.queue)
}

// CreatesPerBatch bounds the creates of one statement.
const CreatesPerBatch = createsPerBatch
