package ci

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// GitHub Actions OIDC tokens are verified with go-jose (v4): it is the
// JOSE library of much of the Go ecosystem (Kubernetes, Vault, Dex),
// has no dependencies of its own, and its parser takes the list of
// accepted algorithms as an argument, so "none", HS256-with-the-public-key
// and other algorithm confusions are refused before any key is looked at.
// Its claim validation checks iss, aud, exp, nbf and iat with a leeway.
// Keys are fetched and cached here (a small cache: one issuer, a few
// keys), which is all jwx's jwk.Cache would add, without its dependencies.

// Bounds of the OIDC verifier.
const (
	// Skew is the clock difference allowed on exp, nbf and iat.
	Skew = 60 * time.Second
	// keysMaxAge is how long fetched keys are used before they are
	// fetched again: an issuer retires keys it rotated out.
	keysMaxAge = time.Hour
	// refetchEvery is how often, at most, an unknown kid makes the
	// verifier fetch the keys again: a rotated key is found within one
	// request, and tokens with made-up kids can't make it hammer the
	// issuer.
	refetchEvery = 30 * time.Second
	// maxDiscovery bounds the discovery document and the key set.
	maxDiscovery = 1 << 20
	// maxJWT bounds a token: GitHub's are about 1–2 KB.
	maxJWT = 16 << 10
	// fetchTimeout bounds one fetch from the issuer.
	fetchTimeout = 10 * time.Second
)

// ErrUnauthenticated is the Kind of every refusal of a credential: the
// request did not prove who sent it (HTTP 401).
var ErrUnauthenticated = errors.New("unauthenticated")

// GitHubClaims are the claims of a GitHub Actions OIDC token releasebot
// reads (shared/fixtures/github/oidc-token-claims.json).
type GitHubClaims struct {
	Repository string `json:"repository"`
	Ref        string `json:"ref"`
	SHA        string `json:"sha"`
	RunID      string `json:"run_id"`
	Workflow   string `json:"workflow"`
	Actor      string `json:"actor"`
}

// Verifier checks GitHub Actions OIDC tokens for one issuer and audience.
// It is safe for concurrent use.
type Verifier struct {
	issuer, audience string
	client           *http.Client
	now              func() time.Time

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey // by kid
	fetchedAt time.Time                 // of keys; zero: never fetched
	triedAt   time.Time                 // of the last fetch, failed or not
	fetchErr  error                     // of the last fetch
}

// VerifierOptions configure NewVerifier.
type VerifierOptions struct {
	// Issuer is the expected iss, and where the keys are discovered.
	Issuer string
	// Audience is the expected aud.
	Audience string
	// Client fetches from the issuer; default one with a 10 s timeout.
	Client *http.Client
	// Now is the clock tokens are checked against; default time.Now.
	Now func() time.Time
}

