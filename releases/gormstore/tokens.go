package gormstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

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
	return s.Tx(ctx, func(rtx releases.Tx) error { return s.TokenUsedInTx(ctx, rtx, name, e) })
}

// TokenUsedInTx records a token's use inside rtx, a transaction of s.
func (s *Store) TokenUsedInTx(ctx context.Context, rtx releases.Tx, name string, e releases.AuditEvent) error {
	t, ok := rtx.(*tx)
	if !ok {
		return fmt.Errorf("record use of token %s: not a transaction of this store", name)
	}
	if name != "" {
		if err := t.db.WithContext(ctx).Model(&tokenRow{}).Where("name = ?", name).Update("last_used_at", e.At.UTC()).Error; err != nil {
			return fmt.Errorf("record use of token %s: %w", name, err)
		}
	}
	e.ReleaseID = 0 // a use concerns no single release
	return rtx.AddAudit(ctx, &e)
}
