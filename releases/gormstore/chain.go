package gormstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
)

var _ releases.ChainReader = (*Store)(nil)

// chainRow is an audit event with its chain columns (migration 00014). The
// write path (tx.AddAudit) inserts auditRow, which leaves them NULL: only
// Seal fills them.
type chainRow struct {
	ID        int64 `gorm:"primaryKey"`
	ReleaseID *int64
	At        time.Time
	Actor     string
	Action    string
	Detail    string
	Seq       *int64
	PrevHash  *string
	Hash      *string
}

func (chainRow) TableName() string { return "audit_events" }

func (row chainRow) sealed() releases.SealedEvent {
	e := releases.SealedEvent{AuditEvent: auditRow{ID: row.ID, ReleaseID: row.ReleaseID, At: row.At,
		Actor: row.Actor, Action: row.Action, Detail: row.Detail}.event()}
	if row.Seq != nil {
		e.Seq = *row.Seq
	}
	if row.PrevHash != nil {
		e.PrevHash = *row.PrevHash
	}
	if row.Hash != nil {
		e.Hash = *row.Hash
	}
	return e
}

// sealLock names the advisory lock that makes sealers take turns, with
// the schema's name as its second key: a chain is a schema's, and sealers
// of two schemas in one database (two installations, or test packages
// running at once) must not find each other busy.
const sealLock = 0x7365616c // "seal"

// DefaultSealBatch is how many events one Seal call seals at most.
const DefaultSealBatch = 500

// Seal extends the audit chain by up to limit events not sealed yet, in id
// order, and returns how many it sealed. One sealer works at a time across
// replicas: on PostgreSQL a sealer that finds another at work returns at
// once with busy set (the other one seals these events); on SQLite the
// write lock serialises them. The chain's order is the order of sealing, so an event
// whose transaction commits late (a lower id from PostgreSQL's sequence,
// committed after a higher one was sealed) is sealed later, after it,
// rather than leaving a gap: the chain never depends on ids committing in
// order. The unique seq index refuses a fork even if the lock failed.
func (s *Store) Seal(ctx context.Context, limit int) (sealed int, busy bool, err error) {
	if limit <= 0 {
		limit = DefaultSealBatch
	}
	// Most calls find nothing to do: ask without a lock or a transaction.
	var probe []int64
	if err := s.db.WithContext(ctx).Model(&chainRow{}).Where("seq IS NULL").Limit(1).Pluck("id", &probe).Error; err != nil {
		return 0, false, fmt.Errorf("audit events to seal: %w", err)
	}
	if len(probe) == 0 {
		return 0, false, nil
	}
	if s.dialect == migrations.SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	err = s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		if s.dialect == migrations.Postgres {
			var got bool
			if err := db.Raw("SELECT pg_try_advisory_xact_lock(?, hashtext(current_schema()))", sealLock).Scan(&got).Error; err != nil {
				return fmt.Errorf("seal lock: %w", err)
			}
			if !got {
				busy = true
				return nil
			}
		}
		head, err := chainHead(db)
		if err != nil {
			return err
		}
		var rows []chainRow
		if err := db.Clauses(clause.Locking{Strength: "UPDATE"}).Where("seq IS NULL").Order("id").Limit(limit).Find(&rows).Error; err != nil {
			return fmt.Errorf("audit events to seal: %w", err)
		}
		links := make([]chainLink, len(rows))
		seq, prev := head.Seq, head.Hash
		for i, row := range rows {
			seq++
			hash := releases.ChainHash(prev, row.sealed().AuditEvent)
			links[i] = chainLink{id: row.ID, seq: seq, prev: prev, hash: hash}
			prev = hash
		}
		if err := s.writeLinks(db, links); err != nil {
			return err
		}
		sealed = len(rows)
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return sealed, busy, nil
}

// chainLink is what sealing writes to one event.
type chainLink struct {
	id, seq    int64
	prev, hash string
}

