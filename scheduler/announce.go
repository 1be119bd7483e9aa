package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// Announcer says in chat what the scheduler's firings have to say. Every
// call carries a key derived from its firing (job, scheduled time, and
// whom it is for): a firing that runs again after its replica died says
// each thing once. The bot implements it on the chat outbox.
type Announcer interface {
	// Remind nudges a team that has not signed a release off before its
	// window opens, in the team's channel, naming its leads.
	Remind(ctx context.Context, key string, r Reminder) error
	// Summarize posts a summary to its channel and as a direct message to
	// each of its users; key names the firing, and each recipient's
	// message is keyed by it and the recipient.
	Summarize(ctx context.Context, key string, s Summary) error
}

// Reminder is one team's nudge about one release.
type Reminder struct {
	Release releases.Release
	Team    string
	Channel string   // the team's channel
	Leads   []string // whose sign-off counts
	Have    int      // sign-offs in force
	Need    int      // sign-offs needed
	Window  string
	Opening time.Time // when the window opens
}

// Summary is one run of a configured summary: what happened since the
// previous one, what waits, what comes, and the DORA figures.
type Summary struct {
	Name    string
	Channel string   // "" for none
	Users   []string // each gets a direct message
	At      time.Time
	// Since is the previous summary's time: the outcomes are those in
	// [Since, At).
	Since      time.Time
	Deployed   []releases.Outcome
	Failed     []releases.Outcome
	RolledBack []releases.Outcome
	Waiting    []Waiting
	Openings   []releases.Opening // the next window openings
	Freezes    []releases.Freeze  // in force or ahead
	// Production is the environment the DORA figures are about: the last
	// configured one.
	Production string
	DORA       releases.DORA
	// AuditHead is the audit chain's head when the summary was built; nil
	// when the scheduler has no Audit reader.
	AuditHead *releases.ChainHead
	// Services and Teams are the DORA figures of each service, and of each
	// team over the services it owns (none without an owners lookup), that
	// had a change in production in the period, most changes first.
	Services []releases.DORAGroup
	Teams    []releases.DORAGroup
}

// Quiet reports whether nothing ended since the last summary and nothing
// waits.
func (s Summary) Quiet() bool {
	return len(s.Deployed)+len(s.Failed)+len(s.RolledBack)+len(s.Waiting) == 0
}

// Waiting is a release that waits, and what for.
type Waiting struct {
	Release releases.Release
	// Blockers are the teams whose sign-off is missing, for a release
	// awaiting sign-off.
	Blockers []releases.Shortfall
	// Reason says what else it waits for (a window, a freeze, a
	// promotion), as a phrase after the release id.
	Reason string
}

// logAnnouncer logs what would be said, for a bot without chat.
type logAnnouncer struct{ log *slog.Logger }

func (a logAnnouncer) Remind(_ context.Context, key string, r Reminder) error {
	a.log.Info("sign-off reminder (no chat to send it to)", "key", key, "release", releases.FormatID(r.Release.ID), "team", r.Team)
	return nil
}

func (a logAnnouncer) Summarize(_ context.Context, key string, s Summary) error {
	a.log.Info("summary (no chat to send it to)", "key", key, "deployed", len(s.Deployed), "failed", len(s.Failed),
		"rolled_back", len(s.RolledBack), "waiting", len(s.Waiting), "audit_head", s.AuditHead)
	return nil
}
