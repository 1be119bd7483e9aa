// Package commands is the `/release` grammar: it turns the text a user typed
// after `/release` into a typed Command, or into a *UsageError that says what
// is wrong and shows the usage line. It also owns the help text.
//
// The package knows nothing about Slack or the database (it takes release
// ids and statuses from the domain package), so the Slack adapter and the
// terminal shell share it.
// Names of teams, environments and windows are checked for form only; whether
// they exist in the configuration is for the caller to decide.
package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// MaxLimit is the largest value `list --limit` accepts.
const MaxLimit = 200

// MaxTextBytes is the longest command text Parse accepts, in bytes.
const MaxTextBytes = 4000

// maxReason is the longest reason (reject, rollback, cancel, freeze,
// --override) in characters; reasons are stored and posted into threads.
const maxReason = 500

// maxName is the longest service name, version, or team, environment or
// window name, in characters.
const maxName = 100

// Command is a parsed `/release` subcommand. Its dynamic type is one of the
// structs in this package (Create, Status, …, Help).
type Command interface {
	// Name returns the subcommand, e.g. "create" or "status".
	Name() string
}

// Create opens a release: `/release create SERVICE VERSION …`, or a
// train: `/release create SERVICE@VERSION SERVICE@VERSION … [--name N]`.
type Create struct {
	Service string // "" for the SERVICE@VERSION form (Components)
	Version string
	// Components are the services of the SERVICE@VERSION form, in the
	// order typed; nil for SERVICE VERSION.
	Components []Component
	TrainName  string    // --name, a train's name; "" if none
	Teams      []string  // nil: every team signs off
	Envs       []string  // nil: every environment, in the configured order
	Window     string    // "" if none; never set together with At
	At         time.Time // zero if none; never set together with Window
	Notes      string
	// Override (release managers) is the reason for letting Envs skip an
	// environment that comes before one it keeps; "" for none.
	Override string
}

// Component is one SERVICE@VERSION of a train's create.
type Component struct {
	Service string
	Version string
}

// Retry starts a new deployment of what failed in a failed release:
// `/release retry R-n [--service S]`.
type Retry struct {
	ID      int64
	Service string // "" for every failed component
}

// Descope takes a service out of a train: `/release descope R-n SERVICE
// "reason"`; Reason is never empty.
type Descope struct {
	ID      int64
	Service string
	Reason  string
}

// Status shows one release, or the active releases when ID is 0.
type Status struct{ ID int64 }

// List lists releases, newest first.
type List struct {
	Status string // "" for any; otherwise one of the release statuses
	Mine   bool   // only releases the caller created
	Limit  int    // 0: the caller's default; otherwise 1..MaxLimit
}

// Approve signs a release off for a team without reacting.
type Approve struct {
	ID   int64
	Team string // "" when --team was not given
}

// Reject rejects a release; Reason is never empty.
type Reject struct {
	ID     int64
	Reason string
}

// Deploy starts a release now or promotes it to the next environment.
type Deploy struct {
	ID       int64
	Env      string // "" when --env was not given
	Override string // non-empty means --override was given; it holds the reason
	Yes      bool   // --yes: act without asking to confirm
}

// Rollback rolls an environment back to the previous successful version.
type Rollback struct {
	ID     int64
	Env    string // "" when --env was not given
	Reason string // may be empty
	Yes    bool   // --yes: act without asking to confirm
}

// Cancel cancels a release before its deployment starts.
type Cancel struct {
	ID     int64
	Reason string // may be empty
}

// Schedule moves a release to a window or a time; exactly one of Window and
// At is set.
type Schedule struct {
	ID     int64
	Window string
	At     time.Time
}

// Freeze starts an ad-hoc freeze until a time; Reason is never empty.
type Freeze struct {
	Until  time.Time
	Reason string
}

// Unfreeze ends the ad-hoc freeze.
type Unfreeze struct{}

// Windows shows the next release windows and freezes.
type Windows struct{}

