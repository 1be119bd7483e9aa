package web

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// TestStatusFor covers the codes no GET route can provoke through the real
// service yet (conflict, forbidden) along with the rest.
func TestStatusFor(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "invalid", err: releases.Errorf(releases.EInvalid, "Bad."), want: http.StatusBadRequest},
		{name: "not found", err: releases.Errorf(releases.ENotFound, "Gone."), want: http.StatusNotFound},
		{name: "conflict", err: releases.Errorf(releases.EConflict, "Not now."), want: http.StatusConflict},
		{name: "forbidden", err: releases.Errorf(releases.EForbidden, "Not you."), want: http.StatusForbidden},
		{name: "too many", err: releases.Errorf(releases.ETooMany, "Later."), want: http.StatusTooManyRequests},
		{name: "wrapped", err: fmt.Errorf("get: %w", releases.Errorf(releases.ENotFound, "Gone.")), want: http.StatusNotFound},
		{name: "internal", err: releases.Errorf(releases.EInternal, "broke"), want: http.StatusInternalServerError},
		{name: "plain error", err: errors.New("dial tcp: connection refused"), want: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusFor(releases.ErrorCode(tt.err)); got != tt.want {
				t.Errorf("statusFor(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, id := range []int64{1, 42, 1 << 62} {
		t.Run(fmt.Sprint(id), func(t *testing.T) {
			got, err := decodeCursor(encodeCursor(id))
			if err != nil || got != id {
				t.Errorf("decodeCursor(encodeCursor(%d)) = %d, %v", id, got, err)
			}
		})
	}
}
