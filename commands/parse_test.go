package commands

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin without relying on the host's zoneinfo
)

var berlin = mustLoad("Europe/Berlin")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// parseCase is one line of /release text and what Parse must make of it:
// either want, or a *UsageError about errCmd whose Problem contains problem
// and whose Suggestion is suggestion.
type parseCase struct {
	name       string
	in         string
	want       Command
	errCmd     string
	problem    string
	suggestion string
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in, berlin)
			if tc.want != nil {
				if err != nil {
					t.Fatalf("Parse(%q) error: %v", tc.in, err)
				}
				if !reflect.DeepEqual(normalize(got), normalize(tc.want)) {
					t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tc.in, got, tc.want)
				}
				if got.Name() != tc.want.Name() {
					t.Fatalf("Name() = %q, want %q", got.Name(), tc.want.Name())
				}
				return
			}
			if got != nil {
				t.Fatalf("Parse(%q) = %#v, want an error", tc.in, got)
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error %T %v, want *UsageError", tc.in, err, err)
			}
			if ue.Command != tc.errCmd {
				t.Errorf("Command = %q, want %q", ue.Command, tc.errCmd)
			}
			if !strings.Contains(ue.Problem, tc.problem) {
				t.Errorf("Problem = %q, want it to contain %q", ue.Problem, tc.problem)
			}
			if ue.Suggestion != tc.suggestion {
				t.Errorf("Suggestion = %q, want %q", ue.Suggestion, tc.suggestion)
			}
			wantUsage := Usage(tc.errCmd)
			switch {
			case tc.errCmd == "" && tc.suggestion != "":
				wantUsage = Usage(tc.suggestion) // a typo's fix, not the whole list
			case tc.errCmd == "":
				wantUsage = allUsage()
			}
			if ue.Usage != wantUsage {
				t.Errorf("Usage = %q, want %q", ue.Usage, wantUsage)
			}
		})
	}
}

// normalize makes times comparable with DeepEqual: the same instant in UTC.
func normalize(c Command) Command {
	switch v := c.(type) {
	case Create:
		if !v.At.IsZero() {
			v.At = v.At.UTC()
		}
		return v
	case Schedule:
		if !v.At.IsZero() {
			v.At = v.At.UTC()
		}
		return v
	case Freeze:
		v.Until = v.Until.UTC()
		return v
	}
	return c
}

func TestParseHelp(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "empty text", in: "", want: Help{}},
		{name: "only whitespace", in: " \t\n\u00a0 ", want: Help{}},
		{name: "help", in: "help", want: Help{}},
		{name: "help topic", in: "help deploy", want: Help{Topic: "deploy"}},
		{name: "help topic any case", in: "HELP Deploy", want: Help{Topic: "deploy"}},
		{name: "help unknown topic kept", in: "help deplyo", want: Help{Topic: "deplyo"}},
		{name: "help --help", in: "help --help", want: Help{Topic: "help"}},
		{name: "--help alone", in: "--help", want: Help{}},
		{name: "-h alone", in: "-h", want: Help{}},
		{name: "-h with topic", in: "-h schedule", want: Help{Topic: "schedule"}},
		{name: "command --help", in: "deploy --help", want: Help{Topic: "deploy"}},
		{name: "command -h", in: "create -h", want: Help{Topic: "create"}},
		{name: "--help wins over bad arguments", in: "create svc --bogus --help", want: Help{Topic: "create"}},
		{name: "--help any case", in: "list --HELP", want: Help{Topic: "list"}},
		{name: "quoted --help is a value", in: `reject R-1 "--help"`, want: Reject{ID: 1, Reason: "--help"}},
		{name: "--help after -- is a value", in: "reject R-1 -- --help", want: Reject{ID: 1, Reason: "--help"}},
		{name: "help with two topics", in: "help deploy now", errCmd: "help", problem: `Unexpected argument "now"`},
	})
}

