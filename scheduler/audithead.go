package scheduler

import (
	"context"
	"fmt"

	"github.com/releasebot/releasebot/releases"
)

// AuditHeads reads the audit chain's head; the store implements it.
type AuditHeads interface {
	AuditHead(ctx context.Context) (releases.ChainHead, error)
}

// addAuditHead puts the audit chain's head into a summary, so each summary
// posts a copy of it outside the database (README "Audit chain"). Without
// Options.Audit the summary has none.
func (s *Scheduler) addAuditHead(ctx context.Context, out *Summary) error {
	if s.audit == nil {
		return nil
	}
	h, err := s.audit.AuditHead(ctx)
	if err != nil {
		return fmt.Errorf("summary %s: %w", out.Name, err)
	}
	out.AuditHead = &h
	return nil
}
