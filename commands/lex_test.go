package commands

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    []string
		problem string
	}{
		{name: "empty", in: "", want: nil},
		{name: "spaces", in: "  a  b\tc\n", want: []string{"a", "b", "c"}},
		{name: "double quotes group", in: `a "b c" d`, want: []string{"a", "b c", "d"}},
		{name: "single quotes group", in: `a 'b c' d`, want: []string{"a", "b c", "d"}},
		{name: "smart double quotes", in: "a “b c” d", want: []string{"a", "b c", "d"}},
		{name: "smart single quotes", in: "a ‘b c’ d", want: []string{"a", "b c", "d"}},
		{name: "smart quote closed by straight quote", in: "a “b c\" d", want: []string{"a", "b c", "d"}},
		{name: "empty quotes are an empty word", in: `a "" b`, want: []string{"a", "", "b"}},
		{name: "escapes in double quotes", in: `"a \"b\" \\ c"`, want: []string{`a "b" \ c`}},
		{name: "other backslashes literal", in: `"a\tb" c\ d`, want: []string{`a\tb`, `c\`, "d"}},
		{name: "no escapes in single quotes", in: `'a\'b c'`, want: []string{`a\'b c`}},
		{name: "quote after = opens", in: `--notes="a b" x`, want: []string{"--notes=a b", "x"}},
		{name: "quote mid-word is an apostrophe", in: `it's Dave's`, want: []string{"it's", "Dave's"}},
		{name: "smart apostrophe mid-word", in: "it’s fine", want: []string{"it’s", "fine"}},
		{name: "single quote closes only before space", in: `'it's fine' x`, want: []string{"it's fine", "x"}},
		{name: "double quote continues the word", in: `"a b"c`, want: []string{"a bc"}},
		{name: "em dash becomes two dashes", in: "—env —", want: []string{"--env", "—"}},
		{name: "quoted em dash stays", in: `"—env"`, want: []string{"—env"}},
		{name: "unicode spaces separate", in: "a\u00a0b\u2003c", want: []string{"a", "b", "c"}},
		{name: "unterminated double", in: `a "b c`, problem: `The " quote before "b c" is never closed`},
		{name: "unterminated single", in: `a 'b c`, problem: `The ' quote before "b c" is never closed`},
		{name: "unterminated smart", in: "a ‘b c", problem: `The ‘ quote before "b c" is never closed`},
		{name: "escaped quote does not close", in: `"a\"`, problem: "never closed"},
		{name: "long unterminated text is shortened", in: `"` + strings.Repeat("x", 100), problem: "…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			words, problem := split(tc.in)
			if tc.problem != "" {
				if !strings.Contains(problem, tc.problem) {
					t.Fatalf("split(%q) problem = %q, want it to contain %q", tc.in, problem, tc.problem)
				}
				return
			}
			if problem != "" {
				t.Fatalf("split(%q) problem %q", tc.in, problem)
			}
			var got []string
			for _, w := range words {
				got = append(got, w.text)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("split(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSplitMarksQuotedWords(t *testing.T) {
	words, _ := split(`a "b" --c="d" "e"f`)
	want := []word{
		{text: "a"},
		{text: "b", quoted: true, lead: true},
		{text: "--c=d", quoted: true},
		{text: "ef", quoted: true, lead: true},
	}
	if !reflect.DeepEqual(words, want) {
		t.Fatalf("split = %+v, want %+v", words, want)
	}
}
