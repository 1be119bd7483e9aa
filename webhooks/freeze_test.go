package webhooks_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

// freezeSwitch is the worker's Freeze: a freeze the test declares and
// ends.
type freezeSwitch struct {
	mu   sync.Mutex
	hold *releases.Hold
}

func (f *freezeSwitch) set(h *releases.Hold) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = h
}

func (f *freezeSwitch) at(_ context.Context, now time.Time) (*releases.Hold, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hold == nil || !now.Before(f.hold.Until) {
		return nil, nil
	}
	h := *f.hold
	return &h, nil
}

// newFreezeHarness is a harness with staging only, whose worker asks the
// returned switch for the freeze in force.
func newFreezeHarness(t *testing.T, s *gormstore.Store) (*harness, *freezeSwitch) {
	h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret}})
	freeze := &freezeSwitch{}
	h.worker = webhooks.NewWorker(webhooks.Options{Store: s, Reporter: h.svc, Environments: h.envs,
		PublicURL: publicURL, Now: h.clock.Now, Jitter: func() float64 { return 0.5 }, Freeze: freeze.at})
	return h, freeze
}

// TestFreezeHoldsQueuedDeployments: a deployment queued behind another
// release's when a freeze begins is not sent until the freeze ends — the
// thread says so, once — while a rollback still goes out at once.
func TestFreezeHoldsQueuedDeployments(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, freeze := newFreezeHarness(t, s)
		staging := h.deployers["staging"]

		r0 := h.release("v0")
		h.runOnce()
		h.report(r0.Deployments[0].ID, stagingSecret, "succeeded")
		r1 := h.release("v1")
		h.runOnce() // v1 accepted (202): in progress
		r2 := h.release("v2")
		d2 := r2.Deployments[0].ID // queued behind v1

		until := h.clock.Now().Add(2 * time.Hour)
		freeze.set(&releases.Hold{Until: until, Note: `is held by the ad-hoc freeze "incident 42" until 12:00`})
		h.report(r1.Deployments[0].ID, stagingSecret, "succeeded") // staging is free: v2 would go now
		for range 3 {
			h.runOnce()
			h.clock.Advance(10 * time.Minute)
		}
		if n := len(staging.requests()); n != 2 {
			t.Fatalf("staging got %d requests, want only v0's and v1's from before the freeze", n)
		}
		var notes []string
		for _, a := range h.audit(r2.ID) {
			if strings.HasPrefix(a, "waiting: ") {
				notes = append(notes, a)
			}
		}
		want := `waiting: is held by the ad-hoc freeze "incident 42" until 12:00; ` + releases.FormatDeploymentID(d2) + " to staging waits until then"
		if len(notes) != 1 || notes[0] != want {
			t.Fatalf("thread notes about the hold %q, want exactly [%q]", notes, want)
		}
		if d := h.deployment(d2); d.Status != releases.DeploymentPending || d.Attempts != 0 {
			t.Fatalf("held deployment %+v, want pending with no attempt counted", d)
		}

		// A rollback of v1 during the freeze is neither held nor queued
		// behind the held v2.
		r1 = h.ok(h.svc.Rollback(ctx, dave, r1.ID, "", "incident 42"))
		h.runOnce()
		if got := last(staging.requests()).payload; got.Type != "rollback.requested" {
			t.Fatalf("during the freeze staging's last request is %s %s, want the rollback", got.Type, got.Version)
		}
		h.report(last(r1.Deployments).ID, stagingSecret, "succeeded")

		// After the freeze the held v2 goes out, replacing what the
		// rollback left.
		h.clock.Advance(2 * time.Hour)
		h.runOnce()
		got := last(staging.requests()).payload
		if got.Type != "deployment.requested" || got.Version != "v2" || got.PreviousVersion != "v0" {
			t.Fatalf("after the freeze staging's last request is %+v, want v2 replacing v0 (v1 was rolled back)", got)
		}
	})
}

// TestHeldDeploymentGoesWhenTheFreezeEnds: the held deployment itself is
// sent once the freeze is over, with its first attempt, and a release
// manager's override lets one through during it.
func TestHeldDeploymentGoesWhenTheFreezeEnds(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, freeze := newFreezeHarness(t, s)
		staging := h.deployers["staging"]
		freeze.set(&releases.Hold{Until: h.clock.Now().Add(30 * time.Minute), Note: "is held by the freeze year-end until 12:30"})
		r := h.release("v1") // the service's gate is open in this harness: the deployment is created
		h.runOnce()
		if n := len(staging.requests()); n != 0 {
			t.Fatalf("staging got %d requests during the freeze", n)
		}
		h.clock.Advance(31 * time.Minute)
		h.runOnce()
		reqs := staging.requests()
		if len(reqs) != 1 || reqs[0].payload.Version != "v1" {
			t.Fatalf("after the freeze staging got %d requests, want v1's", len(reqs))
		}
		if d := h.deployment(r.Deployments[0].ID); d.Attempts != 1 {
			t.Fatalf("the held deployment took %d attempts to send, want 1", d.Attempts)
		}
	})
}