func TestParseUnknownCommand(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "transposition", in: "stauts", errCmd: "", problem: `Unknown command "stauts"`, suggestion: "status"},
		{name: "unique prefix", in: "stat R-1", problem: `Unknown command "stat"`, suggestion: "status"},
		{name: "prefix of deploy", in: "dep R-1", problem: `Unknown command "dep"`, suggestion: "deploy"},
		{name: "typo any case", in: "Rollbak R-1", problem: `Unknown command "Rollbak"`, suggestion: "rollback"},
		{name: "swapped letters", in: "deplyo R-1", problem: `Unknown command "deplyo"`, suggestion: "deploy"},
		{name: "two edits", in: "shedul R-1 --window w", problem: `Unknown command "shedul"`, suggestion: "schedule"},
		{name: "alias from other tools", in: "ls", problem: `Unknown command "ls"`, suggestion: "list"},
		{name: "alias promote", in: "promote R-1", problem: `Unknown command "promote"`, suggestion: "deploy"},
		{name: "release id first", in: "R-42", problem: `"R-42" is a release id, not a command`, suggestion: "status"},
		{name: "nothing close", in: "frobnicate", problem: `Unknown command "frobnicate"`},
		{name: "short nonsense", in: "x", problem: `Unknown command "x"`},
		{name: "option first", in: "--mine", problem: `Unknown command "--mine"`},
		{name: "too long", in: "create svc v1 --notes " + strings.Repeat("a", MaxTextBytes), problem: "too long"},
		{name: "control character", in: "status R-1\x07", problem: "control character U+0007"},
		{name: "NUL byte", in: "reject R-1 bad\x00build", problem: "control character U+0000"},
		{name: "invalid UTF-8", in: "status \xff", problem: "not valid UTF-8"},
		{name: "unterminated quote before a command", in: `"status`, problem: `quote before "status" is never closed`},
	})
}

func TestParseGeneral(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "tabs and newlines separate", in: "deploy\tR-42\n--env\r\nproduction", want: Deploy{ID: 42, Env: "production"}},
		{name: "no-break spaces separate", in: "deploy\u00a0R-42\u00a0--env\u00a0staging", want: Deploy{ID: 42, Env: "staging"}},
		{name: "em dash option from autocorrect", in: "deploy R-42 —env production", want: Deploy{ID: 42, Env: "production"}},
		{name: "en dash option", in: "deploy R-42 –env production", want: Deploy{ID: 42, Env: "production"}},
		{name: "option name any case", in: "deploy R-42 --ENV production", want: Deploy{ID: 42, Env: "production"}},
		{name: "double dash ends options", in: "cancel R-42 -- --force was needed", want: Cancel{ID: 42, Reason: "--force was needed"}},
		{name: "4000 bytes is allowed", in: "create svc v1 --notes " + strings.Repeat("a", MaxTextBytes-len("create svc v1 --notes ")),
			want: Create{Service: "svc", Version: "v1", Notes: strings.Repeat("a", MaxTextBytes-len("create svc v1 --notes "))}},
		{name: "unterminated double quote", in: `reject R-1 "bad build`, errCmd: "reject", problem: `The " quote before "bad build" is never closed`},
		{name: "unterminated smart quote", in: "reject R-1 “bad build", errCmd: "reject", problem: `The “ quote before "bad build" is never closed`},
		{name: "unterminated single quote", in: "cancel R-1 'bad build", errCmd: "cancel", problem: `The ' quote before "bad build" is never closed`},
		{name: "quote at the very end", in: `cancel R-1 "`, errCmd: "cancel", problem: `The " quote at the end is never closed`},
		{name: "option given twice", in: "deploy R-1 --env a --env b", errCmd: "deploy", problem: "--env is given twice"},
		{name: "option twice in two spellings", in: "deploy R-1 --env=a --ENV b", errCmd: "deploy", problem: "--env is given twice"},
		{name: "option missing its value at the end", in: "deploy R-1 --env", errCmd: "deploy", problem: "--env needs a value, like --env production"},
		{name: "option followed by an option", in: "deploy R-1 --env --override x", errCmd: "deploy", problem: "--env needs a value"},
		{name: "option with empty = value", in: "deploy R-1 --env=", errCmd: "deploy", problem: "--env needs a value"},
		{name: "option with empty quoted value", in: `deploy R-1 --env ""`, errCmd: "deploy", problem: "--env needs a value"},
		{name: "single dash option", in: "deploy R-1 -env prod", errCmd: "deploy", problem: `"-env" needs two dashes`, suggestion: "--env"},
		{name: "three dash option", in: "deploy R-1 ---env prod", errCmd: "deploy", problem: `"---env" needs two dashes`, suggestion: "--env"},
		{name: "unknown option without a close one", in: "deploy R-1 --force", errCmd: "deploy", problem: `Unknown option "--force" for /release deploy`},
		{name: "unknown option for a command without options", in: "audit R-1 --all", errCmd: "audit", problem: "/release audit takes no options"},
	})
}
