package gormstore

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"math"
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

// ClaimDeliveries leases due pending deployments to the caller. Which of
// them go, wait or are held by a freeze is releases.PlanDeliveries' call;
// the store loads the candidates and what is in flight ahead of them, a
// page at a time, and claims what the plan sends. On PostgreSQL the
// candidates are locked with FOR UPDATE SKIP LOCKED, so replicas claiming
// together each get different rows without waiting for one another; a row
// another replica claimed a moment ago is re-checked against its new lease
// and left out. On SQLite the write lock serialises claimers.
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
		// Plan first, write after: every page is judged on the state
		// before this claim, as one query would see it.
		rows, plan, err := s.planClaim(db, c, now)
		if err != nil {
			return err
		}
		for _, h := range plan.Hold {
			next := h.Until.UTC().Truncate(time.Microsecond)
			err := db.Model(&deploymentRow{}).Where("id = ?", h.Deployment.ID).
				Updates(map[string]any{"next_attempt_at": next, "last_error": c.Freeze.Note, "updated_at": now}).Error
			if err != nil {
				return fmt.Errorf("hold deployment %d: %w", h.Deployment.ID, err)
			}
			if h.News {
				held = append(held, h.Deployment)
			}
		}
		for _, snd := range plan.Send {
			d, row := snd.Deployment, rows[snd.Deployment.ID]
			if snd.Replaces {
				last, err := (&tx{reader: reader{db}, dialect: s.dialect}).LastSucceeded(ctx, d.Service, d.Environment, d.ReleaseID, 0)
				if err != nil {
					return err
				}
				d = releases.Replacing(d, last)
			}
			if row.WebhookID == "" {
				row.WebhookID = newWebhookID()
			}
			if row.FinishBy == nil && c.FinishWithin != nil {
				if w := c.FinishWithin(d.Service, d.Environment); w > 0 {
					row.FinishBy = timePtr(now.Add(w))
				}
			}
			d.UpdatedAt = now
			err := db.Model(&deploymentRow{}).Where("id = ?", d.ID).Updates(map[string]any{
				"attempts": d.Attempts, "webhook_id": row.WebhookID, "finish_by": row.FinishBy, "previous_version": d.PreviousVersion,
				"claimed_until": until, "updated_at": now,
			}).Error
			if err != nil {
				return fmt.Errorf("claim delivery of deployment %d: %w", d.ID, err)
			}
			out = append(out, releases.Delivery{Deployment: d, WebhookID: row.WebhookID,
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

// maxAhead bounds how many unfinished deployments a claim reads to judge
// one page of candidates.
const maxAhead = 1000

// planClaim locks due, unclaimed candidates a page at a time and asks
// releases.PlanDeliveries about them, until the plan has c.Limit
// deliveries or the candidates run out. It returns the candidates' rows by
// id with the plan. It writes nothing.
func (s *Store) planClaim(db *gorm.DB, c releases.DeliveryClaim, now time.Time) (map[int64]deploymentRow, releases.DeliveryPlan, error) {
	byID := map[int64]deploymentRow{}
	var plan releases.DeliveryPlan
	var after int64
	for {
		want := c.Limit - len(plan.Send) - len(plan.Hold)
		if want <= 0 {
			break
		}
		var page []deploymentRow
		err := db.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Where("status = ?", string(releases.DeploymentPending)).
			Where("next_attempt_at IS NULL OR next_attempt_at <= ?", now).
			Where("claimed_until IS NULL OR claimed_until <= ?", now).
			// Only the oldest unfinished deployment of each lane, and
			// rollbacks: releases.Passes lets nothing else by what is
			// ahead of it, so a page is mostly sendable and a long queue
			// is not read on every claim.
			Where(`(type = ? OR NOT EXISTS (SELECT 1 FROM deployments ahead WHERE ahead.service = deployments.service
				AND ahead.environment = deployments.environment AND ahead.status IN ? AND ahead.id < deployments.id))`,
				string(releases.TypeRollback), inFlight).
			Where("id > ?", after).
			Order("id").Limit(want).Find(&page).Error
		if err != nil {
			return nil, plan, fmt.Errorf("due deliveries: %w", err)
		}
		if len(page) == 0 {
			break
		}
		ahead, complete, err := aheadOf(db, page)
		if err != nil {
			return nil, plan, err
		}
		overridden, err := overrides(db, page, c.Freeze != nil)
		if err != nil {
			return nil, plan, err
		}
		var cands []releases.DeliveryCandidate
		for _, row := range page {
			if row.ID > complete {
				break // what is ahead of it was not all read: it waits for a later claim
			}
			byID[row.ID] = row
			cands = append(cands, releases.DeliveryCandidate{Deployment: row.deployment(),
				Overridden: overridden[row.ReleaseID], LastError: row.LastError})
		}
		p := releases.PlanDeliveries(cands, ahead, c.Freeze, now, want)
		plan.Send, plan.Hold = append(plan.Send, p.Send...), append(plan.Hold, p.Hold...)
		if len(page) < want {
			break
		}
		after = page[len(page)-1].ID
	}
	return byID, plan, nil
}

// aheadOf reads the unfinished deployments of page's lanes older than
// page's newest in each, oldest first, up to maxAhead of them. What it
// read is complete for every candidate with an id up to the returned one.
func aheadOf(db *gorm.DB, page []deploymentRow) ([]releases.Deployment, int64, error) {
	newest := map[releases.Lane]int64{}
	var lanes []releases.Lane
	for _, row := range page {
		l := releases.Lane{Service: row.Service, Environment: row.Environment}
		if _, ok := newest[l]; !ok {
			lanes = append(lanes, l)
		}
		newest[l] = max(newest[l], row.ID)
	}
	conds := make([]string, len(lanes))
	var args []any
	for i, l := range lanes {
		conds[i] = "(service = ? AND environment = ? AND id < ?)"
		args = append(args, l.Service, l.Environment, newest[l])
	}
	var rows []deploymentRow
	err := db.Select("id", "release_id", "service", "environment", "type", "status", "attempts").
		Where("status IN ?", inFlight).Where("("+strings.Join(conds, " OR ")+")", args...).
		Order("id").Limit(maxAhead).Find(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("deployments ahead of due deliveries: %w", err)
	}
	out := make([]releases.Deployment, len(rows))
	for i, row := range rows {
		out[i] = row.deployment()
	}
	complete := int64(math.MaxInt64)
	if len(rows) == maxAhead {
		complete = rows[len(rows)-1].ID
	}
	return out, complete, nil
}

// overrides reports which of the page's releases a release manager
// overrode; it reads nothing unless a freeze is in force (need).
func overrides(db *gorm.DB, page []deploymentRow, need bool) (map[int64]bool, error) {
	if !need {
		return nil, nil
	}
	ids := make([]int64, 0, len(page))
	for _, row := range page {
		ids = append(ids, row.ReleaseID)
	}
	var rels []releaseRow
	if err := db.Select("id", "override_by").Where("id IN ? AND override_by <> ''", ids).Find(&rels).Error; err != nil {
		return nil, fmt.Errorf("overrides of due deliveries: %w", err)
	}
	out := make(map[int64]bool, len(rels))
	for _, r := range rels {
		out[r.ID] = true
	}
	return out, nil
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
		{"poll_at", "status = ? AND poll_at > ?", []any{string(releases.DeploymentInProgress), now}},
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
		case "poll_at":
			t = rows[0].PollAt
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
