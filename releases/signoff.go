package releases

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SignOff records actor's approval of release id for team. An empty team
// means the one team of the release that actor leads.
//
// The sign-off records the release's digest: what the lead approved.
//
// Errors: ENotFound; EForbidden when actor is a CI identity (IsCIActor),
// is not a lead of the team, or
// created the release and the four-eyes rule is on; EInvalid for a team the
// release does not need; EConflict when sign-offs are closed or actor has
// already signed off for that team.
func (s *Coordinator) SignOff(ctx context.Context, actor string, id int64, team string) (*Release, error) {
	return s.change(ctx, "sign off", id, actor, func(ctx context.Context, m *mutation) error {
		r := m.r
		if err := refuseCI(actor, "sign off", r.ID); err != nil {
			return err
		}
		if err := signoffsOpen(r); err != nil {
			return err
		}
		team, err := s.leadTeam(r, actor, team, "sign off")
		if err != nil {
			return err
		}
		if s.policy.RequireDistinctApprover && actor == r.CreatedBy {
			return Errorf(EForbidden, "You created %s, so someone else must sign it off (four-eyes rule).", FormatID(r.ID))
		}
		for _, so := range r.SignOffs {
			if so.Team == team && so.User == actor && so.Decision == Approved {
				return Errorf(EConflict, "You have already signed off %s for %s.", FormatID(r.ID), team)
			}
		}
		so := SignOff{ReleaseID: r.ID, Team: team, User: actor, Decision: Approved, At: m.now, Digest: r.Digest}
		if err := m.tx.PutSignOff(ctx, so); err != nil {
			return err
		}
		r.SignOffs = append(r.SignOffs, so)
		need := s.policy.need(team)
		have := len(s.policy.validApprovals(r, team))
		detail := fmt.Sprintf("%s (%d of %d)", team, min(have, need), need)
		if lead, _ := s.policy.leadOf(team, actor); lead.Via != nil {
			detail += ", " + lead.describe()
		}
		if r.Digest != "" {
			detail += "; approved " + r.Digest
		}
		if err := m.audit(ctx, ActionSignedOff, detail); err != nil {
			return err
		}
		return s.settle(ctx, m)
	})
}

// Withdraw takes back actor's approval of release id for team (empty: the
// one team actor signed off for), as removing a ✅ does.
//
// Errors: ENotFound; EConflict when deployment has started (of Kind
// ErrStarted: the sign-off stands) or there is no such sign-off.
func (s *Coordinator) Withdraw(ctx context.Context, actor string, id int64, team string) (*Release, error) {
	return s.change(ctx, "withdraw sign-off", id, actor, func(ctx context.Context, m *mutation) error {
		r := m.r
		if r.Status.Started() {
			return kindErrorf(ErrStarted, EConflict, "%s has started deploying; the sign-off stands.", FormatID(r.ID))
		}
		if err := signoffsOpen(r); err != nil {
			return err
		}
		var mine []string
		for _, so := range r.SignOffs {
			if so.User == actor && so.Decision == Approved && (team == "" || so.Team == team) {
				mine = append(mine, so.Team)
			}
		}
		switch {
		case len(mine) == 0:
			return Errorf(EConflict, "You have no sign-off on %s to withdraw.", FormatID(r.ID))
		case len(mine) > 1:
			return Errorf(EInvalid, "You signed off %s for %s; say which to withdraw.", FormatID(r.ID), strings.Join(mine, " and "))
		}
		team = mine[0]
		if err := m.tx.DeleteSignOff(ctx, r.ID, team, actor); err != nil {
			return err
		}
		kept := r.SignOffs[:0:0]
		for _, so := range r.SignOffs {
			if !(so.Team == team && so.User == actor) {
				kept = append(kept, so)
			}
		}
		r.SignOffs = kept
		if err := m.audit(ctx, ActionWithdrawn, team); err != nil {
			return err
		}
		return s.settle(ctx, m)
	})
}

