package releases_test

import (
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

func TestScrubText(t *testing.T) {
	tests := []struct {
		name, in  string
		max       int
		multiline bool
		want      string
	}{
		{name: "plain", in: "deployed 3/3", max: 100, want: "deployed 3/3"},
		{name: "NUL and escapes dropped", in: "a\x00b\x1b[0m\x7fc\u0085d", max: 100, want: "ab[0mcd"},
		{name: "tabs and line breaks on one line", in: " a\tb\r\nc ", max: 100, want: "a b  c"},
		{name: "line breaks kept when multiline", in: "a\r\nb\tc", max: 100, multiline: true, want: "a \nb c"},
		{name: "invalid UTF-8 dropped", in: "a\xffb", max: 100, want: "ab"},
		{name: "cut on a character boundary", in: strings.Repeat("é", 10), max: 8, want: "éé…"},
		{name: "exactly max", in: "abcd", max: 4, want: "abcd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := releases.ScrubText(tc.in, tc.max, tc.multiline)
			if got != tc.want || len(got) > tc.max {
				t.Fatalf("ScrubText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

func TestCleanURL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "https", in: "https://ci.example.com/run/1?a=b#c", want: "https://ci.example.com/run/1?a=b#c"},
		{name: "http, spaces around", in: " http://ci.example.com/x ", want: "http://ci.example.com/x"},
		{name: "userinfo removed", in: "https://user:pw@ci.example.com/run/1", want: "https://ci.example.com/run/1"},
		{name: "user only removed", in: "https://token@ci.example.com/", want: "https://ci.example.com/"},
		{name: "javascript", in: "javascript:alert(1)", want: ""},
		{name: "data", in: "data:text/html,<script>", want: ""},
		{name: "relative", in: "/runs/1", want: ""},
		{name: "no host", in: "https:///x", want: ""},
		{name: "NUL", in: "https://ci.example.com/\x00", want: ""},
		{name: "too long", in: "https://ci.example.com/" + strings.Repeat("a", releases.MaxURL), want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := releases.CleanURL(tc.in); got != tc.want {
				t.Fatalf("CleanURL(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
