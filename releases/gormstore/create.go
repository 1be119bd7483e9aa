package gormstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
)

// CreateWithEvents inserts a new release and its first audit events
// atomically (releases.Creator). On PostgreSQL that is one statement in
// its own implicit transaction — one round trip where BEGIN, two INSERTs
// and COMMIT took four; on SQLite, whose statements can't insert into two
// tables, one write transaction.
func (s *Store) CreateWithEvents(ctx context.Context, r *releases.Release, events []releases.AuditEvent) error {
	if s.dialect != migrations.Postgres || len(events) == 0 {
		return s.Tx(ctx, func(rtx releases.Tx) error { return releases.CreateInTx(ctx, rtx, r, events) })
	}
	defer s.changed()
	q, args, err := createWithEventsSQL(r, events)
	if err != nil {
		return err
	}
	var ids []struct{ ReleaseID, ID int64 }
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&ids).Error; err != nil {
		// Raw statements skip gorm's error translation: ask the dialect.
		if t, ok := s.db.Dialector.(gorm.ErrorTranslator); ok {
			err = t.Translate(err)
		}
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return releases.ErrDuplicate
		}
		return fmt.Errorf("insert release: %w", err)
	}
	if len(ids) != len(events) {
		return fmt.Errorf("insert release: %d audit events written of %d", len(ids), len(events))
	}
	// Identities are drawn in insert order, which is the events' order.
	slices.SortFunc(ids, func(a, b struct{ ReleaseID, ID int64 }) int { return cmp.Compare(a.ID, b.ID) })
	r.ID = ids[0].ReleaseID
	for i := range events {
		events[i].ReleaseID, events[i].ID = r.ID, ids[i].ID
	}
	return nil
}

// createWithEventsSQL is PostgreSQL's statement for CreateWithEvents: the
// release's INSERT as a data-modifying CTE, its events inserted from it in
// their order (ids ascend as the relay reads them), returning the ids in
// that order.
func createWithEventsSQL(r *releases.Release, events []releases.AuditEvent) (string, []any, error) {
	row, err := toReleaseRow(r)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	b.WriteString(`WITH r AS (INSERT INTO releases (service, version, status, created_by, created_at, updated_at, window_name,
 start_at, teams, environments, notes, override_by, override_reason, reason, origin)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id)
INSERT INTO audit_events (release_id, at, actor, action, detail)
SELECT r.id, e.at, e.actor, e.action, e.detail FROM r, (VALUES `)
	args := []any{row.Service, row.Version, row.Status, row.CreatedBy, row.CreatedAt, row.UpdatedAt, row.WindowName,
		row.StartAt, row.Teams, row.Environments, row.Notes, row.OverrideBy, row.OverrideReason, row.Reason, row.Origin}
	for i, e := range events {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?::bigint, ?::timestamptz, ?::text, ?::text, ?::text)")
		args = append(args, i, e.At.UTC(), e.Actor, e.Action, e.Detail)
	}
	b.WriteString(`) AS e (n, at, actor, action, detail) ORDER BY e.n RETURNING release_id, id`)
	return b.String(), args, nil
}
