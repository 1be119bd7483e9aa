package bot

import (
	"fmt"
	"strings"

	"github.com/releasebot/releasebot/releases"
)

// This file decides which buttons a release's card carries in each state,
// and what their confirm dialogs say.

// Action ids of the card's buttons besides Promote, and of the Confirm
// button of a typed command's summary.
const (
	ActionRollback = "rollback"
	ActionRetry    = "retry"
	ActionCancel   = "cancel"
	ActionConfirm  = "confirm"
)

// cardButtons are the buttons that fit r's state: Cancel while it can be
// cancelled, Promote while it waits for a promotion, Retry and Roll back
// after a failure. The ones whose mistake is expensive carry a confirm
// dialog.
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
		var out []Button
		if env, failed := r.Retryable(); env != "" {
			out = append(out, v.retryButton(r, env, failed))
		}
		if envs := r.RollbackEnvironments(); len(envs) > 0 {
			out = append(out, v.rollbackButton(r, envs[len(envs)-1]))
		}
		return out
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

// retryButton is `/release retry` of r: it deploys again everything that
// failed in env. Deploying there again is as costly as promoting there, so
// it asks first where env says so.
func (v view) retryButton(r *releases.Release, env string, failed []releases.Deployment) Button {
	b := Button{ActionID: ActionRetry, Value: buttonValue(r.ID, ""), Label: "Retry " + env, Style: StylePrimary}
	if v.policy.NeedsConfirm(env) {
		b.Confirm = &Confirm{Title: "Retry " + env + "?", Text: retryText(env, failed), Yes: "Retry", No: "Cancel"}
	}
	return b
}

// retryText is "Deploy payments-api v2.4.0 to production again?", naming
// every component of a train that failed there.
func retryText(env string, failed []releases.Deployment) string {
	var what []string
	for _, d := range failed {
		what = append(what, d.Service+" "+d.Version)
	}
	return fmt.Sprintf("Deploy %s to %s again?", strings.Join(what, ", "), env)
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
