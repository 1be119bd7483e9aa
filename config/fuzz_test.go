package config

import (
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(readTestdata(f, "releasebot.yaml"))
	f.Add(readTestdata(f, "broken.yaml"))
	f.Add(readTestdata(f, "catalog.yaml"))
	f.Add([]byte(catalogBase + "  - {name: a, teams: [payments], depends_on: [b]}\n  - {name: b, teams: [ledger], depends_on: [a]}\n"))
	f.Add([]byte(DemoYAML))
	f.Add([]byte(minimal))
	f.Add([]byte(""))
	f.Add([]byte("teams: [\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("x: &a {<<: *a}\nteams: *a\n"))
	f.Add([]byte(minimal + "windows:\n  - {name: w, schedule: \"CRON_TZ=UTC\", duration: 1h}\n"))
	f.Add([]byte(minimal + "windows:\n  - {name: w, schedule: \"*/0 2 * * *\", duration: 1h}\n"))
	f.Add([]byte(minimal + "freezes:\n  - {name: f, start: 2026-12-20, end: 2026-12-19}\n"))
	f.Add([]byte("timezone: ${TZ}\n" + minimal + "---\nfoo: ${\n"))

	getenv := env(map[string]string{
		"STAGING_DEPLOY_SECRET": "0123456789abcdef0123",
		"PROD_DEPLOY_SECRET":    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"TZ":                    "Europe/Berlin",
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data, getenv)
		switch {
		case err == nil && cfg == nil:
			t.Fatal("neither a config nor problems")
		case err != nil && cfg != nil:
			t.Fatal("both a config and problems")
		case err != nil:
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error is not Problems: %#v", err)
			}
			for _, p := range ps {
				if p.File != "fuzz.yaml" || p.Line < 0 || p.Message == "" {
					t.Fatalf("malformed problem %#v", p)
				}
			}
		default:
			if len(cfg.Teams) == 0 || len(cfg.Environments) == 0 || cfg.Location == nil {
				t.Fatalf("valid config without teams, environments or location: %+v", cfg)
			}
			_ = cfg.WarningsAt(jan2026)
		}
	})
}
