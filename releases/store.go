package releases

import (
	"context"
	"errors"
	"time"
)

// Store errors. Stores return (or wrap) these; the Coordinator turns them into
// sentences for people.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("duplicate")
)

// Store keeps releases. Implementations: releases/gormstore (SQLite and
// PostgreSQL), both held to releases/storetest's conformance suite.
type Store interface {
	Reader
	// Tx runs fn in one transaction: everything fn writes commits together
	// or not at all. Concurrent transactions that lock the same release run
	// one after the other.
	Tx(ctx context.Context, fn func(Tx) error) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
}

// Creator is implemented by stores that insert a new release with its
// first audit events in one atomic write, cheaper than a transaction of
// separate statements (PostgreSQL: one round trip instead of five). The
// Coordinator uses it when nothing must be read or locked first, that is
// when no create quota applies; a Tx may implement it too (CreateInTx).
type Creator interface {
	// CreateWithEvents inserts r as Tx.CreateRelease does and events as
	// Tx.AddAudit does, all or nothing, and sets r.ID and each event's ID
	// and ReleaseID. ErrDuplicate as Tx.CreateRelease.
	CreateWithEvents(ctx context.Context, r *Release, events []AuditEvent) error
}

// CreateInTx inserts r and then events, each with r's new id, in tx: what
// a Creator does in one go. A tx that is a Creator itself does it so;
// otherwise it is separate statements.
func CreateInTx(ctx context.Context, tx Tx, r *Release, events []AuditEvent) error {
	if c, ok := tx.(Creator); ok {
		return c.CreateWithEvents(ctx, r, events)
	}
	if err := tx.CreateRelease(ctx, r); err != nil {
		return err
	}
	for i := range events {
		events[i].ReleaseID = r.ID
		if err := tx.AddAudit(ctx, &events[i]); err != nil {
			return err
		}
	}
	return nil
}

// Reader answers questions about stored releases.
type Reader interface {
	// Release returns one release with its sign-offs and deployments, or
	// ErrNotFound.
	Release(ctx context.Context, id int64) (*Release, error)
	// Releases lists releases newest first, with sign-offs and deployments.
	Releases(ctx context.Context, f Filter) ([]Release, error)
	// AuditEvents returns a release's audit trail, oldest first.
	AuditEvents(ctx context.Context, releaseID int64) ([]AuditEvent, error)
	// DeploymentRelease returns the id of the release a deployment belongs
	// to, or ErrNotFound.
	DeploymentRelease(ctx context.Context, deploymentID int64) (int64, error)
	// PendingDeployments returns up to limit deployments waiting to be sent,
	// oldest first.
	PendingDeployments(ctx context.Context, limit int) ([]Deployment, error)
	// Count returns how many releases f selects, ignoring f.Limit: with
	// Releases, a page and how many there are in all.
	Count(ctx context.Context, f Filter) (int, error)
	// InFlight returns the pending and in-progress deployments of service to
	// env, oldest first.
	InFlight(ctx context.Context, service, env string) ([]Deployment, error)
	// FreezeReader reads ad-hoc freezes: gates read them in the caller's
	// transaction.
	FreezeReader
}

// PostStore remembers the bot's messages of each release.
type PostStore interface {
	// SavePost records p; ErrDuplicate when the release already has a post
	// of that kind for that team.
	SavePost(ctx context.Context, p Post) error
	// FindPost returns the post at channel and ts, or ErrNotFound.
	FindPost(ctx context.Context, channel, ts string) (*Post, error)
	// Posts returns a release's posts, oldest first.
	Posts(ctx context.Context, releaseID int64) ([]Post, error)
	// AddReaction records r; recording it again changes nothing.
	AddReaction(ctx context.Context, r PostReaction) error
	// RemoveReaction forgets r (its At is not read); forgetting a reaction
	// never recorded changes nothing.
	RemoveReaction(ctx context.Context, r PostReaction) error
	// Reactions returns the emoji user has recorded on the post at channel
	// and ts, sorted.
	Reactions(ctx context.Context, channel, ts, user string) ([]string, error)
}

