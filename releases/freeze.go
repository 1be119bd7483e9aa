package releases

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Freeze is a period in which no release starts deploying from Start until
// End, unless a release manager overrides it. A configured freeze (from the
// configuration file) has a Name and nothing else but its times; an ad-hoc
// freeze, which a release manager declared from chat and the store keeps,
// has no Name but an ID, a Reason and who declared it. The calendar answers
// with both kinds in this one type.
type Freeze struct {
	ID        int64     // of an ad-hoc freeze
	Name      string    // of a configured freeze; "" for an ad-hoc one
	Reason    string    // why an ad-hoc freeze was declared; never empty
	Start     time.Time // when it was declared
	End       time.Time // when it ends: Until, or when it was lifted
	Until     time.Time // the end as declared
	CreatedBy string
	LiftedBy  string    // who ended it early (unfreeze, or a newer freeze); "" while it runs its course
	LiftedAt  time.Time // zero unless lifted
}

// Active reports whether the freeze holds at t: Start <= t < End.
func (f Freeze) Active(t time.Time) bool { return !t.Before(f.Start) && t.Before(f.End) }

// AdHoc reports whether the freeze was declared from chat rather than
// configured.
func (f Freeze) AdHoc() bool { return f.Name == "" }

// Title is what the freeze is called: a configured freeze's name, an
// ad-hoc one's reason.
func (f Freeze) Title() string {
	if f.AdHoc() {
		return f.Reason
	}
	return f.Name
}

// Label names the freeze in a sentence: `the freeze year-end`, `the
// ad-hoc freeze "incident 42"`.
func (f Freeze) Label() string {
	if f.AdHoc() {
		return fmt.Sprintf("the ad-hoc freeze %q", f.Reason)
	}
	return "the freeze " + f.Name
}

// FreezeReader reads ad-hoc freezes.
type FreezeReader interface {
	// Freezes returns the ad-hoc freezes that end after t (in force at t or
	// ahead of it), by start, then id.
	Freezes(ctx context.Context, after time.Time) ([]Freeze, error)
}

// FreezeWriter changes ad-hoc freezes inside a transaction.
type FreezeWriter interface {
	// AddFreeze inserts f and sets f.ID.
	AddFreeze(ctx context.Context, f *Freeze) error
	// LiftFreezes ends, at at, every ad-hoc freeze in force then: its End
	// becomes at and LiftedBy, LiftedAt are set. It returns them as lifted,
	// by start.
	LiftFreezes(ctx context.Context, at time.Time, by string) ([]Freeze, error)
}

// Audit actions of freezes. Their events belong to no release (ReleaseID 0).
const (
	ActionFreeze   = "freeze"
	ActionUnfreeze = "unfreeze"
)

// MaxFreeze is the longest ad-hoc freeze: longer ones belong in the
// configuration file.
const MaxFreeze = 366 * 24 * time.Hour

// Freeze stops every release from starting to deploy until until, from
// now; a release manager's `deploy --override` still passes. An ad-hoc
// freeze already in force is replaced (lifted, and named in the audit
// detail). It returns the new freeze and the ones it replaced.
//
// Errors: EForbidden for anyone but release managers; EInvalid for a time
// that is not in the future or more than a year ahead, or an empty,
// overlong or unreadable reason (CleanText).
func (s *Coordinator) Freeze(ctx context.Context, actor string, until time.Time, reason string) (*Freeze, []Freeze, error) {
	if !s.policy.IsReleaseManager(actor) {
		return nil, nil, s.onlyReleaseManagers("freeze deployments")
	}
	reason, err := CleanText("the reason", reason)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	until = until.UTC().Truncate(time.Microsecond)
	switch {
	case reason == "":
		return nil, nil, Errorf(EInvalid, "Say why you freeze deployments, like `/release freeze until \"2026-12-24 18:00\" \"holiday freeze\"`.")
	case len(reason) > 500:
		return nil, nil, Errorf(EInvalid, "The reason is too long (%d characters; at most 500).", len(reason))
	case !until.After(now):
		return nil, nil, Errorf(EInvalid, "The freeze would end at %s, which has passed; give a time in the future.", until.Format(time.RFC3339))
	case until.Sub(now) > MaxFreeze:
		return nil, nil, Errorf(EInvalid, "A freeze from chat lasts at most a year; put longer ones in the configuration file.")
	}
	f := &Freeze{Reason: reason, Start: now, End: until, Until: until, CreatedBy: actor}
	var replaced []Freeze
	err = s.store.Tx(ctx, func(tx Tx) error {
		var err error
		if replaced, err = tx.LiftFreezes(ctx, now, actor); err != nil {
			return err
		}
		if err := tx.AddFreeze(ctx, f); err != nil {
			return err
		}
		detail := fmt.Sprintf("until %s: %s", until.Format(time.RFC3339), reason)
		for _, r := range replaced {
			detail += fmt.Sprintf(" (replaces the freeze %q until %s)", r.Reason, r.Until.Format(time.RFC3339))
		}
		return tx.AddAudit(ctx, &AuditEvent{At: now, Actor: actor, Action: ActionFreeze, Detail: detail})
	})
	if err != nil {
		return nil, nil, s.fail("freeze", err)
	}
	return f, replaced, nil
}

// Unfreeze ends the ad-hoc freeze in force now and returns it (or them, if
// several were declared at once). Freezes from the configuration file stay.
//
// Errors: EForbidden for anyone but release managers; EConflict when no
// ad-hoc freeze is in force.
func (s *Coordinator) Unfreeze(ctx context.Context, actor string) ([]Freeze, error) {
	if !s.policy.IsReleaseManager(actor) {
		return nil, s.onlyReleaseManagers("end a freeze")
	}
	now := s.Now()
	var lifted []Freeze
	err := s.store.Tx(ctx, func(tx Tx) error {
		var err error
		if lifted, err = tx.LiftFreezes(ctx, now, actor); err != nil {
			return err
		}
		if len(lifted) == 0 {
			return Errorf(EConflict, "No ad-hoc freeze is in force, so there is nothing to end.")
		}
		parts := make([]string, len(lifted))
		for i, f := range lifted {
			parts[i] = fmt.Sprintf("%q (declared until %s)", f.Reason, f.Until.Format(time.RFC3339))
		}
		return tx.AddAudit(ctx, &AuditEvent{At: now, Actor: actor, Action: ActionUnfreeze, Detail: "ended " + strings.Join(parts, ", ")})
	})
	if err != nil {
		return nil, s.fail("unfreeze", err)
	}
	return lifted, nil
}

// Freezes returns the ad-hoc freezes in force now or ahead, by start.
func (s *Coordinator) Freezes(ctx context.Context) ([]Freeze, error) {
	fs, err := s.store.Freezes(ctx, s.Now())
	if err != nil {
		return nil, s.fail("freezes", err)
	}
	return fs, nil
}

func (s *Coordinator) onlyReleaseManagers(verb string) error {
	if len(s.policy.ReleaseManagers) == 0 {
		return Errorf(EForbidden, "Only release managers can %s, and none are configured.", verb)
	}
	return Errorf(EForbidden, "Only release managers can %s; ask one of %s.", verb, Mentions(s.policy.ReleaseManagers))
}
