package gormstore

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/releasebot/releasebot/releases"
)

var (
	_ releases.PostStore   = (*Store)(nil)
	_ releases.PostAdopter = (*Store)(nil)
)

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

// AdoptPost records p, found in chat, as the post of outbox entry entry,
// and finishes that entry if it is pending and nobody holds it.
func (s *Store) AdoptPost(ctx context.Context, entry int64, p releases.Post) error {
	var op releases.OutboxOp
	switch p.Kind {
	case releases.PostCard:
		op = releases.OpPostCard
	case releases.PostRequest:
		op = releases.OpPostRequest
	default:
		return releases.ErrNotFound
	}
	return s.Tx(ctx, func(rtx releases.Tx) error {
		db := rtx.(*tx).db.WithContext(ctx)
		var e outboxRow
		err := db.Where("id = ? AND release_id = ? AND op = ? AND team = ?", entry, p.ReleaseID, string(op), p.Team).Take(&e).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return releases.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("adopt post: %w", err)
		}
		var have []postRow
		err = db.Where("(channel = ? AND ts = ?) OR (release_id = ? AND kind = ? AND team = ?)",
			p.Channel, p.TS, p.ReleaseID, string(p.Kind), p.Team).Find(&have).Error
		if err != nil {
			return fmt.Errorf("adopt post: %w", err)
		}
		for _, h := range have {
			if h.Channel != p.Channel || h.TS != p.TS || h.ReleaseID != p.ReleaseID || h.Kind != string(p.Kind) || h.Team != p.Team {
				return releases.ErrDuplicate
			}
		}
		if len(have) == 0 {
			row := postRow{Channel: p.Channel, TS: p.TS, ReleaseID: p.ReleaseID, Kind: string(p.Kind), Team: p.Team, CreatedAt: p.At.UTC()}
			res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
			if res.Error != nil {
				return fmt.Errorf("adopt post: %w", res.Error)
			}
			if res.RowsAffected == 0 { // recorded meanwhile, by the sender or another adopter
				return releases.ErrDuplicate
			}
		}
		err = db.Model(&outboxRow{}).Where("id = ? AND status = ? AND (claimed_until IS NULL OR claimed_until < ?)",
			entry, releases.OutboxPending, p.At.UTC()).Updates(map[string]any{
			"status": releases.OutboxSent, "sent_at": p.At.UTC(), "claimed_until": nil}).Error
		if err != nil {
			return fmt.Errorf("adopt post: finish chat message %d: %w", entry, err)
		}
		return nil
	})
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

// AddReaction records a reaction on a post; recording it again changes
// nothing.
func (s *Store) AddReaction(ctx context.Context, r releases.PostReaction) error {
	row := postReactionRow{Channel: r.Channel, TS: r.TS, UserID: r.User, Emoji: r.Emoji, CreatedAt: r.At.UTC()}
	if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return fmt.Errorf("add reaction: %w", err)
	}
	return nil
}

// RemoveReaction forgets a reaction on a post.
func (s *Store) RemoveReaction(ctx context.Context, r releases.PostReaction) error {
	err := s.db.WithContext(ctx).Where("channel = ? AND ts = ? AND user_id = ? AND emoji = ?", r.Channel, r.TS, r.User, r.Emoji).
		Delete(&postReactionRow{}).Error
	if err != nil {
		return fmt.Errorf("remove reaction: %w", err)
	}
	return nil
}

// Reactions returns the emoji user has recorded on a post, sorted.
func (s *Store) Reactions(ctx context.Context, channel, ts, user string) ([]string, error) {
	var emoji []string
	err := s.db.WithContext(ctx).Model(&postReactionRow{}).Where("channel = ? AND ts = ? AND user_id = ?", channel, ts, user).
		Order("emoji").Pluck("emoji", &emoji).Error
	if err != nil {
		return nil, fmt.Errorf("reactions: %w", err)
	}
	return emoji, nil
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
