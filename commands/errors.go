package commands

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UsageError says why a command line could not be parsed, in words a Slack
// user can act on. Parse returns no other kind of error.
type UsageError struct {
	// Command is the subcommand the error is about, or "" when the
	// subcommand itself is missing or unknown.
	Command string
	// Problem is one or more sentences naming what is wrong.
	Problem string
	// Usage is the command's usage line(s) ("/release deploy R-n …"), or,
	// when Command is "", the suggested subcommand's usage line, or without
	// a suggestion the usage lines of every subcommand.
	Usage string
	// Suggestion is the closest valid word, or "". When Command is "" it is
	// a subcommand ("status" for "stauts"); otherwise it is an option
	// ("--env" for "--evn") or a value ("deployed" for "deploid").
	Suggestion string
}

// Error returns the problem, then "Did you mean …?" when there is a
// suggestion, then the usage, one item per line.
func (e *UsageError) Error() string {
	var b strings.Builder
	problem := e.Problem
	if problem == "" {
		problem = "That is not a valid /release command."
	}
	b.WriteString(problem)
	if e.Suggestion != "" {
		if e.Command == "" {
			fmt.Fprintf(&b, "\nDid you mean `/release %s`?", e.Suggestion)
		} else {
			fmt.Fprintf(&b, "\nDid you mean `%s`?", e.Suggestion)
		}
	}
	if e.Usage != "" {
		lines := strings.Split(e.Usage, "\n")
		if len(lines) == 1 {
			fmt.Fprintf(&b, "\nUsage: `%s`", lines[0])
		} else {
			b.WriteString("\nUsage:")
			for _, l := range lines {
				fmt.Fprintf(&b, "\n`%s`", l)
			}
		}
	}
	return b.String()
}

// usageErrorf returns a *UsageError about cmd ("" for none) whose Usage is
// cmd's usage line, or every usage line when cmd is "".
func usageErrorf(cmd, format string, args ...any) *UsageError {
	return &UsageError{Command: cmd, Problem: sentence(fmt.Sprintf(format, args...)), Usage: usageFor(cmd)}
}

// usageFor returns the Usage field for a *UsageError about cmd.
func usageFor(cmd string) string {
	if cmd == "" {
		return allUsage()
	}
	return Usage(cmd)
}

// sentence makes s start with a capital letter and end with punctuation, so
// messages built from lower-case Go errors read as sentences.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	switch s[len(s)-1] {
	case '.', '?', '!', ':':
		return s
	}
	return s + "."
}

// quote shows a user's word inside a message: Go-quoted, so invisible or odd
// characters show up, and shortened so one long word cannot flood the reply.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
