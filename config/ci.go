package config

import (
	"net/url"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// CI configures POST /api/releases (`ci:`): where CI-opened releases post
// their card, and the GitHub Actions OIDC tokens accepted besides scoped
// API tokens.
type CI struct {
	// Channel is where the card of a release opened by CI goes; "" for
	// the channel of the service's first owning team (the catalog's
	// teams), else of the release's first team.
	Channel string
	// OIDC, when Issuer is set, accepts GitHub Actions OIDC tokens.
	OIDC OIDC
}

// OIDC is `ci.oidc`: the issuer and audience a token must carry, and
// optionally the refs it may come from.
type OIDC struct {
	// Issuer is the token issuer (`iss`), whose
	// /.well-known/openid-configuration names the signing keys; GitHub's is
	// https://token.actions.githubusercontent.com.
	Issuer string
	// Audience is the `aud` a token must carry: a value of releasebot's
	// own, which the workflow asks for, never GitHub's default.
	Audience string
	// Ref, when set, is a pattern the token's `ref` must match, as
	// path.Match reads it: refs/heads/main, refs/tags/v* (* stays within
	// one part between slashes).
	Ref string
}

var (
	ciKeys   = []string{"channel", "oidc"}
	oidcKeys = []string{"issuer", "audience", "ref"}
)

// ci reads `ci:`.
func (p *parser) ci(n *yaml.Node, cfg *Config) {
	f, ok := p.mapping(n, "ci", ciKeys, nil)
	if !ok {
		return
	}
	if e, ok := f["channel"]; ok {
		if s, ok := p.scalar(e.val, "ci.channel"); ok {
			if msg := checkChannel(s); msg != "" {
				p.add(e.val.Line, "ci.channel", "%s", msg)
			} else {
				cfg.CI.Channel = s
			}
		}
	}
	e, ok := f["oidc"]
	if !ok {
		return
	}
	o, ok := p.mapping(e.val, "ci.oidc", oidcKeys, nil)
	if !ok {
		return
	}
	for _, key := range []string{"issuer", "audience"} {
		if _, ok := o[key]; !ok {
			p.add(e.key.Line, "ci.oidc", "%s is required", key)
		}
	}
	if e, ok := o["issuer"]; ok {
		if s, ok := p.scalar(e.val, "ci.oidc.issuer"); ok {
			if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				p.add(e.val.Line, "ci.oidc.issuer", "expected the issuer's URL, like https://token.actions.githubusercontent.com, got %q", s)
			} else {
				cfg.CI.OIDC.Issuer = strings.TrimRight(s, "/")
			}
		}
	}
	if e, ok := o["audience"]; ok {
		if s, ok := p.scalar(e.val, "ci.oidc.audience"); ok {
			switch {
			case strings.TrimSpace(s) == "":
				p.add(e.val.Line, "ci.oidc.audience", "must not be empty")
			case strings.HasPrefix(s, "https://github.com/"):
				p.add(e.val.Line, "ci.oidc.audience", "%q looks like GitHub's default audience, which any workflow of the owner gets; choose a value of releasebot's own, like releasebot", s)
			default:
				cfg.CI.OIDC.Audience = s
			}
		}
	}
	if e, ok := o["ref"]; ok {
		if s, ok := p.scalar(e.val, "ci.oidc.ref"); ok {
			if _, err := path.Match(s, ""); err != nil || s == "" {
				p.add(e.val.Line, "ci.oidc.ref", "expected a pattern like refs/heads/main or refs/tags/v*, got %q", s)
			} else {
				cfg.CI.OIDC.Ref = s
			}
		}
	}
}
