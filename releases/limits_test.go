package releases_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// TestCreateQuotaHoldsUnderConcurrentCreates: with 18 of 20 creates used,
// 10 concurrent creates by the same person (as from several replicas)
// open exactly 2; the others are refused with ETooMany.
func TestCreateQuotaHoldsUnderConcurrentCreates(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := releases.Policy{
			Teams:        []releases.Team{{Name: "payments", Leads: []string{"U0ALICE"}, Approvals: 1}},
			Environments: []releases.Environment{{Name: "staging"}},
			Limits:       releases.Limits{CreatesPerHour: 20, Location: time.UTC},
		}
		svc := releases.NewCoordinator(releases.Options{Store: e.store, Policy: p, Now: e.clock.Now, Gate: e.gate})
		for i := range 18 {
			e.ok(svc.Create(ctx, dave, releases.CreateInput{Service: fmt.Sprintf("api%02d", i), Version: "v1"}))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		opened, refused := 0, 0
		for i := range 10 {
			wg.Go(func() {
				_, err := svc.Create(ctx, dave, releases.CreateInput{Service: fmt.Sprintf("burst%02d", i), Version: "v1"})
				mu.Lock()
				defer mu.Unlock()
				switch releases.ErrorCode(err) {
				case "":
					opened++
				case releases.ETooMany:
					refused++
				default:
					t.Errorf("create %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if opened != 2 || refused != 8 {
			t.Fatalf("%d opened and %d refused; want 2 and 8", opened, refused)
		}
	})
}
