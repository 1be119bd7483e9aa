package webhooks

import (
	"context"
	"log/slog"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// logTarget is a log: URL: it logs what a webhook would receive and
// succeeds at once. It calls nothing, so it takes no callbacks, and a
// deployment it logged has no deadline and no limit of attempts.
type logTarget struct {
	url string
	log *slog.Logger
}

func newLogTarget(env config.Environment, deps Deps) (Target, Timing, error) {
	timing := DeployTiming(env.Deploy)
	timing.MaxAttempts, timing.FinishWithin = 0, 0
	return logTarget{url: env.Deploy.URL, log: deps.Logger}, timing, nil
}

func (t logTarget) Send(_ context.Context, req Request) (Outcome, error) {
	p := req.Payload
	t.log.Info("deploy target "+t.url+" would receive",
		"type", p.Type, "deployment_id", p.DeploymentID, "release_id", p.ReleaseID, "service", p.Service,
		"version", p.Version, "previous_version", p.PreviousVersion, "environment", p.Environment,
		"requested_by", p.RequestedBy, "approved_by", p.ApprovedBy, "callback_url", p.CallbackURL)
	return Outcome{Verdict: Accepted, Local: true, Report: releases.StatusReport{Status: releases.DeploymentSucceeded,
		Message: "logged by the " + t.url + " target; nothing was called"}}, nil
}
