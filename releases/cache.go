package releases

import (
	"slices"
	"sync"
	"time"
)

// Versioned is implemented by stores that can tell when a release read
// earlier may be out of date.
type Versioned interface {
	// DataVersion returns a number that moves on after every committed
	// change that may alter a release: by this process at once, by other
	// processes as soon as the store hears of it. ok is false while the
	// store cannot hear of others' changes; nothing may be kept then.
	DataVersion() (v uint64, ok bool)
}

// readCacheSize bounds the releases a Coordinator keeps; past it the cache
// starts over. Status answers ask about a handful of active releases.
const readCacheSize = 1024

// readCacheMaxAge bounds how long a kept release is trusted even when no
// change was heard of: a write by another process on a SQLite file (an
// operator's one-off command) announces nothing.
const readCacheMaxAge = time.Second

// readCache keeps releases that Get loaded, each with the store's data
// version read before loading it. An entry answers while the version has
// not moved and it is younger than readCacheMaxAge. Writers never read
// through it: they lock the release in their transaction.
type readCache struct {
	store Versioned
	now   func() time.Time // a monotonic clock: how old an entry is, not what time it is

	mu      sync.Mutex
	entries map[int64]cachedRelease
}

type cachedRelease struct {
	r       *Release
	version uint64
	at      time.Time
}

// shared returns the kept release id itself, if it is still current: the
// same one on every call until it is replaced.
func (c *readCache) shared(id int64) (*Release, bool) {
	v, ok := c.store.DataVersion()
	if !ok {
		return nil, false
	}
	c.mu.Lock()
	e, found := c.entries[id]
	c.mu.Unlock()
	if !found || e.version != v || c.now().Sub(e.at) >= readCacheMaxAge {
		return nil, false
	}
	return e.r, true
}

// keep keeps r itself, loaded after version v was read, for readers that
// share it (GetShared).
func (c *readCache) keep(r *Release, v uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= readCacheSize {
		c.entries = make(map[int64]cachedRelease)
	}
	c.entries[r.ID] = cachedRelease{r: r, version: v, at: c.now()}
}

// clone copies r deeply enough that changing the copy leaves r alone.
func (r *Release) clone() *Release {
	out := *r
	out.Teams = slices.Clone(r.Teams)
	out.Components = slices.Clone(r.Components)
	out.Environments = slices.Clone(r.Environments)
	out.SignOffs = slices.Clone(r.SignOffs)
	out.Deployments = slices.Clone(r.Deployments)
	return &out
}
