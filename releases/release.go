// Package releases is releasebot's domain: releases, sign-offs, deployments
// and their audit trail, the lifecycle that connects them, and the Coordinator
// every adapter (Slack, the terminal shell, the HTTP API, the scheduler and
// the webhook worker) calls. It imports only the standard library.
package releases

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Status is a release's place in its lifecycle. Values are persisted as
// these readable strings.
type Status string

// Release statuses, as in README "The `/release` command" (Lifecycle).
const (
	StatusAwaitingSignoff   Status = "awaiting_signoff"
	StatusReady             Status = "ready"
	StatusDeploying         Status = "deploying"
	StatusAwaitingPromotion Status = "awaiting_promotion"
	StatusDeployed          Status = "deployed"
	StatusFailed            Status = "failed"
	StatusRolledBack        Status = "rolled_back"
	StatusRejected          Status = "rejected"
	StatusCancelled         Status = "cancelled"
)

// Statuses lists every release status in lifecycle order.
var Statuses = []Status{
	StatusAwaitingSignoff, StatusReady, StatusDeploying, StatusAwaitingPromotion,
	StatusDeployed, StatusFailed, StatusRolledBack, StatusRejected, StatusCancelled,
}

// ActiveStatuses are the statuses of releases that have not run their course.
var ActiveStatuses = []Status{StatusAwaitingSignoff, StatusReady, StatusDeploying, StatusAwaitingPromotion}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Active reports whether a release in this status still moves on its own or
// waits for people: it has not reached an end.
func (s Status) Active() bool {
	for _, v := range ActiveStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Started reports whether deployment has begun (or ended) for a release in
// this status: sign-offs and cancellation are closed from then on.
func (s Status) Started() bool {
	switch s {
	case StatusDeploying, StatusAwaitingPromotion, StatusDeployed, StatusFailed, StatusRolledBack:
		return true
	}
	return false
}

// Decision is a sign-off's verdict.
type Decision string

// Sign-off decisions.
const (
	Approved Decision = "approved"
	Rejected Decision = "rejected"
)

// DeploymentType tells a forward deployment from a rollback.
type DeploymentType string

// Deployment types.
const (
	TypeDeployment DeploymentType = "deployment"
	TypeRollback   DeploymentType = "rollback"
)

// DeploymentStatus is one deployment's progress.
type DeploymentStatus string

// Deployment statuses: pending → in_progress → succeeded | failed |
// timed_out; a succeeded deployment becomes rolled_back after a rollback of
// its environment succeeds.
const (
	DeploymentPending    DeploymentStatus = "pending"
	DeploymentInProgress DeploymentStatus = "in_progress"
	DeploymentSucceeded  DeploymentStatus = "succeeded"
	DeploymentFailed     DeploymentStatus = "failed"
	DeploymentTimedOut   DeploymentStatus = "timed_out"
	DeploymentRolledBack DeploymentStatus = "rolled_back"
)

// Final reports whether no further status report can change d.
func (d DeploymentStatus) Final() bool {
	switch d {
	case DeploymentSucceeded, DeploymentFailed, DeploymentTimedOut, DeploymentRolledBack:
		return true
	}
	return false
}

// InFlight reports whether a deployment in this status occupies its
// service's environment.
func (d DeploymentStatus) InFlight() bool {
	return d == DeploymentPending || d == DeploymentInProgress
}

// Release is one version of one service, or a train of several services
// (Components), on its way through sign-off and the configured
// environments.
type Release struct {
	ID int64
	// Service and Version are the release's one component, or a train's
	// first (see Component).
	Service string
	Version string
	// Name is a train's name (--name); "" when none was given.
	Name string
	// Components are what the release deploys, as given at create: one
	// for a one-service release. Stores always return at least one.
	Components   []Component
	Status       Status
	CreatedBy    string // opaque actor reference (a Slack user id)
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Window       string    // release window name; "" for none
	StartAt      time.Time // one-off start (--at); zero for none
	Teams        []string  // teams whose sign-off is required
	Environments []string  // deployed in this order
	Notes        string
	// Override is set once a release manager overrode windows and freezes;
	// it covers the rest of the release's deployments.
	OverrideBy     string
	OverrideReason string
	// Reason says why a release was rejected, cancelled or rolled back.
	Reason string
	// Origin is an opaque reference to where the release was opened (a
	// Slack channel); its card and thread live there.
	Origin string
	// Digest, Commit and BuildURL pin the artifact the release ships
	// ("sha256:…", a git commit, the CI run's link); each "" when not
	// given. They never change once the release is created.
	Digest   string
	Commit   string
	BuildURL string
	// IdempotencyKey is the key a CI create was sent with ("" for none):
	// the same creator sending it again gets this release back.
	IdempotencyKey string

	SignOffs    []SignOff    // in force, oldest first
	Deployments []Deployment // oldest first
}

// Post is a message the bot posted for a release, held by an opaque
// reference (a Slack channel and message timestamp), so that reactions and
// button presses on it find their release.
type Post struct {
	ReleaseID int64
	Kind      PostKind
	Team      string // the team of a sign-off request
	Channel   string
	TS        string
	At        time.Time
}

// PostReaction is one person's reaction on a post, held by the post's
// opaque reference: whether a lead still shows approval on a sign-off
// request, after taking one of several ✅ back, is read from these.
type PostReaction struct {
	Channel string
	TS      string
	User    string
	Emoji   string // as chat names it: "+1::skin-tone-3"
	At      time.Time
}

// PostKind tells a release card from a team's sign-off request.
type PostKind string

// Kinds of posts.
const (
	PostCard    PostKind = "card"
	PostRequest PostKind = "signoff_request"
)

// SignOff is one lead's decision for one team.
type SignOff struct {
	ReleaseID int64
	Team      string
	User      string
	Decision  Decision
	At        time.Time
	// Digest is the release's digest when the lead decided: what they
	// approved ("" when the release pins none).
	Digest string
}

// Deployment is one call of an environment's deploy webhook, forward or back.
type Deployment struct {
	ID              int64
	ReleaseID       int64
	Environment     string
	Type            DeploymentType
	Status          DeploymentStatus
	Service         string
	Version         string // the version this deployment installs
	PreviousVersion string // what ran in the environment before; "" for none
	RequestedBy     string
	Attempts        int
	Message         string // the deployer's last message
	URL             string // the deployer's link (a CI run)
	// RunKind and RunID name the run a deploy target started for this
	// deployment (a GitHub Actions run, a GitLab pipeline, an Argo CD
	// sync): completion webhooks find the deployment by them, and polling
	// follows the run. Empty for targets that report through callbacks.
	RunKind string
	RunID   string
	// PollAt is when the worker next asks the target how the run is
	// going; zero when nobody polls it.
	PollAt     time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time // zero until final
}

// runNames name the kinds of run deploy targets start, for people.
var runNames = map[string]string{
	"github_actions": "GitHub Actions run",
	"gitlab":         "GitLab pipeline",
	"argocd":         "Argo CD sync",
}

// Pipeline says which pipeline ran d, for a link's text: "GitHub Actions
// run 30433642", "Argo CD sync"; "" when its target started no run of a
// known kind.
func (d Deployment) Pipeline() string {
	name, ok := runNames[d.RunKind]
	switch {
	case !ok:
		return ""
	case d.RunKind == "argocd" || len(d.RunID) > 24 || strings.HasPrefix(d.RunID, "pending:"):
		// Argo CD's run ids are releasebot's own; long ids say nothing.
		return name
	}
	return name + " " + d.RunID
}

// AuditEvent records who did what to a release, and when. ReleaseID is 0
// for events that concern no single release (a freeze).
type AuditEvent struct {
	ID        int64
	ReleaseID int64
	At        time.Time
	Actor     string
	Action    string
	Detail    string
}

// Audit actions.
const (
	ActionCreated           = "created"
	ActionSignedOff         = "signed_off"
	ActionWithdrawn         = "signoff_withdrawn"
	ActionRejected          = "rejected"
	ActionReady             = "ready"
	ActionUnready           = "awaiting_signoff"
	ActionScheduled         = "scheduled"
	ActionWaiting           = "waiting"
	ActionOverride          = "override"
	ActionDeploymentStarted = "deployment_started"
	ActionDeploymentQueued  = "deployment_queued"
	ActionDeploymentStatus  = "deployment_status"
	ActionAwaitingPromotion = "awaiting_promotion"
	ActionDeployed          = "deployed"
	ActionFailed            = "failed"
	ActionRollbackStarted   = "rollback_started"
	ActionRolledBack        = "rolled_back"
	ActionCancelled         = "cancelled"
)

// SystemActor is the actor of changes nobody typed: a window opening, an
// automatic promotion, a timeout.
const SystemActor = "releasebot"

// FormatID renders a release id as people see it: R-42.
func FormatID(id int64) string { return "R-" + strconv.FormatInt(id, 10) }

// FormatDeploymentID renders a deployment id: D-17.
func FormatDeploymentID(id int64) string { return "D-" + strconv.FormatInt(id, 10) }

// ParseID reads a release id written "R-42", "r-42" or "42". It refuses
// zero, negative numbers, numbers that overflow int64 and anything else
// with an EInvalid error that names the bad value and the expected form.
func ParseID(s string) (int64, error) { return parsePrefixed(s, "R-", "release") }

// ParseDeploymentID reads "D-17", "d-17" or "17", as ParseID does.
func ParseDeploymentID(s string) (int64, error) { return parsePrefixed(s, "D-", "deployment") }

func parsePrefixed(s, prefix, noun string) (int64, error) {
	digits := s
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		digits = s[len(prefix):]
	}
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, Errorf(EInvalid, "%q is not a %s id; %s ids look like %s42.", s, noun, noun, prefix)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, Errorf(EInvalid, "%q is too large for a %s id; %s ids look like %s42.", s, noun, noun, prefix)
	}
	if n == 0 {
		return 0, Errorf(EInvalid, "%q is not a %s id; %s ids start at %s1, like %s42.", s, noun, noun, prefix, prefix)
	}
	return n, nil
}