// History shows what shipped, for one service or ("") for all.
type History struct{ Service string }

// Audit shows who did what to a release, and when.
type Audit struct{ ID int64 }

// Help asks for help text; Topic is "" for the overview or a subcommand
// name, as typed when it is not a known subcommand (HelpText handles both).
type Help struct{ Topic string }

// Name returns "create".
func (Create) Name() string { return "create" }

// Name returns "status".
func (Status) Name() string { return "status" }

// Name returns "list".
func (List) Name() string { return "list" }

// Name returns "approve".
func (Approve) Name() string { return "approve" }

// Name returns "reject".
func (Reject) Name() string { return "reject" }

// Name returns "deploy".
func (Deploy) Name() string { return "deploy" }

// Name returns "rollback".
func (Rollback) Name() string { return "rollback" }

// Name returns "retry".
func (Retry) Name() string { return "retry" }

// Name returns "descope".
func (Descope) Name() string { return "descope" }

// Name returns "cancel".
func (Cancel) Name() string { return "cancel" }

// Name returns "schedule".
func (Schedule) Name() string { return "schedule" }

// Name returns "freeze".
func (Freeze) Name() string { return "freeze" }

// Name returns "unfreeze".
func (Unfreeze) Name() string { return "unfreeze" }

// Name returns "windows".
func (Windows) Name() string { return "windows" }

// Name returns "history".
func (History) Name() string { return "history" }

// Name returns "audit".
func (Audit) Name() string { return "audit" }

// Name returns "help".
func (Help) Name() string { return "help" }

// listStatuses are the release statuses `list --status` accepts, in
// lifecycle order.
var listStatuses = func() []string {
	out := make([]string, len(releases.Statuses))
	for i, st := range releases.Statuses {
		out[i] = string(st)
	}
	return out
}()

// FormatID formats a release id for people: FormatID(42) == "R-42".
func FormatID(id int64) string { return releases.FormatID(id) }

// ParseID parses a release id written as "R-42", "r-42" or "42"
// (releases.ParseID); the error names the bad value and the expected form.
func ParseID(s string) (int64, error) { return releases.ParseID(s) }

// Times a command may name lie in these years; anything else is a typo or
// a value that means "no time" (0001-01-01), never a release's moment.
const (
	firstYear = 2000
	lastYear  = 2099
)

// localLayout is the time form people type: a wall-clock time in the
// configured zone.
const localLayout = "2006-01-02 15:04"

// ParseTime parses "YYYY-MM-DD HH:MM" as a wall-clock time in loc (UTC when
// loc is nil), or an RFC 3339 time with its own offset. A local time that
// does not exist because the clocks spring forward is an error rather than
// being moved silently; the error for unreadable input shows both forms.
// A time outside the years 2000 to 2099 (such as 0001-01-01 00:00, Go's
// zero time, which elsewhere means "no time") is an error too, so the
// result is never zero.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	inRange := func(t time.Time) (time.Time, error) {
		if y := t.Year(); y < firstYear || y > lastYear {
			return time.Time{}, fmt.Errorf("%s is not a time a release can use; give one between %d and %d, like 2026-12-01 14:00",
				s, firstYear, lastYear)
		}
		return t, nil
	}
	if wall, err := time.Parse(localLayout, s); err == nil {
		if _, err := inRange(wall); err != nil {
			return time.Time{}, err
		}
		t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), 0, 0, loc)
		if t.Day() != wall.Day() || t.Hour() != wall.Hour() || t.Minute() != wall.Minute() {
			return time.Time{}, fmt.Errorf("%s does not exist in %s: the clocks skip that hour for daylight saving time; pick another time",
				wall.Format(localLayout), loc)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return inRange(t)
	}
	return time.Time{}, fmt.Errorf("%q is not a time I understand; write YYYY-MM-DD HH:MM in %s, like 2026-12-01 14:00, or RFC 3339, like 2026-12-01T14:00:00+01:00",
		s, loc)
}
