package gormstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestCreatesUnderLoadShareAStatement: on PostgreSQL, creates that arrive
// while others are being written are written together, in one
// transaction, and each still gets its own answer: its release and
// events with their ids, or ErrDuplicate for a second open release of a
// version (the others of its batch are written all the same), or its
// context's error, with nothing written, when its command gave up while
// it waited.
func TestCreatesUnderLoadShareAStatement(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		if db.Name != "postgres" {
			continue // SQLite writes one create at a time
		}
		s := storetest.Open(t, db.URL(t), nil)
		ctx := t.Context()
		t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
		newRelease := func(service, version string, teams ...string) *releases.Release {
			return &releases.Release{Service: service, Version: version, Status: releases.StatusAwaitingSignoff,
				CreatedBy: "U0DAVE", CreatedAt: t0, UpdatedAt: t0, Environments: []string{"staging"}, Teams: teams}
		}
		type result struct {
			r      *releases.Release
			events []releases.AuditEvent
			err    error
		}
		// queued creates each of rs while the statement slots are held,
		// then lets them go together.
		queued := func(ctxs []context.Context, rs ...*releases.Release) []result {
			t.Helper()
			handOn := s.HoldCreates()
			out := make([]result, len(rs))
			var wg sync.WaitGroup
			for i, r := range rs {
				out[i].r = r
				out[i].events = []releases.AuditEvent{
					{At: t0, Actor: "U0DAVE", Action: releases.ActionCreated, Detail: r.Service + " " + r.Version},
					{At: t0, Actor: "U0DAVE", Action: releases.ActionEnvOverride, Detail: "second of " + r.Service},
				}
				c := ctx
				if ctxs != nil && ctxs[i] != nil {
					c = ctxs[i]
				}
				wg.Go(func() { out[i].err = s.CreateWithEvents(c, r, out[i].events) })
			}
			for deadline := time.Now().Add(10 * time.Second); s.QueuedCreates() < len(rs); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d creates queued", s.QueuedCreates(), len(rs))
				}
			}
			handOn()
			wg.Wait()
			return out
		}
		check := func(res result) {
			t.Helper()
			if res.err != nil {
				t.Fatalf("create %s %s: %v", res.r.Service, res.r.Version, res.err)
			}
			got, err := s.Release(ctx, res.r.ID)
			if err != nil || got.Service != res.r.Service || got.Version != res.r.Version {
				t.Fatalf("release %d read back: %+v, %v; want %s %s", res.r.ID, got, err, res.r.Service, res.r.Version)
			}
			audit, err := s.AuditEvents(ctx, res.r.ID)
			if err != nil || len(audit) != 2 {
				t.Fatalf("audit of %s: %v, %v; want its two events", res.r.Service, audit, err)
			}
			for i, e := range res.events {
				if e.ReleaseID != res.r.ID || e.ID != audit[i].ID || audit[i].Detail != e.Detail {
					t.Errorf("%s event %d: release %d id %d, read back %+v", res.r.Service, i, e.ReleaseID, e.ID, audit[i])
				}
			}
			for _, team := range res.r.Teams {
				found, err := s.Releases(ctx, releases.Filter{Team: team, Service: res.r.Service})
				if err != nil || len(found) != 1 || found[0].ID != res.r.ID {
					t.Errorf("team %s's releases of %s: %v, %v; want only %d", team, res.r.Service, found, err, res.r.ID)
				}
			}
		}

		n := gormstore.CreatesPerBatch
		rs := make([]*releases.Release, n)
		for i := range rs {
			rs[i] = newRelease(fmt.Sprintf("svc-%d", i), "v1", "payments", fmt.Sprintf("team-%d", i))
		}
		ids := map[int64]bool{}
		for _, res := range queued(nil, rs...) {
			check(res)
			ids[res.r.ID] = true
		}
		if len(ids) != n {
			t.Errorf("%d creates got %d ids", n, len(ids))
		}
		var txs int
		if err := s.DB().QueryRowContext(ctx, "SELECT count(DISTINCT xmin::text) FROM releases").Scan(&txs); err != nil {
			t.Fatal(err)
		}
		if txs != 1 {
			t.Errorf("%d queued creates were written in %d transactions, want 1", n, txs)
		}

		// A duplicate in a batch with two that go through.
		res := queued(nil, newRelease("api", "v2", "payments"), newRelease("svc-3", "v1", "payments"), newRelease("worker", "v2", "risk"))
		check(res[0])
		check(res[2])
		if !errors.Is(res[1].err, releases.ErrDuplicate) {
			t.Errorf("second open release of svc-3 v1: %v, want ErrDuplicate", res[1].err)
		}
		if found, err := s.Releases(ctx, releases.Filter{Service: "svc-3"}); err != nil || len(found) != 1 {
			t.Errorf("releases of svc-3 after the duplicate: %d, %v; want 1", len(found), err)
		}

		// A create whose command gave up while it waited, in a batch with
		// one that goes through.
		gaveUp, cancel := context.WithCancel(ctx)
		cancel()
		res = queued([]context.Context{gaveUp, nil}, newRelease("web", "v2", "payments"), newRelease("jobs", "v2", "payments"))
		check(res[1])
		if !errors.Is(res[0].err, context.Canceled) {
			t.Errorf("create whose command gave up: %v, want context.Canceled", res[0].err)
		}
		if found, err := s.Releases(ctx, releases.Filter{Service: "web"}); err != nil || len(found) != 0 {
			t.Errorf("releases of web, whose command gave up: %d, %v; want none", len(found), err)
		}
	}
}
