package releases_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// spanStore is a releases.HistoryReader over a slice of facts that keeps
// spans in a map, as gormstore does in dora_spans, and counts the
// deployments it reads.
type spanStore struct {
	facts []releases.DeploymentFact
	spans map[string]releases.KeptSpan
	read  int // deployments returned by DeploymentFacts and TrainFacts
	asked int // spans asked for
}

func newSpanStore(facts []releases.DeploymentFact) *spanStore {
	fs := slices.Clone(facts)
	slices.SortStableFunc(fs, func(a, b releases.DeploymentFact) int {
		if c := a.FinishedAt.Compare(b.FinishedAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return &spanStore{facts: fs, spans: map[string]releases.KeptSpan{}}
}

func spanID(start time.Time, l time.Duration) string { return fmt.Sprint(start.Unix(), "/", l) }

func (s *spanStore) Outcomes(context.Context, []string, time.Time, time.Time) ([]releases.Outcome, error) {
	return nil, nil
}

func (s *spanStore) DeploymentFacts(_ context.Context, _, service string, from, to time.Time) ([]releases.DeploymentFact, error) {
	before := func(f releases.DeploymentFact, t time.Time) int {
		if f.FinishedAt.Before(t) {
			return -1
		}
		return 1
	}
	lo, _ := slices.BinarySearchFunc(s.facts, from, before)
	hi, _ := slices.BinarySearchFunc(s.facts, to, before)
	var out []releases.DeploymentFact
	for _, f := range s.facts[lo:hi] {
		if service == "" || f.Service == service {
			out = append(out, f)
		}
	}
	s.read += len(out)
	return out, nil
}

func (s *spanStore) TrainFacts(_ context.Context, _ string, ids []int64, before time.Time) ([]releases.DeploymentFact, error) {
	var out []releases.DeploymentFact
	for _, f := range s.facts {
		if slices.Contains(ids, f.ReleaseID) && f.FinishedAt.Before(before) {
			out = append(out, f)
		}
	}
	s.read += len(out)
	return out, nil
}

func (s *spanStore) DORASpans(_ context.Context, _ string, refs []releases.SpanRef) ([]releases.KeptSpan, error) {
	var out []releases.KeptSpan
	for _, r := range refs {
		if k, ok := s.spans[spanID(r.Start, r.Length)]; ok {
			out = append(out, k)
		}
	}
	s.asked += len(refs)
	return out, nil
}

func (s *spanStore) KeepDORASpans(_ context.Context, _ string, spans []releases.KeptSpan) error {
	for _, k := range spans {
		if old, ok := s.spans[spanID(k.Start, k.Length)]; ok && old.Gen != k.Gen {
			continue
		}
		s.spans[spanID(k.Start, k.Length)] = k
	}
	return nil
}

func (s *spanStore) ForgetDORASpans(_ context.Context, before time.Time) error {
	for id, k := range s.spans {
		if k.Start.Before(before) {
			delete(s.spans, id)
		}
	}
	return nil
}

// touch is what a change to a deployment that finished at t does to the
// spans: their generation moves on and their data goes.
func (s *spanStore) touch(t time.Time) {
	for _, l := range releases.DORASpanLengths {
		id := spanID(t.Truncate(l), l)
		k := s.spans[id]
		s.spans[id] = releases.KeptSpan{Start: t.Truncate(l), Length: l, Gen: k.Gen + 1}
	}
}

// history makes n random deployments to one environment over the 40 days
// before end: a few services, failures, timeouts, rollbacks, and trains
// of 2 to 4 components that finish within a few hours.
func history(rng *rand.Rand, n int, end time.Time) []releases.DeploymentFact {
	services := []string{"api", "web", "jobs", "ledger", "search"}
	start := end.Add(-40 * 24 * time.Hour)
	var out []releases.DeploymentFact
	var id, rel int64
	status := func() releases.DeploymentStatus {
		switch x := rng.IntN(10); {
		case x < 6:
			return releases.DeploymentSucceeded
		case x < 7:
			return releases.DeploymentRolledBack
		case x < 8:
			return releases.DeploymentTimedOut
		case x < 9:
			return releases.DeploymentFailed
		}
		return releases.DeploymentInProgress // not final, yet finished_at set: counts for nothing
	}
	for len(out) < n {
		rel++
		at := start.Add(time.Duration(rng.Int64N(int64(40 * 24 * time.Hour))))
		// Lead times from seconds to days, so that every resolution shows.
		created := at.Add(-time.Duration(rng.Int64N(int64(rng.IntN(4)+1)) * int64([]time.Duration{time.Minute, time.Hour, 24 * time.Hour, 5 * 24 * time.Hour}[rng.IntN(4)])))
		components := 1
		if rng.IntN(6) == 0 {
			components = 2 + rng.IntN(3)
		}
		for c := range components {
			svc := services[(int(rel)+c)%len(services)]
			tries := 1 + rng.IntN(2)
			for range tries {
				id++
				typ := releases.TypeDeployment
				if rng.IntN(8) == 0 {
					typ = releases.TypeRollback
				}
				at = at.Add(time.Duration(rng.Int64N(int64(3 * time.Hour))))
				if rng.IntN(5) == 0 {
					at = at.Truncate(time.Hour) // on a span's edge
				}
				out = append(out, releases.DeploymentFact{ID: id, ReleaseID: rel, Components: components, Service: svc, Type: typ,
					Status: status(), FinishedAt: at, ReleaseCreatedAt: created})
			}
		}
	}
	return out
}

// sameFigures tells whether two sets of DORA figures read the same: the
// counts and rates equal, and the medians at the resolution people read
// them at (releases.Resolution).
func sameFigures(a, b releases.DORA) bool {
	near := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	return a.Deployments == b.Deployments && a.Changes == b.Changes && a.Failures == b.Failures &&
		a.Restored == b.Restored && a.Unrestored == b.Unrestored && near(a.PerDay, b.PerDay) && near(a.FailureRate, b.FailureRate) &&
		releases.Resolution(a.LeadTime) == releases.Resolution(b.LeadTime) &&
		releases.Resolution(a.TimeToRestore) == releases.Resolution(b.TimeToRestore)
}

func sameGroups(t *testing.T, what string, got, want []releases.DORAGroup) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d groups, want %d:\n got  %+v\n want %+v", what, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i].Name != want[i].Name || !sameFigures(got[i].DORA, want[i].DORA) {
			t.Fatalf("%s: group %d:\n got  %+v\n want %+v", what, i, got[i], want[i])
		}
	}
}

