package gormstore

import (
	"context"

	"github.com/releasebot/releasebot/releases"
)

// CreateWithEvents inserts a new release and its first audit events in one
// write transaction (releases.Creator). A one-statement form for
// PostgreSQL (the release's INSERT as a data-modifying CTE) was measured
// and dropped: it did not move create's share of the write floor, and the
// release row now has a train's components, a pinned artifact and an
// idempotency key to write with it.
func (s *Store) CreateWithEvents(ctx context.Context, r *releases.Release, events []releases.AuditEvent) error {
	return s.Tx(ctx, func(rtx releases.Tx) error { return releases.CreateInTx(ctx, rtx, r, events) })
}