// Reject ends release id: a lead of one of its teams (team, or any of them
// when empty) says no. The reason may be empty (a ❌ reaction has none).
//
// Errors: ENotFound; EForbidden for anyone but the release's teams' leads,
// and for CI identities; EConflict once deployment has started; EInvalid
// for a reason that is not words people can read (CleanText).
func (s *Coordinator) Reject(ctx context.Context, actor string, id int64, team, reason string) (*Release, error) {
	reason, err := CleanText("the reason", reason)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, "reject", id, actor, func(ctx context.Context, m *mutation) error {
		r := m.r
		if err := refuseCI(actor, "reject", r.ID); err != nil {
			return err
		}
		if err := signoffsOpen(r); err != nil {
			return err
		}
		if team == "" {
			if led := s.policy.LedTeams(r.Teams, actor); len(led) > 0 {
				team = led[0]
			}
		}
		team, err := s.leadTeam(r, actor, team, "reject")
		if err != nil {
			return err
		}
		so := SignOff{ReleaseID: r.ID, Team: team, User: actor, Decision: Rejected, At: m.now, Digest: r.Digest}
		if err := m.tx.PutSignOff(ctx, so); err != nil {
			return err
		}
		replaced := false
		for i := range r.SignOffs {
			if r.SignOffs[i].Team == team && r.SignOffs[i].User == actor {
				r.SignOffs[i], replaced = so, true
			}
		}
		if !replaced {
			r.SignOffs = append(r.SignOffs, so)
		}
		if err := m.setStatus(StatusRejected); err != nil {
			return err
		}
		r.Reason = reason
		detail := team
		if r.Reason != "" {
			detail += ": " + r.Reason
		}
		return m.audit(ctx, ActionRejected, detail)
	})
}

// Cancel ends release id before its deployment starts.
//
// Errors: ENotFound; EForbidden for anyone but its creator, its teams'
// leads and release managers; EConflict once deployment has started;
// EInvalid for a reason that is not words people can read (CleanText).
func (s *Coordinator) Cancel(ctx context.Context, actor string, id int64, reason string) (*Release, error) {
	reason, err := CleanText("the reason", reason)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, "cancel", id, actor, func(ctx context.Context, m *mutation) error {
		r := m.r
		if err := s.mayOperate(r, actor, "cancel"); err != nil {
			return err
		}
		switch {
		case r.Status.Started():
			return kindErrorf(ErrStarted, EConflict, "%s is %s; deployment has started, so it can't be cancelled. Use `/release rollback %s` to undo it.", FormatID(r.ID), describe(r.Status), FormatID(r.ID))
		case !r.Status.Active():
			return Errorf(EConflict, "%s was %s already.", FormatID(r.ID), describe(r.Status))
		}
		if err := m.setStatus(StatusCancelled); err != nil {
			return err
		}
		r.Reason = reason
		return m.audit(ctx, ActionCancelled, r.Reason)
	})
}

// Schedule moves release id to a window, or to a one-off start time;
// exactly one of window and at must be given.
//
// Errors: ENotFound; EForbidden as for Cancel; EInvalid for an unknown
// window or a time in the past; EConflict once deployment has started.
func (s *Coordinator) Schedule(ctx context.Context, actor string, id int64, window string, at time.Time) (*Release, error) {
	return s.change(ctx, "schedule", id, actor, func(ctx context.Context, m *mutation) error {
		r := m.r
		if err := s.mayOperate(r, actor, "reschedule"); err != nil {
			return err
		}
		switch {
		case r.Status != StatusAwaitingSignoff && r.Status != StatusReady:
			return Errorf(EConflict, "%s is %s; only a release that has not started can be rescheduled.", FormatID(r.ID), describe(r.Status))
		case (window == "") == at.IsZero():
			return Errorf(EInvalid, "Give either a window or a start time.")
		case window != "" && !contains(s.policy.Windows, window):
			return s.unknownWindow(window)
		case !at.IsZero() && !at.After(m.now):
			return Errorf(EInvalid, "The start time %s has passed.", at.UTC().Format(time.RFC3339))
		}
		r.Window, r.StartAt = window, at.UTC().Truncate(time.Microsecond)
		detail := "window " + window
		if window == "" {
			detail = "at " + r.StartAt.Format(time.RFC3339)
		}
		if err := m.audit(ctx, ActionScheduled, detail); err != nil {
			return err
		}
		return s.startOrExplain(ctx, m)
	})
}

