package releases

import "time"

// SetCacheClock makes s's read cache age its entries by now.
func SetCacheClock(s *Coordinator, now func() time.Time) { s.cache.now = now }

// CacheMaxAge is how long a kept release is trusted without a change.
const CacheMaxAge = readCacheMaxAge
