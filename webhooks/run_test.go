package webhooks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// timer is one wait of the worker's Run loop, fired by the test.
type timer struct {
	d  time.Duration
	ch chan time.Time
}

// TestRunWakesOnKicksAndRetries runs the worker's loop with timers the test
// fires: a new deployment goes out at once (the service kicks the worker),
// and a failed attempt is retried when the loop's wait for it ends.
func TestRunWakesOnKicksAndRetries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		timers := make(chan timer, 100)
		h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret}})
		h.after = func(d time.Duration) <-chan time.Time {
			tm := timer{d: d, ch: make(chan time.Time, 1)}
			timers <- tm
			return tm.ch
		}
		h.wire(s)
		dep := h.deployers["staging"]
		dep.answer(answer{status: 503})
		run, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.worker.Run(run, time.Hour)
		}()
		var once sync.Once
		stopRun := func() { once.Do(func() { stop(); <-done }) }
		defer stopRun()

		r := h.release("v1") // no timer fires: the kick sends it
		wait := func(what string) received {
			t.Helper()
			select {
			case req := <-dep.notify:
				return req
			case <-time.After(20 * time.Second):
				t.Fatalf("no request: %s", what)
			}
			return received{}
		}
		first := wait("the first attempt after the kick")
		// The loop now waits for the retry, 2s away on the test clock.
		var retry timer
		for retry.ch == nil {
			select {
			case tm := <-timers:
				if tm.d == 2*time.Second {
					retry = tm
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the loop never waited for the retry")
			}
		}
		h.clock.Advance(2 * time.Second)
		retry.ch <- h.clock.Now()
		// Run may have re-armed its wait since (a late kick woke it): fire
		// those timers too, or the test waits on one nobody listens to.
		stopFiring := make(chan struct{})
		go func() {
			for {
				select {
				case tm := <-timers:
					tm.ch <- h.clock.Now()
				case <-stopFiring:
					return
				}
			}
		}()
		second := wait("the retry")
		close(stopFiring)
		if second.id != first.id {
			t.Errorf("retry webhook-id %q, first %q", second.id, first.id)
		}
		stopRun() // Run returns once in-flight deliveries are recorded
		if got := h.deployment(r.Deployments[0].ID); got.Status != releases.DeploymentInProgress || got.Attempts != 2 {
			t.Fatalf("after Run: %s after %d attempts, want in_progress after 2", got.Status, got.Attempts)
		}
	})
}
