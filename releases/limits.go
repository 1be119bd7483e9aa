package releases

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limits keep one person (or one CI token) from flooding releasebot. The
// zero value limits nothing; the configuration's defaults are in README.
type Limits struct {
	// CreatesPerHour is how many releases one creator may open in any
	// rolling hour; 0 for no limit. Release managers are exempt: they are
	// who people ask when the limit is in the way of a hotfix.
	CreatesPerHour int
	// SignoffExpiry is how long a release may await sign-off before the
	// scheduler cancels it; 0 for never.
	SignoffExpiry time.Duration
	// Location is the zone of the times refusals name (default UTC).
	Location *time.Location
}

// quotaWindow is the rolling period CreatesPerHour counts over.
const quotaWindow = time.Hour

// quotaApplies reports whether actor's creates are counted against
// Limits.CreatesPerHour.
func (s *Coordinator) quotaApplies(actor string) bool {
	return s.policy.Limits.CreatesPerHour > 0 && !s.policy.IsReleaseManager(actor)
}

// checkQuota refuses actor's create at now when actor opened
// Limits.CreatesPerHour releases in the last hour. It runs in the create's
// transaction and counts stored releases, so the limit holds across
// replicas; the store holds actor's creates against concurrent ones until
// the transaction ends.
func (s *Coordinator) checkQuota(ctx context.Context, tx Tx, actor string, now time.Time) error {
	if !s.quotaApplies(actor) {
		return nil
	}
	limit := s.policy.Limits.CreatesPerHour
	recent, err := tx.RecentCreates(ctx, actor, now.Add(-quotaWindow), limit)
	if err != nil {
		return fmt.Errorf("count creates of %s: %w", actor, err)
	}
	if len(recent) < limit {
		return nil
	}
	// Once the limit-th newest leaves the hour, fewer than limit remain.
	// Round up to the minute: "after 15:04" must hold at 15:04:00.
	free := recent[limit-1].Add(quotaWindow)
	if t := free.Truncate(time.Minute); t.Before(free) {
		free = t.Add(time.Minute)
	}
	loc := s.policy.Limits.Location
	if loc == nil {
		loc = time.UTC
	}
	return Errorf(ETooMany, "You have opened %d releases in the last hour; the limit is %d. Try again after %s, or ask a release manager.",
		len(recent), limit, free.In(loc).Format("15:04 MST"))
}

// ExpireDue cancels every release that has awaited sign-off for
// Limits.SignoffExpiry or longer (see ExpireIfDue) and returns their ids.
// It reads a page of them at a time, oldest pages last.
func (s *Coordinator) ExpireDue(ctx context.Context) ([]int64, error) {
	expiry := s.policy.Limits.SignoffExpiry
	if expiry <= 0 {
		return nil, nil
	}
	// Stored times have microseconds: created at or before the cutoff.
	f := Filter{Statuses: []Status{StatusAwaitingSignoff}, CreatedBefore: s.Now().Add(-expiry + time.Microsecond), Limit: MaxLimit}
	var expired []int64
	var errs []error
	for {
		page, err := s.store.Releases(ctx, f)
		if err != nil {
			return expired, s.fail("releases to expire", err)
		}
		for i := range page {
			ok, err := s.ExpireIfDue(ctx, page[i].ID)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if ok {
				expired = append(expired, page[i].ID)
			}
		}
		if len(page) < f.Limit {
			return expired, errors.Join(errs...)
		}
		f.Before = page[len(page)-1].ID
	}
}

// ExpireIfDue cancels release id as the system when it has been awaiting
// sign-off for Limits.SignoffExpiry or longer; anything else is left
// alone. It decides under the release's lock, so replicas that try the
// same release together cancel it once. It reports whether it cancelled.
func (s *Coordinator) ExpireIfDue(ctx context.Context, id int64) (bool, error) {
	expiry := s.policy.Limits.SignoffExpiry
	if expiry <= 0 {
		return false, nil
	}
	expired := false
	_, err := s.change(ctx, "expire", id, SystemActor, func(ctx context.Context, m *mutation) error {
		r := m.r
		if r.Status != StatusAwaitingSignoff || m.now.Sub(r.CreatedAt) < expiry {
			return nil
		}
		if err := m.setStatus(StatusCancelled); err != nil {
			return err
		}
		r.Reason = fmt.Sprintf("expired after %s without all sign-offs", FormatAge(expiry))
		expired = true
		// A cancellation like any other (the card, the requests and the
		// dashboard say so), by the system, with the reason for the thread.
		return m.audit(ctx, ActionCancelled, fmt.Sprintf("%s %s; cancelled.", FormatID(r.ID), r.Reason))
	})
	return expired, err
}

// FormatAge renders a duration as people say it: "14 days", "36 hours",
// "90 minutes".
func FormatAge(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return d.String()
}
