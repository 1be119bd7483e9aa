package bot

import (
	"fmt"

	"github.com/releasebot/releasebot/releases"
)

// This file decides which buttons a release's card carries in each state,
// and what their confirm dialogs say.

// Action ids of the card's buttons besides Promote, and of the Confirm
// button of a typed command's summary.
const (
	ActionRollback = "rollback"
	ActionCancel   = "cancel"
	ActionConfirm  = "confirm"
)

// cardButtons are the buttons that fit r's state: Cancel while it can be
// cancelled, Promote while it waits for a promotion, Roll back after a
// failure. The ones whose mistake is expensive carry a confirm dialog.
//
// TODO(i13): Retry after a failure, once `/release retry` exists.
func (v view) cardButtons(r *releases.Release) []Button {
	id := r.ID
	switch r.Status {
	case releases.StatusAwaitingSignoff, releases.StatusReady:
		return []Button{{ActionID: ActionCancel, Value: buttonValue(id, ""), Label: "Cancel release", Style: StyleDanger,
			Confirm: &Confirm{Title: "Cancel " + releases.FormatID(id) + "?",
				Text: fmt.Sprintf("Cancel %s %s? It will not deploy, and its sign-offs close.", r.Service, r.Version),
				Yes:  "Cancel release", No: "Keep it", Danger: true}}}
	case releases.StatusAwaitingPromotion:
		next, ok := r.NextEnvironment()
		if !ok {
			return nil
		}
		return []Button{v.promoteButton(r, next)}
	case releases.StatusFailed:
		envs := r.RollbackEnvironments()
		if len(envs) == 0 {
			return nil
		}
		return []Button{v.rollbackButton(r, envs[len(envs)-1])}
	}
	return nil
}

// promoteButton deploys r to env; it asks first where env says so.
func (v view) promoteButton(r *releases.Release, env string) Button {
	b := Button{ActionID: ActionPromote, Value: buttonValue(r.ID, env), Label: "Promote to " + env, Style: StylePrimary}
	if v.policy.NeedsConfirm(env) {
		b.Confirm = &Confirm{Title: "Promote to " + env + "?", Text: promoteText(r, env), Yes: "Promote", No: "Cancel"}
	}
	return b
}

// rollbackButton rolls env back; it always asks first.
func (v view) rollbackButton(r *releases.Release, env string) Button {
	return Button{ActionID: ActionRollback, Value: buttonValue(r.ID, env), Label: "Roll back " + env, Style: StyleDanger,
		Confirm: &Confirm{Title: "Roll back " + env + "?", Text: rollbackText(r, env), Yes: "Roll back", No: "Cancel", Danger: true}}
}

// promoteText is "Deploy payments-api v2.4.0 to production?".
func promoteText(r *releases.Release, env string) string {
	return fmt.Sprintf("Deploy %s %s to %s?", r.Service, r.Version, env)
}

// rollbackText is "Roll back payments-api in production from v2.4.0 to
// v2.3.9?".
func rollbackText(r *releases.Release, env string) string {
	to := r.ReplacedIn(env)
	if to == "" {
		to = "the version that ran there before"
	}
	return fmt.Sprintf("Roll back %s in %s from %s to %s?", r.Service, env, r.Version, to)
}