// ReadDORA, from kept spans, gives the figures DORAOf, DORAByService,
// DORAByTeam and DORAOfReleases give from every deployment of the window,
// as people read them — cold (computing every span), warm (from kept
// spans) and after changes to deployments inside kept spans — and a warm
// read reads no deployment outside the window's partial hours.
func TestReadDORAReadsAsTheDeployments(t *testing.T) {
	end := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	owners := func(service string) []string {
		return map[string][]string{"api": {"payments", "core"}, "web": {"web"}, "ledger": {"payments"}}[service]
	}
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		facts := history(rng, 50+rng.IntN(400), end)
		// A window of 30 days that ends at an odd moment, or a short one.
		to := end.Add(-time.Duration(rng.Int64N(int64(5 * 24 * time.Hour))))
		length := 30 * 24 * time.Hour
		if seed%5 == 0 {
			length = time.Duration(rng.Int64N(int64(50 * time.Hour)))
		}
		from := to.Add(-length)
		st := newSpanStore(facts)
		check := func(when string) {
			t.Helper()
			w, err := releases.ReadDORA(t.Context(), st, "production", from, to)
			if err != nil {
				t.Fatal(err)
			}
			in, err := st.DeploymentFacts(t.Context(), "production", "", from, to)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("seed %d, %s", seed, when)
			if got, want := w.Releases(), releases.DORAOfReleases(withTrainHistory(st.facts, in, from), from, to); !sameFigures(got, want) {
				t.Fatalf("%s: Releases()\n got  %+v\n want %+v", name, got, want)
			}
			sameGroups(t, name+": ByService", w.ByService(), releases.DORAByService(in, from, to))
			sameGroups(t, name+": ByTeam", w.ByTeam(owners), releases.DORAByTeam(in, owners, from, to))
			for _, svc := range []string{"api", "search", "none"} {
				var one []releases.DeploymentFact
				for _, f := range in {
					if f.Service == svc {
						one = append(one, f)
					}
				}
				if got, want := w.Service(svc), releases.DORAOf(one, from, to); !sameFigures(got, want) {
					t.Fatalf("%s: Service(%s)\n got  %+v\n want %+v", name, svc, got, want)
				}
			}
		}
		check("cold")
		st.read = 0
		check("warm")
		if length == 30*24*time.Hour {
			// Warm, only the partial hours at both ends are read (their
			// deployments, and the trains among them); check's own
			// DeploymentFacts reads the window once.
			edges, _ := st.DeploymentFacts(t.Context(), "production", "", from, from.Truncate(time.Hour).Add(time.Hour))
			late, _ := st.DeploymentFacts(t.Context(), "production", "", to.Truncate(time.Hour), to)
			inWindow, _ := st.DeploymentFacts(t.Context(), "production", "", from, to)
			st.read, st.asked = 0, 0
			check("warm again")
			if st.asked > 20 {
				t.Fatalf("seed %d: a warm read asked for %d spans; a month is about a dozen", seed, st.asked)
			}
			if limit := len(inWindow) + 8*(len(edges)+len(late)); st.read > limit {
				t.Fatalf("seed %d: a warm read read %d deployments; the window holds %d, its partial hours %d", seed, st.read-len(inWindow), len(inWindow), len(edges)+len(late))
			}
		}
		// Changes to deployments inside kept spans: each moves its spans'
		// generation on, as gormstore's flushDORA does.
		for range 5 {
			i := rng.IntN(len(st.facts))
			f := &st.facts[i]
			switch f.Status {
			case releases.DeploymentSucceeded:
				f.Status = releases.DeploymentRolledBack
			default:
				f.Status = releases.DeploymentSucceeded
			}
			st.touch(f.FinishedAt)
			if f.Components > 1 { // a train: every deployment of the release
				for _, g := range st.facts {
					if g.ReleaseID == f.ReleaseID {
						st.touch(g.FinishedAt)
					}
				}
			}
		}
		check("after changes")
	}
}

