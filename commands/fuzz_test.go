package commands

import (
	"errors"
	"slices"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// FuzzParse checks that Parse never panics and always returns exactly one
// of a command and a *UsageError with text a person can read.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		`create payments-api v2.4.0 --teams payments,risk --envs staging,production --window weekly-train --notes "new checkout flow"`,
		`create ledger v1.9.0 --at "2026-12-01 14:00"`,
		"create ledger v1.9.0 --at=2026-12-01T14:00:00+01:00",
		"status R-42",
		"list --status awaiting_signoff --mine --limit 20",
		"approve r-42 --team risk",
		"reject R-42 “it’s broken on iOS”",
		`deploy R-42 --env production --override 'hotfix for the outage'`,
		`rollback R-42 --env=production "error rate doubled"`,
		"cancel 42 superseded by v2.4.1",
		"schedule R-42 --at 2026-12-03 14:00",
		`freeze until "2026-12-24 18:00" "holiday freeze"`,
		"history payments-api",
		"audit R-7",
		"help deploy",
		"stauts R-1",
		`reject R-1 "unterminated \"quote`,
		"deploy R-1 —env production -- --x",
		"create Payments-API v1 --envs production --override \"staging is down\"",
		"deploy R-1 --override \u200b",
		"create team/../x v1;id --at 0001-01-01T00:00:00Z",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := Parse(text, berlin)
		if (cmd == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %#v, %v: want exactly one of a command and an error", text, cmd, err)
		}
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error %T, want *UsageError", text, err)
			}
			if err.Error() == "" || ue.Problem == "" || ue.Usage == "" {
				t.Fatalf("Parse(%q) error %#v has empty text", text, ue)
			}
			if ue.Command != "" && Usage(ue.Command) != ue.Usage {
				t.Fatalf("Parse(%q) error about %q has usage %q", text, ue.Command, ue.Usage)
			}
			return
		}
		if !slices.Contains(commandNames(), cmd.Name()) {
			t.Fatalf("Parse(%q) = command named %q", text, cmd.Name())
		}
		switch c := cmd.(type) {
		case Schedule:
			if (c.Window == "") == c.At.IsZero() {
				t.Fatalf("Parse(%q) = %#v: want exactly one of Window and At", text, c)
			}
		case Create:
			if c.Window != "" && !c.At.IsZero() {
				t.Fatalf("Parse(%q) = %#v: Window and At both set", text, c)
			}
			parts := c.Components // a train, or one service written SERVICE@VERSION
			if len(parts) == 0 {
				parts = []Component{{Service: c.Service, Version: c.Version}}
			} else if c.Service != "" || c.Version != "" {
				t.Fatalf("Parse(%q) = %#v: both a service and components", text, c)
			}
			for _, p := range parts {
				if _, err := releases.NormalizeService(p.Service); err != nil {
					t.Fatalf("Parse(%q) = %#v: the domain refuses the service: %v", text, c, err)
				}
				if err := releases.CheckVersion(p.Version); err != nil {
					t.Fatalf("Parse(%q) = %#v: the domain refuses the version: %v", text, c, err)
				}
			}
			for _, s := range []string{c.Notes, c.Override} {
				if clean, err := releases.CleanText("text", s); err != nil || clean != s {
					t.Fatalf("Parse(%q) = %#v: the domain refuses or changes %q: %v", text, c, s, err)
				}
			}
		case Deploy:
			if clean, err := releases.CleanText("text", c.Override); err != nil || clean != c.Override {
				t.Fatalf("Parse(%q) = %#v: the domain refuses or changes the override: %v", text, c, err)
			}
		case Reject:
			if c.Reason == "" {
				t.Fatalf("Parse(%q) = %#v: empty reason", text, c)
			}
		case Freeze:
			if c.Reason == "" {
				t.Fatalf("Parse(%q) = %#v: empty reason", text, c)
			}
		}
	})
}
