package commands

import "testing"

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
