package releases

import (
	"context"
	"errors"
	"regexp"
	"time"
)

// APIToken is a scoped API token as stored (`releasebot token create`):
// its name, the services it may open releases of, and its history. The
// token itself is never stored, only its SHA-256, so the database can't
// give a token away; it is printed once, when created.
type APIToken struct {
	Name     string
	Services []string // lower-case service names
	// CreatedAt is when it was made; RevokedAt when it was revoked (zero
	// while it works); LastUsedAt when it last authenticated a request.
	CreatedAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
}

// Revoked reports whether the token no longer authenticates.
func (t *APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// Allows reports whether the token may open releases of service.
func (t *APIToken) Allows(service string) bool { return contains(t.Services, service) }

// Actor is who the token acts as: "ci:NAME".
func (t *APIToken) Actor() string { return CITokenActorPrefix + t.Name }

// TokenStore keeps scoped API tokens. Implementation: releases/gormstore.
type TokenStore interface {
	// CreateToken stores t with hash, the hex SHA-256 of the token;
	// ErrDuplicate when the name is taken.
	CreateToken(ctx context.Context, t APIToken, hash string) error
	// TokenByHash returns the token (revoked or not) whose hash is hash,
	// or ErrNotFound.
	TokenByHash(ctx context.Context, hash string) (*APIToken, error)
	// Tokens lists every token, revoked ones included, by name.
	Tokens(ctx context.Context) ([]APIToken, error)
	// RevokeToken revokes the named token at at; ErrNotFound when there is
	// none. Revoking a revoked token keeps the first time.
	RevokeToken(ctx context.Context, name string, at time.Time) error
	// TokenUsed records a use of the named token: its last use, and e in
	// the audit trail, in one transaction. With name "" (an OIDC
	// identity) it records e alone. It records a use of a revoked token
	// too: a refusal is audited.
	TokenUsed(ctx context.Context, name string, e AuditEvent) error
	// UseToken records a use of the named token only while it works: e
	// in the audit trail, written by a statement that finds the token
	// not revoked and holds it so, until tx ends, against a revocation;
	// with lastUsed, its last use too (moved to e.At, never back). It
	// answers ErrTokenRevoked, recording nothing, when the token is
	// revoked (or gone): whatever a caller remembered of the token, no
	// use recorded this way commits after its revocation did. tx is a
	// transaction of this store (a create records the use that made it
	// in its own commit), or nil for one of its own.
	UseToken(ctx context.Context, tx Tx, name string, e AuditEvent, lastUsed bool) error
}

// ErrTokenRevoked is UseToken's answer for a token that no longer works.
var ErrTokenRevoked = errors.New("token revoked")

// Audit actions of API tokens (events about no single release).
const (
	ActionTokenCreated = "token_created"
	ActionTokenRevoked = "token_revoked"
	ActionTokenUsed    = "token_used"
)

// tokenName is the form of a token's name: it becomes the actor
// "ci:NAME", shown on cards.
var tokenName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// CheckTokenName refuses, with EInvalid, a name that is not 1 to 64
// lower-case letters, digits and . _ -, starting with a letter or digit.
func CheckTokenName(name string) error {
	if !tokenName.MatchString(name) {
		return Errorf(EInvalid, "%s is not a token name; use 1 to 64 lower-case letters, digits and . _ -, like ci-payments.", quoteText(name))
	}
	return nil
}
