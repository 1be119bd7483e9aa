package commands

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// Text that looks like something other than what it is, or that a deployer
// would read as more than a name, is refused with a sentence naming it.
func TestParseRefusesLookAlikes(t *testing.T) {
	runParseCases(t, []parseCase{
		// Unicode format characters (category Cf), anywhere.
		{name: "zero-width space in the service", in: "create payments\u200b-api v1", errCmd: "create", problem: "U+200B"},
		{name: "right-to-left override in the service", in: "create payments\u202e-api v1", errCmd: "create", problem: "U+202E"},
		{name: "isolate in the version", in: "create payments-api v1\u2066", errCmd: "create", problem: "U+2066"},
		{name: "byte order mark in front", in: "\ufeffcreate payments-api v1", errCmd: "", problem: "U+FEFF"},
		{name: "zero-width joiner in the notes", in: "create payments-api v1 --notes \"fix\u200dlogin\"", errCmd: "create", problem: "U+200D"},
		{name: "format character in --teams", in: "create payments-api v1 --teams payments,ri\u200bsk", errCmd: "create", problem: "U+200B"},
		{name: "override of a zero-width space", in: "deploy R-1 --override \u200b", errCmd: "deploy", problem: "U+200B"},
		{name: "quoted override of a zero-width space", in: `deploy R-1 --override "` + "\u200b" + `"`, errCmd: "deploy", problem: "U+200B"},
		{name: "reject reason with a bidi override", in: "reject R-1 \u202etliub dab", errCmd: "reject", problem: "U+202E"},
		{name: "cancel reason with a pop isolate", in: "cancel R-1 superseded\u2069", errCmd: "cancel", problem: "U+2069"},
		{name: "freeze reason of a word joiner", in: "freeze until 2026-12-24 18:00 \u2060", errCmd: "freeze", problem: "U+2060"},
		{name: "history with a soft hyphen", in: "history pay\u00adments-api", errCmd: "history", problem: "U+00AD"},
		{name: "the word is shown with the character visible", in: "create payments\u200b-api v1", errCmd: "create", problem: `"payments\u200b-api"`},

		// Reasons and notes need something visible.
		{name: "reject reason of a blank filler", in: "reject R-1 \u3164", errCmd: "reject", problem: "no visible text"},
		{name: "override of braille blanks", in: "deploy R-1 --override \u2800\u2800", errCmd: "deploy", problem: "no visible text"},
		{name: "notes of a blank filler", in: "create svc v1 --notes \u3164", errCmd: "create", problem: "no visible text"},
		{name: "cancel reason of a blank filler", in: "cancel R-1 \u3164", errCmd: "cancel", problem: "no visible text"},

		// Versions go into deployers' shell commands.
		{name: "version with a semicolon", in: "create svc v1;id", errCmd: "create", problem: `"v1;id" is not a version`},
		{name: "version with command substitution", in: "create svc $(id)", errCmd: "create", problem: "is not a version"},
		{name: "version with a backtick", in: "create svc v1`id`", errCmd: "create", problem: "is not a version"},
		{name: "version with a slash", in: "create svc v1/../../x", errCmd: "create", problem: "is not a version"},
		{name: "version with a pipe", in: "create svc v1|sh", errCmd: "create", problem: "is not a version"},
		{name: "version like an option", in: "create svc -- -rf", errCmd: "create", problem: "is not a version"},
		{name: "version with a non-ASCII digit", in: "create svc v1.٣", errCmd: "create", problem: "is not a version"},
		{name: "version of every allowed character", in: "create svc v2.4.0-rc.1+build_7",
			want: Create{Service: "svc", Version: "v2.4.0-rc.1+build_7"}},

		// Service names are paths to some deployers.
		{name: "service with a parent segment", in: "create team/../payments-api v1", errCmd: "create", problem: `"team/../payments-api" is not a service name`},
		{name: "service that is a parent", in: "create ../etc v1", errCmd: "create", problem: "is not a service name"},
		{name: "service with a leading slash", in: "create /payments-api v1", errCmd: "create", problem: "is not a service name"},
		{name: "service with an empty segment", in: "create team//payments-api v1", errCmd: "create", problem: "is not a service name"},
		{name: "service with a trailing slash", in: "create team/ v1", errCmd: "create", problem: "is not a service name"},
		{name: "service with a dot segment", in: "create ./payments-api v1", errCmd: "create", problem: "is not a service name"},
		{name: "history of a parent segment", in: "history a/../b", errCmd: "history", problem: "is not a service name"},
		{name: "service in capitals is kept as typed", in: "create Payments-API v1", want: Create{Service: "Payments-API", Version: "v1"}},

		// Times that are no real moment are refused, not read as "no time".
		{name: "at the zero time", in: `create svc v1 --at "0001-01-01 00:00"`, errCmd: "create", problem: "0001-01-01 00:00 is not a time a release can use"},
		{name: "at the zero time in RFC 3339", in: "create svc v1 --at 0001-01-01T00:00:00Z", errCmd: "create", problem: "is not a time a release can use"},
		{name: "at far in the past", in: `create svc v1 --at "1970-01-01 00:00"`, errCmd: "create", problem: "is not a time a release can use"},
		{name: "at far in the future", in: "create svc v1 --at 9999-12-31T23:59:00Z", errCmd: "create", problem: "is not a time a release can use"},
		{name: "schedule at the zero time", in: "schedule R-1 --at 0001-01-01T00:00:00Z", errCmd: "schedule", problem: "is not a time a release can use"},
		{name: "freeze until the zero time", in: `freeze until "0001-01-01 00:00" "x"`, errCmd: "freeze", problem: "is not a time a release can use"},
	})
}

