package textdist

import "testing"

func TestDistance(t *testing.T) {
	cases := []struct {
		name, a, b string
		want       int
	}{
		{name: "equal", a: "status", b: "status", want: 0},
		{name: "empty", a: "", b: "abc", want: 3},
		{name: "transposition", a: "stauts", b: "status", want: 1},
		{name: "substitution", a: "deplay", b: "deploy", want: 1},
		{name: "insertion and deletion", a: "shedul", b: "schedule", want: 2},
		{name: "runes not bytes", a: "ütc", b: "utc", want: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Distance(tc.a, tc.b); got != tc.want {
				t.Fatalf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := Distance(tc.b, tc.a); got != tc.want {
				t.Fatalf("Distance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
			}
		})
	}
}
