package gormstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

var chainT0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// addEvents appends n audit events, each in a transaction of its own as
// the coordinator does, and returns their ids.
func addEvents(t *testing.T, s releases.Store, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		e := releases.AuditEvent{At: chainT0.Add(time.Duration(i) * time.Minute), Actor: "U1",
			Action: releases.ActionFreeze, Detail: fmt.Sprintf("event %d", i)}
		if err := s.Tx(t.Context(), func(tx releases.Tx) error { return tx.AddAudit(t.Context(), &e) }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// sealAll seals until nothing is left and returns how many it sealed. A
// sealer of another store may still hold the lock for a moment (a
// cancelled transaction is rolled back in the background): then it tries
// again.
func sealAll(t *testing.T, s *gormstore.Store) int {
	t.Helper()
	total, deadline := 0, time.Now().Add(5*time.Second)
	for {
		n, busy, err := s.Seal(t.Context(), 3)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if busy && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
			continue
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func verify(t *testing.T, s *gormstore.Store, head string) releases.ChainReport {
	t.Helper()
	rep, err := releases.VerifyChain(t.Context(), s, head)
	if err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	return rep
}

// TestSealAndVerify seals events written before and after a first seal
// into one chain, in batches, and verifies it; unsealed events are counted,
// not checked.
func TestSealAndVerify(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := t.Context()
		if rep := verify(t, s, ""); !rep.Intact() || rep.Checked != 0 {
			t.Fatalf("empty chain: %+v", rep)
		}
		ids := addEvents(t, s, 5)
		if head, err := s.AuditHead(ctx); err != nil || head.Seq != 0 || head.Unsealed != 5 || head.Hash != releases.GenesisHash {
			t.Fatalf("head before sealing = %+v, %v; want nothing sealed, 5 unsealed", head, err)
		}
		if n := sealAll(t, s); n != 5 {
			t.Fatalf("sealed %d, want 5", n)
		}
		ids = append(ids, addEvents(t, s, 2)...)
		rep := verify(t, s, "")
		if !rep.Intact() || rep.Checked != 5 || rep.Unsealed != 2 {
			t.Fatalf("after sealing 5 of 7: %+v", rep)
		}
		sealAll(t, s)
		rep = verify(t, s, "")
		head, err := s.AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Intact() || rep.Checked != 7 || rep.Unsealed != 0 || rep.Head.ID != ids[6] || head.Hash != rep.Head.Hash || head.Seq != 7 {
			t.Fatalf("after sealing all 7: %+v, head %+v", rep, head)
		}
		// The chain order is the sealing order, and the hashes follow from
		// the events alone.
		events, err := s.SealedEvents(ctx, releases.ChainFilter{})
		if err != nil {
			t.Fatal(err)
		}
		prev := releases.GenesisHash
		for i, e := range events {
			if e.ID != ids[i] || e.Seq != int64(i+1) || e.PrevHash != prev || e.Hash != releases.ChainHash(prev, e.AuditEvent) {
				t.Fatalf("event %d of the chain: %+v", i, e)
			}
			prev = e.Hash
		}
	})
}

// TestSealedEventsFilter pages through the chain by seq and selects by
// time, [From, To).
func TestSealedEventsFilter(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ids := addEvents(t, s, 6) // at t0, t0+1m, …, t0+5m
		sealAll(t, s)
		got, err := s.SealedEvents(t.Context(), releases.ChainFilter{From: chainT0.Add(time.Minute), To: chainT0.Add(4 * time.Minute), AfterSeq: 2, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []int64
		for _, e := range got {
			gotIDs = append(gotIDs, e.ID)
		}
		if fmt.Sprint(gotIDs) != fmt.Sprint(ids[2:4]) {
			t.Fatalf("events in [t0+1m, t0+4m) after seq 2 = %v, want %v", gotIDs, ids[2:4])
		}
	})
}

// TestSealLateCommit holds one transaction open with its audit event while
// another commits a later id and is sealed: the late event is sealed after
// it, once it commits, and the chain stays whole. Only PostgreSQL has
// concurrent writers (SQLite's transactions take turns).
func TestSealLateCommit(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		if db.Name != "postgres" {
			continue
		}
		ctx := t.Context()
		s := storetest.Open(t, db.URL(t), nil)
		written, release := make(chan int64), make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- s.Tx(ctx, func(tx releases.Tx) error {
				e := releases.AuditEvent{At: chainT0, Actor: "U1", Action: releases.ActionFreeze, Detail: "slow"}
				if err := tx.AddAudit(ctx, &e); err != nil {
					return err
				}
				written <- e.ID
				<-release
				return nil
			})
		}()
		slow := <-written
		fast := addEvents(t, s, 1)[0]
		if fast <= slow {
			t.Fatalf("ids %d then %d: the test needs the open transaction to hold the lower id", slow, fast)
		}
		if n := sealAll(t, s); n != 1 {
			t.Fatalf("sealed %d with one transaction open, want 1 (the committed event)", n)
		}
		close(release)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if n := sealAll(t, s); n != 1 {
			t.Fatalf("sealed %d after the slow commit, want 1", n)
		}
		rep := verify(t, s, "")
		if !rep.Intact() || rep.Checked != 2 || rep.Head.ID != slow {
			t.Fatalf("chain after a late commit: %+v; want intact, 2 events, ending with the late event %d", rep, slow)
		}
	}
}

