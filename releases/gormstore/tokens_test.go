package gormstore_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/releasebot/releasebot/ci"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// Scoped API tokens: only the hash is stored; a name is used once; a
// revoked token stays listed and found (so its use can be refused by
// name), revoking again keeps the first time; each use is recorded.
func TestAPITokens(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		tok, err := ci.Tokens{Store: s, Now: func() time.Time { return t0 }}.Create(ctx, "ci-payments", []string{"Payments-API", "ledger", "ledger"})
		if err != nil {
			t.Fatal(err)
		}
		var stored int
		if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM api_tokens WHERE token_hash = '"+ci.HashToken(tok)+"'").Scan(&stored); err != nil || stored != 1 {
			t.Fatalf("rows with the token's hash: %d, %v", stored, err)
		}
		var leaked int
		if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM api_tokens WHERE token_hash = '"+tok+"' OR services LIKE '%rbt_%'").Scan(&leaked); err != nil || leaked != 0 {
			t.Fatalf("the token itself is stored: %d, %v", leaked, err)
		}
		if _, err := (ci.Tokens{Store: s}).Create(ctx, "ci-payments", []string{"web"}); releases.ErrorCode(err) != releases.EConflict {
			t.Errorf("second token named ci-payments: %v, want EConflict", err)
		}
		got, err := s.TokenByHash(ctx, ci.HashToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		want := releases.APIToken{Name: "ci-payments", Services: []string{"payments-api", "ledger"}, CreatedAt: t0}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("token %+v, want %+v", *got, want)
		}
		if _, err := s.TokenByHash(ctx, ci.HashToken(tok+"x")); !errors.Is(err, releases.ErrNotFound) {
			t.Errorf("unknown hash: %v, want ErrNotFound", err)
		}

		used := t0.Add(time.Hour)
		if err := s.TokenUsed(ctx, "ci-payments", releases.AuditEvent{At: used, Actor: "ci:ci-payments", Action: releases.ActionTokenUsed, Detail: "POST /api/releases ledger v1: 201 R-1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, "ci-payments", t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, "ci-payments", t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, "nope", t0); !errors.Is(err, releases.ErrNotFound) {
			t.Errorf("revoke unknown: %v, want ErrNotFound", err)
		}
		list, err := s.Tokens(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("tokens %v, %v", list, err)
		}
		if !list[0].LastUsedAt.Equal(used) || !list[0].RevokedAt.Equal(t0.Add(2*time.Hour)) || !list[0].Revoked() {
			t.Errorf("listed %+v, want last used at %v, revoked at the first revoke", list[0], used)
		}
		var actions []string
		rows, err := s.DB().QueryContext(ctx, "SELECT action FROM audit_events WHERE actor = 'ci:ci-payments' ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var a string
			_ = rows.Scan(&a)
			actions = append(actions, a)
		}
		if w := []string{releases.ActionTokenCreated, releases.ActionTokenUsed, releases.ActionTokenRevoked}; !reflect.DeepEqual(actions, w) {
			t.Errorf("audited %v, want %v", actions, w)
		}
	})
}