// withTrainHistory adds to the window's facts the earlier deployments of
// its trains: ReadDORA counts a train over its whole history (see
// DORAWindow.Releases), and DORAOfReleases does too when given it.
func withTrainHistory(all, in []releases.DeploymentFact, from time.Time) []releases.DeploymentFact {
	trains := map[int64]bool{}
	for _, f := range in {
		if f.Components > 1 {
			trains[f.ReleaseID] = true
		}
	}
	out := slices.Clone(in)
	for _, f := range all {
		if trains[f.ReleaseID] && f.FinishedAt.Before(from) {
			out = append(out, f)
		}
	}
	return out
}

type unkeepingStore struct{ *spanStore }

func (unkeepingStore) KeepDORASpans(context.Context, string, []releases.KeptSpan) error {
	return errors.New("disk full")
}

// A store that cannot keep spans still gives the right figures, with an
// error that says only the keeping failed.
func TestReadDORAWhenSpansCannotBeKept(t *testing.T) {
	end := time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	facts := history(rand.New(rand.NewPCG(5, 5)), 200, end)
	from := end.Add(-30 * 24 * time.Hour)
	st := newSpanStore(facts)
	w, err := releases.ReadDORA(t.Context(), unkeepingStore{st}, "production", from, end)
	if !errors.Is(err, releases.ErrSpansNotKept) {
		t.Fatalf("err = %v, want ErrSpansNotKept", err)
	}
	in, _ := st.DeploymentFacts(t.Context(), "production", "", from, end)
	sameGroups(t, "ByService", w.ByService(), releases.DORAByService(in, from, end))
	if len(st.spans) != 0 {
		t.Fatalf("kept %d spans", len(st.spans))
	}
}

// A train whose first component reached production before the window and
// whose last did inside it reached production inside it: ReadDORA counts
// it once, with its lead time (DORAOfReleases over the window's facts
// alone could not see that it completed).
func TestReadDORACountsATrainCompletedInTheWindow(t *testing.T) {
	from := time.Date(2026, 11, 6, 9, 30, 0, 0, time.UTC)
	to := from.Add(30 * 24 * time.Hour)
	created := from.Add(-3 * time.Hour)
	train := func(id int64, service string, at time.Time) releases.DeploymentFact {
		return releases.DeploymentFact{ID: id, ReleaseID: 7, Components: 2, Service: service, Type: releases.TypeDeployment,
			Status: releases.DeploymentSucceeded, FinishedAt: at, ReleaseCreatedAt: created}
	}
	st := newSpanStore([]releases.DeploymentFact{train(1, "api", from.Add(-time.Hour)), train(2, "web", from.Add(2*time.Hour))})
	w, err := releases.ReadDORA(t.Context(), st, "production", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if d := w.Releases(); d.Deployments != 1 || d.Changes != 1 || d.LeadTime != 5*time.Hour {
		t.Fatalf("release figures %+v, want the train deployed once, lead time 5h", d)
	}
	if gs := w.ByService(); len(gs) != 1 || gs[0].Name != "web" || gs[0].Deployments != 1 {
		t.Fatalf("per service %+v, want web's one deployment (api's was before the window)", gs)
	}
}
