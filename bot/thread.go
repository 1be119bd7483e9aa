package bot

import (
	"strings"

	"github.com/releasebot/releasebot/releases"
)

// eventEmoji marks each kind of event in a thread.
var eventEmoji = map[string]string{
	releases.ActionSignedOff:         ":white_check_mark:",
	releases.ActionWithdrawn:         ":leftwards_arrow_with_hook:",
	releases.ActionRejected:          ":x:",
	releases.ActionReady:             ":large_green_circle:",
	releases.ActionUnready:           ":hourglass_flowing_sand:",
	releases.ActionScheduled:         ":calendar:",
	releases.ActionWaiting:           ":double_vertical_bar:",
	releases.ActionOverride:          ":warning:",
	releases.ActionEnvOverride:       ":warning:",
	releases.ActionDeploymentStarted: ":rocket:",
	releases.ActionDeploymentQueued:  ":vertical_traffic_light:",
	releases.ActionDeploymentStatus:  ":arrows_counterclockwise:",
	releases.ActionAwaitingPromotion: ":double_vertical_bar:",
	releases.ActionDeployed:          ":tada:",
	releases.ActionFailed:            ":fire:",
	releases.ActionRollbackStarted:   ":rewind:",
	releases.ActionRolledBack:        ":rewind:",
	releases.ActionCancelled:         ":no_entry_sign:",
	releases.ActionRetried:           ":repeat:",
	releases.ActionDescoped:          ":scissors:",
}

// eventVerb says what the actor did, before the event's detail.
var eventVerb = map[string]string{
	releases.ActionSignedOff:         "signed off for",
	releases.ActionWithdrawn:         "withdrew the sign-off for",
	releases.ActionRejected:          "rejected the release for",
	releases.ActionReady:             "Ready:",
	releases.ActionUnready:           "Back to waiting for sign-off:",
	releases.ActionScheduled:         "rescheduled it:",
	releases.ActionWaiting:           "Waiting: it",
	releases.ActionOverride:          "overrode windows and freezes:",
	releases.ActionEnvOverride:       "overrode the environment order:",
	releases.ActionDeploymentStarted: "started deployment",
	releases.ActionDeploymentQueued:  "Queued:",
	releases.ActionDeploymentStatus:  "",
	releases.ActionAwaitingPromotion: "Next:",
	releases.ActionDeployed:          "Deployed:",
	releases.ActionFailed:            "Failed:",
	releases.ActionRollbackStarted:   "started rollback",
	releases.ActionRolledBack:        "Rolled back:",
	releases.ActionCancelled:         "cancelled the release",
	releases.ActionRetried:           "retried",
	releases.ActionDescoped:          "descoped",
}

// threadReply tells one change's events, a line each.
func (v view) threadReply(events []releases.AuditEvent) Message {
	lines := make([]string, 0, len(events))
	for _, e := range events {
		lines = append(lines, v.eventLine(e))
	}
	return Text(strings.Join(lines, "\n"))
}

func (v view) eventLine(e releases.AuditEvent) string {
	emoji := eventEmoji[e.Action]
	if emoji == "" {
		emoji = ":information_source:"
	}
	if e.Action == releases.ActionDeploymentStatus {
		switch {
		case strings.Contains(e.Detail, ": succeeded"):
			emoji = ":white_check_mark:"
		case strings.Contains(e.Detail, ": failed"):
			emoji = ":x:"
		case strings.Contains(e.Detail, ": timed_out"):
			emoji = ":hourglass:"
		}
	}
	verb, ok := eventVerb[e.Action]
	if !ok {
		verb = actionWords(e.Action)
	}
	if e.Action == releases.ActionCancelled && e.Actor == releases.SystemActor {
		verb = "" // an expiry: "R-12 expired after 14 days without all sign-offs; cancelled."
	}
	// Capitalised verbs are the bot's own news, lower-case ones what someone
	// did; without a verb the detail speaks for itself.
	parts := []string{emoji}
	switch {
	case verb == "":
	case strings.ToUpper(verb[:1]) == verb[:1]:
		parts = append(parts, verb)
	default:
		parts = append(parts, mention(e.Actor), verb)
	}
	if e.Detail != "" {
		parts = append(parts, escape(e.Detail))
	}
	return strings.Join(parts, " ")
}
