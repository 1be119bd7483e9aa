package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// ActionNewRelease is the Home view's "New release" button: it opens the
// create form (CreateForm), which only a chat with forms can show.
const ActionNewRelease = "new_release"

// How much the Home view shows. Slack takes at most 100 blocks in a view:
// a waiting request takes two, one of your releases one, so this stays
// well within it. What does not fit is counted, with the command that
// lists it all.
const (
	homeWaitingMax  = 15
	homeReleasesMax = 15
	homeOpenings    = 5
	homeFreezesMax  = 5
	homeAhead       = 14 * 24 * time.Hour
)

// homeItem is a line of the Home view, with its buttons if it has any.
type homeItem struct {
	text    string
	buttons []Button
	id      string // of the row of buttons; unique in the view
}

// Home is user's Home view: the sign-off requests waiting for them, the
// open releases they created, and what is coming up (the next windows
// and freezes, and the releases a freeze holds). Its Approve and Reject
// buttons are those of sign-off requests (ActionApprove, ActionReject):
// HandleAction acts on them with the same checks. Text is the same view
// for a terminal.
func (b *Bot) Home(ctx context.Context, user string) (Message, error) {
	now := b.now()
	active, err := b.svc.List(ctx, releases.Filter{Statuses: releases.ActiveStatuses, Limit: releases.MaxLimit})
	if err != nil {
		return Message{}, fmt.Errorf("home of %s: %w", user, err)
	}
	freezes, err := b.cal.Freezes(ctx, now)
	if err != nil {
		return Message{}, fmt.Errorf("home of %s: %w", user, err)
	}
	waiting, mine := b.waitingFor(user, active), b.createdBy(user, active)
	coming := b.comingUp(active, freezes, now)

	text := []string{"*releasebot* · New release: the button in Slack, `/release` with no arguments, or `/release create SERVICE VERSION`."}
	blocks := []Block{
		Section(":wave: Releases that need you, and what is coming up. Updated " + b.view.when(now) + "."),
		Buttons("home_actions", Button{ActionID: ActionNewRelease, Value: "create", Label: "New release", Style: StylePrimary}),
	}
	section := func(head string, items []homeItem, more int, empty, moreText string) {
		blocks = append(blocks, Divider(), Header(head))
		text = append(text, "", "*"+head+"*")
		if len(items) == 0 {
			blocks = append(blocks, Context(empty))
			text = append(text, empty)
		}
		for _, it := range items {
			blocks = append(blocks, Section(fit(it.text)))
			text = append(text, "• "+strings.ReplaceAll(it.text, "\n", "\n  "))
			if len(it.buttons) > 0 {
				blocks = append(blocks, Buttons(it.id, it.buttons...))
			}
		}
		if more > 0 {
			line := fmt.Sprintf("… and %d more: %s", more, moreText)
			blocks = append(blocks, Context(line))
			text = append(text, line)
		}
	}
	section("Waiting for you", clip(waiting, homeWaitingMax), len(waiting)-homeWaitingMax,
		"Nothing waits for your sign-off.", "`/release list --status awaiting_signoff`")
	section("Your releases", clip(mine, homeReleasesMax), len(mine)-homeReleasesMax,
		"You have no open releases.", "`/release list --mine`")
	section("Coming up", coming, 0, "No windows open and no freezes in the next 14 days.", "")
	return Message{Text: strings.Join(text, "\n"), Blocks: blocks}, nil
}

func clip[T any](s []T, n int) []T { return s[:min(len(s), n)] }

// fit cuts s to what a section holds.
func fit(s string) string {
	if r := []rune(s); len(r) > maxSectionText {
		return string(r[:maxSectionText-1]) + "…"
	}
	return s
}

// ledBy returns the teams user leads.
func (b *Bot) ledBy(user string) []string {
	var out []string
	for _, t := range b.cfg.Teams {
		if slices.Contains(t.Leads, user) {
			out = append(out, t.Name)
		}
	}
	return out
}

// waitingFor lists the sign-off requests user can still decide: of the
// teams they lead, on releases awaiting sign-off that still lack that
// team's, which they have neither given nor refused (and, with four eyes,
// of releases they did not open). Oldest first: they have waited longest.
func (b *Bot) waitingFor(user string, active []releases.Release) []homeItem {
	teams := b.ledBy(user)
	if len(teams) == 0 {
		return nil
	}
	var out []homeItem
	for i := len(active) - 1; i >= 0; i-- {
		r := &active[i]
		if r.Status != releases.StatusAwaitingSignoff || (b.cfg.Policy.RequireDistinctApprover && r.CreatedBy == user) {
			continue
		}
		missing := map[string]bool{}
		for _, m := range b.view.policy.Missing(r) {
			missing[m.Team] = true
		}
		for _, team := range r.Teams {
			if !missing[team] || !slices.Contains(teams, team) || decided(r, user, team) {
				continue
			}
			value := buttonValue(r.ID, team)
			line := fmt.Sprintf("*%s* needs %s's sign-off\nOpened by %s %s · %s", title(r), escape(team), mention(r.CreatedBy),
				b.view.when(r.CreatedAt), b.view.environmentsPlanned(r))
			if r.Notes != "" {
				line += "\n" + quoted(firstLine(r.Notes))
			}
			out = append(out, homeItem{text: line, id: "home_signoff_" + value, buttons: []Button{
				{ActionID: ActionApprove, Value: value, Label: "Approve", Style: StylePrimary},
				{ActionID: ActionReject, Value: value, Label: "Reject", Style: StyleDanger}}})
		}
	}
	return out
}

