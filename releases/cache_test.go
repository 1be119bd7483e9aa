package releases_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

// countingStore counts release loads and reports a data version the test
// moves by hand.
type countingStore struct {
	releases.Store
	loads   atomic.Int64
	version atomic.Uint64
	deaf    atomic.Bool // the store can't hear of changes
}

func (s *countingStore) Release(ctx context.Context, id int64) (*releases.Release, error) {
	s.loads.Add(1)
	return s.Store.Release(ctx, id)
}

func (s *countingStore) DataVersion() (uint64, bool) { return s.version.Load(), !s.deaf.Load() }

// TestGetKeepsReleasesUntilTheyChange: repeated status reads of one release
// hit the database once, and any change, a deaf store or age makes the next
// read go to the database again.
func TestGetKeepsReleasesUntilTheyChange(t *testing.T) {
	db := &countingStore{Store: storetest.Open(t, "sqlite://"+t.TempDir()+"/r.db", nil)}
	svc := releases.NewCoordinator(releases.Options{Store: db, Policy: testPolicy()})
	clock := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	releases.SetCacheClock(svc, clock.Now)
	r, err := svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	get := func() *releases.Release {
		t.Helper()
		got, err := svc.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	loads := func(want int64, why string) {
		t.Helper()
		if got := db.loads.Load(); got != want {
			t.Fatalf("%s: %d loads from the database, want %d", why, got, want)
		}
	}

	get()
	get()
	first := get()
	loads(1, "three reads without a change")

	// A caller changing its copy changes nobody else's.
	first.Status = releases.StatusCancelled
	first.SignOffs = append(first.SignOffs, releases.SignOff{Team: "payments", User: alice})
	first.Teams[0] = "nobody"
	if again := get(); again.Status != releases.StatusAwaitingSignoff || len(again.SignOffs) != 0 || again.Teams[0] != "payments" {
		t.Fatalf("a caller's edit leaked into the next answer: %+v", again)
	}
	loads(1, "after editing a copy")

	// A change the store heard of: the next read loads.
	if _, err := svc.SignOff(ctx, alice, r.ID, "payments"); err != nil {
		t.Fatal(err)
	}
	db.version.Add(1)
	if got := get(); len(got.SignOffs) != 1 {
		t.Fatalf("after a sign-off and a new data version, Get shows %d sign-offs, want 1", len(got.SignOffs))
	}
	loads(2, "after the version moved")
	get()
	loads(2, "again without a change")

	// Kept no longer than the maximum age, even if nothing was heard.
	clock.Advance(releases.CacheMaxAge)
	get()
	loads(3, "after the maximum age")

	// A store that can't hear of changes: every read loads.
	db.deaf.Store(true)
	get()
	get()
	loads(5, "while the store is deaf")

	// Unknown releases are not kept: creating one is seen at once.
	if _, err := svc.Get(ctx, r.ID+1); releases.ErrorCode(err) != releases.ENotFound {
		t.Fatalf("Get of an unknown release: %v, want ENotFound", err)
	}
}

// TestGetSeesEveryChangeAtOnce walks a release through the service while
// reading it between every step: with the real store, what Get answers is
// never behind what the last call returned.
func TestGetSeesEveryChangeAtOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		r := e.create(t, "v1")
		steps := []func() (*releases.Release, error){
			func() (*releases.Release, error) { return e.svc.SignOff(ctx, alice, r.ID, "payments") },
			func() (*releases.Release, error) { return e.svc.SignOff(ctx, carol, r.ID, "risk") },
			func() (*releases.Release, error) { return e.svc.SignOff(ctx, dan, r.ID, "risk") },
		}
		for i, step := range steps {
			if _, err := e.svc.Get(ctx, r.ID); err != nil { // keep the current state
				t.Fatal(err)
			}
			want := e.ok(step())
			got := e.ok(e.svc.Get(ctx, r.ID))
			if got.Status != want.Status || len(got.SignOffs) != len(want.SignOffs) || len(got.Deployments) != len(want.Deployments) {
				t.Fatalf("step %d: Get answered %s with %d sign-offs and %d deployments; the change returned %s, %d, %d",
					i, got.Status, len(got.SignOffs), len(got.Deployments), want.Status, len(want.SignOffs), len(want.Deployments))
			}
		}
		// The deployment the last sign-off started, reported on by the
		// deployer: the status shows it at once.
		e.ok(e.svc.Get(ctx, r.ID))
		cur := e.ok(e.svc.Get(ctx, r.ID))
		if len(cur.Deployments) == 0 {
			t.Fatal("no deployment started")
		}
		e.report(t, cur, releases.DeploymentSucceeded)
		if got := e.ok(e.svc.Get(ctx, r.ID)); got.Deployments[0].Status != releases.DeploymentSucceeded {
			t.Fatalf("after the deployer's report Get shows %s", got.Deployments[0].Status)
		}
	})
}

// TestGetSharedKeepsOneRelease: GetShared answers the same release while
// it is current and a new one after a change, after the maximum age, and
// on every read while the store is deaf; Get's copies stay apart from it.
func TestGetSharedKeepsOneRelease(t *testing.T) {
	db := &countingStore{Store: storetest.Open(t, "sqlite://"+t.TempDir()+"/r.db", nil)}
	svc := releases.NewCoordinator(releases.Options{Store: db, Policy: testPolicy()})
	clock := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	releases.SetCacheClock(svc, clock.Now)
	r, err := svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	shared := func() *releases.Release {
		t.Helper()
		got, err := svc.GetShared(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if _, ok := svc.Kept(r.ID); ok {
		t.Fatal("Kept a release nobody read")
	}
	first := shared()
	if kept, ok := svc.Kept(r.ID); !ok || kept != first {
		t.Fatalf("Kept after a shared read: %v, the same release %v", ok, kept == first)
	}
	if again := shared(); again != first || db.loads.Load() != 1 {
		t.Fatalf("two shared reads without a change: same release %v, %d loads", again == first, db.loads.Load())
	}
	copied, err := svc.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	copied.Teams[0] = "nobody"
	if copied == first || first.Teams[0] != "payments" || db.loads.Load() != 1 {
		t.Fatalf("Get answered the shared release, or loaded again (%d loads)", db.loads.Load())
	}

	if _, err := svc.SignOff(ctx, alice, r.ID, "payments"); err != nil {
		t.Fatal(err)
	}
	db.version.Add(1)
	second := shared()
	if second == first || len(second.SignOffs) != 1 {
		t.Fatalf("after a change: the same release %v, %d sign-offs", second == first, len(second.SignOffs))
	}
	if len(first.SignOffs) != 0 {
		t.Fatal("the release shared before the change was changed")
	}
	if shared() != second {
		t.Fatal("not kept after the change")
	}
	clock.Advance(releases.CacheMaxAge)
	if shared() == second {
		t.Fatal("kept past the maximum age")
	}
	db.deaf.Store(true)
	loads := db.loads.Load()
	shared()
	if _, ok := svc.Kept(r.ID); ok {
		t.Fatal("Kept while the store is deaf")
	}
	shared()
	if got := db.loads.Load() - loads; got != 2 {
		t.Fatalf("%d loads for two reads while the store is deaf, want 2", got)
	}
	if _, err := svc.GetShared(ctx, r.ID+1); releases.ErrorCode(err) != releases.ENotFound {
		t.Fatalf("GetShared of an unknown release: %v, want ENotFound", err)
	}
}
