// Package ci authenticates the machines that open releases through POST
// /api/releases: scoped API tokens (`releasebot token create`) and GitHub
// Actions OIDC tokens, verified against the issuer's published keys. It
// tells who is asking (an Identity, whose actor is "ci:NAME" or
// "github:OWNER/REPO") and what it may open; the web layer does the rest.
package ci

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// TokenPrefix starts every scoped API token, so that secret scanners
// (and people) recognise one in a log or a commit.
const TokenPrefix = "rbt_"

// tokenBytes is the randomness of a token: 256 bits.
const tokenBytes = 32

// NewToken returns a new random token: "rbt_" and 43 base64url characters.
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is what the database keeps of a token: the hex SHA-256 of the
// whole string. Tokens are random and long, so a fast hash is enough: no
// dictionary holds them.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Tokens manages scoped API tokens for `releasebot token`.
type Tokens struct {
	Store releases.TokenStore
	Now   func() time.Time
}

// Create makes a token named name for services and returns it: the only
// time it is ever shown. Errors: EInvalid for a bad name or service;
// EConflict when the name is taken (revoked tokens keep their names).
func (t Tokens) Create(ctx context.Context, name string, services []string) (string, error) {
	if err := releases.CheckTokenName(name); err != nil {
		return "", err
	}
	var scope []string
	for _, s := range services {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := releases.NormalizeService(s)
		if err != nil {
			return "", err
		}
		if !contains(scope, n) {
			scope = append(scope, n)
		}
	}
	if len(scope) == 0 {
		return "", releases.Errorf(releases.EInvalid, "Give the services the token may open releases of: --services payments-api,ledger.")
	}
	token, err := NewToken()
	if err != nil {
		return "", err
	}
	at := t.now()
	err = t.Store.CreateToken(ctx, releases.APIToken{Name: name, Services: scope, CreatedAt: at}, HashToken(token))
	if errors.Is(err, releases.ErrDuplicate) {
		return "", releases.Errorf(releases.EConflict, "There is a token named %s already; choose another name (`releasebot token list`).", name)
	}
	if err != nil {
		return "", err
	}
	return token, nil
}

// Revoke revokes the named token; it stops working at once. Errors:
// ENotFound.
func (t Tokens) Revoke(ctx context.Context, name string) error {
	err := t.Store.RevokeToken(ctx, name, t.now())
	if errors.Is(err, releases.ErrNotFound) {
		return releases.Errorf(releases.ENotFound, "There is no token named %q (`releasebot token list`).", name)
	}
	return err
}

func (t Tokens) now() time.Time {
	if t.Now == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return t.Now().UTC().Truncate(time.Microsecond)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