// Label is the release as people name it: "R-42 payments-api v2.4.0";
// for a train "R-42 checkout-q3: ledger v1.9.0, payments-api v2.4.0".
func (r *Release) Label() string {
	return fmt.Sprintf("%s %s", FormatID(r.ID), r.Summary())
}

// Approvals returns the leads who approved for team, in the order they did.
func (r *Release) Approvals(team string) []string {
	var users []string
	for _, s := range r.SignOffs {
		if s.Team == team && s.Decision == Approved {
			users = append(users, s.User)
		}
	}
	return users
}

// Approvers returns every user with an approving sign-off in force, once each.
func (r *Release) Approvers() []string {
	seen := map[string]bool{}
	var users []string
	for _, s := range r.SignOffs {
		if s.Decision == Approved && !seen[s.User] {
			seen[s.User] = true
			users = append(users, s.User)
		}
	}
	return users
}

// HasTeam reports whether team's sign-off is required.
func (r *Release) HasTeam(team string) bool { return contains(r.Teams, team) }

// HasEnvironment reports whether the release deploys to env.
func (r *Release) HasEnvironment(env string) bool { return contains(r.Environments, env) }

// LatestDeployment returns the newest deployment of either type to env.
func (r *Release) LatestDeployment(env string) (*Deployment, bool) {
	for i := len(r.Deployments) - 1; i >= 0; i-- {
		if r.Deployments[i].Environment == env {
			return &r.Deployments[i], true
		}
	}
	return nil, false
}

