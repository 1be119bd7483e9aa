package gormstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/releasebot/releasebot/releases"
)

var _ releases.FreezeReader = (*Store)(nil)

type freezeRow struct {
	ID        int64 `gorm:"primaryKey"`
	Reason    string
	StartAt   time.Time
	EndAt     time.Time
	UntilAt   time.Time
	CreatedBy string
	LiftedBy  string
	LiftedAt  *time.Time
}

func (freezeRow) TableName() string { return "freezes" }

func (row freezeRow) freeze() releases.Freeze {
	return releases.Freeze{ID: row.ID, Reason: row.Reason, Start: row.StartAt.UTC(), End: row.EndAt.UTC(),
		Until: row.UntilAt.UTC(), CreatedBy: row.CreatedBy, LiftedBy: row.LiftedBy, LiftedAt: timeVal(row.LiftedAt)}
}

// Freezes returns the ad-hoc freezes that end after t.
func (s *Store) Freezes(ctx context.Context, after time.Time) ([]releases.Freeze, error) {
	return reader{s.db.WithContext(ctx)}.Freezes(ctx, after)
}

func (r reader) Freezes(ctx context.Context, after time.Time) ([]releases.Freeze, error) {
	var rows []freezeRow
	if err := r.db.WithContext(ctx).Where("end_at > ?", after.UTC()).Order("start_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load freezes: %w", err)
	}
	out := make([]releases.Freeze, len(rows))
	for i, row := range rows {
		out[i] = row.freeze()
	}
	return out, nil
}

func (t *tx) AddFreeze(ctx context.Context, f *releases.Freeze) error {
	row := freezeRow{Reason: f.Reason, StartAt: f.Start.UTC(), EndAt: f.End.UTC(), UntilAt: f.Until.UTC(),
		CreatedBy: f.CreatedBy, LiftedBy: f.LiftedBy, LiftedAt: timePtr(f.LiftedAt)}
	if row.UntilAt.IsZero() {
		row.UntilAt = row.EndAt
	}
	if err := t.db.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert freeze: %w", err)
	}
	f.ID = row.ID
	return nil
}

func (t *tx) LiftFreezes(ctx context.Context, at time.Time, by string) ([]releases.Freeze, error) {
	at = at.UTC()
	db := t.db.WithContext(ctx)
	var rows []freezeRow
	// FOR UPDATE on PostgreSQL: two unfreezes at once lift each freeze once.
	err := db.Clauses(clause.Locking{Strength: "UPDATE"}).Where("start_at <= ? AND end_at > ?", at, at).
		Order("start_at, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("freezes in force: %w", err)
	}
	out := make([]releases.Freeze, 0, len(rows))
	for _, row := range rows {
		err := db.Model(&freezeRow{}).Where("id = ?", row.ID).
			Updates(map[string]any{"end_at": at, "lifted_by": by, "lifted_at": at}).Error
		if err != nil {
			return nil, fmt.Errorf("lift freeze %d: %w", row.ID, err)
		}
		row.EndAt, row.LiftedBy, row.LiftedAt = at, by, &at
		out = append(out, row.freeze())
	}
	return out, nil
}
