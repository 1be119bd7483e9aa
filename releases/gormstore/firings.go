package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/releasebot/releasebot/releases"
)

var _ releases.FiringStore = (*Store)(nil)

type firingRow struct {
	Job          string    `gorm:"primaryKey"`
	ScheduledAt  time.Time `gorm:"primaryKey"`
	Status       string
	Owner        string
	ClaimedUntil *time.Time
	Attempts     int
	Detail       string
	CreatedAt    time.Time `gorm:"autoCreateTime:false"`
	FinishedAt   *time.Time
}

func (firingRow) TableName() string { return "schedule_firings" }

func (row firingRow) firing() releases.Firing {
	return releases.Firing{Job: row.Job, At: row.ScheduledAt.UTC(), Status: releases.FiringStatus(row.Status),
		Owner: row.Owner, ClaimedUntil: timeVal(row.ClaimedUntil), Attempts: row.Attempts, Detail: row.Detail,
		CreatedAt: row.CreatedAt.UTC(), FinishedAt: timeVal(row.FinishedAt)}
}

// ClaimFiring claims (job, at) for owner, or takes over a lapsed claim.
func (s *Store) ClaimFiring(ctx context.Context, job string, at time.Time, owner string, now time.Time, lease time.Duration) (bool, error) {
	db := s.db.WithContext(ctx)
	until := now.Add(lease).UTC()
	row := firingRow{Job: job, ScheduledAt: at.UTC(), Status: string(releases.FiringRunning), Owner: owner,
		ClaimedUntil: &until, Attempts: 1, CreatedAt: now.UTC()}
	// Inserting is the claim: the primary key lets one replica win.
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("claim %s at %s: %w", job, at.UTC().Format(time.RFC3339), res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	// Taken: take it over only if its holder's lease lapsed unfinished.
	// The condition in the UPDATE makes this a compare-and-set.
	res = db.Model(&firingRow{}).
		Where("job = ? AND scheduled_at = ? AND status = ? AND claimed_until < ?", job, at.UTC(), string(releases.FiringRunning), now.UTC()).
		Updates(map[string]any{"owner": owner, "claimed_until": until, "attempts": gorm.Expr("attempts + 1")})
	if res.Error != nil {
		return false, fmt.Errorf("take over %s at %s: %w", job, at.UTC().Format(time.RFC3339), res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FinishFiring records the end of a firing owner holds.
func (s *Store) FinishFiring(ctx context.Context, job string, at time.Time, owner string, status releases.FiringStatus, detail string, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&firingRow{}).
		Where("job = ? AND scheduled_at = ? AND owner = ? AND status = ?", job, at.UTC(), owner, string(releases.FiringRunning)).
		Updates(map[string]any{"status": string(status), "detail": detail, "finished_at": now.UTC(), "claimed_until": nil}).Error
	if err != nil {
		return fmt.Errorf("finish %s at %s: %w", job, at.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// MissFiring records (job, at) as missed unless it is recorded already.
func (s *Store) MissFiring(ctx context.Context, job string, at time.Time, detail string, now time.Time) (bool, error) {
	n := now.UTC()
	row := firingRow{Job: job, ScheduledAt: at.UTC(), Status: string(releases.FiringMissed), Detail: detail,
		CreatedAt: n, FinishedAt: &n}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("record %s at %s as missed: %w", job, at.UTC().Format(time.RFC3339), res.Error)
	}
	return res.RowsAffected == 1, nil
}

// LastFiring returns the latest scheduled time recorded for job.
func (s *Store) LastFiring(ctx context.Context, job string, st releases.FiringStatus) (time.Time, error) {
	q := s.db.WithContext(ctx).Where("job = ?", job)
	if st != "" {
		q = q.Where("status = ?", string(st))
	}
	var rows []firingRow
	if err := q.Order("scheduled_at DESC").Limit(1).Find(&rows).Error; err != nil {
		return time.Time{}, fmt.Errorf("last firing of %s: %w", job, err)
	}
	if len(rows) == 0 {
		return time.Time{}, nil
	}
	return rows[0].ScheduledAt.UTC(), nil
}

// LapsedFirings returns running firings whose lease lapsed before now.
func (s *Store) LapsedFirings(ctx context.Context, now time.Time, limit int) ([]releases.Firing, error) {
	var rows []firingRow
	err := s.db.WithContext(ctx).Where("status = ? AND claimed_until < ?", string(releases.FiringRunning), now.UTC()).
		Order("scheduled_at, job").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("lapsed firings: %w", err)
	}
	return firings(rows), nil
}

// Firings returns the firings of job (all jobs for "") in [from, to).
func (s *Store) Firings(ctx context.Context, job string, from, to time.Time) ([]releases.Firing, error) {
	q := s.db.WithContext(ctx).Where("scheduled_at >= ? AND scheduled_at < ?", from.UTC(), to.UTC())
	if job != "" {
		q = q.Where("job = ?", job)
	}
	var rows []firingRow
	if err := q.Order("scheduled_at, job").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("firings: %w", err)
	}
	return firings(rows), nil
}

func firings(rows []firingRow) []releases.Firing {
	out := make([]releases.Firing, len(rows))
	for i, row := range rows {
		out[i] = row.firing()
	}
	return out
}

type cursorRow struct {
	Job       string `gorm:"primaryKey"`
	CheckedTo time.Time
}

func (cursorRow) TableName() string { return "schedule_cursors" }

// Checked returns how far job's firings were looked at.
func (s *Store) Checked(ctx context.Context, job string) (time.Time, error) {
	var rows []cursorRow
	if err := s.db.WithContext(ctx).Where("job = ?", job).Limit(1).Find(&rows).Error; err != nil {
		return time.Time{}, fmt.Errorf("cursor of %s: %w", job, err)
	}
	if len(rows) == 0 {
		return time.Time{}, nil
	}
	return rows[0].CheckedTo.UTC(), nil
}

// SetChecked moves job's cursor forward to t.
func (s *Store) SetChecked(ctx context.Context, job string, t time.Time) error {
	row := cursorRow{Job: job, CheckedTo: t.UTC()}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "job"}},
		DoUpdates: clause.Assignments(map[string]any{"checked_to": gorm.Expr(
			"CASE WHEN excluded.checked_to > schedule_cursors.checked_to THEN excluded.checked_to ELSE schedule_cursors.checked_to END")}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("move the cursor of %s: %w", job, err)
	}
	return nil
}
