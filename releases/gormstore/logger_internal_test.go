package gormstore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

// The store's SQL log names failed and slow statements, stays quiet about
// the errors the store answers itself, and does not render a statement it
// will not log.
func TestSQLLogLogsFailuresAndSlowStatementsOnly(t *testing.T) {
	tests := []struct {
		name    string
		elapsed time.Duration
		err     error
		want    string // in the log; "" for no line and no rendering
	}{
		{"fast", time.Millisecond, nil, ""},
		{"not found", time.Millisecond, gorm.ErrRecordNotFound, ""},
		{"duplicate", time.Millisecond, gorm.ErrDuplicatedKey, ""},
		{"failed", time.Millisecond, errors.New("relation \"releases\" does not exist"), `level=ERROR`},
		{"slow", slowSQL + 50*time.Millisecond, nil, `level=WARN`},
		{"slow duplicate", slowSQL + 50*time.Millisecond, gorm.ErrDuplicatedKey, `level=WARN`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := gormLogger(slog.New(slog.NewTextHandler(&buf, nil)))
			rendered := false
			l.Trace(context.Background(), time.Now().Add(-tt.elapsed), func() (string, int64) {
				rendered = true
				return "SELECT * FROM releases WHERE id = 7", 1
			}, tt.err)
			got := buf.String()
			if tt.want == "" {
				if got != "" || rendered {
					t.Errorf("logged %q (rendered %v), want nothing", got, rendered)
				}
				return
			}
			if !strings.Contains(got, tt.want) || !strings.Contains(got, "SELECT * FROM releases WHERE id = 7") {
				t.Errorf("logged %q, want a line with %s and the statement", got, tt.want)
			}
		})
	}
}
