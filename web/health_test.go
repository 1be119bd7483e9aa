package web_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		closeDB  bool
		wantCode int
		wantBody map[string]any
	}{
		{name: "alive", path: "/healthz", wantCode: http.StatusOK, wantBody: map[string]any{"status": "ok"}},
		{name: "alive without a database", path: "/healthz", closeDB: true, wantCode: http.StatusOK, wantBody: map[string]any{"status": "ok"}},
		{name: "ready", path: "/readyz", wantCode: http.StatusOK, wantBody: map[string]any{"status": "ok"}},
		{
			name: "database unreachable", path: "/readyz", closeDB: true, wantCode: http.StatusServiceUnavailable,
			wantBody: map[string]any{"status": "unavailable", "error": "database unreachable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.closeDB {
				if err := f.store.DB().Close(); err != nil {
					t.Fatal(err)
				}
			}
			got := f.get(t, tt.path)
			if got.Code != tt.wantCode {
				t.Errorf("status %d, want %d", got.Code, tt.wantCode)
			}
			if !reflect.DeepEqual(got.Body, tt.wantBody) {
				t.Errorf("body %s, want %v", got.Raw, tt.wantBody)
			}
			if tt.closeDB && tt.path == "/readyz" && !strings.Contains(f.logs.String(), "database is closed") {
				t.Errorf("log does not hold the database error:\n%s", f.logs)
			}
		})
	}
}
