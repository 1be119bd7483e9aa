package releases

import (
	"context"
	"errors"
	"time"
)

// mutation is one locked release inside one transaction, collecting the
// audit events of what is done to it.
type mutation struct {
	s      *Coordinator
	tx     Tx
	r      *Release
	actor  string
	now    time.Time
	events []AuditEvent
}

// change locks release id, runs fn on it and, when fn succeeds, saves the
// release and notifies after the commit. fn returning an error changes
// nothing at all.
func (s *Coordinator) change(ctx context.Context, what string, id int64, actor string, fn func(ctx context.Context, m *mutation) error) (*Release, error) {
	var m *mutation
	err := s.store.Tx(ctx, func(tx Tx) error {
		r, err := tx.LockRelease(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return notFound(id)
		}
		if err != nil {
			return err
		}
		m = &mutation{s: s, tx: tx, r: r, actor: actor, now: s.Now()}
		if err := fn(ctx, m); err != nil {
			return err
		}
		if len(m.events) == 0 {
			return nil // nothing happened: nothing to save or tell
		}
		r.UpdatedAt = m.now
		return tx.UpdateRelease(ctx, r)
	})
	if err != nil {
		return nil, s.fail(what+" "+FormatID(id), err)
	}
	s.notify(ctx, m.r, m.events)
	return m.r, nil
}

// audit records an event by the mutation's actor.
func (m *mutation) audit(ctx context.Context, action, detail string) error {
	return m.auditAs(ctx, m.actor, action, detail)
}

func (m *mutation) auditAs(ctx context.Context, actor, action, detail string) error {
	e := AuditEvent{ReleaseID: m.r.ID, At: m.now, Actor: actor, Action: action, Detail: detail}
	if err := m.tx.AddAudit(ctx, &e); err != nil {
		return err
	}
	m.events = append(m.events, e)
	return nil
}

// setStatus moves the release on, or refuses with a reason.
func (m *mutation) setStatus(to Status) error { return transition(m.r, to) }
