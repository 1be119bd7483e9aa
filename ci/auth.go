package ci

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// Identity is who sent a CI request: a scoped API token or a GitHub
// Actions workflow.
type Identity struct {
	// Actor is the creator releases name: "ci:TOKEN-NAME" or
	// "github:OWNER/REPO".
	Actor string
	// Token is the API token used; nil for OIDC.
	Token *releases.APIToken
	// GitHub holds the OIDC token's claims; nil for API tokens.
	GitHub *GitHubClaims

	known *knownToken // what the authenticator keeps of Token; nil for OIDC
}

// Authenticator tells who sent a request to POST /api/releases and what it
// may open.
type Authenticator struct {
	tokens  releases.TokenStore
	oidc    *Verifier // nil: OIDC is not configured
	ref     string    // ci.oidc.ref; "" for any
	catalog func(service string) (config.Service, bool)
	now     func() time.Time
	known   tokenCache
}

// Options configure NewAuthenticator.
type Options struct {
	Config *config.Config      // ci.oidc and the service catalog
	Tokens releases.TokenStore // scoped API tokens
	Client *http.Client        // fetches the OIDC keys; default with a timeout
	Now    func() time.Time    // default time.Now
}

// NewAuthenticator returns an authenticator for opts.Config's ci: section.
func NewAuthenticator(opts Options) *Authenticator {
	a := &Authenticator{tokens: opts.Tokens, catalog: opts.Config.Service, now: opts.Now}
	if a.now == nil {
		a.now = time.Now
	}
	if o := opts.Config.CI.OIDC; o.Issuer != "" {
		a.oidc = NewVerifier(VerifierOptions{Issuer: o.Issuer, Audience: o.Audience, Client: opts.Client, Now: a.now})
		a.ref = o.Ref
	}
	return a
}

// Authenticate reads the Authorization header. It accepts a scoped API
// token that is not revoked, or (with ci.oidc) a GitHub Actions OIDC
// token. Errors are of Kind ErrUnauthenticated (HTTP 401), or internal
// when the store or the issuer fails.
func (a *Authenticator) Authenticate(ctx context.Context, header string) (Identity, error) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(header), " ")
	cred = strings.TrimSpace(cred)
	if !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return Identity{}, unauthenticated("POST /api/releases needs \"Authorization: Bearer\" with a scoped API token (rbt_…, `releasebot token create`) or a GitHub Actions OIDC token.")
	}
	if strings.HasPrefix(cred, TokenPrefix) {
		return a.token(ctx, cred)
	}
	if a.oidc == nil {
		return Identity{}, unauthenticated("The bearer token is not a releasebot API token (rbt_…), and OIDC is not configured (ci.oidc). The dashboard token does not open releases.")
	}
	if strings.Count(cred, ".") != 2 {
		return Identity{}, unauthenticated("The bearer token is neither a releasebot API token (rbt_…) nor a JWT (a GitHub Actions OIDC token). The dashboard token does not open releases.")
	}
	claims, err := a.oidc.Verify(ctx, cred)
	if err != nil {
		return Identity{}, err
	}
	return Identity{Actor: releases.GitHubActorPrefix + claims.Repository, GitHub: &claims}, nil
}

func (a *Authenticator) token(ctx context.Context, cred string) (Identity, error) {
	if len(cred) > 200 {
		return Identity{}, unauthenticated("The API token is not valid.")
	}
	hash := HashToken(cred)
	now := a.now()
	if k := a.known.get(hash, now); k != nil {
		return k.identity(), nil
	}
	t, err := a.tokens.TokenByHash(ctx, hash)
	if errors.Is(err, releases.ErrNotFound) {
		return Identity{}, unauthenticated("The API token is not valid.")
	}
	if err != nil {
		return Identity{}, err
	}
	if t.Revoked() {
		return Identity{}, a.refuseRevoked(ctx, t)
	}
	return a.known.put(hash, t, now).identity(), nil
}

