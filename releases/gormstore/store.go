package gormstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
)

var _ releases.Store = (*Store)(nil)

// Tx runs fn in one transaction.
func (s *Store) Tx(ctx context.Context, fn func(releases.Tx) error) error {
	if s.dialect == migrations.SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	defer s.changed()
	return s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		t := &tx{reader: reader{db}, dialect: s.dialect}
		if err := fn(t); err != nil {
			return err
		}
		return t.flushDORA(ctx)
	})
}

// Release returns one release with its sign-offs and deployments.
func (s *Store) Release(ctx context.Context, id int64) (*releases.Release, error) {
	return reader{s.db.WithContext(ctx)}.Release(ctx, id)
}

// Releases lists releases newest first.
func (s *Store) Releases(ctx context.Context, f releases.Filter) ([]releases.Release, error) {
	return reader{s.db.WithContext(ctx)}.Releases(ctx, f)
}

// AuditEvents returns a release's audit trail, oldest first.
func (s *Store) AuditEvents(ctx context.Context, releaseID int64) ([]releases.AuditEvent, error) {
	return reader{s.db.WithContext(ctx)}.AuditEvents(ctx, releaseID)
}

// DeploymentRelease returns the release a deployment belongs to.
func (s *Store) DeploymentRelease(ctx context.Context, deploymentID int64) (int64, error) {
	return reader{s.db.WithContext(ctx)}.DeploymentRelease(ctx, deploymentID)
}

// InFlight returns the pending and in-progress deployments of service to env.
func (s *Store) InFlight(ctx context.Context, service, env string) ([]releases.Deployment, error) {
	return reader{s.db.WithContext(ctx)}.InFlight(ctx, service, env)
}

// reader answers queries on a connection or inside a transaction.
type reader struct{ db *gorm.DB }

func (r reader) Release(ctx context.Context, id int64) (*releases.Release, error) {
	return r.release(ctx, r.db, id)
}

func (r reader) release(ctx context.Context, q *gorm.DB, id int64) (*releases.Release, error) {
	var row releaseRow
	if err := q.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, releases.ErrNotFound
		}
		return nil, fmt.Errorf("load release %d: %w", id, err)
	}
	out, err := r.withChildren(ctx, []releaseRow{row})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

func (r reader) Releases(ctx context.Context, f releases.Filter) ([]releases.Release, error) {
	q := filtered(r.db.WithContext(ctx).Model(&releaseRow{}), f)
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	// Filtered by team, the page walks release_teams' (team, release_id)
	// key backwards; ordered by releases.id, SQLite would sort every
	// release of the team first.
	order := "releases.id DESC"
	if f.Team != "" {
		order = "release_teams.release_id DESC"
	}
	var rows []releaseRow
	if err := q.Order(order).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	return r.withChildren(ctx, rows)
}

// Count returns how many releases f selects, ignoring f.Limit.
func (s *Store) Count(ctx context.Context, f releases.Filter) (int, error) {
	return reader{s.db.WithContext(ctx)}.Count(ctx, f)
}

func (r reader) Count(ctx context.Context, f releases.Filter) (int, error) {
	var n int64
	if err := filtered(r.db.WithContext(ctx).Model(&releaseRow{}), f).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count releases: %w", err)
	}
	return int(n), nil
}

// filtered narrows q to the releases f selects, all but f.Limit.
func filtered(q *gorm.DB, f releases.Filter) *gorm.DB {
	switch len(f.Statuses) {
	case 0:
	case 1:
		// "status = ?" lets SQLite read the (status, id) index in order; an
		// IN list makes it sort every match.
		q = q.Where("status = ?", string(f.Statuses[0]))
	default:
		st := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			st[i] = string(s)
		}
		q = q.Where("status IN ?", st)
	}
	if f.Service != "" {
		// A train holds the service as one of its components; every
		// release has its components (00016 gave older ones theirs).
		// SQLite reads the (service, release_id) index in id order: a page
		// needs no sort.
		q = q.Where("id IN (SELECT release_id FROM release_components WHERE service = ?)", f.Service)
	}
	if f.Team != "" {
		// release_teams (migration 00013) has a row per team a release
		// asks, kept by triggers.
		q = q.Joins("JOIN release_teams ON release_teams.release_id = releases.id AND release_teams.team = ?", f.Team)
	}
	if f.CreatedBy != "" {
		q = q.Where("created_by = ?", f.CreatedBy)
	}
	if f.Before > 0 {
		q = q.Where("releases.id < ?", f.Before)
	}
	if !f.CreatedBefore.IsZero() {
		q = q.Where("created_at < ?", f.CreatedBefore.UTC())
	}
	if !f.CreatedSince.IsZero() {
		q = q.Where("releases.created_at >= ?", f.CreatedSince.UTC())
	}
	if f.Version != "" {
		q = q.Where("releases.version = ?", f.Version)
	}
	if f.IdempotencyKey != "" {
		q = q.Where("releases.idempotency_key = ?", f.IdempotencyKey)
	}
	return q
}

