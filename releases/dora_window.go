package releases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// DORASpanStore keeps what the DORA figures need of whole hours and days
// of an environment's deployments, so that a month's figures read a few
// dozen kept spans and the deployments of at most two partial hours,
// however busy the month was.
type DORASpanStore interface {
	// DORASpans returns those of env's spans refs that have been kept or
	// touched, each with its generation and the data kept for it (if any);
	// a span absent from the answer has generation 0 and no data.
	DORASpans(ctx context.Context, env string, refs []SpanRef) ([]KeptSpan, error)
	// KeepDORASpans stores each span's Data for its Gen, unless the span's
	// generation has moved on since it was read.
	KeepDORASpans(ctx context.Context, env string, spans []KeptSpan) error
	// TrainFacts returns the deployments to env of the releases ids that
	// finished before before, as DeploymentFacts does: a train's whole
	// history there, which its figures in a span depend on.
	TrainFacts(ctx context.Context, env string, ids []int64, before time.Time) ([]DeploymentFact, error)
	// ForgetDORASpans deletes the spans (of every environment) that start
	// before before.
	ForgetDORASpans(ctx context.Context, before time.Time) error
}

// KeptSpan is a span of an environment's deployments, [Start,
// Start+Length), of one of DORASpanLengths. Its generation moves on with every change to a
// deployment that finished in it (or to another deployment of the same
// release): data kept for an older generation is stale.
type KeptSpan struct {
	Start  time.Time
	Length time.Duration
	Gen    int64
	Data   []byte // nil: none kept for Gen
}

const spanDay = 24 * time.Hour

// DORAWindow holds what the DORA figures of one environment over [From,
// To) are made of: a part per service (every deployment), and a part per
// release key (a train once, as DORAOfReleases counts).
type DORAWindow struct {
	From, To time.Time
	services map[string]*doraPart
	releases map[string]*doraPart
}

// Releases is the release-level figures: DORAOfReleases of the window's
// deployments, except that a train's deployments before From count
// towards whether it reached the environment within the window.
func (w DORAWindow) Releases() DORA { return doraOfParts(values(w.releases), w.From, w.To) }

// Service is one service's figures: DORAOf of its deployments.
func (w DORAWindow) Service(name string) DORA {
	var parts []*doraPart
	if p := w.services[name]; p != nil {
		parts = append(parts, p)
	}
	return doraOfParts(parts, w.From, w.To)
}

// ByService is DORAByService of the window's deployments.
func (w DORAWindow) ByService() []DORAGroup {
	by := map[string][]*doraPart{}
	for name, p := range w.services {
		by[name] = []*doraPart{p}
	}
	return w.groups(by)
}

// ByTeam is DORAByTeam of the window's deployments.
func (w DORAWindow) ByTeam(owners func(service string) []string) []DORAGroup {
	if owners == nil {
		return nil
	}
	by := map[string][]*doraPart{}
	for name, p := range w.services {
		for _, t := range slices.Compact(slices.Sorted(slices.Values(owners(name)))) {
			by[t] = append(by[t], p)
		}
	}
	return w.groups(by)
}

func (w DORAWindow) groups(by map[string][]*doraPart) []DORAGroup {
	out := make([]DORAGroup, 0, len(by))
	for name, parts := range by {
		if d := doraOfParts(parts, w.From, w.To); d.Changes > 0 {
			out = append(out, DORAGroup{Name: name, DORA: d})
		}
	}
	sortGroups(out)
	return out
}

