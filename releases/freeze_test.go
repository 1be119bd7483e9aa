package releases_test

import (
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

func TestFreezeActive(t *testing.T) {
	f := releases.Freeze{Start: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{name: "before", at: f.Start.Add(-time.Second), want: false},
		{name: "at start", at: f.Start, want: true},
		{name: "inside", at: f.Start.Add(time.Hour), want: true},
		{name: "at end", at: f.End, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.Active(tt.at); got != tt.want {
				t.Errorf("Active(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}
