package gormstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

// BenchmarkCreateAuditAppend measures a release create (the release and
// its "created" audit event, one transaction, through the coordinator) on
// each database:
//
//   - before: the schema without migration 00014, the audit append as it
//     was before the chain;
//   - after: with 00014 and no sealer running;
//   - after+sealer1s: with a sealer sealing every second meanwhile, as
//     serve does;
//   - after+sealer10ms: every 10 ms, a harsher case: a seal transaction
//     every few creates.
//
// Appends never hash: the difference is the unsealed index entry and the
// sealer's competition for the database.
//
//	go test -run '^$' -bench CreateAuditAppend -benchtime 2000x ./releases/gormstore/
func BenchmarkCreateAuditAppend(b *testing.B) {
	for _, db := range storetest.Databases(b) {
		for _, mode := range []string{"before", "after", "after+sealer1s", "after+sealer10ms"} {
			b.Run(db.Name+"/"+mode, func(b *testing.B) {
				ctx := context.Background()
				s := storetest.Open(b, db.URL(b), nil)
				if mode == "before" {
					m, err := migrations.New(s.DB(), s.Dialect())
					if err != nil {
						b.Fatal(err)
					}
					if v, err := m.Down(ctx); err != nil || v != 14 {
						b.Fatalf("roll back 00014: %d, %v", v, err)
					}
				}
				pol := releases.Policy{Teams: []releases.Team{{Name: "payments", Leads: []string{"U0ALICE"}, Approvals: 1}},
					Environments: []releases.Environment{{Name: "staging"}}}
				svc := releases.NewCoordinator(releases.Options{Store: s, Policy: pol})
				stop := make(chan struct{})
				var wg sync.WaitGroup
				if every := map[string]time.Duration{"after+sealer1s": time.Second, "after+sealer10ms": 10 * time.Millisecond}[mode]; every > 0 {
					wg.Go(func() {
						t := time.NewTicker(every)
						defer t.Stop()
						for {
							select {
							case <-stop:
								return
							case <-t.C:
								if _, _, err := s.Seal(ctx, 0); err != nil {
									b.Error(err)
									return
								}
							}
						}
					})
				}
				b.ResetTimer()
				for i := range b.N {
					if _, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "api", Version: fmt.Sprintf("v%d", i)}); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				close(stop)
				wg.Wait()
			})
		}
	}
}

// BenchmarkSeal measures sealing, the work moved off the append path: per
// event sealed, in batches of DefaultSealBatch.
//
//	go test -run '^$' -bench Seal -benchtime 5000x ./releases/gormstore/
func BenchmarkSeal(b *testing.B) {
	for _, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			ctx := context.Background()
			s := storetest.Open(b, db.URL(b), nil)
			for done := 0; done < b.N; {
				err := s.Tx(ctx, func(tx releases.Tx) error {
					for i := 0; i < 500 && done < b.N; i, done = i+1, done+1 {
						e := releases.AuditEvent{At: time.Date(2026, 12, 1, 9, 0, 0, done, time.UTC), Actor: "U0DAVE",
							Action: releases.ActionSignedOff, Detail: "payments (1 of 1)"}
						if err := tx.AddAudit(ctx, &e); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for sealed := 0; sealed < b.N; {
				n, _, err := s.Seal(ctx, 0)
				if err != nil || n == 0 {
					b.Fatalf("Seal: %d, %v", n, err)
				}
				sealed += n
			}
		})
	}
}