// writeLinks stores links: on PostgreSQL in one statement, as a round trip
// per event would make sealing ten times slower; on SQLite, where a
// statement costs no round trip, one per event.
func (s *Store) writeLinks(db *gorm.DB, links []chainLink) error {
	if len(links) == 0 {
		return nil
	}
	if s.dialect == migrations.Postgres {
		values := make([]string, len(links))
		args := make([]any, 0, 4*len(links))
		for i, l := range links {
			values[i] = "(?::bigint, ?::bigint, ?, ?)"
			args = append(args, l.id, l.seq, l.prev, l.hash)
		}
		res := db.Exec(`UPDATE audit_events AS a SET seq = v.seq, prev_hash = v.prev, hash = v.hash
			FROM (VALUES `+strings.Join(values, ", ")+`) AS v(id, seq, prev, hash)
			WHERE a.id = v.id AND a.seq IS NULL`, args...)
		if res.Error != nil {
			return fmt.Errorf("seal %d audit events: %w", len(links), res.Error)
		}
		if res.RowsAffected != int64(len(links)) {
			return fmt.Errorf("seal %d audit events: %d were sealed meanwhile", len(links), int64(len(links))-res.RowsAffected)
		}
		return nil
	}
	for _, l := range links {
		res := db.Model(&chainRow{}).Where("id = ? AND seq IS NULL", l.id).
			Updates(map[string]any{"seq": l.seq, "prev_hash": l.prev, "hash": l.hash})
		if res.Error != nil {
			return fmt.Errorf("seal audit event %d: %w", l.id, res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("seal audit event %d: it was sealed meanwhile", l.id)
		}
	}
	return nil
}

// chainHead reads the newest sealed event on db, without the unsealed
// count.
func chainHead(db *gorm.DB) (releases.ChainHead, error) {
	head := releases.ChainHead{Hash: releases.GenesisHash}
	var rows []chainRow
	if err := db.Where("seq IS NOT NULL").Order("seq DESC").Limit(1).Find(&rows).Error; err != nil {
		return head, fmt.Errorf("audit chain head: %w", err)
	}
	if len(rows) == 1 && rows[0].Seq != nil && rows[0].Hash != nil {
		head.Seq, head.EventID, head.Hash = *rows[0].Seq, rows[0].ID, *rows[0].Hash
	}
	return head, nil
}

// AuditHead returns the chain's newest sealed event and how many events
// wait to be sealed.
func (s *Store) AuditHead(ctx context.Context) (releases.ChainHead, error) {
	db := s.db.WithContext(ctx)
	head, err := chainHead(db)
	if err != nil {
		return head, err
	}
	var n int64
	if err := db.Model(&chainRow{}).Where("seq IS NULL").Count(&n).Error; err != nil {
		return head, fmt.Errorf("count unsealed audit events: %w", err)
	}
	head.Unsealed = int(n)
	return head, nil
}

// SealedEvents returns a page of the sealed chain, in chain order.
func (s *Store) SealedEvents(ctx context.Context, f releases.ChainFilter) ([]releases.SealedEvent, error) {
	q := s.db.WithContext(ctx).Where("seq > ?", f.AfterSeq)
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var rows []chainRow
	if err := q.Order("seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sealed audit events: %w", err)
	}
	out := make([]releases.SealedEvent, len(rows))
	for i, row := range rows {
		out[i] = row.sealed()
	}
	return out, nil
}

// SealedByHash returns the sealed event with hash h, if there is one.
func (s *Store) SealedByHash(ctx context.Context, h string) (releases.SealedEvent, bool, error) {
	var row chainRow
	err := s.db.WithContext(ctx).Where("hash = ? AND seq IS NOT NULL", h).Order("seq").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return releases.SealedEvent{}, false, nil
	}
	if err != nil {
		return releases.SealedEvent{}, false, fmt.Errorf("audit event with hash %s: %w", h, err)
	}
	return row.sealed(), true, nil
}