func TestParseCreateOverride(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "override on create", in: `create payments-api v6 --envs production --override "staging is down (INC-7)"`,
			want: Create{Service: "payments-api", Version: "v6", Envs: []string{"production"}, Override: "staging is down (INC-7)"}},
		{name: "override trimmed", in: `create svc v1 --override=" urgent "`, want: Create{Service: "svc", Version: "v1", Override: "urgent"}},
		{name: "override blank", in: `create svc v1 --override "  "`, errCmd: "create", problem: "--override needs a value"},
		{name: "override too long", in: "create svc v1 --override " + strings.Repeat("x", 501), errCmd: "create", problem: "The --override reason is too long"},
	})
}

func TestParseTimeBounds(t *testing.T) {
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{name: "a normal time", in: "2026-12-01 14:00", ok: true},
		{name: "first allowed year", in: "2000-01-01T00:00:00Z", ok: true},
		{name: "last allowed year", in: "2099-12-31 23:59", ok: true},
		{name: "zero", in: "0001-01-01 00:00"},
		{name: "zero RFC 3339", in: "0001-01-01T00:00:00Z"},
		{name: "before 2000", in: "1999-12-31T23:59:00Z"},
		{name: "2100", in: "2100-01-01 00:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.in, berlin)
			if tc.ok != (err == nil) {
				t.Fatalf("ParseTime(%q) = %v, %v; want ok %v", tc.in, got, err, tc.ok)
			}
			if err == nil && got.IsZero() {
				t.Fatalf("ParseTime(%q) gave the zero time", tc.in)
			}
			if err != nil && !strings.Contains(err.Error(), "between 2000 and 2099") {
				t.Fatalf("error %q does not say which years work", err)
			}
		})
	}
}

// Every Unicode format character is refused, wherever it stands: the rule
// is the category (Cf), not a list.
func TestParseRefusesEveryFormatCharacter(t *testing.T) {
	n := 0
	for _, rng := range unicode.Cf.R16 {
		for r := rune(rng.Lo); r <= rune(rng.Hi); r += rune(rng.Stride) {
			n += checkRefused(t, r)
		}
	}
	for _, rng := range unicode.Cf.R32 {
		for r := rune(rng.Lo); r <= rune(rng.Hi); r += rune(rng.Stride) {
			n += checkRefused(t, r)
		}
	}
	if n < 150 {
		t.Fatalf("checked only %d format characters", n)
	}
}

func checkRefused(t *testing.T, r rune) int {
	t.Helper()
	for _, in := range []string{
		"create payments-api v1 --notes \"ok" + string(r) + "\"",
		"reject R-1 " + string(r),
		"deploy R-1 --override \"x" + string(r) + "y\"",
	} {
		if c, err := Parse(in, berlin); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%U", r)) {
			t.Errorf("Parse(%q) = %#v, %v; want an error naming %U", in, c, err, r)
		}
	}
	return 1
}
