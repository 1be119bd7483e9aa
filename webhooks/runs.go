package webhooks

import (
	"context"

	"github.com/releasebot/releasebot/releases"
)

// RunFinder finds the deployment a completion webhook is about, by the run
// its target started; *gormstore.Store is one.
type RunFinder interface {
	// DeploymentByRun returns the deployment that follows the run a target
	// of kind started with the id runID. Errors: releases.ErrNotFound.
	DeploymentByRun(ctx context.Context, kind, runID string) (*releases.Deployment, error)
}