// settle makes a release's status agree with its sign-offs after one
// changed, and starts it when it became ready and may go.
func (s *Coordinator) settle(ctx context.Context, m *mutation) error {
	r := m.r
	missing := s.policy.Missing(r)
	switch {
	case len(missing) == 0 && r.Status == StatusAwaitingSignoff:
		if err := m.setStatus(StatusReady); err != nil {
			return err
		}
		if err := m.auditAs(ctx, SystemActor, ActionReady, "every team has signed off"); err != nil {
			return err
		}
		return s.startOrExplain(ctx, m)
	case len(missing) > 0 && r.Status == StatusReady:
		if err := m.setStatus(StatusAwaitingSignoff); err != nil {
			return err
		}
		return m.auditAs(ctx, SystemActor, ActionUnready, describeMissing(missing))
	}
	return nil
}

func describeMissing(missing []Shortfall) string {
	parts := make([]string, len(missing))
	for i, sf := range missing {
		parts[i] = fmt.Sprintf("%s %d of %d", sf.Team, sf.Have, sf.Need)
	}
	return "waiting for " + strings.Join(parts, ", ")
}

// signoffsOpen refuses sign-off changes once a release has moved past them.
func signoffsOpen(r *Release) error {
	switch {
	case r.Status == StatusAwaitingSignoff || r.Status == StatusReady:
		return nil
	case r.Status.Started():
		return kindErrorf(ErrStarted, EConflict, "%s has started deploying; sign-offs are closed.", FormatID(r.ID))
	}
	return Errorf(EConflict, "%s was %s; sign-offs are closed.", FormatID(r.ID), describe(r.Status))
}

// leadTeam resolves which of r's teams actor acts for, and checks actor
// leads it.
func (s *Coordinator) leadTeam(r *Release, actor, team, verb string) (string, error) {
	id := FormatID(r.ID)
	if team != "" {
		if !r.HasTeam(team) {
			return "", Errorf(EInvalid, "%s doesn't need %s sign-off; it needs %s.", id, possessive(team), strings.Join(r.Teams, ", "))
		}
		if !s.policy.IsLead(team, actor) {
			if err := s.unknownLeads([]string{team}, verb, id); err != nil {
				return "", err
			}
			return "", Errorf(EForbidden, "Only %s can %s %s for %s.", s.policy.teamLeads(team), verb, id, team)
		}
		return team, nil
	}
	led := s.policy.LedTeams(r.Teams, actor)
	switch len(led) {
	case 0:
		if err := s.unknownLeads(r.Teams, verb, id); err != nil {
			return "", err
		}
		// The sentence of the team case (a ✅ on a team's request), for
		// every team: approve and the reaction refuse alike.
		leads := make([]string, len(r.Teams))
		for i, t := range r.Teams {
			leads[i] = s.policy.teamLeads(t)
		}
		return "", Errorf(EForbidden, "Only %s can %s %s.", strings.Join(leads, " or "), verb, id)
	case 1:
		return led[0], nil
	}
	return "", Errorf(EInvalid, "You lead %s; say which team with --team.", strings.Join(led, " and "))
}

// unknownLeads refuses, with a note saying why, someone who leads none
// of teams when one of them names a user group whose members were never
// read: whether they are in it can't be told, and nobody is let through
// on a guess.
func (s *Coordinator) unknownLeads(teams []string, verb, id string) error {
	var unknown []GroupMembers
	for _, team := range teams {
		unknown = append(unknown, s.policy.unknownGroups(team)...)
	}
	if len(unknown) == 0 {
		return nil
	}
	return Errorf(EForbidden, "releasebot can't tell whether you may %s %s: it could not read who is in %s (%s) and knows no earlier members. Nothing was done; try again in a few minutes, or ask an admin to check releasebot's usergroups:read scope.",
		verb, id, groupNames(unknown), unknown[0].Problem)
}

// mayOperate allows deploy, rollback, cancel and schedule to the release's
// creator, its teams' leads and release managers.
func (s *Coordinator) mayOperate(r *Release, actor, verb string) error {
	if s.policy.MayOperate(r, actor) {
		return nil
	}
	return Errorf(EForbidden, "Only %s's creator, leads of %s and release managers can %s it.", FormatID(r.ID), strings.Join(r.Teams, ", "), verb)
}
