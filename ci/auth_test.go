package ci_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasebot/releasebot/ci"
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// countingTokens is a store that counts its token reads.
type countingTokens struct {
	*gormstore.Store
	reads atomic.Int64
}

func (c *countingTokens) TokenByHash(ctx context.Context, hash string) (*releases.APIToken, error) {
	c.reads.Add(1)
	return c.Store.TokenByHash(ctx, hash)
}

func tokenSetup(t *testing.T) (*countingTokens, *testclock.Clock, *ci.Authenticator, string) {
	t.Helper()
	clk := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	store := &countingTokens{Store: storetest.Open(t, "sqlite://"+t.TempDir()+"/t.db", clk.Now)}
	a := ci.NewAuthenticator(ci.Options{Config: &config.Config{}, Tokens: store, Now: clk.Now})
	tok, err := ci.Tokens{Store: store, Now: clk.Now}.Create(t.Context(), "ci-payments", []string{"ledger"})
	if err != nil {
		t.Fatal(err)
	}
	return store, clk, a, tok
}

// A token found is read once for a few seconds; an unknown one every time.
func TestTokenReadOncePerFewSeconds(t *testing.T) {
	store, clk, a, tok := tokenSetup(t)
	ctx := t.Context()
	for range 3 {
		id, err := a.Authenticate(ctx, "Bearer "+tok)
		if err != nil || id.Actor != "ci:ci-payments" || id.Token == nil || !id.Token.Allows("ledger") {
			t.Fatalf("Authenticate = %+v, %v", id, err)
		}
		id.Token.Services[0] = "changed by a caller"
	}
	if n := store.reads.Load(); n != 1 {
		t.Errorf("%d reads for three requests in a moment, want 1", n)
	}
	clk.Advance(5 * time.Second)
	if id, err := a.Authenticate(ctx, "Bearer "+tok); err != nil || !id.Token.Allows("ledger") {
		t.Fatalf("Authenticate after 5s = %+v, %v", id, err)
	}
	if n := store.reads.Load(); n != 2 {
		t.Errorf("%d reads, want the token read again after 5s", n)
	}
	for range 2 {
		if _, err := a.Authenticate(ctx, "Bearer "+tok+"x"); !errors.Is(err, ci.ErrUnauthenticated) {
			t.Fatalf("unknown token: %v", err)
		}
	}
	if n := store.reads.Load(); n != 4 {
		t.Errorf("%d reads, want an unknown token read each time", n)
	}
}

// A token revoked after it was read records no use: Audit answers
// ErrTokenRevoked, Revoked audits the refusal and refuses as Authenticate
// does, and the next request is refused at once, not after a few seconds.
func TestTokenRevokedWhileKnown(t *testing.T) {
	store, clk, a, tok := tokenSetup(t)
	ctx := t.Context()
	id, err := a.Authenticate(ctx, "Bearer "+tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Audit(ctx, id, "POST /api/releases ledger v1: 201 R-1"); err != nil {
		t.Fatal(err)
	}
	if err := (ci.Tokens{Store: store, Now: clk.Now}).Revoke(ctx, "ci-payments"); err != nil {
		t.Fatal(err)
	}
	if err := a.Audit(ctx, id, "POST /api/releases ledger v2: 201 R-2"); !errors.Is(err, releases.ErrTokenRevoked) {
		t.Fatalf("Audit after the revocation: %v, want ErrTokenRevoked", err)
	}
	err = store.Tx(ctx, func(tx releases.Tx) error { return a.AuditInTx(ctx, tx, id, "POST /api/releases ledger v2: 201 R-2") })
	if !errors.Is(err, releases.ErrTokenRevoked) {
		t.Fatalf("AuditInTx after the revocation: %v, want ErrTokenRevoked", err)
	}
	err = a.Revoked(ctx, id)
	if !errors.Is(err, ci.ErrUnauthenticated) || !strings.Contains(releases.ErrorMessage(err), "ci-payments was revoked at") {
		t.Fatalf("Revoked = %v, want the refusal of a revoked token", err)
	}
	if _, err := a.Authenticate(ctx, "Bearer "+tok); !errors.Is(err, ci.ErrUnauthenticated) {
		t.Fatalf("Authenticate after Revoked = %v, want a refusal", err)
	}
	var details []string
	rows, err := store.DB().QueryContext(ctx, "SELECT detail FROM audit_events WHERE action = 'token_used' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		_ = rows.Scan(&d)
		details = append(details, d)
	}
	want := []string{"POST /api/releases ledger v1: 201 R-1", "refused: token revoked", "refused: token revoked"}
	if strings.Join(details, "|") != strings.Join(want, "|") {
		t.Errorf("audited uses %q, want %q", details, want)
	}
}

// A token's last use moves when a use falls in a later minute than the
// last one recorded (`token list` shows minutes), not on every use.
func TestTokenLastUsePerMinute(t *testing.T) {
	store, clk, a, tok := tokenSetup(t)
	ctx := t.Context()
	clk.Set(time.Date(2026, 12, 1, 10, 4, 10, 0, time.UTC))
	first := clk.Now()
	lastUsed := func() time.Time {
		t.Helper()
		list, err := store.Tokens(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("tokens %v, %v", list, err)
		}
		return list[0].LastUsedAt
	}
	use := func() {
		t.Helper()
		id, err := a.Authenticate(ctx, "Bearer "+tok)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Audit(ctx, id, "use"); err != nil {
			t.Fatal(err)
		}
	}
	use()
	for range 4 {
		clk.Advance(10 * time.Second)
		use()
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("last used %v after uses within 10:04, want the first, %v", got, first)
	}
	clk.Advance(10 * time.Second) // 10:05:00
	use()
	if got := lastUsed(); !got.Equal(clk.Now()) {
		t.Errorf("last used %v after a use at 10:05, want %v", got, clk.Now())
	}
}
