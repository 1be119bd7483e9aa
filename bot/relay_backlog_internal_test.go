package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

// A backlog of more events than one relay round takes (a burst of
// creates) is relayed round after round, not one round per poll: both
// loops, with chat (Pump) and without (Relay.Run), go on at once while
// rounds come back full.
func TestRelayTakesABacklogWithoutWaitingForThePoll(t *testing.T) {
	for name, loop := range map[string]func(ctx context.Context, r *Relay, s *Sender){
		"Pump":      func(ctx context.Context, r *Relay, s *Sender) { Pump(ctx, r, s, time.Hour) },
		"Relay.Run": func(ctx context.Context, r *Relay, _ *Sender) { r.Run(ctx, time.Hour, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "b.db"), nil)
			ctx := t.Context()
			now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
			backlog := 2*relayBatch + 10
			for i := range backlog {
				r := &releases.Release{Service: fmt.Sprintf("svc-%d", i), Version: "v1", Status: releases.StatusAwaitingSignoff,
					CreatedBy: "U0DAVE", CreatedAt: now, UpdatedAt: now, Environments: []string{"staging"}, Teams: []string{"payments"}}
				events := []releases.AuditEvent{{At: now, Actor: "U0DAVE", Action: releases.ActionCreated}}
				if err := store.CreateWithEvents(ctx, r, events); err != nil {
					t.Fatal(err)
				}
			}
			relay := NewRelay(store, Settings{}, func() time.Time { return now })
			relay.Discard = true // no chat: the relay only marks events told
			loopCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				loop(loopCtx, relay, NewSender(store, store, nil, func() time.Time { return now }, nil))
			}()
			defer func() { stop(); <-done }()
			left := backlog
			for deadline := time.Now().Add(30 * time.Second); left > 0; time.Sleep(10 * time.Millisecond) {
				if err := store.Relay(ctx, func(tx releases.RelayTx) error {
					events, err := tx.UnrelayedEvents(ctx, backlog)
					left = len(events)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d events still unrelayed after 30 s; the poll is an hour", left, backlog)
				}
			}
		})
	}
}