// decided reports whether user signed off or rejected r for team.
func decided(r *releases.Release, user, team string) bool {
	for _, so := range r.SignOffs {
		if so.User == user && so.Team == team {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, cut := strings.Cut(s, "\n")
	if len([]rune(line)) > 200 {
		line, cut = string([]rune(line)[:200]), true
	}
	if cut {
		line += " …"
	}
	return line
}

// environmentsPlanned is "staging → production", and the window or time.
func (v view) environmentsPlanned(r *releases.Release) string {
	s := strings.Join(r.Environments, " → ")
	switch {
	case r.Window != "":
		s += " · window " + r.Window
	case !r.StartAt.IsZero():
		s += " · at " + v.when(r.StartAt)
	}
	return s
}

// createdBy lists user's open releases, newest first, with where each
// stands and what happens next.
func (b *Bot) createdBy(user string, active []releases.Release) []homeItem {
	var out []homeItem
	for i := range active {
		r := &active[i]
		if r.CreatedBy != user {
			continue
		}
		out = append(out, homeItem{text: fmt.Sprintf("*%s* %s\nNext: %s", title(r), b.view.statusText(r), b.nextStep(r))})
	}
	return out
}

// nextStep says what a release waits for, and who can move it on.
func (b *Bot) nextStep(r *releases.Release) string {
	id := releases.FormatID(r.ID)
	switch r.Status {
	case releases.StatusAwaitingSignoff:
		var parts []string
		for _, m := range b.view.policy.Missing(r) {
			t, _ := b.cfg.Team(m.Team)
			parts = append(parts, fmt.Sprintf("%s (%s)", escape(m.Team), mentions(t.Leads)))
		}
		return "sign-off from " + strings.Join(parts, ", ") + "."
	case releases.StatusReady:
		switch {
		case r.Window != "":
			return "it deploys when the window " + r.Window + " opens."
		case !r.StartAt.IsZero():
			return "it deploys at " + b.view.when(r.StartAt) + "."
		}
		return "it deploys as soon as no freeze holds it."
	case releases.StatusDeploying:
		return "the deployment finishes; follow it in the release's thread."
	case releases.StatusAwaitingPromotion:
		next, _ := r.NextEnvironment()
		return fmt.Sprintf("promote it to %s with the button on its card or `/release deploy %s --env %s`.", next, id, next)
	}
	return "nothing; it has run its course."
}

// comingUp lists the windows open now and the next openings, and the
// freezes ahead with the releases each holds.
func (b *Bot) comingUp(active []releases.Release, freezes []releases.Freeze, now time.Time) []homeItem {
	var lines []string
	for _, w := range b.cal.Windows() {
		if o, ok := b.cal.OpenAt(w.Name, now); ok {
			lines = append(lines, fmt.Sprintf(":large_green_circle: %s is open until %s%s", w.Name, b.view.when(o.End), frozenNote(freezes, now)))
		}
	}
	for _, o := range b.cal.Upcoming(now, now.Add(homeAhead), homeOpenings) {
		lines = append(lines, fmt.Sprintf(":calendar: %s: %s – %s%s", o.Window, b.view.when(o.Start), b.view.when(o.End), frozenNote(freezes, o.Start)))
	}
	var out []homeItem
	if len(lines) > 0 {
		out = append(out, homeItem{text: strings.Join(lines, "\n")})
	}
	for _, f := range clip(freezes, homeFreezesMax) {
		line := strings.TrimPrefix(b.freezeLine(f, now), "• ")
		if held := b.heldIDs(f, active, now); len(held) > 0 {
			line += "\nHolds " + strings.Join(held, ", ")
		}
		out = append(out, homeItem{text: line})
	}
	return out
}

// heldIDs names the releases freeze f holds: ready or awaiting promotion
// ones whose next chance to deploy falls in it.
func (b *Bot) heldIDs(f releases.Freeze, active []releases.Release, now time.Time) []string {
	var ids []string
	for i := len(active) - 1; i >= 0; i-- {
		r := &active[i]
		if r.Status != releases.StatusReady && r.Status != releases.StatusAwaitingPromotion {
			continue
		}
		if at, ok := b.nextChance(r, now); ok && f.Active(at) {
			ids = append(ids, releases.FormatID(r.ID))
		}
	}
	return ids
}

// nextChance is when r could next deploy if nothing held it: now, its
// start time, or its window's next opening.
func (b *Bot) nextChance(r *releases.Release, now time.Time) (time.Time, bool) {
	switch {
	case r.Status == releases.StatusAwaitingPromotion:
		return now, true
	case r.Window != "":
		if _, open := b.cal.OpenAt(r.Window, now); open {
			return now, true
		}
		w, ok := b.cfg.Window(r.Window)
		if !ok || w.Cron == nil {
			return time.Time{}, false
		}
		next := scheduler.Next(w.Cron, now)
		return next, !next.IsZero()
	case r.StartAt.After(now):
		return r.StartAt, true
	}
	return now, true
}
