package commands

import (
	"fmt"
	"strings"
	"unicode"
)

// word is one shell-style word of the command text.
type word struct {
	text string
	// quoted: some part of the word was inside quotes.
	quoted bool
	// lead: the word began with a quote, so it is a value even if it looks
	// like an option ("--not-an-option").
	lead bool
	// afterOpt names the option ("notes") whose value this positional word
	// directly follows, so an error can suggest quoting the value.
	afterOpt string
}

// Quote characters. Slack clients, especially on phones and macOS, turn
// typed quotes into typographic ones, so those count as quotes too.
const (
	leftDouble  = '“'
	rightDouble = '”'
	leftSingle  = '‘'
	rightSingle = '’'
)

func isQuote(r rune) bool {
	switch r {
	case '"', '\'', leftDouble, rightDouble, leftSingle, rightSingle:
		return true
	}
	return false
}

func isSingleQuote(r rune) bool { return r == '\'' || r == leftSingle || r == rightSingle }

// split breaks text into words the way a shell would, with changes for chat:
//
//   - Whitespace separates words; "double" and 'single' quotes group them,
//     and so do “smart” and ‘smart’ quotes.
//   - Inside "double quotes", \" and \\ are escapes; elsewhere a backslash is
//     an ordinary character.
//   - A quote opens a quoted part only at the start of a word or right after
//     "=" (--notes="…"); elsewhere it is an apostrophe, so `it's broken`
//     needs no quoting.
//   - A single quote closes a quoted part only before whitespace or the end
//     of the text, so 'it's broken' and ‘it’s broken’ stay one value.
//   - An unquoted leading em or en dash (—env, –env, as autocorrect writes
//     --env) is read as "--".
//
// On an unterminated quote it returns the words before it and a problem
// sentence naming the quote.
func split(text string) ([]word, string) {
	rs := []rune(text)
	var words []word
	i := 0
	for {
		for i < len(rs) && unicode.IsSpace(rs[i]) {
			i++
		}
		if i >= len(rs) {
			return words, ""
		}
		var b strings.Builder
		var w word
		start := i
		for i < len(rs) && !unicode.IsSpace(rs[i]) {
			r := rs[i]
			if isQuote(r) && (i == start || rs[i-1] == '=') {
				next, ok := scanQuoted(rs, i, &b)
				if !ok {
					return words, unterminated(rs, i)
				}
				w.quoted = true
				w.lead = w.lead || i == start
				i = next
				continue
			}
			b.WriteRune(r)
			i++
		}
		w.text = b.String()
		if !w.lead {
			w.text = normalizeDash(w.text)
		}
		words = append(words, w)
	}
}

// scanQuoted copies the quoted part that opens at rs[open] into b and
// returns the index after its closing quote, or false if it never closes.
func scanQuoted(rs []rune, open int, b *strings.Builder) (int, bool) {
	q := rs[open]
	for j := open + 1; j < len(rs); j++ {
		r := rs[j]
		switch {
		case q == '"':
			if r == '\\' && j+1 < len(rs) && (rs[j+1] == '"' || rs[j+1] == '\\') {
				b.WriteRune(rs[j+1])
				j++
				continue
			}
			if r == '"' {
				return j + 1, true
			}
		case q == leftDouble || q == rightDouble:
			// Phones may produce ”…” or mix in a straight quote.
			if r == leftDouble || r == rightDouble || r == '"' {
				return j + 1, true
			}
		default: // single quotes
			if isSingleQuote(r) && (j+1 == len(rs) || unicode.IsSpace(rs[j+1])) {
				return j + 1, true
			}
		}
		b.WriteRune(r)
	}
	return 0, false
}

// unterminated describes the quote at rs[open] that never closes.
func unterminated(rs []rune, open int) string {
	rest := strings.TrimSpace(string(rs[open+1:]))
	if rest == "" {
		return fmt.Sprintf("The %c quote at the end is never closed; remove it or add the text and a closing quote.", rs[open])
	}
	return fmt.Sprintf("The %c quote before %s is never closed; add a closing quote.", rs[open], quote(rest))
}

// normalizeDash turns a leading em or en dash into "--".
func normalizeDash(s string) string {
	for _, d := range []string{"—", "–"} {
		if rest, ok := strings.CutPrefix(s, d); ok && rest != "" {
			return "--" + rest
		}
	}
	return s
}
