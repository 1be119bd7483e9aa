package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// Summary periods.
const (
	// DORAPeriod is how far back the DORA figures look.
	DORAPeriod = 30 * 24 * time.Hour
	// keepDORAEvery is how often Run keeps the DORA spans of the hours
	// that closed since (KeepDORA).
	keepDORAEvery = 10 * time.Minute
	// summaryAhead is how far ahead a summary lists window openings.
	summaryAhead = 14 * 24 * time.Hour
	// summaryOpenings is at most how many openings a summary lists.
	summaryOpenings = 6
)

// summarize builds the summary due at at and hands it to the announcer.
func (s *Scheduler) summarize(ctx context.Context, sum ScheduledSummary, at time.Time) (string, error) {
	job := summaryJob(sum.Name)
	since, err := s.firings.LastFiring(ctx, job, releases.FiringDone)
	if err != nil {
		return "", err
	}
	if since.IsZero() || !since.Before(at) {
		// The first summary covers one period: as long as the one after it.
		since = at.Add(-Next(sum.Cron, at).Sub(at))
	}
	report, err := s.BuildSummary(ctx, sum, since, at)
	if err != nil {
		return "", err
	}
	targets := len(sum.Users)
	if sum.Channel != "" {
		targets++
	}
	if err := s.announce.Summarize(ctx, FiringRef{job, at}.String(), report); err != nil {
		return "", fmt.Errorf("announce summary: %w", err)
	}
	return fmt.Sprintf("%d deployed, %d failed, %d rolled back, %d waiting; sent to %d", len(report.Deployed),
		len(report.Failed), len(report.RolledBack), len(report.Waiting), targets), nil
}

// BuildSummary gathers what summary sum says at at: the outcomes in
// [since, at), the releases waiting and what for, the next windows and
// freezes, and the DORA figures of the last configured environment over
// the 30 days before at, in all and per service and owning team. In all,
// a train counts once; per service and team, each of its components does.
func (s *Scheduler) BuildSummary(ctx context.Context, sum ScheduledSummary, since, at time.Time) (Summary, error) {
	out := Summary{Name: sum.Name, Channel: sum.Channel, Users: sum.Users, At: at, Since: since}
	if s.history == nil {
		return out, fmt.Errorf("summary %s: no history reader configured", sum.Name)
	}
	outcomes, err := s.history.Outcomes(ctx, []string{releases.ActionDeployed, releases.ActionFailed, releases.ActionRolledBack}, since, at)
	if err != nil {
		return out, err
	}
	for _, o := range outcomes {
		switch o.Action {
		case releases.ActionDeployed:
			out.Deployed = append(out.Deployed, o)
		case releases.ActionFailed:
			out.Failed = append(out.Failed, o)
		case releases.ActionRolledBack:
			out.RolledBack = append(out.RolledBack, o)
		}
	}
	if out.Waiting, err = s.waiting(ctx, at); err != nil {
		return out, err
	}
	out.Openings = s.cal.Upcoming(at, at.Add(summaryAhead), summaryOpenings)
	if out.Freezes, err = s.cal.Freezes(ctx, at); err != nil {
		return out, err
	}
	if n := len(s.policy.Environments); n > 0 {
		out.Production = s.policy.Environments[n-1].Name
		from := at.Add(-DORAPeriod)
		w, err := releases.ReadDORA(ctx, s.history, out.Production, from, at)
		if errors.Is(err, releases.ErrSpansNotKept) {
			s.log.Warn("summary", "err", err) // its figures are right
		} else if err != nil {
			return out, err
		}
		out.DORA = w.Releases()      // a train once
		out.Services = w.ByService() // each component
		out.Teams = w.ByTeam(s.owners)
	}
	if err := s.addAuditHead(ctx, &out); err != nil {
		return out, err
	}
	return out, nil
}

// waiting lists the releases that wait (for sign-off, a window or freeze,
// or a promotion), oldest first, each with what it waits for.
func (s *Scheduler) waiting(ctx context.Context, at time.Time) ([]Waiting, error) {
	rs, err := listAll(ctx, s.rel, releases.StatusAwaitingSignoff, releases.StatusReady, releases.StatusAwaitingPromotion)
	if err != nil {
		return nil, err
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	fs, err := s.cal.load(ctx, s.cal.adhoc, at)
	if err != nil {
		return nil, err
	}
	out := make([]Waiting, 0, len(rs))
	for _, r := range rs {
		w := Waiting{Release: r}
		switch r.Status {
		case releases.StatusAwaitingSignoff:
			w.Blockers = s.policy.Missing(&r)
			teams := make([]string, len(w.Blockers))
			for i, b := range w.Blockers {
				teams[i] = fmt.Sprintf("%s (%d of %d)", b.Team, b.Have, b.Need)
			}
			w.Reason = "waits for sign-off from " + strings.Join(teams, ", ")
		case releases.StatusReady:
			if wait := s.cal.check(fs, &r, at); wait.Open || r.OverrideBy != "" {
				w.Reason = "is ready and starts now"
			} else {
				w.Reason = wait.Reason
			}
		case releases.StatusAwaitingPromotion:
			next, _ := r.NextEnvironment()
			w.Reason = fmt.Sprintf("waits for promotion to %s (`/release deploy %s --env %s`)", next, releases.FormatID(r.ID), next)
		}
		out = append(out, w)
	}
	return out, nil
}

// KeepDORA reads the DORA figures of the last configured environment
// over the DORA period up to now, and drops them: what it keeps on the
// way is every whole hour and day of the period (releases.ReadDORA), so
// that a summary or `/release history` reads a few dozen kept spans and
// at most two partial hours of deployments, however busy the month was.
// It forgets spans older than two periods. Run calls it every few
// minutes; replicas doing the same keep the same.
func (s *Scheduler) KeepDORA(ctx context.Context, now time.Time) error {
	n := len(s.policy.Environments)
	if s.history == nil || n == 0 {
		return nil
	}
	if _, err := releases.ReadDORA(ctx, s.history, s.policy.Environments[n-1].Name, now.Add(-DORAPeriod), now); err != nil {
		return err
	}
	return s.history.ForgetDORASpans(ctx, now.Add(-2*DORAPeriod))
}
