package webhooks

import (
	"context"
	"log/slog"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// logFail is the log: URL whose deployments fail, for demos of failures
// (a train's failing component, a retry).
const logFail = "log:fail"

// logTarget is a log: URL: it logs what a webhook would receive and
// succeeds at once (log:fail fails at once). It calls nothing, so it takes
// no callbacks, and a deployment it logged has no deadline and no limit of
// attempts.
type logTarget struct {
	url string
	log *slog.Logger
}

func newLogTarget(d config.Deploy, deps Deps) (Target, Timing, error) {
	timing := DeployTiming(d)
	timing.MaxAttempts, timing.FinishWithin = 0, 0
	return logTarget{url: d.URL, log: deps.Logger}, timing, nil
}

func (t logTarget) Send(_ context.Context, req Request) (Outcome, error) {
	p := req.Payload
	t.log.Info("deploy target "+t.url+" would receive",
		"type", p.Type, "deployment_id", p.DeploymentID, "release_id", p.ReleaseID, "service", p.Service,
		"version", p.Version, "previous_version", p.PreviousVersion, "environment", p.Environment,
		"requested_by", p.RequestedBy, "approved_by", p.ApprovedBy, "callback_url", p.CallbackURL, "vars", p.Vars)
	if t.url == logFail {
		return Outcome{Verdict: Accepted, Local: true, Report: releases.StatusReport{Status: releases.DeploymentFailed,
			Message: "the log:fail target fails every deployment; nothing was called"}}, nil
	}
	return Outcome{Verdict: Accepted, Local: true, Report: releases.StatusReport{Status: releases.DeploymentSucceeded,
		Message: "logged by the " + t.url + " target; nothing was called"}}, nil
}
