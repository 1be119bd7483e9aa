package webhooks_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

// TestResumeAfterCrash drops a worker in the middle of a delivery, starts
// a new one on the same database, and sees the delivery finish with its
// original webhook-id.
func TestResumeAfterCrash(t *testing.T) {
	tests := []struct {
		name string
		// crash leaves the delivery of the release's deployment behind, the
		// way a dying process would. It returns how long the new worker must
		// wait before the delivery is due, and the delivery's webhook id.
		crash func(t *testing.T, h *harness, url string) (time.Duration, string)
	}{
		{
			name: "abandoned between retries",
			crash: func(t *testing.T, h *harness, _ string) (time.Duration, string) {
				h.deployers["staging"].answer(answer{status: 500})
				h.runOnce() // 500: a retry is due in 2s
				return 2 * time.Second, h.deployers["staging"].requests()[0].id
			},
		},
		{
			name: "claimed, then gone before the outcome was recorded",
			crash: func(t *testing.T, h *harness, _ string) (time.Duration, string) {
				got, err := h.store.ClaimDeliveries(ctx, releases.DeliveryClaim{Now: h.clock.Now(), Lease: h.worker.Lease(), Limit: 10})
				if err != nil || len(got) != 1 {
					t.Fatalf("claim: %d, %v", len(got), err)
				}
				return h.worker.Lease(), got[0].WebhookID
			},
		},
		{
			name: "killed with SIGKILL mid-attempt",
			crash: func(t *testing.T, h *harness, url string) (time.Duration, string) {
				dep := h.deployers["staging"]
				dep.answer(answer{status: 200, body: `{"status": "succeeded"}`, delay: time.Minute}) // holds until the caller dies
				cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerChildProcess$", "-test.v")
				cmd.Env = append(os.Environ(), "RELEASEBOT_CHILD_DB="+url, "RELEASEBOT_CHILD_DEPLOY_URL="+dep.URL()+"/hooks/staging",
					"RELEASEBOT_CHILD_NOW="+strconv.FormatInt(h.clock.Now().UnixNano(), 10))
				out := &syncBuffer{}
				cmd.Stdout, cmd.Stderr = out, out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				select {
				case <-dep.notify:
				case <-time.After(60 * time.Second):
					_ = cmd.Process.Kill()
					t.Fatalf("the child never called the deployer:\n%s", out)
				}
				if err := cmd.Process.Kill(); err != nil { // SIGKILL
					t.Fatal(err)
				}
				_ = cmd.Wait()
				return h.worker.Lease(), dep.requests()[0].id
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, db := range storetest.Databases(t) {
				t.Run(db.Name, func(t *testing.T) {
					url := db.URL(t)
					first, err := gormstore.Open(ctx, url, gormstore.Options{})
					if err != nil {
						t.Fatal(err)
					}
					if err := first.Migrate(ctx); err != nil {
						t.Fatal(err)
					}
					h := newHarness(t, first, []env{{name: "staging", secret: stagingSecret, deploy: childDeploy}})
					r := h.release("v1")
					id := r.Deployments[0].ID
					wait, originalID := tc.crash(t, h, url)
					_ = first.Close()

					// A new process on the same database.
					h.wire(storetest.Open(t, url, nil))
					dep := h.deployers["staging"]
					before := len(dep.requests())
					if n := h.runOnce(); n != 0 || len(dep.requests()) != before {
						t.Fatalf("the new worker sent the delivery before it was due (%d handled)", n)
					}
					h.clock.Advance(wait)
					dep.answer(answer{status: 200, body: `{"status": "succeeded"}`})
					if err := h.worker.Drain(ctx); err != nil {
						t.Fatal(err)
					}
					reqs := dep.requests()
					if len(reqs) != before+1 {
						t.Fatalf("%d requests after the restart, want 1", len(reqs)-before)
					}
					got := h.deployment(id)
					if got.Status != releases.DeploymentSucceeded || got.Attempts != 2 {
						t.Fatalf("after the restart: %s after %d attempts, want succeeded after 2", got.Status, got.Attempts)
					}
					if h.get(r.ID).Status != releases.StatusDeployed {
						t.Fatalf("release %s", h.get(r.ID).Status)
					}
					if last := reqs[len(reqs)-1]; last.id != originalID || last.verifyErr != nil {
						t.Fatalf("webhook-id after the restart %q, want the original %q (signature %v)", last.id, originalID, last.verifyErr)
					}
				})
			}
		})
	}
}

