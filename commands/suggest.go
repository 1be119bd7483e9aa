package commands

import (
	"strings"
	"unicode/utf8"

	"github.com/releasebot/releasebot/internal/textdist"
)

// commandAliases map words people try from other tools to the subcommand
// they mean. They are only ever suggested, never run.
var commandAliases = map[string]string{
	"ls":      "list",
	"show":    "status",
	"info":    "status",
	"promote": "deploy",
	"ship":    "deploy",
	"revert":  "rollback",
	"abort":   "cancel",
	"new":     "create",
	"open":    "create",
	"thaw":    "unfreeze",
	"log":     "audit",
	"lgtm":    "approve",
}

// suggest returns the candidate closest to word, or "" if none is close
// enough to be a likely typo. In order it tries: a candidate that word is a
// unique prefix of ("stat" → "status"); the nearest candidate within an
// edit distance of 2 (1 for words of up to 3 letters), transpositions
// counting as one edit, ties going to the earlier candidate; a candidate
// that uniquely contains word ("signoff" → "awaiting_signoff").
// Comparison ignores case.
func suggest(word string, candidates []string) string {
	w := strings.ToLower(word)
	if w == "" || utf8.RuneCountInString(w) > 64 {
		return ""
	}
	if c, ok := unique(candidates, func(c string) bool { return strings.HasPrefix(c, w) }); ok {
		return c
	}
	maxDist := 2
	if utf8.RuneCountInString(w) <= 3 {
		maxDist = 1
	}
	best, bestDist := "", maxDist+1
	for _, c := range candidates {
		if d := textdist.Distance(w, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best
	}
	if utf8.RuneCountInString(w) >= 4 {
		if c, ok := unique(candidates, func(c string) bool { return strings.Contains(c, w) }); ok {
			return c
		}
	}
	return ""
}

// unique returns the one candidate that matches, if exactly one does.
func unique(candidates []string, match func(string) bool) (string, bool) {
	found := ""
	for _, c := range candidates {
		if match(c) {
			if found != "" {
				return "", false
			}
			found = c
		}
	}
	return found, found != ""
}