// Revoked answers a request of id whose use was refused with
// releases.ErrTokenRevoked: the token was revoked since it was read. It
// forgets the token, audits the refusal and returns the error of Kind
// ErrUnauthenticated that Authenticate returns for a revoked token.
func (a *Authenticator) Revoked(ctx context.Context, id Identity) error {
	if id.known == nil {
		return unauthenticated("The API token is not valid.")
	}
	a.known.forget(id.known.hash)
	t, err := a.tokens.TokenByHash(ctx, id.known.hash)
	if errors.Is(err, releases.ErrNotFound) {
		return unauthenticated("The API token is not valid.")
	}
	if err != nil {
		return err
	}
	if !t.Revoked() {
		return fmt.Errorf("token %s: a use was refused as revoked, but it is not revoked", t.Name)
	}
	return a.refuseRevoked(ctx, t)
}

// refuseRevoked audits a refused use of the revoked token t (its last use
// too, as any answer to it) and returns the refusal.
func (a *Authenticator) refuseRevoked(ctx context.Context, t *releases.APIToken) error {
	name, e := a.use(Identity{Actor: t.Actor(), Token: t}, "refused: token revoked")
	if err := a.tokens.TokenUsed(ctx, name, e); err != nil {
		return err
	}
	return unauthenticated("The API token %s was revoked at %s.", t.Name, t.RevokedAt.UTC().Format(time.RFC3339))
}

// Authorize tells whether id may open a release of services: a token only
// of its services, a workflow only of catalog services whose repo is its
// repository, from a ref ci.oidc.ref allows. Errors: EForbidden.
func (a *Authenticator) Authorize(id Identity, services []string) error {
	if id.Token != nil {
		for _, s := range services {
			if !id.Token.Allows(s) {
				return releases.Errorf(releases.EForbidden, "The token %s may open releases of %s, not %s.",
					id.Token.Name, strings.Join(id.Token.Services, ", "), s)
			}
		}
		return nil
	}
	if id.GitHub == nil {
		return releases.Errorf(releases.EForbidden, "Only CI credentials open releases here.")
	}
	repo := id.GitHub.Repository
	for _, s := range services {
		svc, ok := a.catalog(s)
		switch {
		case !ok || svc.Repo == "":
			return releases.Errorf(releases.EForbidden, "%s has no repo in the service catalog, so no OIDC token may open it; add `repo: %s` to its entry, or use an API token.", s, repo)
		case !strings.EqualFold(svc.Repo, repo):
			return releases.Errorf(releases.EForbidden, "The OIDC token is from %s; %s is built from %s.", repo, s, svc.Repo)
		}
	}
	if a.ref != "" {
		if ok, _ := path.Match(a.ref, id.GitHub.Ref); !ok {
			return releases.Errorf(releases.EForbidden, "The OIDC token is from ref %q; releases open only from refs matching %q (ci.oidc.ref).", id.GitHub.Ref, a.ref)
		}
	}
	return nil
}

// Audit records a use of id with what came of it in the audit trail (an
// event about no single release); for a token, its last use too. A token
// revoked since Authenticate read it records nothing: the error is then
// releases.ErrTokenRevoked, and the answer is Revoked's.
func (a *Authenticator) Audit(ctx context.Context, id Identity, detail string) error {
	return a.audit(ctx, nil, id, detail)
}

// AuditInTx is Audit inside tx, a transaction of the token store: a
// create records the use that made it in its own commit, and a token
// revoked before that commit creates nothing.
func (a *Authenticator) AuditInTx(ctx context.Context, tx releases.Tx, id Identity, detail string) error {
	return a.audit(ctx, tx, id, detail)
}

func (a *Authenticator) audit(ctx context.Context, tx releases.Tx, id Identity, detail string) error {
	name, e := a.use(id, detail)
	if name == "" {
		if tx != nil {
			return tx.AddAudit(ctx, &e)
		}
		return a.tokens.TokenUsed(ctx, "", e)
	}
	return a.tokens.UseToken(ctx, tx, name, e, id.known.moveLastUse(e.At))
}

