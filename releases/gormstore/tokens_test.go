package gormstore_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
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

// UseToken records a use only while the token works: the audit event and,
// when asked, the last use, which never moves back; inside a transaction
// it commits or rolls back with it; a revoked or unknown token records
// nothing and answers ErrTokenRevoked.
func TestUseToken(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		if _, err := (ci.Tokens{Store: s, Now: func() time.Time { return t0 }}).Create(ctx, "ci-payments", []string{"ledger"}); err != nil {
			t.Fatal(err)
		}
		use := func(at time.Time, detail string) releases.AuditEvent {
			return releases.AuditEvent{At: at, Actor: "ci:ci-payments", Action: releases.ActionTokenUsed, Detail: detail}
		}
		lastUsed := func() time.Time {
			t.Helper()
			list, err := s.Tokens(ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("tokens %v, %v", list, err)
			}
			return list[0].LastUsedAt
		}
		t1 := t0.Add(time.Hour + 123456*time.Microsecond)
		if err := s.UseToken(ctx, nil, "ci-payments", use(t1, "first"), true); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(t1) {
			t.Errorf("last used %v, want %v", got, t1)
		}
		if err := s.UseToken(ctx, nil, "ci-payments", use(t1.Add(-time.Minute), "late"), true); err != nil {
			t.Fatal(err)
		}
		if err := s.UseToken(ctx, nil, "ci-payments", use(t1.Add(time.Minute), "unasked"), false); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(t1) {
			t.Errorf("last used %v after an earlier use and an unasked one, want %v still", got, t1)
		}
		undone := errors.New("undone")
		err := s.Tx(ctx, func(tx releases.Tx) error {
			if err := s.UseToken(ctx, tx, "ci-payments", use(t1.Add(2*time.Minute), "rolled back"), true); err != nil {
				return err
			}
			return undone
		})
		if !errors.Is(err, undone) {
			t.Fatalf("Tx = %v", err)
		}
		if got := lastUsed(); !got.Equal(t1) {
			t.Errorf("last used %v after a rolled-back use, want %v", got, t1)
		}

		if err := s.RevokeToken(ctx, "ci-payments", t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.UseToken(ctx, nil, "ci-payments", use(t0.Add(3*time.Hour), "after revoke"), true); !errors.Is(err, releases.ErrTokenRevoked) {
			t.Errorf("use of a revoked token: %v, want ErrTokenRevoked", err)
		}
		if err := s.UseToken(ctx, nil, "nope", use(t0.Add(3*time.Hour), "unknown"), true); !errors.Is(err, releases.ErrTokenRevoked) {
			t.Errorf("use of an unknown token: %v, want ErrTokenRevoked", err)
		}
		if got := lastUsed(); !got.Equal(t1) {
			t.Errorf("last used %v after refused uses, want %v", got, t1)
		}
		var details []string
		rows, err := s.DB().QueryContext(ctx, "SELECT detail FROM audit_events WHERE action = 'token_used' AND release_id IS NULL ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var d string
			_ = rows.Scan(&d)
			details = append(details, d)
		}
		if w := []string{"first", "late", "unasked"}; !reflect.DeepEqual(details, w) {
			t.Errorf("audited uses %q, want %q", details, w)
		}
	})
}

// On PostgreSQL a use waits for a revocation in progress and then refuses
// the token, and a revocation waits for a use in progress: no use commits
// after the revocation did.
func TestUseTokenRacesRevocation(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		if db.Name != "postgres" {
			continue
		}
		s := storetest.Open(t, db.URL(t), nil)
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		for _, name := range []string{"revoked-first", "used-first"} {
			if _, err := (ci.Tokens{Store: s, Now: func() time.Time { return t0 }}).Create(ctx, name, []string{"ledger"}); err != nil {
				t.Fatal(err)
			}
		}
		use := func(name string) releases.AuditEvent {
			return releases.AuditEvent{At: t0.Add(time.Hour), Actor: "ci:" + name, Action: releases.ActionTokenUsed, Detail: "use"}
		}
		// blocked tells whether a session waits for one whose last
		// statement matches holder: the database is shared with other tests.
		blocked := func(holder string) func() bool {
			return func() bool {
				var n int
				err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity w JOIN pg_stat_activity h
					ON h.pid = ANY (pg_blocking_pids(w.pid)) WHERE h.query LIKE $1`, holder).Scan(&n)
				return err == nil && n > 0
			}
		}

		// A revocation holds the row; the use waits, then finds it revoked.
		revoke, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer revoke.Rollback() // on failure: the schema is dropped after, which waits for its locks
		if _, err := revoke.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE name = 'revoked-first' /* revoked-first */", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.UseToken(ctx, nil, "revoked-first", use("revoked-first"), false) }()
		eventually(t, "the use to wait for the revocation", blocked("%/* revoked-first */"))
		if err := revoke.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, releases.ErrTokenRevoked) {
			t.Errorf("use during a revocation: %v, want ErrTokenRevoked", err)
		}

		// A use in an open transaction holds the row; the revocation waits.
		inTx, used, release := make(chan error, 1), make(chan struct{}), make(chan struct{})
		go func() {
			inTx <- s.Tx(ctx, func(tx releases.Tx) error {
				if err := s.UseToken(ctx, tx, "used-first", use("used-first"), false); err != nil {
					close(used)
					return err
				}
				close(used)
				<-release
				return nil
			})
		}()
		<-used
		var once sync.Once
		stop := func() { once.Do(func() { close(release) }) }
		defer stop()
		revoked := make(chan error, 1)
		go func() { revoked <- s.RevokeToken(ctx, "used-first", t0.Add(time.Minute)) }()
		eventually(t, "the revocation to wait for the use", blocked("INSERT INTO audit_events (at, actor, action, detail) SELECT CAST%"))
		stop()
		if err := <-inTx; err != nil {
			t.Errorf("use before the revocation: %v", err)
		}
		if err := <-revoked; err != nil {
			t.Fatal(err)
		}
	}
}
