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
// commit, where BEGIN, three INSERTs and COMMIT were five round trips;
// and creates that arrive while others are being written share their
// statement (createBatcher).
func (s *Store) CreateWithEvents(ctx context.Context, r *releases.Release, events []releases.AuditEvent) error {
	if s.dialect != migrations.Postgres {
		return s.Tx(ctx, func(rtx releases.Tx) error { return rtx.(*tx).CreateWithEvents(ctx, r, events) })
	}
	defer s.changed()
	c, err := newCreate(r, events)
	if err != nil {
		return err
	}
	return s.creates.write(ctx, s.db, c)
}

// CreateWithEvents is Store.CreateWithEvents inside a transaction, which
// releases.CreateInTx uses: on PostgreSQL one statement instead of one per
// row.
func (t *tx) CreateWithEvents(ctx context.Context, r *releases.Release, events []releases.AuditEvent) error {
	if t.dialect == migrations.Postgres {
		c, err := newCreate(r, events)
		if err != nil {
			return err
		}
		return writeCreates(t.db.WithContext(ctx), []*create{c})
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

// create is one new release to write with writeCreates: its row's values,
// its components and deduplicated teams, and its events, whose ids (and
// the release's) are set once it is written.
type create struct {
	r      *releases.Release
	events []releases.AuditEvent
	row    releaseRow
	comps  []componentRow
	teams  []string
}

func newCreate(r *releases.Release, events []releases.AuditEvent) (*create, error) {
	row, err := toReleaseRow(r)
	if err != nil {
		return nil, err
	}
	comps := componentRows(r)
	seen := make(map[string]bool, len(comps))
	for _, c := range comps {
		// The statement's error could not tell this from a duplicate
		// release: both are unique violations.
		if seen[c.Service] {
			return nil, fmt.Errorf("insert components of a new release: a service twice (%s): %w", c.Service, gorm.ErrDuplicatedKey)
		}
		seen[c.Service] = true
	}
	// The release's teams, listed by the statement rather than by the row
	// trigger (teams_listed, 00021): the same set the trigger takes from
	// the teams column, each once.
	teams := slices.Clone(r.Teams)
	slices.Sort(teams)
	return &create{r: r, events: events, row: row, comps: comps, teams: slices.Compact(teams)}, nil
}

// releaseColumns are the columns every create sets; artifactColumns are
// set only by the creates that have them (the rest take the columns'
// defaults, as CreateRelease leaves them).
var (
	releaseColumns = []string{"id", "service", "version", "status", "created_by", "created_at", "updated_at", "window_name", "start_at",
		"teams", "environments", "notes", "override_by", "override_reason", "reason", "origin", "name", "teams_listed"}
	artifactColumns = []string{"digest", "commit_sha", "build_url", "idempotency_key"}
)

func (c *create) artifacts() [4]string {
	return [4]string{c.row.Digest, c.row.CommitSHA, c.row.BuildURL, c.row.IdempotencyKey}
}

// writeCreates writes the releases of cs, with their components, teams
// and events, in one PostgreSQL statement of data-modifying WITH clauses:
// all of them or, on any error, none. The releases' ids are drawn from
// their sequence first (ids, in the order of cs), so that each child row
// names its release's. Rows of a multi-row VALUES get their ids in
// order, so each release's events' ids ascend as they are given.
func writeCreates(db *gorm.DB, cs []*create) error {
	var q strings.Builder
	var args []any
	idOf := func(i int) string { return "(SELECT id FROM ids WHERE n = " + strconv.Itoa(i+1) + ")" }
	values := func(head string, n int, row func(i int)) {
		q.WriteString(head)
		for i := range n {
			if i > 0 {
				q.WriteString(", ")
			}
			row(i)
		}
	}

	fmt.Fprintf(&q, "WITH ids AS MATERIALIZED (SELECT n, nextval(pg_get_serial_sequence('releases', 'id')) AS id FROM generate_series(1, %d) AS n),\n", len(cs))
	cols := slices.Clone(releaseColumns)
	var optional []int // of artifactColumns, those some create sets
	for j, name := range artifactColumns {
		for _, c := range cs {
			if c.artifacts()[j] != "" {
				cols, optional = append(cols, name), append(optional, j)
				break
			}
		}
	}
	values("r AS (INSERT INTO releases ("+strings.Join(cols, ", ")+") VALUES ", len(cs), func(i int) {
		row := cs[i].row
		q.WriteString("(" + idOf(i) + ", " + placeholders(len(releaseColumns)-1))
		args = append(args, row.Service, row.Version, row.Status, row.CreatedBy, row.CreatedAt, row.UpdatedAt, row.WindowName, row.StartAt,
			row.Teams, row.Environments, row.Notes, row.OverrideBy, row.OverrideReason, row.Reason, row.Origin, row.Name, true)
		for _, j := range optional {
			if v := cs[i].artifacts()[j]; v != "" {
				q.WriteString(", ?")
				args = append(args, v)
			} else {
				q.WriteString(", DEFAULT")
			}
		}
		q.WriteString(")")
	})
	q.WriteString(")")

	type child struct{ of, i int }
	var comps, teams, events []child
	for ci, c := range cs {
		for i := range c.comps {
			comps = append(comps, child{ci, i})
		}
		for i := range c.teams {
			teams = append(teams, child{ci, i})
		}
		for i := range c.events {
			events = append(events, child{ci, i})
		}
	}
	values(",\nc AS (INSERT INTO release_components (release_id, service, position, version, digest, descoped, descope_reason) VALUES ", len(comps), func(k int) {
		c := cs[comps[k].of].comps[comps[k].i]
		q.WriteString("(" + idOf(comps[k].of) + ", ?, ?, ?, ?, ?, ?)")
		args = append(args, c.Service, c.Position, c.Version, c.Digest, c.Descoped, c.DescopeReason)
	})
	q.WriteString(")")
	if len(teams) > 0 {
		values(",\nt AS (INSERT INTO release_teams (team, release_id) VALUES ", len(teams), func(k int) {
			q.WriteString("(?, " + idOf(teams[k].of) + ")")
			args = append(args, cs[teams[k].of].teams[teams[k].i])
		})
		q.WriteString(")")
	}
	if len(events) > 0 {
		values(",\na AS (INSERT INTO audit_events (release_id, at, actor, action, detail) VALUES ", len(events), func(k int) {
			e := cs[events[k].of].events[events[k].i]
			q.WriteString("(" + idOf(events[k].of) + ", ?, ?, ?, ?)")
			args = append(args, e.At.UTC(), e.Actor, e.Action, e.Detail)
		})
		q.WriteString(" RETURNING id, release_id)\nSELECT ids.id AS release_id, a.id AS event_id FROM ids LEFT JOIN a ON a.release_id = ids.id ORDER BY ids.n, a.id")
	} else {
		q.WriteString("\nSELECT ids.id AS release_id, NULL::bigint AS event_id FROM ids ORDER BY ids.n")
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
		if isUniqueViolation(err) {
			return releases.ErrDuplicate
		}
		return fmt.Errorf("insert release: %w", err)
	}
	for _, c := range cs {
		n := max(1, len(c.events))
		if len(ids) < n {
			return fmt.Errorf("insert releases: too few rows back for %d releases", len(cs))
		}
		c.r.ID = ids[0].releaseID
		for i := range c.events {
			if ids[i].releaseID != c.r.ID || ids[i].eventID == nil {
				return fmt.Errorf("insert release %d: event %d has no id", c.r.ID, i)
			}
			c.events[i].ReleaseID, c.events[i].ID = c.r.ID, *ids[i].eventID
		}
		ids = ids[n:]
	}
	if len(ids) != 0 {
		return fmt.Errorf("insert releases: %d rows back too many", len(ids))
	}
	return nil
}

// isUniqueViolation tells a duplicate key, which the statement's error
// may report with its rows (gorm does not translate it then).
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, gorm.ErrDuplicatedKey) || errors.As(err, &pgErr) && pgErr.Code == uniqueViolation
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
