package releases_test

import (
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// TestReportOnUnsentDeployment: a deployment that was never sent (queued
// behind another release's) takes no status: EConflict saying why, and
// nothing changes. Once sent, it does.
func TestReportOnUnsentDeployment(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		first := e.approveAll(t, e.create(t, "v1").ID)
		e.send(t)
		second := e.approveAll(t, e.create(t, "v2").ID)
		e.send(t) // v1's staging deployment is ahead: v2's is not sent
		d := second.Deployments[0]
		before := e.audit(t, second.ID)
		for _, st := range []releases.DeploymentStatus{releases.DeploymentSucceeded, releases.DeploymentInProgress, releases.DeploymentFailed} {
			_, err := e.svc.ReportDeployment(ctx, "deployer", d.ID, releases.StatusReport{Status: st})
			if releases.ErrorCode(err) != releases.EConflict || !strings.Contains(releases.ErrorMessage(err), "not been sent") {
				t.Fatalf("%s for a deployment never sent: %v, want a conflict saying why", st, err)
			}
		}
		r := e.ok(e.svc.Get(ctx, second.ID))
		if r.Status != releases.StatusDeploying || r.Deployments[0].Status != releases.DeploymentPending {
			t.Fatalf("after refused reports: %s, deployment %s", r.Status, r.Deployments[0].Status)
		}
		if after := e.audit(t, second.ID); len(after) != len(before) {
			t.Fatalf("refused reports changed the audit trail: %v", after[len(before):])
		}
		e.report(t, first, releases.DeploymentSucceeded)
		if r := e.report(t, second, releases.DeploymentSucceeded); r.Status != releases.StatusAwaitingPromotion {
			t.Fatalf("once sent: %s, want awaiting_promotion", r.Status)
		}
	})
}
