package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/releasebot/releasebot/commands"
	"github.com/releasebot/releasebot/releases"
)

// freeze answers `/release freeze until TIME "reason"`.
func (b *Bot) freeze(ctx context.Context, user string, c commands.Freeze) (Message, error) {
	f, replaced, err := b.svc.Freeze(ctx, user, c.Until, c.Reason)
	if err != nil {
		return Message{}, err
	}
	b.homesChanged()
	lines := []string{fmt.Sprintf(":snowflake: Deployments are frozen until %s: %s", b.view.when(f.End), escape(f.Reason))}
	for _, r := range replaced {
		lines = append(lines, fmt.Sprintf("It replaces the freeze %q, which would have lasted until %s.", escape(r.Reason), b.view.when(r.Until)))
	}
	if held := b.heldBy(ctx, f.End); held != "" {
		lines = append(lines, held)
	}
	lines = append(lines, "Release managers can still deploy with `/release deploy R-n --override \"reason\"`; `/release unfreeze` ends the freeze early.")
	return Text(strings.Join(lines, "\n")), nil
}

// unfreeze answers `/release unfreeze`.
func (b *Bot) unfreeze(ctx context.Context, user string) (Message, error) {
	lifted, err := b.svc.Unfreeze(ctx, user)
	if err == nil {
		b.homesChanged()
	}
	now := b.now()
	still := ""
	if f, frozen, ferr := b.cal.FreezeAt(ctx, now); ferr == nil && frozen {
		still = fmt.Sprintf(" %s, from the configuration, still holds until %s; release managers can deploy through it with `--override \"reason\"`.",
			upperFirst(escape(f.Label())), b.view.when(f.End))
	}
	if err != nil {
		if releases.ErrorCode(err) == releases.EConflict && still != "" {
			return Text(releases.ErrorMessage(err) + still), nil
		}
		return Message{}, err
	}
	parts := make([]string, len(lifted))
	for i, f := range lifted {
		parts[i] = fmt.Sprintf("%q (until %s)", escape(f.Reason), b.view.when(f.Until))
	}
	msg := ":sunny: Ended the freeze " + strings.Join(parts, " and ") + "."
	if still != "" {
		msg += still
	} else {
		msg += " Ready releases whose window is open (or that have none) start now."
	}
	return Text(msg), nil
}

// heldBy says which active releases a freeze until end holds up.
func (b *Bot) heldBy(ctx context.Context, end time.Time) string {
	rs, err := b.svc.List(ctx, releases.Filter{Statuses: []releases.Status{releases.StatusReady, releases.StatusAwaitingSignoff, releases.StatusAwaitingPromotion}, Limit: releases.MaxLimit})
	if err != nil || len(rs) == 0 {
		return ""
	}
	ids := make([]string, len(rs))
	for i := range rs {
		ids[len(rs)-1-i] = releases.FormatID(rs[i].ID) // oldest first
	}
	if len(rs) == 1 {
		return fmt.Sprintf("The waiting release %s won't start before then.", ids[0])
	}
	return fmt.Sprintf("None of the %d waiting releases (%s) will start before then.", len(rs), strings.Join(ids, ", "))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// homesChanged marks every Home out of date: what is coming up changed.
func (b *Bot) homesChanged() {
	if b.homes != nil {
		b.homes.Everyone()
	}
}