// NewVerifier returns a verifier; it fetches nothing until the first token.
func NewVerifier(opts VerifierOptions) *Verifier {
	v := &Verifier{issuer: strings.TrimRight(opts.Issuer, "/"), audience: opts.Audience, client: opts.Client, now: opts.Now}
	if v.client == nil {
		v.client = &http.Client{Timeout: fetchTimeout}
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v
}

// Verify checks raw's signature (RS256, a key the issuer publishes), its
// iss, aud, exp, nbf and iat, and returns its GitHub claims. Every refusal
// is of Kind ErrUnauthenticated, with a sentence saying which check failed.
func (v *Verifier) Verify(ctx context.Context, raw string) (GitHubClaims, error) {
	var gh GitHubClaims
	if len(raw) > maxJWT {
		return gh, unauthenticated("The OIDC token is longer than %d bytes.", maxJWT)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return gh, unauthenticated("The bearer token is not a JWT signed with RS256.")
	}
	kid := tok.Headers[0].KeyID
	if kid == "" {
		return gh, unauthenticated("The OIDC token names no signing key (kid).")
	}
	key, err := v.key(ctx, kid)
	if err != nil {
		return gh, err
	}
	var std jwt.Claims
	if err := tok.Claims(key, &std, &gh); err != nil {
		return gh, unauthenticated("The OIDC token's signature does not verify with the issuer's key %q.", kid)
	}
	if std.Expiry == nil || std.IssuedAt == nil {
		return gh, unauthenticated("The OIDC token has no exp or iat.")
	}
	err = std.ValidateWithLeeway(jwt.Expected{Issuer: v.issuer, AnyAudience: jwt.Audience{v.audience}, Time: v.now()}, Skew)
	switch {
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return gh, unauthenticated("The OIDC token was issued by %q; releasebot accepts %q (ci.oidc.issuer).", std.Issuer, v.issuer)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return gh, unauthenticated("The OIDC token is for audience %q; releasebot accepts %q (ci.oidc.audience): request the token with audience=%s.",
			strings.Join(std.Audience, ", "), v.audience, v.audience)
	case errors.Is(err, jwt.ErrExpired):
		return gh, unauthenticated("The OIDC token expired at %s; request a fresh one.", std.Expiry.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return gh, unauthenticated("The OIDC token is not valid yet (nbf or iat is in the future); check the clocks.")
	case err != nil:
		return gh, unauthenticated("The OIDC token's claims are not valid.")
	}
	if gh.Repository == "" {
		return gh, unauthenticated("The OIDC token has no repository claim.")
	}
	return gh, nil
}

// key returns the issuer's key kid: from the cache while it is fresh,
// else fetched again. An unknown kid fetches again (a rotation). Fetches
// happen at most once per refetchEvery, whatever the tokens say, so
// made-up kids can't make releasebot hammer the issuer; while the issuer
// can't be reached, the keys already known keep working.
func (v *Verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	known, ok := v.keys[kid]
	if ok && !v.fetchedAt.IsZero() && now.Sub(v.fetchedAt) < keysMaxAge {
		return known, nil
	}
	if !v.triedAt.IsZero() && now.Sub(v.triedAt) < refetchEvery {
		switch {
		case ok:
			return known, nil
		case v.fetchErr != nil:
			return nil, v.fetchErr
		}
		return nil, unknownKey(kid)
	}
	v.triedAt = now
	keys, err := v.fetch(ctx)
	v.fetchErr = err
	if err != nil {
		if ok {
			return known, nil
		}
		return nil, err
	}
	v.keys, v.fetchedAt = keys, now
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, unknownKey(kid)
}

func unknownKey(kid string) error {
	return unauthenticated("The OIDC token is signed with key %q, which the issuer does not publish.", kid)
}

// fetch reads the issuer's discovery document, checks its issuer, and
// loads the RSA signing keys of its jwks_uri.
func (v *Verifier) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, v.issuer+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if strings.TrimRight(disc.Issuer, "/") != v.issuer {
		return nil, fmt.Errorf("OIDC discovery at %s names issuer %q, not %q", v.issuer, disc.Issuer, v.issuer)
	}
	u, err := url.Parse(disc.JWKSURI)
	iss, _ := url.Parse(v.issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && iss.Scheme == "http")) {
		return nil, fmt.Errorf("OIDC discovery at %s gives no usable jwks_uri (%q)", v.issuer, disc.JWKSURI)
	}
	var set jose.JSONWebKeySet
	if err := v.getJSON(ctx, disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		rk, ok := k.Key.(*rsa.PublicKey)
		if !ok || k.KeyID == "" || (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != string(jose.RS256)) {
			continue
		}
		keys[k.KeyID] = rk
	}
	return keys, nil
}

func (v *Verifier) getJSON(ctx context.Context, u string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("OIDC fetch %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("OIDC fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("OIDC fetch %s: HTTP %d", u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscovery+1))
	if err != nil {
		return fmt.Errorf("OIDC fetch %s: %w", u, err)
	}
	if len(body) > maxDiscovery {
		return fmt.Errorf("OIDC fetch %s: more than %d bytes", u, maxDiscovery)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("OIDC fetch %s: %w", u, err)
	}
	return nil
}
