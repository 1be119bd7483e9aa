package releases

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of outside text that is stored: what deployers say about their
// deployments, and their links.
const (
	MaxMessage = 1000 // bytes of a deployer's message
	MaxURL     = 2000 // bytes of a deployer's link
	MaxNote    = 500  // bytes of why a delivery attempt failed
)

// ScrubText makes outside text fit to store and show: invalid UTF-8 and
// control characters (NUL among them, which PostgreSQL refuses in text) are
// dropped — tabs become spaces, and line breaks are kept only when
// multiline — surrounding space is trimmed and the result is cut to at most
// max bytes, "…" included, on a character boundary. Both databases then
// store the same text.
func ScrubText(s string, max int, multiline bool) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && multiline:
			return r
		case r == '\t', r == '\n', r == '\r':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	return clip(strings.TrimSpace(s), max)
}

// clip cuts s to at most n bytes, "…" included, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := max(n-len(ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// CleanURL keeps a deployer's link only if it is an absolute http(s) URL
// of at most MaxURL bytes without control characters, so a deployer's text
// can't smuggle a javascript: link into the dashboard or Slack. Userinfo
// (https://user:password@host/) is removed: a credential must not end up
// in a thread or on the dashboard. It returns "" for anything else.
func CleanURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > MaxURL || !utf8.ValidString(raw) || strings.ContainsFunc(raw, unicode.IsControl) {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.User = nil
	out := u.String()
	if len(out) > MaxURL {
		return ""
	}
	return out
}
