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
	// DORASpans returns the spans of env that start in [from, to), of any
	// length, each with its generation and the data kept for it (if any).
	DORASpans(ctx context.Context, env string, from, to time.Time) ([]KeptSpan, error)
	// KeepDORASpans stores each span's Data for its Gen, unless the span's
	// generation has moved on since it was read.
	KeepDORASpans(ctx context.Context, env string, spans []KeptSpan) error
	// TrainFacts returns the deployments to env of the releases ids that
	// finished before before, as DeploymentFacts does: a train's whole
	// history there, which its figures in a span depend on.
	TrainFacts(ctx context.Context, env string, ids []int64, before time.Time) ([]DeploymentFact, error)
}

// KeptSpan is an hour or a day of an environment's deployments, [Start,
// Start+Length). Its generation moves on with every change to a
// deployment that finished in it (or to another deployment of the same
// release): data kept for an older generation is stale.
type KeptSpan struct {
	Start  time.Time
	Length time.Duration // time.Hour or 24 * time.Hour
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
// store: the whole days and hours in it from kept spans (computing and
// keeping those not kept yet, or stale), and the partial hours at its
// ends from their deployments. Its figures are those of DORAOf,
// DORAByService and DORAByTeam over DeploymentFacts of the window, and
// of DORAOfReleases but for trains that began deploying before from.
func ReadDORA(ctx context.Context, h HistoryReader, env string, from, to time.Time) (DORAWindow, error) {
	w := DORAWindow{From: from, To: to, services: map[string]*doraPart{}, releases: map[string]*doraPart{}}
	segs := segments(from, to)
	if len(segs) == 0 {
		return w, nil
	}
	kept, err := h.DORASpans(ctx, env, from, to)
	if err != nil {
		return w, fmt.Errorf("DORA spans of %s: %w", env, err)
	}
	type key struct {
		start  int64
		length time.Duration
	}
	byStart := make(map[key]KeptSpan, len(kept))
	for _, k := range kept {
		byStart[key{k.Start.Unix(), k.Length}] = k
	}
	parts := make([]spanParts, len(segs))
	need := make([]bool, len(segs))
	var keep []KeptSpan
	for i, s := range segs {
		if s.length == 0 {
			need[i] = true
			continue
		}
		k := byStart[key{s.start.Unix(), s.length}]
		if k.Data != nil {
			if p, err := decodeSpanParts(k.Data); err == nil {
				parts[i] = p
				continue
			}
		}
		need[i] = true
		keep = append(keep, KeptSpan{Start: s.start, Length: s.length, Gen: k.Gen})
	}
	// The deployments of what is not kept, one query per run of adjacent
	// segments.
	var facts []DeploymentFact
	for i := 0; i < len(segs); {
		if !need[i] {
			i++
			continue
		}
		j := i
		for j+1 < len(segs) && need[j+1] {
			j++
		}
		fs, err := h.DeploymentFacts(ctx, env, "", segs[i].start, segs[j].end)
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
	n := 0
	for i, s := range segs {
		if !need[i] {
			continue
		}
		lo, _ := slices.BinarySearchFunc(facts, s.start, finishedBefore)
		hi, _ := slices.BinarySearchFunc(facts, s.end, finishedBefore)
		parts[i] = partsOfSpan(facts[lo:hi], trains, s.start, s.end)
		if s.length > 0 {
			keep[n].Data = parts[i].encode()
			n++
		}
	}
	for _, p := range parts {
		joinInto(w.services, p.services)
		joinInto(w.releases, p.releases)
	}
	if len(keep) > 0 {
		if err := h.KeepDORASpans(ctx, env, keep); err != nil {
			return w, fmt.Errorf("%w: %s: %w", ErrSpansNotKept, env, err)
		}
	}
	return w, nil
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

// spanParts is one span's parts: by service, and by release key.
type spanParts struct {
	services, releases map[string]*doraPart
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

// segment is a stretch of a window: a whole hour or day (length), or a
// partial hour (length 0) at either end.
type segment struct {
	start, end time.Time
	length     time.Duration
}

// segments covers [from, to) with the partial hour at its start, whole
// hours up to the first midnight (UTC), whole days, whole hours after the
// last, and the partial hour at its end.
func segments(from, to time.Time) []segment {
	var out []segment
	t := from
	if h := t.Truncate(time.Hour); h.Before(t) {
		end := h.Add(time.Hour)
		if !end.Before(to) {
			return []segment{{start: from, end: to}}
		}
		out = append(out, segment{start: t, end: end})
		t = end
	}
	for t.Before(to) {
		switch {
		case t.Truncate(spanDay).Equal(t) && !t.Add(spanDay).After(to):
			out = append(out, segment{start: t, end: t.Add(spanDay), length: spanDay})
		case !t.Add(time.Hour).After(to):
			out = append(out, segment{start: t, end: t.Add(time.Hour), length: time.Hour})
		default:
			return append(out, segment{start: t, end: to})
		}
		t = out[len(out)-1].end
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