// use is the token name and the audit event of a use of id.
func (a *Authenticator) use(id Identity, detail string) (string, releases.AuditEvent) {
	name := ""
	if id.Token != nil {
		name = id.Token.Name
	} else if id.GitHub != nil && id.GitHub.RunID != "" {
		detail += fmt.Sprintf(" (run %s, ref %s)", id.GitHub.RunID, id.GitHub.Ref)
	}
	at := a.now().UTC().Truncate(time.Microsecond)
	return name, releases.AuditEvent{At: at, Actor: id.Actor, Action: releases.ActionTokenUsed, Detail: detail}
}

// tokenTTL is how long a token read from the store stands for its hash.
// It saves a read per request; it does not delay a revocation, since
// every use of a token is recorded only while the token is not revoked
// (releases.TokenStore.UseToken), in the statement that records it.
const tokenTTL = 5 * time.Second

// tokenCacheSize bounds the tokens kept; past it the cache starts over.
// Only tokens found are kept, so unknown credentials cannot fill it.
const tokenCacheSize = 256

// tokenCache keeps recently read tokens by the hash of their secret.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]*knownToken
}

// knownToken is a token as read from the store, and the last use this
// process recorded for it. A token's name and services never change.
type knownToken struct {
	hash   string
	token  releases.APIToken
	readAt time.Time

	mu      sync.Mutex
	lastUse time.Time // as stored, as far as this process knows
}

func (c *tokenCache) get(hash string, now time.Time) *knownToken {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.entries[hash]
	if k == nil || now.Sub(k.readAt) >= tokenTTL || now.Before(k.readAt) {
		return nil
	}
	return k
}

// put keeps t, read at now, unless a request that read it at the same
// time kept it first: they share that entry, and what it knows of the
// last use.
func (c *tokenCache) put(hash string, t *releases.APIToken, now time.Time) *knownToken {
	k := &knownToken{hash: hash, token: *t, readAt: now, lastUse: t.LastUsedAt}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[hash]; old != nil && !now.Before(old.readAt) && now.Sub(old.readAt) < tokenTTL {
		return old
	}
	if c.entries == nil || len(c.entries) >= tokenCacheSize {
		c.entries = make(map[string]*knownToken)
	}
	c.entries[hash] = k
	return k
}

func (c *tokenCache) forget(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, hash)
}

// identity is a request's identity for k, with a copy of the token of its
// own.
func (k *knownToken) identity() Identity {
	t := k.token
	t.Services = slices.Clone(t.Services)
	return Identity{Actor: t.Actor(), Token: &t, known: k}
}

// moveLastUse tells whether a use at "at" should move the token's stored
// last use: when the last one known is in an earlier minute (what `token
// list` shows). Moving it takes the token row's lock until the commit,
// so doing it on every use would queue a token's concurrent creates
// behind each other's commits; once a minute, one of them waits.
func (k *knownToken) moveLastUse(at time.Time) bool {
	if k == nil {
		return true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.lastUse.IsZero() && !k.lastUse.Truncate(time.Minute).Before(at.Truncate(time.Minute)) {
		return false
	}
	k.lastUse = at
	return true
}

// Channel is where the card of a release of service opened by CI goes:
// ci.channel, else the channel of the service's first owning team, else
// of the first team (a release without --teams asks every team).
func Channel(cfg *config.Config, service string) string {
	if cfg.CI.Channel != "" {
		return cfg.CI.Channel
	}
	if s, ok := cfg.Service(service); ok {
		for _, name := range s.Teams {
			if t, ok := cfg.Team(name); ok {
				return t.Channel
			}
		}
	}
	if len(cfg.Teams) > 0 {
		return cfg.Teams[0].Channel
	}
	return ""
}

// unauthenticated is a refusal of a credential (HTTP 401).
func unauthenticated(format string, args ...any) error {
	e := releases.Errorf(releases.EForbidden, format, args...)
	e.Kind = ErrUnauthenticated
	return e
}
