package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// ScheduleStore is a store that also keeps what the scheduler needs:
// ad-hoc freezes (through releases.Store's Reader and Tx), firing claims
// and the history summaries read.
type ScheduleStore interface {
	releases.Store
	releases.FiringStore
	releases.HistoryReader
}

// RunScheduleConformance holds a store to the contracts of
// releases.FreezeReader, releases.FreezeWriter, releases.FiringStore and
// releases.HistoryReader. open must return a new, empty, migrated store each
// time: it is called once per subtest.
func RunScheduleConformance(t *testing.T, open func(t *testing.T) ScheduleStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s ScheduleStore)
	}{
		{name: "Freezes", run: testFreezes},
		{name: "LiftFreezes", run: testLiftFreezes},
		{name: "FreezesInTx", run: testFreezesInTx},
		{name: "ClaimFiring", run: testClaimFiring},
		{name: "ClaimFiringRace", run: testClaimFiringRace},
		{name: "MissFiring", run: testMissFiring},
		{name: "LastAndLapsedFirings", run: testLastAndLapsedFirings},
		{name: "Checked", run: testChecked},
		{name: "Outcomes", run: testOutcomes},
		{name: "DeploymentFacts", run: testDeploymentFacts},
		{name: "DORASpans", run: testDORASpans},
		{name: "ReadDORAAfterChanges", run: testReadDORAAfterChanges},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

func schedAddFreezes(t *testing.T, s releases.Store, fs ...*releases.Freeze) {
	t.Helper()
	inTx(t, s, func(tx releases.Tx) error {
		for _, f := range fs {
			if err := tx.AddFreeze(t.Context(), f); err != nil {
				return err
			}
			if f.ID <= 0 {
				return fmt.Errorf("AddFreeze set id %d, want a positive id", f.ID)
			}
		}
		return nil
	})
}

func schedFreezes(t *testing.T, r releases.FreezeReader, after time.Time) []releases.Freeze {
	t.Helper()
	fs, err := r.Freezes(t.Context(), after)
	if err != nil {
		t.Fatalf("Freezes(%v): %v", after, err)
	}
	return fs
}

func testFreezes(t *testing.T, s ScheduleStore) {
	past := &releases.Freeze{Reason: "past", Start: at(0), End: at(10), Until: at(10), CreatedBy: rita}
	now := &releases.Freeze{Reason: "incident 42: ünïcödé, 'quotes'", Start: at(20), End: at(60), Until: at(60), CreatedBy: rita}
	later := &releases.Freeze{Reason: "later", Start: at(100), End: at(200), Until: at(200), CreatedBy: carol}
	early := &releases.Freeze{Reason: "starts earlier, ends later", Start: at(5), End: at(300), Until: at(300), CreatedBy: rita}
	schedAddFreezes(t, s, later, past, now, early)
	for _, tc := range []struct {
		name  string
		after time.Time
		want  []releases.Freeze
	}{
		{name: "before all", after: at(-1), want: []releases.Freeze{*past, *early, *now, *later}},
		{name: "at an end: that one has ended", after: at(10), want: []releases.Freeze{*early, *now, *later}},
		{name: "during one", after: at(30), want: []releases.Freeze{*early, *now, *later}},
		{name: "after all but one", after: at(250), want: []releases.Freeze{*early}},
		{name: "after all", after: at(300), want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertEqual(t, "freezes", schedFreezes(t, s, tc.after), tc.want)
		})
	}
}

