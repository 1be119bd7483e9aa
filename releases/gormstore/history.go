package gormstore

import (
	"context"
	"fmt"
	"time"

	"github.com/releasebot/releasebot/releases"
)

var _ releases.HistoryReader = (*Store)(nil)

// Outcomes returns the audit events with one of actions in [from, to),
// each with its release: two queries, the first on the (action, at) index.
func (s *Store) Outcomes(ctx context.Context, actions []string, from, to time.Time) ([]releases.Outcome, error) {
	if len(actions) == 0 {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	var events []auditRow
	err := db.Where("action IN ? AND at >= ? AND at < ? AND release_id IS NOT NULL", actions, from.UTC(), to.UTC()).
		Order("at, id").Find(&events).Error
	if err != nil {
		return nil, fmt.Errorf("outcomes: %w", err)
	}
	byID, err := bareReleases(ctx, s, events, func(e auditRow) int64 { return *e.ReleaseID })
	if err != nil {
		return nil, err
	}
	out := make([]releases.Outcome, 0, len(events))
	for _, e := range events {
		out = append(out, releases.Outcome{Release: byID[*e.ReleaseID], Action: e.Action, At: e.At.UTC(), Detail: e.Detail})
	}
	return out, nil
}

// FinishedDeployments returns the deployments to env that finished in
// [from, to): one query on the (environment, finished_at) index, joined to
// each release by its primary key for the one column lead times need (not
// the release rows, nor a list of their ids).
func (s *Store) FinishedDeployments(ctx context.Context, env string, from, to time.Time) ([]releases.FinishedDeployment, error) {
	var rows []finishedRow
	err := s.db.WithContext(ctx).Table("deployments").
		Select("deployments.*, releases.created_at AS release_created_at").
		Joins("JOIN releases ON releases.id = deployments.release_id").
		Where("deployments.environment = ? AND deployments.finished_at >= ? AND deployments.finished_at < ?", env, from.UTC(), to.UTC()).
		Order("deployments.finished_at, deployments.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("finished deployments to %s: %w", env, err)
	}
	out := make([]releases.FinishedDeployment, len(rows))
	for i, row := range rows {
		out[i] = releases.FinishedDeployment{Deployment: row.Deployment.deployment(), ReleaseCreatedAt: row.ReleaseCreatedAt.UTC()}
	}
	return out, nil
}

// finishedRow is a deployment with its release's creation time.
type finishedRow struct {
	Deployment       deploymentRow `gorm:"embedded"`
	ReleaseCreatedAt time.Time
}

// bareReleases loads, in one query, the releases (without sign-offs and
// deployments) that items refer to.
func bareReleases[T any](ctx context.Context, s *Store, items []T, id func(T) int64) (map[int64]releases.Release, error) {
	out := map[int64]releases.Release{}
	if len(items) == 0 {
		return out, nil
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, it := range items {
		if i := id(it); !seen[i] {
			seen[i] = true
			ids = append(ids, i)
		}
	}
	var rows []releaseRow
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load releases: %w", err)
	}
	for _, row := range rows {
		r, err := row.release()
		if err != nil {
			return nil, fmt.Errorf("decode release %d: %w", row.ID, err)
		}
		out[r.ID] = r
	}
	return out, nil
}
