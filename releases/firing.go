package releases

import (
	"context"
	"strings"
	"time"
)

// Firing is one run of a scheduled job: a window opening, a sign-off
// reminder before one, a summary. (Job, At) is its key: a replica claims
// it in the store before it acts, so that however many replicas see it
// come due, it acts once.
type Firing struct {
	Job          string    // "window:weekly-train", "reminder:weekly-train", "summary:weekly"
	At           time.Time // when it was scheduled
	Status       FiringStatus
	Owner        string    // the replica holding or having held the claim
	ClaimedUntil time.Time // a running firing's lease; zero once finished
	Attempts     int       // claims, counting take-overs of a lapsed one
	Detail       string    // what it did, or why it was missed
	CreatedAt    time.Time
	FinishedAt   time.Time // zero while running
}

// FiringStatus is where a firing stands.
type FiringStatus string

// Firing statuses.
const (
	FiringRunning FiringStatus = "running" // claimed; acting, or its replica died acting
	FiringDone    FiringStatus = "done"    // it acted
	FiringMissed  FiringStatus = "missed"  // it came due while no replica ran and was no longer worth acting on
	FiringFailed  FiringStatus = "failed"  // its action kept failing; given up (logged)
)

// FiringStore claims scheduled firings, so that each acts once across
// replicas, and remembers what became of them.
type FiringStore interface {
	// ClaimFiring claims (job, at) for owner until now+lease. It reports
	// true when the firing was never claimed, or is still running but its
	// lease lapsed (its replica died mid-firing: owner takes it over), and
	// false when another owner holds it or it finished (done or missed).
	ClaimFiring(ctx context.Context, job string, at time.Time, owner string, now time.Time, lease time.Duration) (bool, error)
	// FinishFiring records the end of a firing owner claimed: status done,
	// missed or failed, and what it did or why not. A firing that another owner has since
	// taken over is left to that owner.
	FinishFiring(ctx context.Context, job string, at time.Time, owner string, status FiringStatus, detail string, now time.Time) error
	// MissFiring records (job, at) as missed, with why, unless it is
	// recorded already; it reports whether it recorded it.
	MissFiring(ctx context.Context, job string, at time.Time, detail string, now time.Time) (bool, error)
	// LastFiring returns the latest scheduled time recorded for job with
	// status st ("" for any status); zero when there is none.
	LastFiring(ctx context.Context, job string, st FiringStatus) (time.Time, error)
	// LapsedFirings returns up to limit running firings whose lease lapsed
	// before now, oldest first.
	LapsedFirings(ctx context.Context, now time.Time, limit int) ([]Firing, error)
	// Firings returns the firings of job ("" for every job) scheduled in
	// [from, to), by time, then job.
	Firings(ctx context.Context, job string, from, to time.Time) ([]Firing, error)
	// Checked returns the time up to which every firing of job was claimed
	// or recorded by some replica; zero when no replica ever said.
	Checked(ctx context.Context, job string) (time.Time, error)
	// SetChecked records that every firing of job up to t was claimed or
	// recorded; a t earlier than the one stored changes nothing.
	SetChecked(ctx context.Context, job string, t time.Time) error
}

// StartAtOpening is the scheduler's call when release id's window opens:
// a ready release whose gate is open starts deploying, as with StartIfDue.
// One that a freeze holds gets, once per opening, an audit event (and so a
// thread reply) saying that it skips opening and when it will go instead.
// opening names the opening for people ("the weekly-train opening of Tue
// 22 Dec 2026 14:00 CET"). A release that is not ready is left alone.
func (s *Coordinator) StartAtOpening(ctx context.Context, id int64, opening string) (*Release, error) {
	return s.change(ctx, "start", id, SystemActor, func(ctx context.Context, m *mutation) error {
		wait, err := s.startIfOpen(ctx, m)
		if err != nil || wait == nil || !wait.Frozen {
			return err
		}
		// A replica that takes over a firing whose first replica died may
		// come here twice for one opening: say it once.
		note := "skips " + opening
		events, err := m.tx.AuditEvents(ctx, m.r.ID)
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.Action == ActionWaiting && strings.HasPrefix(e.Detail, note+" ") {
				return nil
			}
		}
		return m.auditAs(ctx, SystemActor, ActionWaiting, note+" because it "+wait.Reason)
	})
}