// Filter selects releases. Zero fields select everything.
type Filter struct {
	Statuses []Status
	// Service selects releases with a component of this service: its
	// one-service releases and the trains that hold it.
	Service string
	// Team selects the releases that ask this team's sign-off; "" for any.
	Team      string
	CreatedBy string
	Before    int64 // only ids below this (pagination cursor)
	// CreatedBefore selects releases created before it; zero for any.
	CreatedBefore time.Time
	// CreatedSince selects releases created at or after it; zero for any.
	CreatedSince time.Time
	// Version selects one version (with Service: one release line); ""
	// for any.
	Version string
	// IdempotencyKey selects the release CreatedBy opened with this key
	// (see Coordinator.Open); "" for any.
	IdempotencyKey string
	Limit          int // at most this many; 0 for no limit
}

// Tx is the view of the store inside a transaction.
type Tx interface {
	Reader
	// LockRelease loads a release and holds it against concurrent changes
	// until the transaction ends; ErrNotFound if there is none.
	LockRelease(ctx context.Context, id int64) (*Release, error)
	// CreateRelease inserts r with its components (without its sign-offs
	// and deployments) and sets r.ID. ErrDuplicate when the service
	// (r.Service: a train's first component) already has an active release
	// of that version.
	CreateRelease(ctx context.Context, r *Release) error
	// UpdateComponent saves whether a component of release releaseID
	// (found by c.Service) is descoped, and why. ErrNotFound when the
	// release has no such component.
	UpdateComponent(ctx context.Context, releaseID int64, c Component) error
	// UpdateRelease saves r's own fields (status, schedule, override, reason).
	UpdateRelease(ctx context.Context, r *Release) error
	// PutSignOff records a lead's decision for a team, replacing an earlier
	// one by the same lead for the same team.
	PutSignOff(ctx context.Context, s SignOff) error
	// DeleteSignOff withdraws a lead's decision for a team.
	DeleteSignOff(ctx context.Context, releaseID int64, team, user string) error
	// CreateDeployment inserts d and sets d.ID.
	CreateDeployment(ctx context.Context, d *Deployment) error
	// UpdateDeployment saves d's status, attempts, message, url, run and
	// times.
	UpdateDeployment(ctx context.Context, d *Deployment) error
	// RecentCreates returns when user's releases created after since were
	// created, newest first, at most limit of them: what the create
	// quota counts. It holds user's creates against concurrent ones (in
	// any replica) until the transaction ends, so that the count stays
	// true until the create it allows is written.
	RecentCreates(ctx context.Context, user string, since time.Time, limit int) ([]time.Time, error)
	// AddAudit appends e and sets e.ID.
	AddAudit(ctx context.Context, e *AuditEvent) error
	// LastSucceeded returns the newest deployment of service to env, of any
	// release but exclude, with id below before (0: any), that is still
	// succeeded: the version that runs there. nil when there is none.
	LastSucceeded(ctx context.Context, service, env string, exclude, before int64) (*Deployment, error)
	// RememberWebhookID records that the callback message webhookID was
	// accepted for deploymentID at at, and forgets ids recorded before
	// forgetBefore (a bounded batch per call, so the table stays small).
	// ErrDuplicate when webhookID is remembered for another deployment; the
	// same id for the same deployment again is no error. Concurrent
	// transactions recording one id, in any replica, see each other.
	RememberWebhookID(ctx context.Context, webhookID string, deploymentID int64, at, forgetBefore time.Time) error
	// FreezeWriter declares and lifts ad-hoc freezes.
	FreezeWriter
}

// Gate decides when a ready release may start deploying: windows, one-off
// start times and freezes. The scheduler implements it.
type Gate interface {
	// Check tells whether r may start a deployment at now. It reads ad-hoc
	// freezes through fr: the coordinator passes the transaction it runs in.
	Check(ctx context.Context, fr FreezeReader, r *Release, now time.Time) (Wait, error)
}

// Wait is a Gate's answer.
type Wait struct {
	Open   bool
	Frozen bool      // closed by a freeze (which also holds promotions)
	Reason string    // why not, for people, after the release id: "waits for the window weekly-train, which opens Tue 1 Dec 2026 14:00 CET"
	Until  time.Time // when it may open, if known
}

// Change is what one Coordinator call did to one release, told to notifiers
// once it has committed.
type Change struct {
	Release Release
	Events  []AuditEvent
}

// Notifier hears of committed changes: the bot posts them to the release's
// thread, the webhook worker sends new deployments.
type Notifier interface {
	ReleaseChanged(ctx context.Context, c Change)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, c Change)

// ReleaseChanged calls f.
func (f NotifierFunc) ReleaseChanged(ctx context.Context, c Change) { f(ctx, c) }
