package releases_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// The median kept per bucket reads as the exact median — and is the
// exact median whenever no bucket holds two of the durations.
func TestSpreadMedianReadsAsTheExactMedian(t *testing.T) {
	scales := []time.Duration{time.Second, time.Minute, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	for seed := range uint64(2000) {
		rng := rand.New(rand.NewPCG(seed, 1))
		ds := make([]time.Duration, 1+rng.IntN(60))
		for i := range ds {
			ds[i] = time.Duration(rng.Int64N(int64(scales[rng.IntN(len(scales))])))
			if rng.IntN(10) == 0 {
				ds[i] = -ds[i] % time.Minute // a clock a little off
			}
		}
		s := slices.Sorted(slices.Values(ds))
		exact := s[len(s)/2]
		if len(s)%2 == 0 {
			exact = (s[len(s)/2-1] + s[len(s)/2]) / 2
		}
		got := releases.SpreadMedian(ds)
		if releases.Resolution(got) != releases.Resolution(exact) {
			t.Fatalf("seed %d: median of %v = %v, reads as %v; exact %v reads as %v", seed, ds, got, releases.Resolution(got), exact, releases.Resolution(exact))
		}
		buckets := map[time.Duration]bool{}
		for _, d := range ds {
			buckets[releases.Resolution(d)] = true
		}
		if len(buckets) == len(ds) && got != exact {
			t.Fatalf("seed %d: median of %v = %v, want exactly %v (no bucket holds two)", seed, ds, got, exact)
		}
	}
	if got := releases.SpreadMedian(nil); got != 0 {
		t.Fatalf("median of none = %v, want 0", got)
	}
}

func TestResolution(t *testing.T) {
	for _, tc := range []struct{ d, want time.Duration }{
		{0, 0},
		{1400 * time.Millisecond, time.Second},
		{59*time.Second + 600*time.Millisecond, time.Minute},
		{3*time.Hour + 17*time.Minute + 42*time.Second, 3*time.Hour + 17*time.Minute},
		{23*time.Hour + 59*time.Minute + 59*time.Second + 700*time.Millisecond, 24 * time.Hour},
		{53*time.Hour + 59*time.Minute, 53 * time.Hour},
		{-1500 * time.Millisecond, -2 * time.Second},
	} {
		if got := releases.Resolution(tc.d); got != tc.want {
			t.Errorf("Resolution(%v) = %v, want %v", tc.d, got, tc.want)
		}
	}
}

// A kept span's data decodes to what was encoded; anything else — cut
// short, or bytes that are not a span — is refused, so that the span is
// computed again rather than read wrong.
func TestSpanData(t *testing.T) {
	end := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	facts := history(rand.New(rand.NewPCG(3, 3)), 300, end)
	from, to := end.Add(-40*24*time.Hour), end
	same, ok := releases.SpanCodecRoundTrip(facts, from, to)
	if !ok || !same {
		t.Fatalf("round trip: decoded %v, same %v", ok, same)
	}
	if releases.DecodeSpan(nil) || releases.DecodeSpan([]byte{9, 0, 0}) || releases.DecodeSpan([]byte{1, 0}) {
		t.Fatal("decoded data that is not a span")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for range 2000 {
		b := make([]byte, 1+rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		b[0] = 1
		releases.DecodeSpan(b) // must not panic or allocate wildly
	}
}