func testLiftFreezes(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	running := &releases.Freeze{Reason: "running", Start: at(0), End: at(60), Until: at(60), CreatedBy: rita}
	also := &releases.Freeze{Reason: "also running", Start: at(10), End: at(90), Until: at(90), CreatedBy: carol}
	ahead := &releases.Freeze{Reason: "ahead", Start: at(100), End: at(200), Until: at(200), CreatedBy: rita}
	schedAddFreezes(t, s, running, also, ahead)

	var lifted []releases.Freeze
	inTx(t, s, func(tx releases.Tx) error {
		var err error
		lifted, err = tx.LiftFreezes(ctx, at(30), alice)
		return err
	})
	wantRunning, wantAlso := *running, *also
	for _, f := range []*releases.Freeze{&wantRunning, &wantAlso} {
		f.End, f.LiftedBy, f.LiftedAt = at(30), alice, at(30)
	}
	assertEqual(t, "lifted freezes", lifted, []releases.Freeze{wantRunning, wantAlso})
	// Lifted ones end at the lift: they are over from then; the one ahead
	// stays as it was.
	assertEqual(t, "freezes after the lift", schedFreezes(t, s, at(29)), []releases.Freeze{wantRunning, wantAlso, *ahead})
	assertEqual(t, "freezes from the lift on", schedFreezes(t, s, at(30)), []releases.Freeze{*ahead})

	inTx(t, s, func(tx releases.Tx) error {
		again, err := tx.LiftFreezes(ctx, at(31), alice)
		if len(again) != 0 {
			t.Errorf("second lift = %+v, want nothing: the freezes were lifted already", again)
		}
		return err
	})
}

func testFreezesInTx(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	f := &releases.Freeze{Reason: "in a tx", Start: at(0), End: at(60), Until: at(60), CreatedBy: rita}
	// A transaction reads its own freezes (gates read them in the
	// transaction they run in), and a rolled-back one leaves none.
	err := s.Tx(ctx, func(tx releases.Tx) error {
		if err := tx.AddFreeze(ctx, f); err != nil {
			return err
		}
		assertEqual(t, "freezes inside the transaction", schedFreezes(t, tx, at(1)), []releases.Freeze{*f})
		return schedErrRollback
	})
	if err != schedErrRollback {
		t.Fatalf("Tx = %v, want the function's error", err)
	}
	assertEqual(t, "freezes after a rollback", schedFreezes(t, s, at(1)), []releases.Freeze(nil))
}

var schedErrRollback = fmt.Errorf("roll back")

func schedClaim(t *testing.T, s releases.FiringStore, job string, when time.Time, owner string, now time.Time) bool {
	t.Helper()
	won, err := s.ClaimFiring(t.Context(), job, when, owner, now, time.Minute)
	if err != nil {
		t.Fatalf("ClaimFiring(%s, %v, %s): %v", job, when, owner, err)
	}
	return won
}

func schedFirings(t *testing.T, s releases.FiringStore, job string) []releases.Firing {
	t.Helper()
	fs, err := s.Firings(t.Context(), job, at(-1000), at(100000))
	if err != nil {
		t.Fatalf("Firings(%s): %v", job, err)
	}
	return fs
}

func testClaimFiring(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	const job = "window:weekly-train"
	opening := at(0)
	steps := []struct {
		name  string
		owner string
		now   time.Time
		want  bool
	}{
		{name: "first claim wins", owner: "a", now: at(0), want: true},
		{name: "another replica loses while the lease holds", owner: "b", now: at(0), want: false},
		{name: "the holder itself doesn't claim twice", owner: "a", now: at(0), want: false},
		{name: "the lease lapsed: taken over", owner: "b", now: at(2), want: true},
		{name: "the first holder can't take it back while b's lease holds", owner: "a", now: at(2), want: false},
	}
	for _, st := range steps {
		if got := schedClaim(t, s, job, opening, st.owner, st.now); got != st.want {
			t.Fatalf("%s: ClaimFiring by %s = %v, want %v", st.name, st.owner, got, st.want)
		}
	}
	// The replica that lost its claim can't finish the firing.
	if err := s.FinishFiring(ctx, job, opening, "a", releases.FiringDone, "by a", at(3)); err != nil {
		t.Fatal(err)
	}
	fs := schedFirings(t, s, job)
	if len(fs) != 1 || fs[0].Status != releases.FiringRunning || fs[0].Owner != "b" || fs[0].Attempts != 2 {
		t.Fatalf("after a's late finish: %+v; want it running, held by b, 2 attempts", fs)
	}
	if err := s.FinishFiring(ctx, job, opening, "b", releases.FiringDone, "started R-1", at(3)); err != nil {
		t.Fatal(err)
	}
	want := releases.Firing{Job: job, At: opening, Status: releases.FiringDone, Owner: "b", Attempts: 2,
		Detail: "started R-1", CreatedAt: at(0), FinishedAt: at(3)}
	assertEqual(t, "finished firing", schedFirings(t, s, job), []releases.Firing{want})
	// Done is done: nobody claims it again, however late.
	if schedClaim(t, s, job, opening, "c", at(1000)) {
		t.Fatal("a finished firing was claimed again")
	}
	// Another time of the same job, and the same time of another job, are
	// other firings.
	if !schedClaim(t, s, job, at(1), "c", at(1)) || !schedClaim(t, s, "summary:weekly", opening, "c", at(1)) {
		t.Fatal("another firing of the same job, or of another job at the same time, was not claimable")
	}
}

