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

// ClaimRuns moves the PollAt of due runs to next and returns them. On
// PostgreSQL the due rows are locked with FOR UPDATE SKIP LOCKED, so
// replicas polling together take different runs; on SQLite the write lock
// serialises them.
func (s *Store) ClaimRuns(ctx context.Context, now time.Time, limit int, next func(releases.Deployment) time.Time) ([]releases.Deployment, error) {
	if limit <= 0 {
		return nil, nil
	}
	now = now.UTC().Truncate(time.Microsecond)
	var out []releases.Deployment
	err := s.write(ctx, func(db *gorm.DB) error {
		q := db.Where("status = ? AND run_id <> '' AND poll_at IS NOT NULL AND poll_at <= ?",
			string(releases.DeploymentInProgress), now).Order("poll_at, id").Limit(limit)
		if s.dialect == migrations.Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []deploymentRow
		if err := q.Find(&rows).Error; err != nil {
			return fmt.Errorf("due runs: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		out = make([]releases.Deployment, len(rows))
		for i, row := range rows {
			d := row.deployment()
			d.PollAt = next(d).UTC().Truncate(time.Microsecond)
			if err := db.Model(&deploymentRow{}).Where("id = ?", d.ID).Update("poll_at", d.PollAt).Error; err != nil {
				return fmt.Errorf("claim run of deployment %d: %w", d.ID, err)
			}
			out[i] = d
		}
		return nil
	})
	return out, err
}

// DeploymentByRun finds the deployment following a run.
func (s *Store) DeploymentByRun(ctx context.Context, kind, runID string) (*releases.Deployment, error) {
	if runID == "" {
		return nil, releases.ErrNotFound
	}
	var row deploymentRow
	err := s.db.WithContext(ctx).Where("run_kind = ? AND run_id = ?", kind, runID).Order("id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, releases.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("deployment of %s run %s: %w", kind, runID, err)
	}
	d := row.deployment()
	return &d, nil
}
