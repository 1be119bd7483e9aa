package releases_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// bigTeam has 50 leads, so 50 people can sign off one release at once.
func bigTeamCoordinator(e *env, approvals int) *releases.Coordinator {
	var leads []string
	for i := range 50 {
		leads = append(leads, fmt.Sprintf("U0LEAD%02d", i))
	}
	p := releases.Policy{
		Teams:        []releases.Team{{Name: "big", Leads: leads, Approvals: approvals}},
		Environments: []releases.Environment{{Name: "staging"}},
	}
	return releases.NewCoordinator(releases.Options{Store: e.store, Policy: p, Now: e.clock.Now, Gate: e.gate})
}

func TestConcurrentSignOffsLoseNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		svc := bigTeamCoordinator(e, 60) // more than there are leads: stays awaiting sign-off
		r := e.ok(svc.Create(ctx, dave, releases.CreateInput{Service: "api", Version: "v1"}))
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := range 50 {
			wg.Go(func() {
				lead := fmt.Sprintf("U0LEAD%02d", i)
				if _, err := svc.SignOff(ctx, lead, r.ID, ""); err != nil {
					errs <- fmt.Errorf("sign-off by %s: %w", lead, err)
					return
				}
				if i%3 == 0 { // 17 of them change their mind
					if _, err := svc.Withdraw(ctx, lead, r.ID, ""); err != nil {
						errs <- fmt.Errorf("withdrawal by %s: %w", lead, err)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		got := e.ok(svc.Get(ctx, r.ID))
		if n := len(got.Approvals("big")); n != 33 {
			t.Fatalf("%d sign-offs in force, want 33", n)
		}
		audit := e.audit(t, r.ID)
		if n, w := count(audit, releases.ActionSignedOff), count(audit, releases.ActionWithdrawn); n != 50 || w != 17 {
			t.Fatalf("audit has %d sign-offs and %d withdrawals, want 50 and 17", n, w)
		}
	})
}

func TestConcurrentSignOffsStartOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		svc := bigTeamCoordinator(e, 25)
		r := e.ok(svc.Create(ctx, dave, releases.CreateInput{Service: "api", Version: "v1"}))
		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted := 0
		for i := range 50 {
			wg.Go(func() {
				_, err := svc.SignOff(ctx, fmt.Sprintf("U0LEAD%02d", i), r.ID, "big")
				switch releases.ErrorCode(err) {
				case "":
					mu.Lock()
					accepted++
					mu.Unlock()
				case releases.EConflict: // sign-offs closed once it started deploying
				default:
					t.Errorf("sign-off: %v", err)
				}
			})
		}
		wg.Wait()
		got := e.ok(svc.Get(ctx, r.ID))
		if got.Status != releases.StatusDeploying || len(got.Deployments) != 1 {
			t.Fatalf("status %s with %d deployments, want deploying with exactly one", got.Status, len(got.Deployments))
		}
		if len(got.SignOffs) != accepted || accepted < 25 {
			t.Fatalf("%d sign-offs stored, %d accepted", len(got.SignOffs), accepted)
		}
		audit := e.audit(t, r.ID)
		if count(audit, releases.ActionReady) != 1 || count(audit, releases.ActionDeploymentStarted) != 1 {
			t.Fatalf("audit %v: want one ready and one deployment start", audit)
		}
	})
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