// InFlight returns the release's deployment that is pending or in progress.
func (r *Release) InFlight() (*Deployment, bool) {
	for i := range r.Deployments {
		if r.Deployments[i].Status.InFlight() {
			return &r.Deployments[i], true
		}
	}
	return nil, false
}

// NextEnvironment returns the first environment, in order, that this release
// has not yet deployed successfully (every component in scope succeeded
// there); ok is false when all are done.
func (r *Release) NextEnvironment() (env string, ok bool) {
	for _, e := range r.Environments {
		if !r.EnvironmentDone(e) {
			return e, true
		}
	}
	return "", false
}

// RollbackEnvironments returns the environments a rollback may undo, in
// order: those whose latest deployment of this release has ended and is
// not a successful rollback already. Without --env, the last is rolled
// back.
func (r *Release) RollbackEnvironments() []string {
	var out []string
	for _, e := range r.Environments {
		if d, ok := r.LatestDeployment(e); ok && (d.Type == TypeDeployment || d.Status != DeploymentSucceeded) && d.Status.Final() {
			out = append(out, e)
		}
	}
	return out
}

// ReplacedIn returns the version this release's first deployment to env
// replaced, which a rollback of env goes back to; "" when unknown.
func (r *Release) ReplacedIn(env string) string {
	for _, d := range r.Deployments {
		if d.Environment == env {
			return d.PreviousVersion
		}
	}
	return ""
}

// Deployment returns the deployment with the given id.
func (r *Release) Deployment(id int64) (*Deployment, bool) {
	for i := range r.Deployments {
		if r.Deployments[i].ID == id {
			return &r.Deployments[i], true
		}
	}
	return nil, false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
