package config

import (
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		creates int
		expiry  time.Duration
	}{
		{name: "defaults", yaml: "", creates: 20, expiry: 14 * 24 * time.Hour},
		{name: "both", yaml: "limits: {creates_per_hour: 5, signoff_expiry: 72h}\n", creates: 5, expiry: 72 * time.Hour},
		{name: "zero is no limit", yaml: "limits:\n  creates_per_hour: 0\n  signoff_expiry: 0\n", creates: 0, expiry: 0},
		{name: "one key keeps the other's default", yaml: "limits: {signoff_expiry: 48h}\n", creates: 20, expiry: 48 * time.Hour},
		{name: "empty section", yaml: "limits:\n", creates: 20, expiry: 14 * 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustParse(t, tc.yaml+minimal, nil)
			if cfg.Limits.CreatesPerHour != tc.creates || cfg.Limits.SignoffExpiry != tc.expiry {
				t.Fatalf("Limits = %+v; want %d creates per hour, expiry %v", cfg.Limits, tc.creates, tc.expiry)
			}
			// Projected into the domain's policy, with the zone of refusals.
			want := releases.Limits{CreatesPerHour: tc.creates, SignoffExpiry: tc.expiry, Location: cfg.Location}
			if got := cfg.Policy().Limits; got != want {
				t.Fatalf("Policy().Limits = %+v; want %+v", got, want)
			}
		})
	}
}

func TestParseLimitsProblems(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{name: "misspelt key", yaml: "limits:\n  creates_per_hr: 5\n",
			want: `test.yaml:2: limits: unknown key "creates_per_hr" (did you mean "creates_per_hour"?)`},
		{name: "negative quota", yaml: "limits:\n  creates_per_hour: -1\n",
			want: `test.yaml:2: limits.creates_per_hour: must be between 0 (no limit) and 10000, got -1`},
		{name: "quota not a number", yaml: "limits:\n  creates_per_hour: lots\n",
			want: `test.yaml:2: limits.creates_per_hour: expected a whole number, got "lots"`},
		{name: "expiry not a duration", yaml: "limits:\n  signoff_expiry: 14d\n",
			want: `test.yaml:2: limits.signoff_expiry: expected a duration such as 336h (14 days), or 0 for never, got "14d"`},
		{name: "expiry too short", yaml: "limits:\n  signoff_expiry: 10m\n",
			want: `test.yaml:2: limits.signoff_expiry: must be 0 (never) or between 1h0m0s and 8784h0m0s, got "10m"`},
		{name: "negative expiry", yaml: "limits:\n  signoff_expiry: -1h\n",
			want: `test.yaml:2: limits.signoff_expiry: must be 0 (never) or between 1h0m0s and 8784h0m0s, got "-1h"`},
		{name: "not a mapping", yaml: "limits: 20\n",
			want: `test.yaml:1: limits: expected a mapping (key: value), found a single value`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := problemsOf(t, tc.yaml+minimal, nil)
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("problems:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), tc.want)
			}
		})
	}
}