func testClaimFiringRace(t *testing.T, s ScheduleStore) {
	const replicas = 8
	for i := range 5 {
		when := at(i)
		var wg sync.WaitGroup
		wins := make(chan string, replicas)
		for r := range replicas {
			wg.Go(func() {
				won, err := s.ClaimFiring(t.Context(), "window:race", when, fmt.Sprintf("replica-%d", r), when, time.Minute)
				if err != nil {
					t.Errorf("ClaimFiring: %v", err)
				}
				if won {
					wins <- fmt.Sprintf("replica-%d", r)
				}
			})
		}
		wg.Wait()
		close(wins)
		var winners []string
		for w := range wins {
			winners = append(winners, w)
		}
		if len(winners) != 1 {
			t.Fatalf("firing %d: %d replicas claimed it (%v), want exactly 1", i, len(winners), winners)
		}
	}
}

func testMissFiring(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	const job = "summary:weekly"
	recorded, err := s.MissFiring(ctx, job, at(0), "more than 6h late", at(500))
	if err != nil || !recorded {
		t.Fatalf("MissFiring = %v, %v; want it recorded", recorded, err)
	}
	if again, err := s.MissFiring(ctx, job, at(0), "again", at(501)); err != nil || again {
		t.Fatalf("second MissFiring = %v, %v; want false: it is recorded already", again, err)
	}
	if schedClaim(t, s, job, at(0), "a", at(10000)) {
		t.Fatal("a missed firing was claimed")
	}
	// A firing a replica claimed is not recorded as missed by another.
	if !schedClaim(t, s, job, at(1), "a", at(1)) {
		t.Fatal("claim")
	}
	if missed, err := s.MissFiring(ctx, job, at(1), "late", at(500)); err != nil || missed {
		t.Fatalf("MissFiring of a claimed firing = %v, %v; want false", missed, err)
	}
	want := []releases.Firing{
		{Job: job, At: at(0), Status: releases.FiringMissed, Detail: "more than 6h late", CreatedAt: at(500), FinishedAt: at(500)},
		{Job: job, At: at(1), Status: releases.FiringRunning, Owner: "a", Attempts: 1, ClaimedUntil: at(2), CreatedAt: at(1)},
	}
	assertEqual(t, "firings", schedFirings(t, s, job), want)
}

