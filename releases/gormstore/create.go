package gormstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
)

var _ releases.Creator = (*tx)(nil)

// CreateWithEvents inserts a new release, its components and its first
// audit events all or nothing (releases.Creator). On PostgreSQL that is
// one statement in its own implicit transaction: one round trip and one
// commit, where BEGIN, three INSERTs and COMMIT were five round trips.
func (s *Store) CreateWithEvents(ctx context.Context, r *releases.Release, events []releases.AuditEvent) error {
	if s.dialect != migrations.Postgres {
		return s.Tx(ctx, func(rtx releases.Tx) error { return rtx.(*tx).CreateWithEvents(ctx, r, events) })
	}
	defer s.changed()
	return createOneStatement(s.db.WithContext(ctx), r, events)
}

// CreateWithEvents is Store.CreateWithEvents inside a transaction, which
// releases.CreateInTx uses: on PostgreSQL one statement instead of one per
// row.
func (t *tx) CreateWithEvents(ctx context.Context, r *releases.Release, events []releases.AuditEvent) error {
	if t.dialect == migrations.Postgres {
		return createOneStatement(t.db.WithContext(ctx), r, events)
	}
	// SQLite has no INSERT in a WITH clause; in process, its statements
	// cost no round trips.
	if err := t.CreateRelease(ctx, r); err != nil {
		return err
	}
	for i := range events {
		events[i].ReleaseID = r.ID
		if err := t.AddAudit(ctx, &events[i]); err != nil {
			return err
		}
	}
	return nil
}

// createOneStatement writes r, its components, teams and events with one
// PostgreSQL statement: data-modifying WITH clauses, the children taking
// the release's new id from its RETURNING. Rows of a multi-row VALUES get
// their ids in order, so the events' ids ascend as they are given.
func createOneStatement(db *gorm.DB, r *releases.Release, events []releases.AuditEvent) error {
	row, err := toReleaseRow(r)
	if err != nil {
		return err
	}
	comps := componentRows(r)
	seen := make(map[string]bool, len(comps))
	for _, c := range comps {
		// The statement's error could not tell this from a duplicate
		// release: both are unique violations.
		if seen[c.Service] {
			return fmt.Errorf("insert components of a new release: a service twice (%s): %w", c.Service, gorm.ErrDuplicatedKey)
		}
		seen[c.Service] = true
	}
	cols := []string{"service", "version", "status", "created_by", "created_at", "updated_at", "window_name", "start_at",
		"teams", "environments", "notes", "override_by", "override_reason", "reason", "origin", "name", "teams_listed"}
	args := []any{row.Service, row.Version, row.Status, row.CreatedBy, row.CreatedAt, row.UpdatedAt, row.WindowName, row.StartAt,
		row.Teams, row.Environments, row.Notes, row.OverrideBy, row.OverrideReason, row.Reason, row.Origin, row.Name, true}
	// As CreateRelease: empty artifact columns are left to their defaults.
	for _, c := range []struct {
		name, val string
	}{{"digest", row.Digest}, {"commit_sha", row.CommitSHA}, {"build_url", row.BuildURL}, {"idempotency_key", row.IdempotencyKey}} {
		if c.val != "" {
			cols, args = append(cols, c.name), append(args, c.val)
		}
	}
	var q strings.Builder
	q.WriteString("WITH r AS (INSERT INTO releases (")
	q.WriteString(strings.Join(cols, ", "))
	q.WriteString(") VALUES (")
	q.WriteString(placeholders(len(cols)))
	q.WriteString(") RETURNING id),\nc AS (INSERT INTO release_components (release_id, service, position, version, digest, descoped, descope_reason) VALUES ")
	for i, c := range comps {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("((SELECT id FROM r), ?, ?, ?, ?, ?, ?)")
		args = append(args, c.Service, c.Position, c.Version, c.Digest, c.Descoped, c.DescopeReason)
	}
	q.WriteString(")")
	// The release's teams, listed here rather than by the row trigger
	// (teams_listed, 00021): the same set the trigger takes from the
	// teams column, each once.
	teams := slices.Clone(r.Teams)
	slices.Sort(teams)
	if teams = slices.Compact(teams); len(teams) > 0 {
		q.WriteString(",\nt AS (INSERT INTO release_teams (team, release_id) VALUES ")
		for i, team := range teams {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, (SELECT id FROM r))")
			args = append(args, team)
		}
		q.WriteString(")")
	}
	if len(events) > 0 {
		q.WriteString(",\na AS (INSERT INTO audit_events (release_id, at, actor, action, detail) VALUES ")
		for i, e := range events {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("((SELECT id FROM r), ?, ?, ?, ?)")
			args = append(args, e.At.UTC(), e.Actor, e.Action, e.Detail)
		}
		q.WriteString(" RETURNING id)\nSELECT r.id AS release_id, a.id AS event_id FROM r LEFT JOIN a ON true ORDER BY a.id")
	} else {
		q.WriteString("\nSELECT r.id AS release_id, NULL::bigint AS event_id FROM r")
	}
	type returned struct {
		releaseID int64
		eventID   *int64
	}
	var ids []returned
	// Straight to the connection (or the transaction) gorm holds: gorm's
	// Raw parsed the text for its "?" on every create, and its Scan
	// rendered the statement with its arguments for a trace recorder,
	// whether anyone logs it or not.
	rows, err := db.Statement.ConnPool.QueryContext(db.Statement.Context, numbered(q.String()), args...)
	if err == nil {
		for rows.Next() {
			var r returned
			if err = rows.Scan(&r.releaseID, &r.eventID); err != nil {
				break
			}
			ids = append(ids, r)
		}
		if err == nil {
			err = rows.Err()
		}
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		// The statement's error may come with its rows, which gorm does
		// not translate.
		var pgErr *pgconn.PgError
		if errors.Is(err, gorm.ErrDuplicatedKey) || errors.As(err, &pgErr) && pgErr.Code == uniqueViolation {
			return releases.ErrDuplicate
		}
		return fmt.Errorf("insert release: %w", err)
	}
	if len(ids) != max(1, len(events)) {
		return fmt.Errorf("insert release: %d rows back for %d events", len(ids), len(events))
	}
	r.ID = ids[0].releaseID
	for i := range events {
		if ids[i].eventID == nil {
			return fmt.Errorf("insert release %d: event %d has no id", r.ID, i)
		}
		events[i].ReleaseID, events[i].ID = r.ID, *ids[i].eventID
	}
	return nil
}

// uniqueViolation is PostgreSQL's SQLSTATE for a duplicate key.
const uniqueViolation = "23505"

// numbered writes q's "?" placeholders as PostgreSQL's $1, $2, …; q holds
// no "?" but placeholders (no literals, no operators).
func numbered(q string) string {
	var b strings.Builder
	b.Grow(len(q) + len(q)/8)
	n := 0
	for i := range len(q) {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// placeholders returns n comma-separated "?".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
