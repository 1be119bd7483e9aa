package commands

import (
	"errors"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	// The forms of README's command table ("The `/release` command").
	cases := []struct {
		name, command, want string
	}{
		{name: "create", command: "create", want: `/release create SERVICE VERSION | SERVICE@VERSION… [--name NAME] [--teams a,b] [--envs staging,production] [--window NAME | --at "2026-12-01 14:00"] [--notes "…"] [--override "reason"]`},
		{name: "status", command: "status", want: "/release status [R-n]"},
		{name: "list", command: "list", want: "/release list [--status S] [--mine] [--limit N]"},
		{name: "approve", command: "approve", want: "/release approve R-n [--team T]"},
		{name: "reject", command: "reject", want: `/release reject R-n "reason"`},
		{name: "deploy", command: "deploy", want: `/release deploy R-n [--env E] [--override "reason"] [--yes]`},
		{name: "rollback", command: "rollback", want: `/release rollback R-n [--env E] ["reason"] [--yes]`},
		{name: "cancel", command: "cancel", want: `/release cancel R-n ["reason"]`},
		{name: "schedule", command: "schedule", want: "/release schedule R-n --window NAME | --at TIME"},
		{name: "freeze", command: "freeze", want: `/release freeze until TIME "reason"`},
		{name: "unfreeze", command: "unfreeze", want: "/release unfreeze"},
		{name: "windows", command: "windows", want: "/release windows"},
		{name: "history", command: "history", want: "/release history [SERVICE]"},
		{name: "audit", command: "audit", want: "/release audit R-n"},
		{name: "help", command: "help", want: "/release help [COMMAND]"},
		{name: "any case", command: "Deploy", want: `/release deploy R-n [--env E] [--override "reason"] [--yes]`},
		{name: "unknown", command: "deplyo", want: ""},
		{name: "empty", command: "", want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Usage(tc.command); got != tc.want {
				t.Fatalf("Usage(%q) = %q, want %q", tc.command, got, tc.want)
			}
		})
	}
}

func TestHelpOverview(t *testing.T) {
	text := HelpText("")
	for _, c := range commandTable {
		if !strings.Contains(text, "`/release "+c.name) {
			t.Errorf("overview does not list %s", c.name)
		}
	}
	for _, want := range []string{"R-42", "YYYY-MM-DD HH:MM", "configured time zone", "RFC 3339", "/release help COMMAND"} {
		if !strings.Contains(text, want) {
			t.Errorf("overview does not mention %q", want)
		}
	}
	if got := HelpText("  "); got != text {
		t.Errorf("HelpText of blank topic differs from the overview")
	}
}

func TestHelpCommand(t *testing.T) {
	for _, c := range commandTable {
		t.Run(c.name, func(t *testing.T) {
			text := HelpText(strings.ToUpper(c.name))
			if !strings.HasPrefix(text, "`"+Usage(c.name)+"`\n") {
				t.Errorf("help does not start with the usage line:\n%s", text)
			}
			if !strings.Contains(text, "Example: `/release "+c.example+"`") {
				t.Errorf("help has no example:\n%s", text)
			}
			for _, o := range c.opts {
				if !strings.Contains(text, "`--"+o.name) {
					t.Errorf("help does not describe --%s:\n%s", o.name, text)
				}
				if !strings.Contains(c.usage, "--"+o.name) {
					t.Errorf("usage line does not show --%s", o.name)
				}
			}
			if strings.Contains(c.usage, "TIME") && !strings.Contains(text, "RFC 3339") {
				t.Errorf("help of a command taking TIME does not explain it:\n%s", text)
			}
		})
	}
}

// Every example in the help must be a command Parse accepts.
func TestHelpExamplesParse(t *testing.T) {
	for _, c := range commandTable {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.example, berlin)
			if err != nil {
				t.Fatalf("example %q: %v", c.example, err)
			}
			if got.Name() != c.name {
				t.Fatalf("example %q parsed as %s", c.example, got.Name())
			}
		})
	}
}

func TestHelpUnknownTopic(t *testing.T) {
	cases := []struct {
		name, topic, firstLine string
	}{
		{name: "typo", topic: "deplyo", firstLine: "There is no /release command called \"deplyo\". Did you mean `deploy`?"},
		{name: "nothing close", topic: "frobnicate", firstLine: `There is no /release command called "frobnicate".`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := HelpText(tc.topic)
			first, rest, _ := strings.Cut(text, "\n")
			if first != tc.firstLine {
				t.Errorf("first line = %q, want %q", first, tc.firstLine)
			}
			if strings.TrimPrefix(rest, "\n") != HelpText("") {
				t.Errorf("the unknown-topic help does not continue with the overview")
			}
		})
	}
}

func TestUsageErrorText(t *testing.T) {
	cases := []struct {
		name string
		err  *UsageError
		want string
	}{
		{name: "subcommand suggestion",
			err:  &UsageError{Problem: `Unknown command "stauts".`, Usage: "/release a\n/release b", Suggestion: "status"},
			want: "Unknown command \"stauts\".\nDid you mean `/release status`?\nUsage:\n`/release a`\n`/release b`"},
		{name: "option suggestion",
			err:  &UsageError{Command: "deploy", Problem: "Unknown option.", Usage: "/release deploy R-n", Suggestion: "--env"},
			want: "Unknown option.\nDid you mean `--env`?\nUsage: `/release deploy R-n`"},
		{name: "no suggestion",
			err:  &UsageError{Command: "audit", Problem: "Which release?", Usage: "/release audit R-n"},
			want: "Which release?\nUsage: `/release audit R-n`"},
		{name: "empty problem still says something",
			err:  &UsageError{},
			want: "That is not a valid /release command."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("Error() =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	_, err := Parse("stauts R-1", berlin)
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("want *UsageError, got %v", err)
	}
	text := err.Error()
	for _, want := range []string{`Unknown command "stauts".`, "Did you mean `/release status`?", "`/release status [R-n]`"} {
		if !strings.Contains(text, want) {
			t.Errorf("error text does not contain %q:\n%s", want, text)
		}
	}
}
