package storetest

import (
	"context"
	"fmt"

	"github.com/releasebot/releasebot/releases"
)

// MarkSent counts an attempt for deployment id if it has none, as if the
// webhook worker had sent it to its deployer — whether or not it is next
// in its queue. Tests that report a deployer's status through the coordinator,
// without a worker, call it first: a deployment never sent takes no
// status.
func MarkSent(ctx context.Context, s releases.Store, id int64) error {
	releaseID, err := s.DeploymentRelease(ctx, id)
	if err != nil {
		return fmt.Errorf("mark D-%d sent: %w", id, err)
	}
	return s.Tx(ctx, func(tx releases.Tx) error {
		r, err := tx.LockRelease(ctx, releaseID)
		if err != nil {
			return err
		}
		d, ok := r.Deployment(id)
		if !ok || d.Attempts > 0 {
			return nil
		}
		d.Attempts = 1
		return tx.UpdateDeployment(ctx, d)
	})
}