// childDeploy is the deploy configuration of TestResumeAfterCrash, the
// same in the child process: the same timeout means the same lease.
var childDeploy = config.Deploy{Timeout: 30 * time.Second}

// TestWorkerChildProcess is the process TestResumeAfterCrash kills: a
// worker that calls the deployer and is killed while it waits for the
// answer.
func TestWorkerChildProcess(t *testing.T) {
	url := os.Getenv("RELEASEBOT_CHILD_DB")
	if url == "" {
		t.Skip("run by TestResumeAfterCrash")
	}
	nanos, err := strconv.ParseInt(os.Getenv("RELEASEBOT_CHILD_NOW"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gormstore.Open(ctx, url, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	c.Set(time.Unix(0, nanos).UTC())
	cfg, _ := newConfig(t, c, []env{{name: "staging", log: true, deploy: childDeploy}})
	cfg.Environments[0].Deploy.URL = os.Getenv("RELEASEBOT_CHILD_DEPLOY_URL")
	cfg.Environments[0].Deploy.Secret = stagingSecret
	svc := releases.NewCoordinator(releases.Options{Store: s, Policy: cfg.Policy(), Now: c.Now})
	w := webhooks.NewWorker(webhooks.Options{Store: s, Reporter: svc, Environments: resolve(t, cfg.Environments, webhooks.Deps{Now: c.Now}), PublicURL: publicURL, Now: c.Now})
	n, err := w.RunOnce(context.Background())
	t.Fatalf("the worker returned (%d, %v); it should have been killed mid-attempt", n, err)
}

// TestTwoWorkersSendEachDeliveryOnce races two workers, each on a store
// of its own (two replicas), over 200 pending deliveries; the deployer
// counts what it receives.
func TestTwoWorkersSendEachDeliveryOnce(t *testing.T) {
	const n = 200
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			url := db.URL(t)
			h := newHarness(t, storetest.Open(t, url, nil), []env{{name: "staging", secret: stagingSecret}})
			dep := h.deployers["staging"]
			dep.def = answer{status: 200, body: `{"status": "succeeded"}`}
			now := h.clock.Now()
			err := h.store.Tx(ctx, func(tx releases.Tx) error {
				for i := range n {
					r := &releases.Release{Service: fmt.Sprintf("svc-%03d", i), Version: "v1", Status: releases.StatusDeploying,
						CreatedBy: dave, CreatedAt: now, UpdatedAt: now, Teams: []string{"payments"}, Environments: []string{"staging"}}
					if err := tx.CreateRelease(ctx, r); err != nil {
						return err
					}
					d := &releases.Deployment{ReleaseID: r.ID, Environment: "staging", Type: releases.TypeDeployment,
						Status: releases.DeploymentPending, Service: r.Service, Version: "v1", RequestedBy: dave, CreatedAt: now, UpdatedAt: now}
					if err := tx.CreateDeployment(ctx, d); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			workers := []*webhooks.Worker{h.worker}
			h2 := *h
			h2.wire(storetest.Open(t, url, nil))
			workers = append(workers, h2.worker)
			var wg sync.WaitGroup
			for _, w := range workers {
				wg.Go(func() {
					if err := w.Drain(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			byDeployment, byWebhookID := map[string]int{}, map[string]int{}
			for _, req := range dep.requests() {
				byDeployment[req.payload.DeploymentID]++
				byWebhookID[req.id]++
				if req.verifyErr != nil {
					t.Errorf("%s: %v", req.payload.DeploymentID, req.verifyErr)
				}
			}
			if len(byDeployment) != n || len(byWebhookID) != n {
				t.Errorf("%d deployments and %d webhook ids received, want %d each", len(byDeployment), len(byWebhookID), n)
			}
			for id, k := range byDeployment {
				if k != 1 {
					t.Errorf("%s received %d times", id, k)
				}
			}
			deployed, err := h.svc.List(ctx, releases.Filter{Statuses: []releases.Status{releases.StatusDeployed}, Limit: releases.MaxLimit})
			if err != nil || len(deployed) != n {
				t.Errorf("%d releases deployed (%v), want %d", len(deployed), err, n)
			}
		})
	}
}
