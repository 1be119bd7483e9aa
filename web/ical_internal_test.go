package web

import (
	"strings"
	"testing"
	"time"
)

func TestEscapeText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "weekly train", want: "weekly train"},
		{name: "specials", in: `a,b;c\d`, want: `a\,b\;c\\d`},
		{name: "newlines", in: "one\ntwo\r\nthree", want: `one\ntwo\nthree`},
		{name: "control characters dropped", in: "a\x00b\x1bc\x7fd\te", want: "abcd\te"},
		{name: "invalid UTF-8 dropped", in: "ok\xffok", want: "okok"},
		{name: "unicode kept", in: "Grüße ❄", want: "Grüße ❄"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeText(tt.in); got != tt.want {
				t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFolding(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{name: "short", value: "abc", want: "X:abc\r\n"},
		{name: "exactly 75", value: strings.Repeat("a", 73), want: "X:" + strings.Repeat("a", 73) + "\r\n"},
		{name: "76 folds", value: strings.Repeat("a", 74), want: "X:" + strings.Repeat("a", 73) + "\r\n a\r\n"},
		{
			name:  "long",
			value: strings.Repeat("b", 73+74+10),
			want:  "X:" + strings.Repeat("b", 73) + "\r\n " + strings.Repeat("b", 74) + "\r\n " + strings.Repeat("b", 10) + "\r\n",
		},
		{
			// ü is two octets; a fold at octet 75 would split it, so the
			// first line stops at 74.
			name:  "never splits a character",
			value: strings.Repeat("a", 72) + "ü" + "z",
			want:  "X:" + strings.Repeat("a", 72) + "\r\n üz\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w icalWriter
			w.prop("X", tt.value)
			if got := w.buf.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestICalUID(t *testing.T) {
	start := time.Date(2026, 12, 1, 14, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct{ name, window, want string }{
		{name: "plain", window: "weekly-train", want: "window-weekly-train-20261201T130000Z@releasebot"},
		{name: "spaces and specials", window: "late train, 2/3", want: "window-late%20train%2C%202%2F3-20261201T130000Z@releasebot"},
		{name: "unicode", window: "Zug ü", want: "window-Zug%20%C3%BC-20261201T130000Z@releasebot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := icalUID("window", tt.window, start); got != tt.want {
				t.Errorf("icalUID(%q) = %q, want %q", tt.window, got, tt.want)
			}
		})
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{45 * time.Second, "45 s"}, {3 * time.Minute, "3 min"}, {2 * time.Hour, "2 h"},
		{2*time.Hour + 5*time.Minute, "2 h 5 min"}, {72 * time.Hour, "3 days"}, {-3 * time.Minute, "3 min"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(30 * time.Second), "now"}, {now.Add(3*time.Hour + 58*time.Minute), "in 3 h 58 min"}, {now.Add(-50 * time.Hour), "2 days ago"},
	} {
		if got := relative(tt.t, now); got != tt.want {
			t.Errorf("relative(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}
