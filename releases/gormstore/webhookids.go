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

// webhookIDRow is the id of an accepted deployer callback (migration
// 00007).
type webhookIDRow struct {
	WebhookID    string `gorm:"primaryKey"`
	DeploymentID int64
	SeenAt       time.Time
}

func (webhookIDRow) TableName() string { return "webhook_ids" }

// forgetBatch is how many old ids one RememberWebhookID forgets at most:
// each call adds one, so the table never holds many more than the ids of
// the last releases.WebhookIDMemory.
const forgetBatch = 100

// RememberWebhookID records webhookID for deploymentID unless it is
// remembered for another deployment. The insert does nothing on a taken
// id; on PostgreSQL it first waits for a transaction that inserted the same
// id to end, so the check that follows sees that row once it committed.
func (t *tx) RememberWebhookID(ctx context.Context, webhookID string, deploymentID int64, at, forgetBefore time.Time) error {
	db := t.db.WithContext(ctx)
	if err := t.forgetWebhookIDs(db, forgetBefore.UTC()); err != nil {
		return err
	}
	row := webhookIDRow{WebhookID: webhookID, DeploymentID: deploymentID, SeenAt: at.UTC()}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return fmt.Errorf("remember webhook id: %w", err)
	}
	var got webhookIDRow
	err := db.Where("webhook_id = ?", webhookID).Take(&got).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Forgotten by another transaction just now: it was old.
		return nil
	}
	if err != nil {
		return fmt.Errorf("find webhook id: %w", err)
	}
	if got.DeploymentID != deploymentID {
		return releases.ErrDuplicate
	}
	return nil
}

// forgetWebhookIDs deletes up to forgetBatch ids seen before before. On
// PostgreSQL, rows another transaction is deleting are skipped rather than
// waited for, so callbacks never queue (or deadlock) on the clean-up.
func (t *tx) forgetWebhookIDs(db *gorm.DB, before time.Time) error {
	pick := "SELECT webhook_id FROM webhook_ids WHERE seen_at < ? ORDER BY seen_at LIMIT ?"
	if t.dialect == migrations.Postgres {
		pick += " FOR UPDATE SKIP LOCKED"
	}
	if err := db.Exec("DELETE FROM webhook_ids WHERE webhook_id IN ("+pick+")", before, forgetBatch).Error; err != nil {
		return fmt.Errorf("forget old webhook ids: %w", err)
	}
	return nil
}
