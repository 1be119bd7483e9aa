package bot

import (
	"context"
	"time"

	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// Decisions are what reactions and buttons do to a release, and the read
// that tells a repeated decision from a new one.
type Decisions interface {
	Get(ctx context.Context, id int64) (*releases.Release, error)
	SignOff(ctx context.Context, actor string, id int64, team string) (*releases.Release, error)
	Withdraw(ctx context.Context, actor string, id int64, team string) (*releases.Release, error)
	Reject(ctx context.Context, actor string, id int64, team, reason string) (*releases.Release, error)
	Deploy(ctx context.Context, actor string, id int64, env, override string) (*releases.Release, error)
}

// Releases is the release service as the bot's commands use it;
// *releases.Coordinator is one.
type Releases interface {
	Decisions
	Create(ctx context.Context, actor string, in releases.CreateInput) (*releases.Release, error)
	List(ctx context.Context, f releases.Filter) ([]releases.Release, error)
	ListPage(ctx context.Context, f releases.Filter) (releases.Page, error)
	Rollback(ctx context.Context, actor string, id int64, env, reason string) (*releases.Release, error)
	Retry(ctx context.Context, actor string, id int64, service string) (*releases.Release, error)
	Descope(ctx context.Context, actor string, id int64, service, reason string) (*releases.Release, error)
	Cancel(ctx context.Context, actor string, id int64, reason string) (*releases.Release, error)
	Schedule(ctx context.Context, actor string, id int64, window string, at time.Time) (*releases.Release, error)
	Audit(ctx context.Context, id int64) ([]releases.AuditEvent, error)
	Freeze(ctx context.Context, actor string, until time.Time, reason string) (*releases.Freeze, []releases.Freeze, error)
	Unfreeze(ctx context.Context, actor string) ([]releases.Freeze, error)
}

// Calendar tells the release windows and freezes, for `/release windows`
// and freezes; *scheduler.Calendar is one.
type Calendar interface {
	Windows() []releases.Window
	OpenAt(window string, t time.Time) (releases.Opening, bool)
	Upcoming(from, to time.Time, max int) []releases.Opening
	FreezeAt(ctx context.Context, t time.Time) (releases.Freeze, bool, error)
	Freezes(ctx context.Context, t time.Time) ([]releases.Freeze, error)
	DSTNotes(from, to time.Time) []string
	Location() *time.Location
}

// CommandMetrics count commands by name and outcome; *metrics.Metrics is
// one.
type CommandMetrics interface {
	CommandHandled(name, outcome string)
}

var (
	_ Releases       = (*releases.Coordinator)(nil)
	_ Calendar       = (*scheduler.Calendar)(nil)
	_ CommandMetrics = (*metrics.Metrics)(nil)
)