// ReadDORA gathers the DORA figures of env over [from, to) from the
// store: the window is covered by the fewest whole spans of
// DORASpanLengths, read kept (those not kept yet, or stale, are made from
// their kept halves or thirds, down to hours made from their
// deployments, and kept), and by the deployments of the partial hours at
// its ends. A month is about a dozen spans, whatever its number of
// deployments. Its figures are those of DORAOf, DORAByService and
// DORAByTeam over DeploymentFacts of the window, and of DORAOfReleases
// but for trains that began deploying before from.
func ReadDORA(ctx context.Context, h HistoryReader, env string, from, to time.Time) (DORAWindow, error) {
	w := DORAWindow{From: from, To: to, services: map[string]*doraPart{}, releases: map[string]*doraPart{}}
	segs := segments(from, to)
	// Read the window's spans; for each not kept, its smaller spans, and
	// so on down to hours, which need their deployments.
	spans := map[refKey]*spanNode{}
	names := map[string]string{}
	var ask []SpanRef
	for _, s := range segs {
		if s.ref.Length > 0 {
			ask = append(ask, s.ref)
		}
	}
	var leaves []segment // what needs deployments: hours and the partial ends
	for len(ask) > 0 {
		kept, err := h.DORASpans(ctx, env, ask)
		if err != nil {
			return w, fmt.Errorf("DORA spans of %s: %w", env, err)
		}
		got := make(map[refKey]KeptSpan, len(kept))
		for _, k := range kept {
			got[SpanRef{k.Start, k.Length}.key()] = k
		}
		var next []SpanRef
		for _, ref := range ask {
			k := got[ref.key()]
			n := &spanNode{gen: k.Gen}
			spans[ref.key()] = n
			if k.Data != nil {
				if p, err := decodeSpanParts(k.Data, names); err == nil {
					n.parts, n.have = p, true
					continue
				}
			}
			if ref.Length == time.Hour {
				leaves = append(leaves, segment{ref: ref, start: ref.Start, end: ref.Start.Add(time.Hour)})
			} else {
				next = append(next, ref.parts()...)
			}
		}
		ask = next
	}
	for _, s := range segs {
		if s.ref.Length == 0 {
			leaves = append(leaves, s)
		}
	}
	slices.SortFunc(leaves, func(a, b segment) int { return a.start.Compare(b.start) })
	// Their deployments, one query per run of adjacent leaves.
	var facts []DeploymentFact
	for i := 0; i < len(leaves); {
		j := i
		for j+1 < len(leaves) && leaves[j+1].start.Equal(leaves[j].end) {
			j++
		}
		fs, err := h.DeploymentFacts(ctx, env, "", leaves[i].start, leaves[j].end)
		if err != nil {
			return w, err
		}
		facts = append(facts, fs...)
		i = j + 1
	}
	trains, err := trainHistories(ctx, h, env, facts, to)
	if err != nil {
		return w, err
	}
	partial := map[int64]spanParts{} // by start, in Unix nanoseconds
	for _, l := range leaves {
		lo, _ := slices.BinarySearchFunc(facts, l.start, finishedBefore)
		hi, _ := slices.BinarySearchFunc(facts, l.end, finishedBefore)
		p := partsOfSpan(facts[lo:hi], trains, l.start, l.end)
		if l.ref.Length == 0 {
			partial[l.start.UnixNano()] = p
		} else {
			n := spans[l.ref.key()]
			n.parts, n.have, n.made = p, true, true
		}
	}
	// The spans not kept, from their parts, smallest first.
	var keep []KeptSpan
	var made func(ref SpanRef) spanParts
	made = func(ref SpanRef) spanParts {
		n := spans[ref.key()]
		if !n.have {
			acc := spanParts{services: map[string]*doraPart{}, releases: map[string]*doraPart{}, trainless: true}
			for _, c := range ref.parts() {
				p := made(c)
				joinInto(acc.services, p.services)
				joinInto(acc.releases, p.releases)
				acc.trainless = acc.trainless && p.trainless
			}
			if acc.trainless {
				acc.releases = acc.services
			}
			n.parts, n.have, n.made = acc, true, true
		}
		if n.made {
			keep = append(keep, KeptSpan{Start: ref.Start, Length: ref.Length, Gen: n.gen, Data: n.parts.encode()})
			n.made = false
		}
		return n.parts
	}
	all := make([]spanParts, len(segs))
	trainless := true // then the release view is the services'
	for i, s := range segs {
		all[i] = partial[s.start.UnixNano()]
		if s.ref.Length > 0 {
			all[i] = made(s.ref)
		}
		trainless = trainless && all[i].trainless
	}
	for _, p := range all {
		joinInto(w.services, p.services)
		if !trainless {
			joinInto(w.releases, p.releases)
		}
	}
	if trainless {
		w.releases = w.services
	}
	if len(keep) > 0 {
		if err := h.KeepDORASpans(ctx, env, keep); err != nil {
			return w, fmt.Errorf("%w: %s: %w", ErrSpansNotKept, env, err)
		}
	}
	return w, nil
}

// spanNode is a span ReadDORA reads: its generation when read, and its
// parts once known; made when computed here (to be kept).
type spanNode struct {
	gen        int64
	parts      spanParts
	have, made bool
}

// ErrSpansNotKept is ReadDORA's error when it computed the figures but
// could not keep the spans it computed: the figures are right, and the
// next read computes those spans again.
var ErrSpansNotKept = errors.New("DORA spans not kept")

// trainHistories reads the whole history in env of every train among
// facts, by release.
func trainHistories(ctx context.Context, h HistoryReader, env string, facts []DeploymentFact, before time.Time) (map[int64][]DeploymentFact, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, f := range facts {
		if f.Components > 1 && !seen[f.ReleaseID] {
			seen[f.ReleaseID] = true
			ids = append(ids, f.ReleaseID)
		}
	}
	out := map[int64][]DeploymentFact{}
	if len(ids) == 0 {
		return out, nil
	}
	fs, err := h.TrainFacts(ctx, env, ids, before)
	if err != nil {
		return nil, fmt.Errorf("train deployments in %s: %w", env, err)
	}
	for _, f := range fs {
		out[f.ReleaseID] = append(out[f.ReleaseID], f)
	}
	return out, nil
}

