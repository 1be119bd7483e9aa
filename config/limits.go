package config

import (
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults of `limits:`.
const (
	DefaultCreatesPerHour = 20
	DefaultSignoffExpiry  = 14 * 24 * time.Hour
)

// Bounds of `limits:` values.
const (
	maxCreatesPerHour = 10000
	minSignoffExpiry  = time.Hour
	maxSignoffExpiry  = 366 * 24 * time.Hour
)

// Limits keep one person from flooding releasebot (`limits:`).
type Limits struct {
	// CreatesPerHour is how many releases one creator (a Slack user, a CI
	// token) may open in any rolling hour; release managers are exempt.
	// Default 20; 0 turns the quota off.
	CreatesPerHour int
	// SignoffExpiry is how long a release may await sign-off before it is
	// cancelled by releasebot. Default 336h (14 days); 0 keeps such
	// releases forever.
	SignoffExpiry time.Duration
}

var limitKeys = []string{"creates_per_hour", "signoff_expiry"}

// limits reads `limits:`; absent keys keep their defaults.
func (p *parser) limits(n *yaml.Node, cfg *Config) {
	f, ok := p.mapping(n, "limits", limitKeys, nil)
	if !ok {
		return
	}
	if e, ok := f["creates_per_hour"]; ok {
		if v, ok := p.integer(e.val, "limits.creates_per_hour"); ok {
			if v < 0 || v > maxCreatesPerHour {
				p.add(e.val.Line, "limits.creates_per_hour", "must be between 0 (no limit) and %d, got %d", maxCreatesPerHour, v)
			} else {
				cfg.Limits.CreatesPerHour = v
			}
		}
	}
	if e, ok := f["signoff_expiry"]; ok {
		if s, ok := p.scalar(e.val, "limits.signoff_expiry"); ok {
			d, err := time.ParseDuration(s)
			switch {
			case err != nil:
				p.add(e.val.Line, "limits.signoff_expiry", "expected a duration such as 336h (14 days), or 0 for never, got %q", s)
			case d != 0 && (d < minSignoffExpiry || d > maxSignoffExpiry):
				p.add(e.val.Line, "limits.signoff_expiry", "must be 0 (never) or between %s and %s, got %q", minSignoffExpiry, maxSignoffExpiry, s)
			default:
				cfg.Limits.SignoffExpiry = d
			}
		}
	}
}
