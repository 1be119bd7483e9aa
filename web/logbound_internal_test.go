package web

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		name, in string
		limit    int
		want     string
	}{
		{name: "short", in: "abc", limit: 3, want: "abc"},
		{name: "long", in: "abcdef", limit: 4, want: "abcd…[2 bytes cut]"},
		{name: "not inside a character", in: "aé€x", limit: 4, want: "aé…[4 bytes cut]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncate(tt.in, tt.limit)
			if got != tt.want || !utf8.ValidString(got) {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

func TestBoundLogger(t *testing.T) {
	var buf bytes.Buffer
	long := strings.Repeat("x", 5*MaxLogValue)
	log := boundLogger(slog.New(slog.NewJSONHandler(&buf, nil))).With("with", long).WithGroup("g")
	log.Info("m", "s", long, "err", errors.New(long), "any", []string{long}, "n", 42,
		slog.Group("grp", "inner", long), "stack", long)
	line := buf.String()
	// Five values cut to MaxLogValue, the stack kept whole (below its own
	// bound), a few bytes of keys and time.
	if max := 5*(MaxLogValue+32) + len(long) + 200; len(line) > max {
		t.Errorf("line of %d bytes, want at most %d:\n%.300s", len(line), max, line)
	}
	if !strings.Contains(line, `"n":42`) || strings.Count(line, "bytes cut]") != 5 {
		t.Errorf("line %.2000s", line)
	}
	if boundLogger(log) != log {
		t.Error("boundLogger wraps twice")
	}
}