// childBatch bounds the ids in one IN list: SQLite refuses more than
// 32,766 variables in a statement, PostgreSQL 65,535.
const childBatch = 500

// withChildren maps rows to releases and loads their sign-offs and
// deployments with one query each.
func (r reader) withChildren(ctx context.Context, rows []releaseRow) ([]releases.Release, error) {
	out := make([]releases.Release, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	index := make(map[int64]int, len(rows))
	for i, row := range rows {
		rel, err := row.release()
		if err != nil {
			return nil, fmt.Errorf("decode release %d: %w", row.ID, err)
		}
		out[i], ids[i], index[row.ID] = rel, row.ID, i
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), childBatch)]
		ids = ids[len(batch):]
		var signoffs []signoffRow
		if err := r.db.WithContext(ctx).Where("release_id IN ?", batch).Order("created_at, team, user_id").Find(&signoffs).Error; err != nil {
			return nil, fmt.Errorf("load sign-offs: %w", err)
		}
		for _, so := range signoffs {
			i := index[so.ReleaseID]
			out[i].SignOffs = append(out[i].SignOffs, so.signOff())
		}
		var deployments []deploymentRow
		if err := r.db.WithContext(ctx).Where("release_id IN ?", batch).Order("id").Find(&deployments).Error; err != nil {
			return nil, fmt.Errorf("load deployments: %w", err)
		}
		for _, d := range deployments {
			i := index[d.ReleaseID]
			out[i].Deployments = append(out[i].Deployments, d.deployment())
		}
		var components []componentRow
		if err := r.db.WithContext(ctx).Where("release_id IN ?", batch).Order("release_id, position").Find(&components).Error; err != nil {
			return nil, fmt.Errorf("load components: %w", err)
		}
		loaded := map[int64]bool{}
		for _, c := range components {
			i := index[c.ReleaseID]
			if !loaded[c.ReleaseID] {
				loaded[c.ReleaseID], out[i].Components = true, nil
			}
			out[i].Components = append(out[i].Components, c.component())
		}
	}
	return out, nil
}

func (r reader) AuditEvents(ctx context.Context, releaseID int64) ([]releases.AuditEvent, error) {
	var rows []auditRow
	if err := r.db.WithContext(ctx).Where("release_id = ?", releaseID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load audit of release %d: %w", releaseID, err)
	}
	out := make([]releases.AuditEvent, len(rows))
	for i, row := range rows {
		out[i] = row.event()
	}
	return out, nil
}

func (r reader) DeploymentRelease(ctx context.Context, deploymentID int64) (int64, error) {
	var row deploymentRow
	err := r.db.WithContext(ctx).Select("release_id").Where("id = ?", deploymentID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, releases.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("find deployment %d: %w", deploymentID, err)
	}
	return row.ReleaseID, nil
}

// tx is the store inside one transaction.
type tx struct {
	reader
	dialect migrations.Dialect
	// touched are the releases (and environments, "" for all) whose
	// finished deployments changed: their DORA spans go stale at the end
	// of the transaction (flushDORA).
	touched []touch
}

func (t *tx) LockRelease(ctx context.Context, id int64) (*releases.Release, error) {
	// FOR UPDATE on PostgreSQL; SQLite drops the clause, and its IMMEDIATE
	// transactions (plus Store.writeMu) already exclude other writers.
	return t.release(ctx, t.db.Clauses(clause.Locking{Strength: "UPDATE"}), id)
}

func (t *tx) CreateRelease(ctx context.Context, r *releases.Release) error {
	row, err := toReleaseRow(r)
	if err != nil {
		return err
	}
	row.ID = 0
	if err := t.db.WithContext(ctx).Omit(emptyArtifactColumns(row)...).Create(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return releases.ErrDuplicate
		}
		return fmt.Errorf("insert release: %w", err)
	}
	r.ID = row.ID
	rows := componentRows(r)
	if err := t.db.WithContext(ctx).Create(&rows).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return fmt.Errorf("insert components of release %d: a service twice: %w", r.ID, err)
		}
		return fmt.Errorf("insert components of release %d: %w", r.ID, err)
	}
	return nil
}

func (t *tx) UpdateComponent(ctx context.Context, releaseID int64, c releases.Component) error {
	res := t.db.WithContext(ctx).Model(&componentRow{}).Where("release_id = ? AND service = ?", releaseID, c.Service).
		Updates(map[string]any{"descoped": c.Descoped, "descope_reason": c.DescopeReason})
	if res.Error != nil {
		return fmt.Errorf("update component %s of release %d: %w", c.Service, releaseID, res.Error)
	}
	if res.RowsAffected == 0 {
		return releases.ErrNotFound
	}
	t.touch(releaseID, "") // a train counts its components in scope
	return nil
}

