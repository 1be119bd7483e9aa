// Package citest is a fake OIDC issuer for tests: an httptest server with
// the discovery document and a JWKS of RSA keys generated in the test,
// which signs tokens shaped like GitHub Actions' and can rotate its keys.
package citest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is a local OIDC issuer.
type Issuer struct {
	URL string
	// Fetches counts the JWKS requests served.
	Fetches atomic.Int64

	mu        sync.Mutex
	keys      map[string]*rsa.PrivateKey // every key made, by kid
	published []string                   // kids in the JWKS
}

// NewIssuer starts an issuer publishing one key, kid "k1".
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	iss := &Issuer{keys: map[string]*rsa.PrivateKey{}}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.URL = srv.URL
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss.URL, "jwks_uri": iss.URL + "/.well-known/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/.well-known/jwks", func(w http.ResponseWriter, r *http.Request) {
		iss.Fetches.Add(1)
		iss.mu.Lock()
		var set jose.JSONWebKeySet
		for _, kid := range iss.published {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &iss.keys[kid].PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
		}
		iss.mu.Unlock()
		_ = json.NewEncoder(w).Encode(set)
	})
	iss.Rotate(t, "k1")
	return iss
}

// Key returns the private key kid, making it (unpublished) if new.
func (iss *Issuer) Key(t testing.TB, kid string) *rsa.PrivateKey {
	t.Helper()
	iss.mu.Lock()
	defer iss.mu.Unlock()
	if k, ok := iss.keys[kid]; ok {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss.keys[kid] = k
	return k
}

// Rotate publishes kid alone from now on.
func (iss *Issuer) Rotate(t testing.TB, kid string) {
	t.Helper()
	iss.Key(t, kid)
	iss.mu.Lock()
	iss.published = []string{kid}
	iss.mu.Unlock()
}

// Claims returns GitHub-shaped claims (shared/fixtures/github/
// oidc-token-claims.json) for repo, valid at now for audience.
func (iss *Issuer) Claims(audience, repo string, now time.Time) map[string]any {
	return map[string]any{
		"iss": iss.URL, "aud": audience, "sub": "repo:" + repo + ":ref:refs/heads/main",
		"repository": repo, "repository_owner": "acme", "ref": "refs/heads/main", "ref_type": "branch",
		"sha": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", "run_id": "30433642", "run_number": "10", "run_attempt": "1",
		"workflow": "release-on-green", "actor": "octocat", "event_name": "push",
		"iat": now.Unix(), "nbf": now.Add(-10 * time.Minute).Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
}

// Sign signs claims with the key kid (made if new), RS256.
func (iss *Issuer) Sign(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	return SignWith(t, iss.Key(t, kid), kid, claims)
}

// SignWith signs claims with key under the header kid, RS256.
func SignWith(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// SignHS256 signs claims with HMAC-SHA256 under kid "k1": a token no
// verifier of RS256 must accept.
func SignHS256(t testing.TB, secret []byte, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
