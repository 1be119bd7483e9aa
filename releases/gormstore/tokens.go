package gormstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
)

var _ releases.TokenStore = (*Store)(nil)

type tokenRow struct {
	Name       string `gorm:"primaryKey"`
	TokenHash  string
	Services   string    // JSON array
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

func (row tokenRow) token() (releases.APIToken, error) {
	t := releases.APIToken{Name: row.Name, CreatedAt: row.CreatedAt.UTC(), RevokedAt: timeVal(row.RevokedAt),
		LastUsedAt: timeVal(row.LastUsedAt)}
	if err := json.Unmarshal([]byte(row.Services), &t.Services); err != nil {
		return t, fmt.Errorf("decode services of token %s: %w", row.Name, err)
	}
	return t, nil
}

// CreateToken stores a new token's name, services and hash, and audits it.
func (s *Store) CreateToken(ctx context.Context, t releases.APIToken, hash string) error {
	services, err := json.Marshal(nonNil(t.Services))
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(rtx releases.Tx) error {
		db := rtx.(*tx).db
		row := tokenRow{Name: t.Name, TokenHash: hash, Services: string(services), CreatedAt: t.CreatedAt.UTC()}
		if err := db.WithContext(ctx).Create(&row).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return releases.ErrDuplicate
			}
			return fmt.Errorf("insert token: %w", err)
		}
		e := releases.AuditEvent{At: t.CreatedAt, Actor: t.Actor(), Action: releases.ActionTokenCreated,
			Detail: fmt.Sprintf("token %s for %s", t.Name, string(services))}
		return rtx.AddAudit(ctx, &e)
	})
}

// TokenByHash finds a token by the hash of its secret.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*releases.APIToken, error) {
	var row tokenRow
	err := s.db.WithContext(ctx).Where("token_hash = ?", hash).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, releases.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	t, err := row.token()
	return &t, err
}

// Tokens lists every token by name.
func (s *Store) Tokens(ctx context.Context) ([]releases.APIToken, error) {
	var rows []tokenRow
	if err := s.db.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]releases.APIToken, len(rows))
	for i, row := range rows {
		t, err := row.token()
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// RevokeToken revokes a token, once, and audits it.
func (s *Store) RevokeToken(ctx context.Context, name string, at time.Time) error {
	return s.Tx(ctx, func(rtx releases.Tx) error {
		db := rtx.(*tx).db.WithContext(ctx)
		var row tokenRow
		err := db.Where("name = ?", name).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return releases.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("find token %s: %w", name, err)
		}
		if row.RevokedAt != nil {
			return nil
		}
		if err := db.Model(&tokenRow{}).Where("name = ?", name).Update("revoked_at", at.UTC()).Error; err != nil {
			return fmt.Errorf("revoke token %s: %w", name, err)
		}
		e := releases.AuditEvent{At: at, Actor: releases.CITokenActorPrefix + name, Action: releases.ActionTokenRevoked,
			Detail: "token " + name + " revoked"}
		return rtx.AddAudit(ctx, &e)
	})
}

// TokenUsed records a token's last use and audits the use.
func (s *Store) TokenUsed(ctx context.Context, name string, e releases.AuditEvent) error {
	return s.Tx(ctx, func(rtx releases.Tx) error {
		if name != "" {
			db := rtx.(*tx).db.WithContext(ctx)
			if err := db.Model(&tokenRow{}).Where("name = ?", name).Update("last_used_at", e.At.UTC()).Error; err != nil {
				return fmt.Errorf("record use of token %s: %w", name, err)
			}
		}
		e.ReleaseID = 0 // a use concerns no single release
		return rtx.AddAudit(ctx, &e)
	})
}

// UseToken records a use of a token that still works, inside rtx (nil: a
// transaction of its own).
//
// The audit event is inserted by a SELECT of the token not revoked: on
// PostgreSQL FOR SHARE, which a revocation's UPDATE waits for and which
// waits for one in progress (then reads the revoked row); on SQLite the
// write lock orders them. Shared locks do not wait for each other, so
// concurrent creates with one token do not queue behind each other's
// commit, as an UPDATE of the token's row in each of them made them do.
// The last use is updated only when asked and only forward, and before
// the shared lock is taken: two transactions each holding the token's
// row shared and then waiting to update it would deadlock.
func (s *Store) UseToken(ctx context.Context, rtx releases.Tx, name string, e releases.AuditEvent, lastUsed bool) error {
	if rtx == nil {
		return s.Tx(ctx, func(rtx releases.Tx) error { return s.UseToken(ctx, rtx, name, e, lastUsed) })
	}
	t, ok := rtx.(*tx)
	if !ok {
		return fmt.Errorf("record use of token %s: not a transaction of this store", name)
	}
	db := t.db.WithContext(ctx)
	at := e.At.UTC()
	if lastUsed {
		err := db.Exec("UPDATE api_tokens SET last_used_at = ? WHERE name = ? AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < ?)",
			at, name, at).Error
		if err != nil {
			return fmt.Errorf("record use of token %s: %w", name, err)
		}
	}
	q := "INSERT INTO audit_events (at, actor, action, detail) SELECT ?, ?, ?, ? FROM api_tokens WHERE name = ? AND revoked_at IS NULL RETURNING id"
	if t.dialect == migrations.Postgres {
		q = "INSERT INTO audit_events (at, actor, action, detail) SELECT CAST(? AS timestamptz), CAST(? AS text), CAST(? AS text), CAST(? AS text)" +
			" FROM api_tokens WHERE name = ? AND revoked_at IS NULL FOR SHARE RETURNING id"
	}
	// Row, not Scan: gorm's Scan renders every statement with its
	// arguments for its logger first.
	var id int64
	err := db.Raw(q, at, e.Actor, e.Action, e.Detail, name).Row().Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("record use of token %s: %w", name, releases.ErrTokenRevoked)
	}
	if err != nil {
		return fmt.Errorf("record use of token %s: %w", name, err)
	}
	return nil
}
