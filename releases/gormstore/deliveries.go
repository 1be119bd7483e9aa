package gormstore

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
)

var _ releases.DeliveryStore = (*Store)(nil)

// inFlight are the statuses of deployments that occupy their service's
// environment.
var inFlight = []string{string(releases.DeploymentPending), string(releases.DeploymentInProgress)}

// ClaimDeliveries leases due pending deployments to the caller. On
// PostgreSQL the candidates are locked with FOR UPDATE SKIP LOCKED, so
// replicas claiming together each get different rows without waiting for
// one another; a row another replica claimed a moment ago is re-checked
// against its new lease and left out. On SQLite the write lock serialises
// claimers.
func (s *Store) ClaimDeliveries(ctx context.Context, c releases.DeliveryClaim) ([]releases.Delivery, error) {
	if c.Limit <= 0 {
		return nil, nil
	}
	now := c.Now.UTC().Truncate(time.Microsecond)
	until := now.Add(c.Lease)
	var out []releases.Delivery
	var held []releases.Deployment
	err := s.write(ctx, func(db *gorm.DB) error {
		out, held = out[:0], held[:0]
		var rows []deploymentRow
		err := db.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Where("status = ?", string(releases.DeploymentPending)).
			Where("next_attempt_at IS NULL OR next_attempt_at <= ?", now).
			Where("claimed_until IS NULL OR claimed_until <= ?", now).
			// One at a time per service and environment: older ones go
			// first — except that a rollback passes forward deployments
			// not sent yet (queued, or held by a freeze): undoing what
			// runs does not wait for what might run next.
			Where(`NOT EXISTS (SELECT 1 FROM deployments ahead WHERE ahead.service = deployments.service
				AND ahead.environment = deployments.environment AND ahead.status IN ? AND ahead.id < deployments.id
				AND NOT (deployments.type = ? AND ahead.type = ? AND ahead.attempts = 0))`,
				inFlight, string(releases.TypeRollback), string(releases.TypeDeployment)).
			Order("id").Limit(c.Limit).Find(&rows).Error
		if err != nil {
			return fmt.Errorf("due deliveries: %w", err)
		}
		for _, row := range rows {
			if c.Freeze != nil && row.Attempts == 0 && row.Type == string(releases.TypeDeployment) {
				hold, err := s.hold(db, row, c.Freeze, now)
				if err != nil {
					return err
				}
				if hold {
					if row.LastError != c.Freeze.Note {
						row.LastError = c.Freeze.Note
						held = append(held, row.deployment())
					}
					continue
				}
			}
			if row.Attempts == 0 && row.Type == string(releases.TypeDeployment) {
				// Nothing is ahead of it any more: what it replaces is what
				// succeeded there last, which may have changed while it queued.
				prev, err := (&tx{reader{db}, s.dialect}).LastSucceeded(ctx, row.Service, row.Environment, row.ReleaseID, 0)
				if err != nil {
					return err
				}
				row.PreviousVersion = ""
				if prev != nil {
					row.PreviousVersion = prev.Version
				}
			}
			row.Attempts++
			if row.WebhookID == "" {
				row.WebhookID = newWebhookID()
			}
			if row.FinishBy == nil && c.FinishWithin != nil {
				if d := c.FinishWithin(row.Environment); d > 0 {
					row.FinishBy = timePtr(now.Add(d))
				}
			}
			row.ClaimedUntil, row.UpdatedAt = &until, now
			err := db.Model(&deploymentRow{}).Where("id = ?", row.ID).Updates(map[string]any{
				"attempts": row.Attempts, "webhook_id": row.WebhookID, "finish_by": row.FinishBy, "previous_version": row.PreviousVersion,
				"claimed_until": until, "updated_at": now,
			}).Error
			if err != nil {
				return fmt.Errorf("claim delivery of deployment %d: %w", row.ID, err)
			}
			out = append(out, releases.Delivery{Deployment: row.deployment(), WebhookID: row.WebhookID,
				ClaimedUntil: until, FinishBy: timeVal(row.FinishBy), LastError: row.LastError})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.Held != nil {
		for _, d := range held {
			c.Held(d)
		}
	}
	return out, nil
}

// hold holds row back for freeze f unless its release has an override, and
// reports whether it did.
func (s *Store) hold(db *gorm.DB, row deploymentRow, f *releases.Hold, now time.Time) (bool, error) {
	var rel releaseRow
	if err := db.Select("override_by").Where("id = ?", row.ReleaseID).Take(&rel).Error; err != nil {
		return false, fmt.Errorf("release of deployment %d: %w", row.ID, err)
	}
	if rel.OverrideBy != "" {
		return false, nil
	}
	next := now.Add(releases.HoldRecheck)
	if !f.Until.IsZero() && f.Until.Before(next) {
		next = f.Until.UTC().Truncate(time.Microsecond)
	}
	err := db.Model(&deploymentRow{}).Where("id = ?", row.ID).
		Updates(map[string]any{"next_attempt_at": next, "last_error": f.Note, "updated_at": now}).Error
	if err != nil {
		return false, fmt.Errorf("hold deployment %d: %w", row.ID, err)
	}
	return true, nil
}

// RetryDelivery ends a claim and sets when the deployment is due again.
func (s *Store) RetryDelivery(ctx context.Context, deploymentID int64, next time.Time, lastErr string) error {
	return s.write(ctx, func(db *gorm.DB) error {
		err := db.Model(&deploymentRow{}).Where("id = ? AND status = ?", deploymentID, string(releases.DeploymentPending)).
			Updates(map[string]any{"next_attempt_at": next.UTC().Truncate(time.Microsecond), "last_error": lastErr, "claimed_until": nil}).Error
		if err != nil {
			return fmt.Errorf("schedule retry of deployment %d: %w", deploymentID, err)
		}
		return nil
	})
}

// OverdueDeployments returns unfinished deployments past their FinishBy.
func (s *Store) OverdueDeployments(ctx context.Context, now time.Time, limit int) ([]releases.Deployment, error) {
	var rows []deploymentRow
	q := s.db.WithContext(ctx).Where("status IN ? AND finish_by IS NOT NULL AND finish_by <= ?", inFlight, now.UTC()).Order("id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("overdue deployments: %w", err)
	}
	out := make([]releases.Deployment, len(rows))
	for i, row := range rows {
		out[i] = row.deployment()
	}
	return out, nil
}

// NextDeliveryWake returns the earliest retry, lapsing claim or deadline
// after now.
func (s *Store) NextDeliveryWake(ctx context.Context, now time.Time) (time.Time, error) {
	db := s.db.WithContext(ctx)
	now = now.UTC()
	pending := string(releases.DeploymentPending)
	candidates := []struct {
		column, where string
		args          []any
	}{
		{"next_attempt_at", "status = ? AND next_attempt_at > ?", []any{pending, now}},
		{"claimed_until", "status = ? AND claimed_until > ?", []any{pending, now}},
		{"finish_by", "status IN ? AND finish_by > ?", []any{inFlight, now}},
	}
	var next time.Time
	for _, c := range candidates {
		var rows []deploymentRow
		err := db.Model(&deploymentRow{}).Select(c.column).Where(c.where, c.args...).Order(c.column).Limit(1).Find(&rows).Error
		if err != nil {
			return time.Time{}, fmt.Errorf("next delivery wake (%s): %w", c.column, err)
		}
		if len(rows) == 0 {
			continue
		}
		var t *time.Time
		switch c.column {
		case "next_attempt_at":
			t = rows[0].NextAttemptAt
		case "claimed_until":
			t = rows[0].ClaimedUntil
		default:
			t = rows[0].FinishBy
		}
		if t != nil && (next.IsZero() || t.Before(next)) {
			next = t.UTC()
		}
	}
	return next, nil
}

// write runs fn in a transaction; on SQLite it first takes the store's
// write lock, like Tx.
func (s *Store) write(ctx context.Context, fn func(db *gorm.DB) error) error {
	if s.dialect == migrations.SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	defer s.changed()
	return s.db.WithContext(ctx).Transaction(fn)
}

// lockTarget makes transactions that create deployments of one service to
// one environment take turns on PostgreSQL, until they commit. Deployment
// ids then follow commit order within a target, so "older" in
// ClaimDeliveries' one-at-a-time rule means committed earlier, and no
// deployment can slip in ahead of one that was already sent. SQLite has a
// single writer anyway.
func lockTarget(db *gorm.DB, dialect migrations.Dialect, service, env string) error {
	if dialect != migrations.Postgres {
		return nil
	}
	if err := db.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "deployments\x1f"+service+"\x1f"+env).Error; err != nil {
		return fmt.Errorf("lock %s in %s: %w", service, env, err)
	}
	return nil
}

var webhookIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newWebhookID returns a fresh Standard Webhooks message id: msg_ and 26
// random characters.
func newWebhookID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return "msg_" + strings.ToLower(webhookIDEncoding.EncodeToString(b[:]))
}
