package releases

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The forms of what people type, checked here once for every adapter (the
// command parser calls the same functions for its early answers).

// MaxServiceName and MaxVersion are the longest service name and version,
// in characters.
const (
	MaxServiceName = 100
	MaxVersion     = 100
)

var (
	// Service names are ASCII, so lower-casing them is exact. Deployers may
	// use them as paths: every part between slashes starts with a letter or
	// digit, which rules out "", "." and "..".
	serviceChars   = regexp.MustCompile(`^[a-z0-9._/-]+$`)
	serviceSegment = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	// Deployers interpolate versions into shell commands and URLs: a small
	// set of characters, starting with a letter or digit so that a version
	// is never read as an option ("-rf").
	versionForm = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
)

// NormalizeService returns the service name as stored: trimmed and
// lower-case, so "Payments-API" and "payments-api" are one service. It
// refuses, with EInvalid, names outside [a-z0-9._/-] (any case), longer than
// MaxServiceName, or with an empty, "." or ".." part between slashes.
func NormalizeService(s string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxServiceName || !serviceChars.MatchString(name) {
		return "", Errorf(EInvalid, "%s is not a service name; use 1 to %d letters, digits and - _ . /, like payments-api.", quoteText(s), MaxServiceName)
	}
	for _, seg := range strings.Split(name, "/") {
		if !serviceSegment.MatchString(seg) {
			return "", Errorf(EInvalid, "%s is not a service name; each part between slashes must start with a letter or digit, so empty, \".\" and \"..\" parts are not allowed.", quoteText(s))
		}
	}
	return name, nil
}

// CheckVersion refuses, with EInvalid, a version that is empty, longer than
// MaxVersion, or not made of [A-Za-z0-9._+-] starting with a letter or
// digit (v2.4.0, 2026.12.01+build7).
func CheckVersion(v string) error {
	if utf8.RuneCountInString(v) > MaxVersion || !versionForm.MatchString(v) {
		return Errorf(EInvalid, "%s is not a version; use 1 to %d letters, digits and . _ + -, starting with a letter or digit, like v2.4.0.", quoteText(v), MaxVersion)
	}
	return nil
}

// CheckText refuses, with EInvalid, text that is not what it looks like:
// invalid UTF-8, control characters other than whitespace, and Unicode
// format characters (category Cf: zero-width spaces and joiners, bidi
// overrides and isolates, the byte order mark, soft hyphens), which hide
// text or make it read in another order. where names the text for the
// message ("the notes", `the word "x"`).
func CheckText(where, s string) error {
	if !utf8.ValidString(s) {
		return Errorf(EInvalid, "There is invalid UTF-8 in %s; retype it.", where)
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cf, r):
			return Errorf(EInvalid, "There is %s, an invisible formatting character that can disguise text, in %s; retype it without it.", runeName(r), where)
		case unicode.IsControl(r) && !unicode.IsSpace(r):
			return Errorf(EInvalid, "There is the control character %U in %s; remove it.", r, where)
		}
	}
	return nil
}

// CleanText trims free text (a reason, notes) and checks it with
// CheckText. Text of only spaces is no text: it returns "". Text with no
// visible character at all (only blank fillers such as U+3164 or U+2800) is
// refused, so an empty-looking reason can't pass for one. Callers check the
// length.
func CleanText(where, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if err := CheckText(where, s); err != nil {
		return "", err
	}
	if !strings.ContainsFunc(s, visible) {
		return "", Errorf(EInvalid, "There is no visible text in %s; write it in words people can read.", where)
	}
	return s, nil
}

// visible reports whether r shows as something on screen.
func visible(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0', // Hangul fillers
		'\u2800',           // braille pattern blank
		'\u17b4', '\u17b5': // Khmer inherent vowels
		return false
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// formatNames names the format characters people most often meet.
var formatNames = map[rune]string{
	'\u00ad': "SOFT HYPHEN",
	'\u061c': "ARABIC LETTER MARK",
	'\u180e': "MONGOLIAN VOWEL SEPARATOR",
	'\u200b': "ZERO WIDTH SPACE",
	'\u200c': "ZERO WIDTH NON-JOINER",
	'\u200d': "ZERO WIDTH JOINER",
	'\u200e': "LEFT-TO-RIGHT MARK",
	'\u200f': "RIGHT-TO-LEFT MARK",
	'\u202a': "LEFT-TO-RIGHT EMBEDDING",
	'\u202b': "RIGHT-TO-LEFT EMBEDDING",
	'\u202c': "POP DIRECTIONAL FORMATTING",
	'\u202d': "LEFT-TO-RIGHT OVERRIDE",
	'\u202e': "RIGHT-TO-LEFT OVERRIDE",
	'\u2060': "WORD JOINER",
	'\u2066': "LEFT-TO-RIGHT ISOLATE",
	'\u2067': "RIGHT-TO-LEFT ISOLATE",
	'\u2068': "FIRST STRONG ISOLATE",
	'\u2069': "POP DIRECTIONAL ISOLATE",
	'\ufeff': "BYTE ORDER MARK",
}

func runeName(r rune) string {
	if name, ok := formatNames[r]; ok {
		return fmt.Sprintf("%U (%s)", r, name)
	}
	return fmt.Sprintf("%U", r)
}

// quoteText shows a person's text inside a message: Go-quoted, so invisible
// characters show as escapes, and shortened so a long value cannot flood it.
func quoteText(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// ActionEnvOverride is the audit action of a release manager letting a
// create's --envs skip an environment. Unlike ActionOverride it sets no
// window or freeze aside.
const ActionEnvOverride = "env_override"

// checkEnvironments enforces that a new release's environments (in
// configured order, as pick returns them) stop early at most: none may be
// left out before one that is kept, or a release could reach production
// without staging. A release manager's override, with a reason in words,
// allows it; the returned detail, for the audit trail, names what was
// skipped and why. An override with nothing to skip is refused, so the
// audit trail never records one that did nothing.
func (s *Coordinator) checkEnvironments(actor string, envs []string, override string) (string, error) {
	if strings.TrimSpace(override) != "" && !s.policy.IsReleaseManager(actor) {
		return "", s.onlyReleaseManagers("use --override on create")
	}
	override, err := CleanText("the --override reason", override)
	if err != nil {
		return "", err
	}
	all := s.environmentNames()
	var skipped []string
	after := ""
	if len(envs) > 0 {
		last := slices.Index(all, envs[len(envs)-1])
		for i, e := range all[:max(last, 0)] {
			if contains(envs, e) {
				continue
			}
			if len(skipped) == 0 {
				// The first kept environment after the gap.
				for _, k := range all[i+1:] {
					if contains(envs, k) {
						after = k
						break
					}
				}
			}
			skipped = append(skipped, e)
		}
	}
	switch {
	case len(skipped) > 0 && override == "":
		return "", Errorf(EInvalid, "%s comes after %s; --envs can stop early but can't skip %s. A release manager can allow it with --override \"reason\".",
			after, skipped[0], skipped[0])
	case len(skipped) == 0 && override != "":
		return "", Errorf(EInvalid, "There is nothing to override: the release goes to %s without skipping an environment. On create, --override only lets --envs skip one; leave it out.",
			strings.Join(envs, " → "))
	case len(skipped) == 0:
		return "", nil
	}
	return fmt.Sprintf("--envs %s skips %s: %s", strings.Join(envs, ","), strings.Join(skipped, ", "), override), nil
}
