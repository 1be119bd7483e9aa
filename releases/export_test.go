package releases

import "time"

// SetCacheClock makes s's read cache age its entries by now.
func SetCacheClock(s *Coordinator, now func() time.Time) { s.cache.now = now }

// CacheMaxAge is how long a kept release is trusted without a change.
const CacheMaxAge = readCacheMaxAge

// SpreadMedian is the median a spread of ds gives.
func SpreadMedian(ds []time.Duration) time.Duration {
	var s spread
	for _, d := range ds {
		s.add(d)
	}
	return s.median()
}

// SpanCodecRoundTrip encodes the parts of facts over [from, to) and
// decodes them; ok is false when decoding fails.
func SpanCodecRoundTrip(facts []DeploymentFact, from, to time.Time) (same, ok bool) {
	p := partsOfSpan(facts, nil, from, to)
	b := p.encode()
	q, err := decodeSpanParts(b, nil)
	if err != nil {
		return false, false
	}
	return string(q.encode()) == string(b), true
}

// DecodeSpan decodes data as a kept span's; it reports whether it could.
func DecodeSpan(data []byte) bool {
	_, err := decodeSpanParts(data, nil)
	return err == nil
}