func (t *tx) UpdateRelease(ctx context.Context, r *releases.Release) error {
	row, err := toReleaseRow(r)
	if err != nil {
		return err
	}
	res := t.db.WithContext(ctx).Model(&releaseRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"status": row.Status, "updated_at": row.UpdatedAt, "window_name": row.WindowName, "start_at": row.StartAt,
		"override_by": row.OverrideBy, "override_reason": row.OverrideReason, "reason": row.Reason,
	})
	if res.Error != nil {
		if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
			return releases.ErrDuplicate
		}
		return fmt.Errorf("update release %d: %w", r.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return releases.ErrNotFound
	}
	return nil
}

func (t *tx) PutSignOff(ctx context.Context, so releases.SignOff) error {
	row := signoffRow{ReleaseID: so.ReleaseID, Team: so.Team, UserID: so.User, Decision: string(so.Decision), CreatedAt: so.At.UTC(),
		Digest: so.Digest}
	update, omit := []string{"decision", "created_at", "digest"}, []string(nil)
	if so.Digest == "" {
		// As emptyArtifactColumns: the column's default says the same.
		update, omit = update[:2], []string{"digest"}
	}
	err := t.db.WithContext(ctx).Omit(omit...).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "release_id"}, {Name: "team"}, {Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns(update),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("record sign-off: %w", err)
	}
	return nil
}

func (t *tx) DeleteSignOff(ctx context.Context, releaseID int64, team, user string) error {
	err := t.db.WithContext(ctx).Where("release_id = ? AND team = ? AND user_id = ?", releaseID, team, user).Delete(&signoffRow{}).Error
	if err != nil {
		return fmt.Errorf("delete sign-off: %w", err)
	}
	return nil
}

func (t *tx) CreateDeployment(ctx context.Context, d *releases.Deployment) error {
	row := toDeploymentRow(d)
	row.ID = 0
	if err := lockTarget(t.db.WithContext(ctx), t.dialect, d.Service, d.Environment); err != nil {
		return err
	}
	if err := t.db.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert deployment: %w", err)
	}
	d.ID = row.ID
	if row.FinishedAt != nil {
		t.touch(d.ReleaseID, d.Environment)
	}
	return nil
}

func (t *tx) UpdateDeployment(ctx context.Context, d *releases.Deployment) error {
	row := toDeploymentRow(d)
	res := t.db.WithContext(ctx).Model(&deploymentRow{}).Where("id = ?", d.ID).Updates(map[string]any{
		"status": row.Status, "attempts": row.Attempts, "message": row.Message, "url": row.URL,
		"updated_at": row.UpdatedAt, "finished_at": row.FinishedAt,
		"run_kind": row.RunKind, "run_id": row.RunID, "poll_at": row.PollAt,
	})
	if res.Error != nil {
		return fmt.Errorf("update deployment %d: %w", d.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return releases.ErrNotFound
	}
	if row.FinishedAt != nil {
		t.touch(d.ReleaseID, d.Environment)
	}
	return nil
}

func (t *tx) RecentCreates(ctx context.Context, user string, since time.Time, limit int) ([]time.Time, error) {
	db := t.db.WithContext(ctx)
	if t.dialect == migrations.Postgres {
		// SQLite's transactions already exclude each other (Store.writeMu).
		if err := db.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "creates:"+user).Error; err != nil {
			return nil, fmt.Errorf("lock creates of %s: %w", user, err)
		}
	}
	var at []time.Time
	err := db.Model(&releaseRow{}).Where("created_by = ? AND created_at > ?", user, since.UTC()).
		Order("created_at DESC").Limit(limit).Pluck("created_at", &at).Error
	if err != nil {
		return nil, fmt.Errorf("recent creates of %s: %w", user, err)
	}
	for i := range at {
		at[i] = at[i].UTC()
	}
	return at, nil
}

func (t *tx) AddAudit(ctx context.Context, e *releases.AuditEvent) error {
	row := auditRow{At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Detail: e.Detail}
	if e.ReleaseID != 0 {
		row.ReleaseID = &e.ReleaseID
	}
	if err := t.db.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert audit event: %w", err)
	}
	e.ID = row.ID
	return nil
}

func (t *tx) LastSucceeded(ctx context.Context, service, env string, exclude, before int64) (*releases.Deployment, error) {
	q := t.db.WithContext(ctx).Where("service = ? AND environment = ? AND release_id <> ? AND status = ?",
		service, env, exclude, string(releases.DeploymentSucceeded))
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var rows []deploymentRow
	if err := q.Order("id DESC").Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("last deployment of %s to %s: %w", service, env, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	d := rows[0].deployment()
	return &d, nil
}

func (r reader) InFlight(ctx context.Context, service, env string) ([]releases.Deployment, error) {
	var rows []deploymentRow
	err := r.db.WithContext(ctx).Where("service = ? AND environment = ? AND status IN ?", service, env,
		[]string{string(releases.DeploymentPending), string(releases.DeploymentInProgress)}).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("deployments in flight of %s to %s: %w", service, env, err)
	}
	out := make([]releases.Deployment, len(rows))
	for i, row := range rows {
		out[i] = row.deployment()
	}
	return out, nil
}
