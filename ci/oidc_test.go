package ci_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/ci"
	"github.com/releasebot/releasebot/ci/citest"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
)

const audience = "releasebot"

func setup(t *testing.T) (*citest.Issuer, *testclock.Clock, *ci.Verifier) {
	iss := citest.NewIssuer(t)
	clk := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	return iss, clk, ci.NewVerifier(ci.VerifierOptions{Issuer: iss.URL, Audience: audience, Now: clk.Now})
}

// mustRefuse checks that token is refused as unauthenticated with a
// message containing want.
func mustRefuse(t *testing.T, v *ci.Verifier, token, want string) {
	t.Helper()
	_, err := v.Verify(context.Background(), token)
	if !errors.Is(err, ci.ErrUnauthenticated) {
		t.Fatalf("Verify = %v, want a refusal of kind ErrUnauthenticated", err)
	}
	if !strings.Contains(releases.ErrorMessage(err), want) {
		t.Errorf("refusal %q does not say %q", releases.ErrorMessage(err), want)
	}
}

func TestVerifyAcceptsAGoodToken(t *testing.T) {
	iss, clk, v := setup(t)
	got, err := v.Verify(t.Context(), iss.Sign(t, "k1", iss.Claims(audience, "acme/payments-api", clk.Now())))
	if err != nil {
		t.Fatal(err)
	}
	if got.Repository != "acme/payments-api" || got.Ref != "refs/heads/main" || got.RunID != "30433642" {
		t.Errorf("claims %+v", got)
	}
}

// Each check fails alone: every token below differs from a good one in
// one way only.
func TestVerifyRefuses(t *testing.T) {
	iss, clk, v := setup(t)
	good := func() map[string]any { return iss.Claims(audience, "acme/payments-api", clk.Now()) }
	with := func(key string, val any) map[string]any {
		c := good()
		if val == nil {
			delete(c, key)
		} else {
			c[key] = val
		}
		return c
	}
	// A good token first, so the keys are cached and refetching is
	// rate-limited as in a running server.
	if _, err := v.Verify(t.Context(), iss.Sign(t, "k1", good())); err != nil {
		t.Fatal(err)
	}
	other := iss.Key(t, "intruder")
	cases := []struct {
		name, token, want string
	}{
		{"bad signature", citest.SignWith(t, other, "k1", good()), "signature does not verify"},
		{"wrong aud", iss.Sign(t, "k1", with("aud", "https://github.com/acme")), `audience "https://github.com/acme"`},
		{"expired", iss.Sign(t, "k1", with("exp", clk.Now().Add(-2*time.Minute).Unix())), "expired"},
		{"expired within the skew is fine, beyond is not", iss.Sign(t, "k1", with("exp", clk.Now().Add(-ci.Skew-time.Second).Unix())), "expired"},
		{"not yet valid", iss.Sign(t, "k1", with("nbf", clk.Now().Add(5*time.Minute).Unix())), "not valid yet"},
		{"issued in the future", iss.Sign(t, "k1", with("iat", clk.Now().Add(5*time.Minute).Unix())), "not valid yet"},
		{"wrong issuer", iss.Sign(t, "k1", with("iss", "https://token.actions.githubusercontent.com")), "issued by"},
		{"no exp", iss.Sign(t, "k1", with("exp", nil)), "no exp"},
		{"no repository", iss.Sign(t, "k1", with("repository", nil)), "no repository"},
		{"unknown kid", iss.Sign(t, "k9", good()), `key "k9"`},
		{"not a JWT", "rbt-not-a-jwt", "not a JWT"},
		{"HS256", hs256(t, good()), "not a JWT signed with RS256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { mustRefuse(t, v, tc.token, tc.want) })
	}
	// Within the skew, a just-expired token still passes: the refusals
	// above are the claims', not the clock's rounding.
	if _, err := v.Verify(t.Context(), iss.Sign(t, "k1", with("exp", clk.Now().Add(-ci.Skew+time.Second).Unix()))); err != nil {
		t.Errorf("a token expired %s ago (within the skew): %v", ci.Skew-time.Second, err)
	}
}

// After the issuer rotates its key, a token with the new kid is accepted
// once the verifier refetches the keys; tokens of the retired key no
// longer are.
func TestVerifyFollowsKeyRotation(t *testing.T) {
	iss, clk, v := setup(t)
	claims := func() map[string]any { return iss.Claims(audience, "acme/payments-api", clk.Now()) }
	if _, err := v.Verify(t.Context(), iss.Sign(t, "k1", claims())); err != nil {
		t.Fatal(err)
	}
	iss.Rotate(t, "k2")
	clk.Advance(time.Minute) // past the refetch rate limit
	if _, err := v.Verify(t.Context(), iss.Sign(t, "k2", claims())); err != nil {
		t.Fatalf("token of the rotated-in key k2: %v", err)
	}
	if n := iss.Fetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2 (first use, rotation)", n)
	}
	mustRefuse(t, v, iss.Sign(t, "k1", claims()), `key "k1"`)
}

// Made-up kids can't make releasebot hammer the issuer: an unknown kid
// refetches the keys at most once per rate-limit period.
func TestUnknownKidsRefetchAtMostOncePerPeriod(t *testing.T) {
	iss, clk, v := setup(t)
	claims := iss.Claims(audience, "acme/payments-api", clk.Now())
	if _, err := v.Verify(t.Context(), iss.Sign(t, "k1", claims)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		mustRefuse(t, v, iss.Sign(t, "bogus", claims), `key "bogus"`)
	}
	if n := iss.Fetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times for one good and five unknown-kid tokens at one moment, want 1", n)
	}
	clk.Advance(time.Minute)
	mustRefuse(t, v, iss.Sign(t, "bogus", iss.Claims(audience, "acme/payments-api", clk.Now())), `key "bogus"`)
	if n := iss.Fetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times after the period, want 2", n)
	}
}

// hs256 signs claims with HMAC: an algorithm the verifier must refuse
// before looking at any key.
func hs256(t *testing.T, claims map[string]any) string {
	t.Helper()
	return citest.SignHS256(t, []byte("the public key, used as an HMAC secret"), claims)
}