// TestReplicasSealWithoutFork runs two stores — two replicas — on one
// database, each writing events and sealing at once: every event ends up
// sealed once, in one unbroken chain.
func TestReplicasSealWithoutFork(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			url := db.URL(t)
			replicas := []*gormstore.Store{storetest.Open(t, url, nil), storetest.Open(t, url, nil)}
			const perWriter = 40
			ctx, cancel := context.WithCancel(t.Context())
			var writers, sealers sync.WaitGroup
			errs := make(chan error, 16)
			for _, s := range replicas {
				for range 2 {
					writers.Go(func() {
						for i := range perWriter {
							e := releases.AuditEvent{At: chainT0.Add(time.Duration(i) * time.Second), Actor: "U1", Action: releases.ActionFreeze}
							if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.AddAudit(ctx, &e) }); err != nil {
								errs <- err
								return
							}
						}
					})
				}
				sealers.Go(func() {
					for ctx.Err() == nil {
						if _, _, err := s.Seal(ctx, 7); err != nil && ctx.Err() == nil {
							errs <- fmt.Errorf("seal: %w", err)
							return
						}
					}
				})
			}
			writers.Wait()
			cancel()
			sealers.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			sealAll(t, replicas[1])
			rep := verify(t, replicas[0], "")
			if !rep.Intact() || rep.Checked != 4*perWriter || rep.Unsealed != 0 {
				t.Fatalf("chain after two replicas wrote and sealed at once: %+v; want intact with %d events", rep, 4*perWriter)
			}
			var prevHashes, seqs int
			if err := replicas[0].DB().QueryRowContext(t.Context(),
				"SELECT count(DISTINCT prev_hash), count(DISTINCT seq) FROM audit_events").Scan(&prevHashes, &seqs); err != nil {
				t.Fatal(err)
			}
			if prevHashes != 4*perWriter || seqs != 4*perWriter {
				t.Fatalf("%d distinct prev_hash and %d distinct seq over %d events: the chain forked", prevHashes, seqs, 4*perWriter)
			}
		})
	}
}

// TestSealLockIsPerSchema: a sealer holding the lock of one schema's
// chain does not make the sealer of another schema in the same database
// busy (two installations, or test packages running at once), while one of
// the same schema still waits its turn.
func TestSealLockIsPerSchema(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		if db.Name != "postgres" {
			continue
		}
		ctx := t.Context()
		a, b := storetest.Open(t, db.URL(t), nil), storetest.Open(t, db.URL(t), nil)
		addEvents(t, a, 1)
		addEvents(t, b, 1)
		holder, err := a.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback()
		if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", 0x7365616c); err != nil {
			t.Fatal(err)
		}
		if n, busy, err := b.Seal(ctx, 0); err != nil || busy || n != 1 {
			t.Errorf("another schema's Seal while the lock is held: sealed %d, busy %v, %v; want 1 sealed", n, busy, err)
		}
		if n, busy, err := a.Seal(ctx, 0); err != nil || !busy || n != 0 {
			t.Errorf("the same schema's Seal while the lock is held: sealed %d, busy %v, %v; want busy", n, busy, err)
		}
		if err := holder.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := sealAll(t, a); got != 1 {
			t.Errorf("sealed %d after the lock was let go, want 1", got)
		}
	}
}

// TestSealWaitsForRelay: a relay holds the events it read until it has
// marked them relayed, so a sealer waits for it instead of locking them
// first: each locking some events the other waits for, the two deadlocked
// and PostgreSQL ended one after a second (a bench under load logged
// "deadlock detected" from Seal). On SQLite the write lock serialises
// them anyway.
func TestSealWaitsForRelay(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		if s.Dialect() != "postgres" {
			t.Skip("SQLite has one writer at a time")
		}
		ctx := t.Context()
		addEvents(t, s, 5)
		sealed := make(chan error, 1)
		err := s.Relay(ctx, func(tx releases.RelayTx) error {
			events, err := tx.UnrelayedEvents(ctx, 500)
			if err != nil {
				return err
			}
			go func() {
				n, busy, err := s.Seal(ctx, 0)
				if err == nil && (busy || n != len(events)) {
					err = fmt.Errorf("Seal sealed %d (busy %v), want %d", n, busy, len(events))
				}
				sealed <- err
			}()
			select {
			case err := <-sealed:
				return fmt.Errorf("the sealer did not wait for the relay's events (%v)", err)
			case <-time.After(300 * time.Millisecond):
			}
			ids := make([]int64, len(events))
			for i, e := range events {
				ids[i] = e.ID
			}
			return tx.MarkRelayed(ctx, ids, chainT0)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-sealed; err != nil {
			t.Fatal(err)
		}
		verify(t, s, "")
	})
}
