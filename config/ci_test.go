package config

import (
	"strings"
	"testing"
)

func TestParseCI(t *testing.T) {
	cfg := mustParse(t, minimal+`
ci:
  channel: C0RELEASES
  oidc: {issuer: "https://token.actions.githubusercontent.com/", audience: releasebot, ref: "refs/tags/v*"}
`, nil)
	want := CI{Channel: "C0RELEASES", OIDC: OIDC{Issuer: "https://token.actions.githubusercontent.com", Audience: "releasebot", Ref: "refs/tags/v*"}}
	if cfg.CI != want {
		t.Errorf("ci = %+v, want %+v", cfg.CI, want)
	}
	if cfg := mustParse(t, minimal, nil); cfg.CI != (CI{}) {
		t.Errorf("without ci: %+v, want none", cfg.CI)
	}
}

func TestParseCIProblems(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"ci: {oidc: {issuer: \"https://token.actions.githubusercontent.com\"}}", "ci.oidc: audience is required"},
		{"ci: {oidc: {issuer: token.actions.githubusercontent.com, audience: releasebot}}", "ci.oidc.issuer: expected the issuer's URL"},
		{"ci: {oidc: {issuer: \"https://token.actions.githubusercontent.com\", audience: \"https://github.com/acme\"}}", "GitHub's default audience"},
		{"ci: {oidc: {issuer: \"https://token.actions.githubusercontent.com\", audience: rb, ref: \"refs/[\"}}", "ci.oidc.ref: expected a pattern"},
		{"ci: {chanel: C0X}", "chanel"},
	}
	for _, tt := range tests {
		ps := problemsOf(t, minimal+tt.yaml+"\n", nil)
		if !strings.Contains(ps.Error(), tt.want) {
			t.Errorf("%s: problems %v, want %q", tt.yaml, ps, tt.want)
		}
	}
}