// spanParts is one span's parts: by service, and by release key. A span
// without trains is trainless: its two views are one map.
type spanParts struct {
	services, releases map[string]*doraPart
	trainless          bool
}

// partsOfSpan computes the parts of the facts that finished in [start,
// end). A train's facts there are collapsed over its whole history
// (trains), which is what they depend on: only earlier deployments decide
// what a train's deployment means.
func partsOfSpan(facts []DeploymentFact, trains map[int64][]DeploymentFact, start, end time.Time) spanParts {
	p := spanParts{services: map[string]*doraPart{}, releases: map[string]*doraPart{}}
	for _, fs := range byKey(facts, start, end, func(f DeploymentFact) string { return f.Service }) {
		p.services[fs[0].Service] = partOf(fs)
	}
	var one []DeploymentFact
	counted := map[int64]bool{}
	for _, f := range facts {
		if f.FinishedAt.Before(start) || !f.FinishedAt.Before(end) {
			continue
		}
		if f.Components <= 1 {
			one = append(one, f)
		} else if !counted[f.ReleaseID] && len(trains[f.ReleaseID]) > 0 {
			counted[f.ReleaseID] = true
			one = append(one, trainFacts(trains[f.ReleaseID])...)
		}
	}
	if len(counted) == 0 {
		p.releases, p.trainless = p.services, true // every release is one service's
		return p
	}
	for _, fs := range byKey(one, start, end, func(f DeploymentFact) string { return f.Service }) {
		p.releases[fs[0].Service] = partOf(fs)
	}
	return p
}

// joinInto appends each key's part of the next span.
func joinInto(acc, next map[string]*doraPart) {
	for k, p := range next {
		if a := acc[k]; a != nil {
			a.then(p)
		} else {
			c := *p
			c.Leads, c.Restores, c.Pending = slices.Clone(p.Leads), slices.Clone(p.Restores), slices.Clone(p.Pending)
			acc[k] = &c
		}
	}
}

// DORASpanLengths are the lengths of the kept spans, longest first: each
// is a whole number of the next, and spans of one length start at its
// multiples (from the zero time, so days start at midnight UTC). A
// window is covered greedily by the longest that fit: a few of each.
var DORASpanLengths = []time.Duration{16 * spanDay, 8 * spanDay, 4 * spanDay, 2 * spanDay, spanDay,
	12 * time.Hour, 6 * time.Hour, 3 * time.Hour, time.Hour}

// SpanRef names a kept span: [Start, Start+Length).
type SpanRef struct {
	Start  time.Time
	Length time.Duration
}

// refKey is a SpanRef as a map key (a time.Time's location would count).
type refKey struct {
	start  int64
	length time.Duration
}

func (r SpanRef) key() refKey { return refKey{r.Start.Unix(), r.Length} }

// parts are the spans of the next length that make up r.
func (r SpanRef) parts() []SpanRef {
	i := slices.Index(DORASpanLengths, r.Length)
	l := DORASpanLengths[i+1]
	out := make([]SpanRef, 0, r.Length/l)
	for t := r.Start; t.Before(r.Start.Add(r.Length)); t = t.Add(l) {
		out = append(out, SpanRef{t, l})
	}
	return out
}

// segment is a stretch of a window: a whole span (ref), or a partial
// hour (ref.Length 0) at either end.
type segment struct {
	ref        SpanRef
	start, end time.Time
}

// segments covers [from, to) with the longest whole spans that fit, and
// partial hours at its ends.
func segments(from, to time.Time) []segment {
	var out []segment
	for t := from.UTC(); t.Before(to); {
		end := t.Truncate(time.Hour).Add(time.Hour)
		if end.After(to) {
			end = to
		}
		var ref SpanRef
		for _, l := range DORASpanLengths {
			if t.Truncate(l).Equal(t) && !t.Add(l).After(to) {
				ref, end = SpanRef{t, l}, t.Add(l)
				break
			}
		}
		out = append(out, segment{ref: ref, start: t, end: end})
		t = end
	}
	return out
}

// WindowSpans are the whole spans ReadDORA reads for [from, to).
func WindowSpans(from, to time.Time) []SpanRef {
	var out []SpanRef
	for _, s := range segments(from, to) {
		if s.ref.Length > 0 {
			out = append(out, s.ref)
		}
	}
	return out
}

// finishedBefore orders facts (by FinishedAt) against a moment, for
// binary search.
func finishedBefore(f DeploymentFact, t time.Time) int {
	if f.FinishedAt.Before(t) {
		return -1
	}
	return 1
}

func values(m map[string]*doraPart) []*doraPart {
	out := make([]*doraPart, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	return out
}
