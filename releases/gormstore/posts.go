package gormstore

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/releasebot/releasebot/releases"
)

var _ releases.PostStore = (*Store)(nil)

// SavePost records a message the bot posted for a release.
func (s *Store) SavePost(ctx context.Context, p releases.Post) error {
	row := postRow{Channel: p.Channel, TS: p.TS, ReleaseID: p.ReleaseID, Kind: string(p.Kind), Team: p.Team, CreatedAt: p.At.UTC()}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return releases.ErrDuplicate
		}
		return fmt.Errorf("save post: %w", err)
	}
	return nil
}

// FindPost returns the post at channel and ts.
func (s *Store) FindPost(ctx context.Context, channel, ts string) (*releases.Post, error) {
	var row postRow
	err := s.db.WithContext(ctx).Where("channel = ? AND ts = ?", channel, ts).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, releases.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find post: %w", err)
	}
	p := row.post()
	return &p, nil
}

// Posts returns a release's posts, oldest first.
func (s *Store) Posts(ctx context.Context, releaseID int64) ([]releases.Post, error) {
	var rows []postRow
	if err := s.db.WithContext(ctx).Where("release_id = ?", releaseID).Order("created_at, kind, team").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("posts of release %d: %w", releaseID, err)
	}
	out := make([]releases.Post, len(rows))
	for i, row := range rows {
		out[i] = row.post()
	}
	return out, nil
}

// PendingDeployments returns up to limit deployments waiting to be sent,
// oldest first.
func (s *Store) PendingDeployments(ctx context.Context, limit int) ([]releases.Deployment, error) {
	return reader{s.db.WithContext(ctx)}.PendingDeployments(ctx, limit)
}

func (r reader) PendingDeployments(ctx context.Context, limit int) ([]releases.Deployment, error) {
	var rows []deploymentRow
	q := r.db.WithContext(ctx).Where("status = ?", string(releases.DeploymentPending)).Order("id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("pending deployments: %w", err)
	}
	out := make([]releases.Deployment, len(rows))
	for i, row := range rows {
		out[i] = row.deployment()
	}
	return out, nil
}
