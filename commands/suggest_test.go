package commands

import "testing"

func TestEditDistance(t *testing.T) {
	cases := []struct {
		name, a, b string
		want       int
	}{
		{name: "equal", a: "status", b: "status", want: 0},
		{name: "empty", a: "", b: "abc", want: 3},
		{name: "transposition", a: "stauts", b: "status", want: 1},
		{name: "substitution", a: "deplay", b: "deploy", want: 1},
		{name: "insertion and deletion", a: "shedul", b: "schedule", want: 2},
		{name: "runes not bytes", a: "ütc", b: "utc", want: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := editDistance(tc.a, tc.b); got != tc.want {
				t.Fatalf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := editDistance(tc.b, tc.a); got != tc.want {
				t.Fatalf("editDistance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	cases := []struct {
		name, word string
		candidates []string
		want       string
	}{
		{name: "typo", word: "stauts", candidates: commandNames(), want: "status"},
		{name: "case ignored", word: "STAUTS", candidates: commandNames(), want: "status"},
		{name: "unique prefix", word: "roll", candidates: commandNames(), want: "rollback"},
		{name: "ambiguous prefix, no close word", word: "s", candidates: commandNames(), want: ""},
		{name: "short word allows one edit", word: "lst", candidates: commandNames(), want: "list"},
		{name: "short word not two edits", word: "ab", candidates: []string{"xyab"}, want: ""},
		{name: "too far", word: "banana", candidates: commandNames(), want: ""},
		{name: "tie goes to the earlier candidate", word: "ab", candidates: []string{"ax", "xb"}, want: "ax"},
		{name: "unique substring", word: "promotion", candidates: listStatuses, want: "awaiting_promotion"},
		{name: "empty", word: "", candidates: commandNames(), want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := suggest(tc.word, tc.candidates); got != tc.want {
				t.Fatalf("suggest(%q) = %q, want %q", tc.word, got, tc.want)
			}
		})
	}
}
