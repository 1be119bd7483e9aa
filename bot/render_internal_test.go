package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// A ready release's card says when its window next opens.
func TestStatusTextSaysWhenTheWindowOpens(t *testing.T) {
	cfg := config.Demo() // weekly-train: 0 14 * * TUE,THU for 2h, UTC
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{name: "before the opening", now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), want: "which opens Tue 1 Dec 2026 14:00 UTC"},
		{name: "after the window closed", now: time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC), want: "which opens Thu 3 Dec 2026 14:00 UTC"},
		{name: "while it is open", now: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), want: "is open but a freeze holds it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newView(cfg)
			v.now = func() time.Time { return tt.now }
			r := &releases.Release{ID: 3, Status: releases.StatusReady, Window: "weekly-train", Teams: []string{"payments"}}
			if got := v.statusText(r); !strings.Contains(got, tt.want) {
				t.Fatalf("statusText = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}