func testLastAndLapsedFirings(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	last := func(job string, st releases.FiringStatus) time.Time {
		t.Helper()
		got, err := s.LastFiring(ctx, job, st)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := last("window:none", ""); !got.IsZero() {
		t.Fatalf("LastFiring of a job that never fired = %v, want zero", got)
	}
	schedClaim(t, s, "window:a", at(0), "r1", at(0))
	schedClaim(t, s, "window:a", at(10), "r1", at(10))
	if err := s.FinishFiring(ctx, "window:a", at(0), "r1", releases.FiringDone, "", at(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MissFiring(ctx, "window:a", at(5), "missed", at(20)); err != nil {
		t.Fatal(err)
	}
	schedClaim(t, s, "window:b", at(3), "r2", at(3))
	for _, tc := range []struct {
		name string
		job  string
		st   releases.FiringStatus
		want time.Time
	}{
		{name: "any status", job: "window:a", want: at(10)},
		{name: "done", job: "window:a", st: releases.FiringDone, want: at(0)},
		{name: "missed", job: "window:a", st: releases.FiringMissed, want: at(5)},
		{name: "other job", job: "window:b", want: at(3)},
	} {
		if got := last(tc.job, tc.st); !got.Equal(tc.want) {
			t.Errorf("%s: LastFiring = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Leases (a minute) of the running ones: b's lapses at 4, a@10's at 11.
	for _, tc := range []struct {
		now  time.Time
		want []string
	}{
		{now: at(4), want: []string{}},
		{now: at(5), want: []string{"window:b@3"}},
		{now: at(12), want: []string{"window:b@3", "window:a@10"}},
	} {
		got, err := s.LapsedFirings(ctx, tc.now, 10)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, f := range got {
			names = append(names, fmt.Sprintf("%s@%d", f.Job, int(f.At.Sub(t0)/time.Minute)))
		}
		assertEqual(t, fmt.Sprintf("lapsed at %v", tc.now), names, tc.want)
	}
	all, err := s.Firings(ctx, "", at(0), at(10))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Job != "window:a" || all[1].Job != "window:b" || all[2].Job != "window:a" || !all[2].At.Equal(at(5)) {
		t.Fatalf("Firings of every job in [0, 10) = %+v; want a@0, b@3, a@5", all)
	}
}

func testOutcomes(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := createRelease(t, s, newRelease("web", "v2"))
	events := []*releases.AuditEvent{
		{ReleaseID: r1.ID, At: at(1), Actor: releases.SystemActor, Action: releases.ActionDeployed, Detail: "v1 is on staging, production"},
		{ReleaseID: 0, At: at(2), Actor: rita, Action: releases.ActionDeployed, Detail: "no release"},
		{ReleaseID: r2.ID, At: at(3), Actor: releases.SystemActor, Action: releases.ActionFailed, Detail: "staging failed"},
		{ReleaseID: r1.ID, At: at(4), Actor: releases.SystemActor, Action: releases.ActionRolledBack, Detail: "production is back on v0"},
		{ReleaseID: r1.ID, At: at(4), Actor: alice, Action: releases.ActionSignedOff, Detail: "other action"},
		{ReleaseID: r2.ID, At: at(9), Actor: releases.SystemActor, Action: releases.ActionDeployed, Detail: "out of range"},
	}
	inTx(t, s, func(tx releases.Tx) error {
		for _, e := range events {
			if err := tx.AddAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.Outcomes(ctx, []string{releases.ActionDeployed, releases.ActionFailed, releases.ActionRolledBack}, at(1), at(9))
	if err != nil {
		t.Fatal(err)
	}
	bare := func(r *releases.Release) releases.Release {
		x := load(t, s, r.ID)
		x.SignOffs, x.Deployments = nil, nil
		return x
	}
	want := []releases.Outcome{
		{Release: bare(r1), Action: releases.ActionDeployed, At: at(1), Detail: events[0].Detail},
		{Release: bare(r2), Action: releases.ActionFailed, At: at(3), Detail: events[2].Detail},
		{Release: bare(r1), Action: releases.ActionRolledBack, At: at(4), Detail: events[3].Detail},
	}
	assertEqual(t, "outcomes in [1, 9)", got, want)
	if none, err := s.Outcomes(ctx, nil, at(0), at(100)); err != nil || len(none) != 0 {
		t.Fatalf("Outcomes of no actions = %+v, %v; want none", none, err)
	}
}

// testDeploymentFacts: the deployments to one environment that finished in
// a period, of both types, in the order they finished, each with only what
// the DORA figures need and its release's creation time.
func testDeploymentFacts(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	r1 := createRelease(t, s, newRelease("api", "v1"))
	r2 := newRelease("api", "v2")
	r2.CreatedAt = at(5)
	createRelease(t, s, r2)
	r3 := newRelease("web", "v7")
	r3.CreatedAt = at(7)
	createRelease(t, s, r3)
	finished := func(r *releases.Release, env string, typ releases.DeploymentType, st releases.DeploymentStatus, min int) *releases.Deployment {
		d := newDeployment(r, env, st)
		d.Type = typ
		if min >= 0 {
			d.FinishedAt = at(min)
		}
		return createDeployment(t, s, d)
	}
	a := finished(r1, "production", releases.TypeDeployment, releases.DeploymentSucceeded, 10)
	finished(r1, "staging", releases.TypeDeployment, releases.DeploymentSucceeded, 11)
	b := finished(r2, "production", releases.TypeDeployment, releases.DeploymentFailed, 20)
	c := finished(r1, "production", releases.TypeRollback, releases.DeploymentSucceeded, 20)
	e := finished(r3, "production", releases.TypeDeployment, releases.DeploymentTimedOut, 15)
	finished(r2, "production", releases.TypeDeployment, releases.DeploymentInProgress, -1) // not finished
	finished(r2, "production", releases.TypeDeployment, releases.DeploymentSucceeded, 30)  // out of range
	finished(r3, "production", releases.TypeDeployment, releases.DeploymentSucceeded, 9)   // before the period

	got, err := s.DeploymentFacts(ctx, "production", "", at(10), at(30))
	if err != nil {
		t.Fatal(err)
	}
	fact := func(d *releases.Deployment, created time.Time) releases.DeploymentFact {
		return releases.DeploymentFact{ID: d.ID, ReleaseID: d.ReleaseID, Components: 1, Service: d.Service, Type: d.Type, Status: d.Status,
			FinishedAt: d.FinishedAt.UTC(), ReleaseCreatedAt: created.UTC()}
	}
	want := []releases.DeploymentFact{fact(a, t0), fact(e, at(7)), fact(b, at(5)), fact(c, t0)}
	assertEqual(t, "production deployments finished in [10, 30)", got, want)
	got, err = s.DeploymentFacts(ctx, "production", "api", at(10), at(30))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "production deployments of api finished in [10, 30)", got, []releases.DeploymentFact{fact(a, t0), fact(b, at(5)), fact(c, t0)})
	if none, err := s.DeploymentFacts(ctx, "canary", "", at(0), at(100)); err != nil || len(none) != 0 {
		t.Fatalf("DeploymentFacts of an environment without deployments = %+v, %v; want none", none, err)
	}

	// A train's facts carry its count of components in scope: three, one
	// descoped, make two.
	tr := newRelease("api", "v3")
	tr.Components = []releases.Component{{Service: "api", Version: "v3"}, {Service: "web", Version: "v8"},
		{Service: "jobs", Version: "v1", Descoped: true, DescopeReason: "later"}}
	createRelease(t, s, tr)
	td := newDeployment(tr, "canary", releases.DeploymentSucceeded)
	td.FinishedAt = at(40)
	createDeployment(t, s, td)
	got, err = s.DeploymentFacts(ctx, "canary", "", at(0), at(100))
	if err != nil {
		t.Fatal(err)
	}
	want = []releases.DeploymentFact{fact(td, t0)}
	want[0].Components = 2
	assertEqual(t, "a train's deployment", got, want)
}

func testChecked(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	checked := func(job string) time.Time {
		t.Helper()
		got, err := s.Checked(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := checked("window:a"); !got.IsZero() {
		t.Fatalf("Checked of a job never checked = %v, want zero", got)
	}
	for _, st := range []struct {
		name string
		job  string
		set  time.Time
		want time.Time
	}{
		{name: "first", job: "window:a", set: at(10), want: at(10)},
		{name: "forward", job: "window:a", set: at(20), want: at(20)},
		{name: "backward changes nothing (a replica with an older view)", job: "window:a", set: at(15), want: at(20)},
		{name: "another job", job: "summary:b", set: at(5), want: at(5)},
	} {
		if err := s.SetChecked(ctx, st.job, st.set); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := checked(st.job); !got.Equal(st.want) || got.Location() != time.UTC {
			t.Fatalf("%s: Checked = %v, want %v in UTC", st.name, got, st.want)
		}
	}
}

// Kept DORA spans: data kept for a span's generation reads back; a change
// to a finished deployment of a release (or to a train's scope) moves the
// generation of every span holding one of its deployments on and drops
// their data; data kept for an older generation is not stored.
func testDORASpans(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	hour := func(h int) time.Time { return time.Date(2026, 11, 2, h, 0, 0, 0, time.UTC) }
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var refs []releases.SpanRef
	for _, h := range []int{10, 12, 14} {
		refs = append(refs, releases.SpanRef{Start: hour(h), Length: time.Hour})
	}
	refs = append(refs, releases.SpanRef{Start: day, Length: 24 * time.Hour}, releases.SpanRef{Start: hour(9), Length: 3 * time.Hour})
	spans := func() map[string]releases.KeptSpan {
		t.Helper()
		got, err := s.DORASpans(ctx, "production", refs)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]releases.KeptSpan{}
		for _, k := range got {
			out[k.Start.UTC().Format("15")+"/"+k.Length.String()] = k
		}
		return out
	}
	keep := func(ks ...releases.KeptSpan) {
		t.Helper()
		if err := s.KeepDORASpans(ctx, "production", ks); err != nil {
			t.Fatal(err)
		}
	}
	if got := spans(); len(got) != 0 {
		t.Fatalf("spans of an empty store: %+v", got)
	}
	keep(releases.KeptSpan{Start: hour(10), Length: time.Hour, Data: []byte("ten")},
		releases.KeptSpan{Start: day, Length: 24 * time.Hour, Data: []byte("day")},
		releases.KeptSpan{Start: hour(12), Length: time.Hour, Data: []byte("twelve")})
	got := spans()
	if string(got["10/1h0m0s"].Data) != "ten" || string(got["00/24h0m0s"].Data) != "day" || string(got["12/1h0m0s"].Data) != "twelve" || len(got) != 3 {
		t.Fatalf("kept spans read back as %+v", got)
	}
	if other, err := s.DORASpans(ctx, "staging", refs); err != nil || len(other) != 0 {
		t.Fatalf("spans of another environment: %+v, %v", other, err)
	}

	// A deployment finishing at 10:20 in production: the spans holding
	// that moment, of every length, go stale (10h, 09h-12h, the day);
	// 12h stays.
	r := createRelease(t, s, newRelease("api", "v1"))
	d := createDeployment(t, s, newDeployment(r, "production", releases.DeploymentInProgress))
	d.Status, d.FinishedAt = releases.DeploymentSucceeded, hour(10).Add(20*time.Minute)
	inTx(t, s, func(tx releases.Tx) error { return tx.UpdateDeployment(ctx, d) })
	got = spans()
	ten, whole, three := got["10/1h0m0s"], got["00/24h0m0s"], got["09/3h0m0s"]
	if ten.Data != nil || whole.Data != nil || ten.Gen == 0 || whole.Gen == 0 || three.Gen == 0 || string(got["12/1h0m0s"].Data) != "twelve" {
		t.Fatalf("after a deployment finished at 10:20: %+v", got)
	}
	// Data computed before that change (generation 0) is not kept; data
	// for the current generation is.
	keep(releases.KeptSpan{Start: hour(10), Length: time.Hour, Gen: 0, Data: []byte("stale")})
	if k := spans()["10/1h0m0s"]; k.Data != nil {
		t.Fatalf("data of an older generation was kept: %+v", k)
	}
	keep(releases.KeptSpan{Start: hour(10), Length: time.Hour, Gen: ten.Gen, Data: []byte("fresh")})
	if k := spans()["10/1h0m0s"]; string(k.Data) != "fresh" || k.Gen != ten.Gen {
		t.Fatalf("data of the current generation: %+v", k)
	}
	// A rollback later marks the deployment rolled back: its span goes
	// stale again, and a newer generation.
	d.Status = releases.DeploymentRolledBack
	inTx(t, s, func(tx releases.Tx) error { return tx.UpdateDeployment(ctx, d) })
	if k := spans()["10/1h0m0s"]; k.Data != nil || k.Gen <= ten.Gen {
		t.Fatalf("after the deployment was rolled back: %+v (generation before %d)", k, ten.Gen)
	}

	// A train: a change to one component's deployment (at 12:05) also
	// drops the span of the other's (at 14:30), which it changes the
	// meaning of; so does descoping a component.
	tr := newRelease("api", "v2")
	tr.Components = []releases.Component{{Service: "api", Version: "v2"}, {Service: "web", Version: "v9"}}
	createRelease(t, s, tr)
	a := newDeployment(tr, "production", releases.DeploymentSucceeded)
	a.FinishedAt = hour(14).Add(30 * time.Minute)
	createDeployment(t, s, a)
	keep(releases.KeptSpan{Start: hour(14), Length: time.Hour, Gen: spans()["14/1h0m0s"].Gen, Data: []byte("fourteen")})
	keep(releases.KeptSpan{Start: hour(12), Length: time.Hour, Gen: spans()["12/1h0m0s"].Gen, Data: []byte("twelve")})
	b := newDeployment(tr, "production", releases.DeploymentInProgress)
	b.Service = "web"
	createDeployment(t, s, b)
	b.Status, b.FinishedAt = releases.DeploymentFailed, hour(12).Add(5*time.Minute)
	inTx(t, s, func(tx releases.Tx) error { return tx.UpdateDeployment(ctx, b) })
	if got := spans(); got["14/1h0m0s"].Data != nil || got["12/1h0m0s"].Data != nil {
		t.Fatalf("after a train's component failed: %+v", got)
	}
	keep(releases.KeptSpan{Start: hour(14), Length: time.Hour, Gen: spans()["14/1h0m0s"].Gen, Data: []byte("fourteen")})
	inTx(t, s, func(tx releases.Tx) error {
		return tx.UpdateComponent(ctx, tr.ID, releases.Component{Service: "web", Version: "v9", Descoped: true, DescopeReason: "later"})
	})
	if k := spans()["14/1h0m0s"]; k.Data != nil {
		t.Fatalf("after a train's component was descoped: %+v", k)
	}

	// Forgetting the spans that start before 12:00 keeps 12h and 14h.
	if err := s.ForgetDORASpans(ctx, hour(12)); err != nil {
		t.Fatal(err)
	}
	got = spans()
	if _, ok := got["12/1h0m0s"]; !ok || len(got) != 2 {
		t.Fatalf("after forgetting the spans before 12:00: %+v", got)
	}
}

// A summary's figures follow every change to the deployments they count,
// though ReadDORA keeps whole hours and days: a deployment rolled back
// after a first read counts as a failure in the next, and one finishing
// later counts too.
func testReadDORAAfterChanges(t *testing.T, s ScheduleStore) {
	ctx := t.Context()
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	from, to := base.Add(-30*24*time.Hour+17*time.Minute), base.Add(5*24*time.Hour+40*time.Minute)
	read := func() releases.DORA {
		t.Helper()
		w, err := releases.ReadDORA(ctx, s, "production", from, to)
		if err != nil {
			t.Fatal(err)
		}
		return w.Releases()
	}
	r := newRelease("api", "v1")
	r.CreatedAt = base
	createRelease(t, s, r)
	d := createDeployment(t, s, newDeployment(r, "production", releases.DeploymentInProgress))
	d.Status, d.FinishedAt = releases.DeploymentSucceeded, base.Add(3*time.Hour)
	inTx(t, s, func(tx releases.Tx) error { return tx.UpdateDeployment(ctx, d) })
	for range 2 { // the second from kept spans
		if got := read(); got.Deployments != 1 || got.Failures != 0 || got.LeadTime != 3*time.Hour {
			t.Fatalf("one deployment: %+v", got)
		}
	}
	d.Status = releases.DeploymentRolledBack
	rb := newDeployment(r, "production", releases.DeploymentSucceeded)
	rb.Type, rb.FinishedAt = releases.TypeRollback, base.Add(2*24*time.Hour)
	inTx(t, s, func(tx releases.Tx) error {
		if err := tx.UpdateDeployment(ctx, d); err != nil {
			return err
		}
		return tx.CreateDeployment(ctx, rb)
	})
	for range 2 {
		if got := read(); got.Deployments != 1 || got.Failures != 1 || got.Restored != 1 || got.TimeToRestore != 45*time.Hour {
			t.Fatalf("rolled back two days later: %+v", got)
		}
	}
}
