package releases

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"
)

// spanCodec is the first byte of a kept span's data: its format.
const spanCodec = 1

var errSpanData = errors.New("DORA span data: unreadable")

// encode writes p compactly (varints): a kept span is read back a month
// at a time, so its size and decoding cost count.
func (p spanParts) encode() []byte {
	b := []byte{spanCodec}
	for i, m := range []map[string]*doraPart{p.services, p.releases} {
		if i == 1 && p.trainless {
			return append(b, 0) // no train: the release view is the services'
		} else if i == 1 {
			b = append(b, 1)
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			x := m[k]
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = binary.AppendUvarint(b, uint64(x.Changes))
			b = binary.AppendUvarint(b, uint64(x.Deployments))
			b = binary.AppendUvarint(b, uint64(x.Failures))
			b = appendSpread(b, x.Leads)
			b = appendSpread(b, x.Restores)
			b = binary.AppendUvarint(b, uint64(len(x.Pending)))
			for _, t := range x.Pending {
				b = binary.AppendVarint(b, t.UnixNano())
			}
			if x.FirstOK.IsZero() {
				b = append(b, 0)
			} else {
				b = append(b, 1)
				b = binary.AppendVarint(b, x.FirstOK.UnixNano())
			}
		}
	}
	return b
}

func appendSpread(b []byte, s spread) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	for _, x := range s {
		b = binary.AppendVarint(b, int64(x.key))
		b = binary.AppendUvarint(b, uint64(x.n))
		b = binary.AppendVarint(b, int64(x.min-x.key)) // small: within the bucket
		b = binary.AppendVarint(b, int64(x.max-x.key))
	}
	return b
}

// decodeSpanParts reads what encode wrote; errSpanData for anything else
// (the span is then computed again). Names are interned in names, shared
// by the spans of one read. The parts share arrays: only read them (or
// copy them, as joinInto does).
func decodeSpanParts(data []byte, names map[string]string) (spanParts, error) {
	d := decoder{b: data, names: names}
	if d.byte() != spanCodec {
		return spanParts{}, errSpanData
	}
	p := spanParts{services: d.parts()}
	if d.byte() == 0 {
		p.releases, p.trainless = p.services, true
	} else {
		p.releases = d.parts()
	}
	if d.err != nil || len(d.b) != 0 {
		return spanParts{}, errSpanData
	}
	return p, nil
}

func (d *decoder) parts() map[string]*doraPart {
	n := d.count()
	m := make(map[string]*doraPart, n)
	all := make([]doraPart, n)
	for i := range n {
		k := d.string()
		x := &all[i]
		x.Changes, x.Deployments, x.Failures = d.num(), d.num(), d.num()
		x.Leads, x.Restores = d.spread(), d.spread()
		if np := d.count(); np > 0 {
			x.Pending = make([]time.Time, np)
			for j := range x.Pending {
				x.Pending[j] = time.Unix(0, d.varint()).UTC()
			}
		}
		if d.byte() == 1 {
			x.FirstOK = time.Unix(0, d.varint()).UTC()
		}
		m[k] = x
	}
	return m
}

// decoder reads varints until the first error, which it keeps.
type decoder struct {
	b     []byte
	err   error
	names map[string]string
	slab  []bucket
}

func (d *decoder) fail() { d.err, d.b = errSpanData, nil }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length or a count, bounded by what is left to read (each
// item takes a byte at least), so that bad data cannot ask for a huge
// allocation.
func (d *decoder) count() int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

// num reads a number (of deployments): at most 2^31.
func (d *decoder) num() int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > 1<<31 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) string() string {
	n := d.count()
	if n > len(d.b) {
		d.fail()
		return ""
	}
	s, ok := d.names[string(d.b[:n])]
	if !ok {
		s = string(d.b[:n])
		if d.names != nil {
			d.names[s] = s
		}
	}
	d.b = d.b[n:]
	return s
}

func (d *decoder) spread() spread {
	n := d.count()
	if n == 0 {
		return nil
	}
	// Every spread of a decoder comes from one array, each capped at its
	// own length: appending to one copies it.
	if cap(d.slab)-len(d.slab) < n {
		d.slab = make([]bucket, 0, max(n, 256))
	}
	at := len(d.slab)
	d.slab = d.slab[:at+n]
	s := spread(d.slab[at : at+n : at+n])
	for i := range s {
		key := time.Duration(d.varint())
		s[i] = bucket{key: key, n: d.num(), min: key + time.Duration(d.varint()), max: key + time.Duration(d.varint())}
	}
	return s
}
