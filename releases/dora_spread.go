package releases

import (
	"cmp"
	"slices"
	"time"
)

// Resolution is the step of d's bucket in a DORA median: the second below
// a minute, the minute below a day, the hour above — the resolution people
// read those figures at (bot shows "45s", "3h 17m", "2d 5h"). Durations
// with one resolution read the same.
func Resolution(d time.Duration) time.Duration {
	r := d.Round(time.Second)
	switch {
	case r >= 24*time.Hour:
		return r.Truncate(time.Hour)
	case r >= time.Minute:
		return r.Truncate(time.Minute)
	}
	return r
}

// spread is a multiset of durations kept per Resolution bucket, each with
// its count and its least and greatest value: what a median needs of a
// month of lead times without keeping every one. Its size grows with the
// distinct buckets (at most a few thousand), not with the durations.
//
// The median it gives reads as the exact median does: each middle
// duration is exact when it is the least or the greatest of its bucket
// (so whenever the middle two of an even count fall in two buckets, and
// whenever a bucket holds one duration), and otherwise lies in its
// bucket, between the two.
type spread []bucket // by key

type bucket struct {
	key      time.Duration // Resolution of every duration in it
	n        int
	min, max time.Duration
}

// add counts d.
func (s *spread) add(d time.Duration) {
	s.addBucket(bucket{key: Resolution(d), n: 1, min: d, max: d})
}

func (s *spread) addBucket(b bucket) {
	i, found := slices.BinarySearchFunc(*s, b.key, func(x bucket, k time.Duration) int { return cmp.Compare(x.key, k) })
	if !found {
		*s = slices.Insert(*s, i, b)
		return
	}
	x := &(*s)[i]
	x.n += b.n
	x.min, x.max = min(x.min, b.min), max(x.max, b.max)
}

// merge adds every duration of o.
func (s *spread) merge(o spread) {
	if len(*s) == 0 {
		*s = slices.Clone(o)
		return
	}
	for _, b := range o {
		s.addBucket(b)
	}
}

// count is how many durations s holds.
func (s spread) count() int {
	n := 0
	for _, b := range s {
		n += b.n
	}
	return n
}

// median is the middle duration, or the mean of the middle two; zero for
// none. See spread.
func (s spread) median() time.Duration {
	n := s.count()
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s.at(n / 2)
	}
	return (s.at(n/2-1) + s.at(n/2)) / 2
}

// at is the k-th duration (from 0) in order, or one in its bucket.
func (s spread) at(k int) time.Duration {
	seen := 0
	for _, b := range s {
		if k < seen+b.n {
			switch k - seen {
			case 0:
				return b.min
			case b.n - 1:
				return b.max
			}
			return b.min + (b.max-b.min)/2
		}
		seen += b.n
	}
	return 0
}
