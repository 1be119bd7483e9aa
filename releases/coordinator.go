package releases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Coordinator carries out everything people and timers do to releases. Every
// rule of the lifecycle lives here, so every adapter gets the same answers.
// Each call runs in one store transaction with its audit events; notifiers
// hear of the change after it committed.
type Coordinator struct {
	store     Store
	policy    Policy
	now       func() time.Time
	gate      Gate
	notifiers []Notifier
	log       *slog.Logger
	cache     *readCache // nil: the store can't tell when a release changed
}

// Options configure a Coordinator. Store and Policy are required.
type Options struct {
	Store     Store
	Policy    Policy
	Now       func() time.Time // default time.Now
	Gate      Gate             // default: always open
	Notifiers []Notifier
	Logger    *slog.Logger
}

// NewCoordinator returns a Coordinator over opts.Store.
func NewCoordinator(opts Options) *Coordinator {
	s := &Coordinator{store: opts.Store, policy: opts.Policy, now: opts.Now, gate: opts.Gate,
		notifiers: opts.Notifiers, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if v, ok := opts.Store.(Versioned); ok {
		s.cache = &readCache{store: v, now: time.Now}
	}
	return s
}

// AddNotifier adds n to the notifiers told of every committed change.
// Call it before the coordinator is used.
func (s *Coordinator) AddNotifier(n Notifier) { s.notifiers = append(s.notifiers, n) }

// Policy returns the rules the coordinator enforces.
func (s *Coordinator) Policy() *Policy { return &s.policy }

// Now returns the coordinator's current time, in UTC.
func (s *Coordinator) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// CreateInput describes a new release: one service (Service and
// Version), or a train (Components; Service and Version are then unused).
type CreateInput struct {
	Service, Version string
	// Components, when given, are the services of a train, each at its
	// version, in the order people gave them.
	Components []ComponentInput
	// Name names a train (optional).
	Name         string
	Teams        []string  // default: a catalog service's owners, else every team; owners always sign off
	Environments []string  // default: every environment; deployed in configured order
	Window       string    // optional release window
	StartAt      time.Time // optional one-off start
	Notes        string
	Origin       string // opaque: where it was opened (a channel)
	// Override (release managers only) is the reason for letting
	// Environments skip one that comes before one it keeps; it is audited.
	Override string
	// Digest, Commit and BuildURL pin the artifact (see Release); each
	// optional, checked by CheckDigest, CheckCommit and CheckBuildURL.
	Digest, Commit, BuildURL string
	// IdempotencyKey, when set, makes Open answer a repeat by the same
	// creator with the release it opened (CheckIdempotencyKey).
	IdempotencyKey string
	// Also, when set, runs in the create's transaction once the release
	// and its events are written, with their ids: the API records the
	// credential's use in the same commit, and answers with what was
	// written without reading it back. It does not run when nothing is
	// created; an error undoes the create.
	Also func(ctx context.Context, tx Tx, r *Release, events []AuditEvent) error
}

// Create opens a release awaiting its teams' sign-off.
//
// The service name is stored lower-case (NormalizeService).
//
// Errors: EInvalid for a bad service (or one not in the catalog, when
// there is one), version, notes, team, environment,
// window or start time, and for environments that skip one without an
// override; EForbidden for an override by anyone but a release manager;
// EConflict when the service already has an open release of that version;
// ETooMany when actor reached the create quota (Limits).
func (s *Coordinator) Create(ctx context.Context, actor string, in CreateInput) (*Release, error) {
	r, err := s.validateCreate(in)
	if err != nil {
		return nil, err
	}
	envOverride, err := s.checkEnvironments(actor, r.Environments, in.Override)
	if err != nil {
		return nil, onField(FieldEnvironments, err)
	}
	now := s.Now()
	r.CreatedBy, r.CreatedAt, r.UpdatedAt, r.Status = actor, now, now, StatusAwaitingSignoff
	events := []AuditEvent{{At: now, Actor: actor, Action: ActionCreated, Detail: createdDetail(r)}}
	if envOverride != "" {
		events = append(events, AuditEvent{At: now, Actor: actor, Action: ActionEnvOverride, Detail: envOverride})
	}
	if err := s.insertRelease(ctx, actor, now, r, events, in.Also); err != nil {
		if errors.Is(err, ErrDuplicate) {
			err = onField(FieldVersion, Errorf(EConflict, "%s %s already has an open release; see `/release list --status awaiting_signoff`.", r.Service, r.Version))
		}
		return nil, s.fail("create", err)
	}
	s.notify(ctx, r, events)
	return r, nil
}

// insertRelease writes a new release and its events, then runs also (if
// any) in the same transaction. Without a quota to check first or a hook
// to run, a store that can (Creator) writes them in one go.
func (s *Coordinator) insertRelease(ctx context.Context, actor string, now time.Time, r *Release, events []AuditEvent,
	also func(context.Context, Tx, *Release, []AuditEvent) error) error {
	if c, ok := s.store.(Creator); ok && !s.quotaApplies(actor) && also == nil {
		return c.CreateWithEvents(ctx, r, events)
	}
	return s.store.Tx(ctx, func(tx Tx) error {
		if err := s.checkQuota(ctx, tx, actor, now); err != nil {
			return err
		}
		if err := CreateInTx(ctx, tx, r, events); err != nil {
			return err
		}
		if also != nil {
			return also(ctx, tx, r, events)
		}
		return nil
	})
}

// createdDetail is the detail of a release's "created" event.
func createdDetail(r *Release) string {
	detail := fmt.Sprintf("%s for %s; sign-off from %s", r.Summary(),
		strings.Join(r.Environments, " → "), strings.Join(r.Teams, ", "))
	if r.Window != "" {
		detail += "; window " + r.Window
	}
	if !r.StartAt.IsZero() {
		detail += "; at " + r.StartAt.Format(time.RFC3339)
	}
	return detail + artifactDetail(r)
}

func (s *Coordinator) validateCreate(in CreateInput) (*Release, error) {
	components, owners, err := s.validateComponents(in)
	if err != nil {
		return nil, onField(FieldService, err)
	}
	name, err := checkTrainName(in.Name)
	if err != nil {
		return nil, onField(FieldService, err)
	}
	notes, err := CleanText("the notes", in.Notes)
	if err != nil {
		return nil, onField(FieldNotes, err)
	}
	r := &Release{Service: components[0].Service, Version: components[0].Version, Name: name, Components: components,
		Window: in.Window, StartAt: in.StartAt.UTC(), Notes: notes, Origin: in.Origin,
		Digest: in.Digest, Commit: in.Commit, BuildURL: in.BuildURL, IdempotencyKey: in.IdempotencyKey}
	if err := checkArtifact(in); err != nil {
		return nil, err
	}
	if len(components) == 1 && components[0].Digest == "" {
		r.Components[0].Digest = r.Digest
	}
	switch {
	case len(r.Notes) > 2000:
		return nil, onField(FieldNotes, Errorf(EInvalid, "The notes are too long (%d characters; at most 2000).", len(r.Notes)))
	case r.Window != "" && !r.StartAt.IsZero():
		return nil, onField(FieldWindow, Errorf(EInvalid, "Give either a window or a start time, not both."))
	case r.Window != "" && !contains(s.policy.Windows, r.Window):
		return nil, onField(FieldWindow, s.unknownWindow(r.Window))
	case !r.StartAt.IsZero() && !r.StartAt.After(s.Now()):
		return nil, onField(FieldStartAt, Errorf(EInvalid, "The start time %s has passed.", r.StartAt.Format(time.RFC3339)))
	}
	teams, err := s.pick("team", signers(in.Teams, owners), s.teamNames())
	if err != nil {
		return nil, onField(FieldTeams, err)
	}
	envs, err := s.pick("environment", in.Environments, s.environmentNames())
	if err != nil {
		return nil, onField(FieldEnvironments, err)
	}
	r.Teams, r.Environments = teams, envs
	return r, nil
}

// pick checks chosen against all and returns it in all's order; an empty
// choice means all.
func (s *Coordinator) pick(kind string, chosen, all []string) ([]string, error) {
	if len(chosen) == 0 {
		return append([]string(nil), all...), nil
	}
	for _, c := range chosen {
		if !contains(all, c) {
			return nil, Errorf(EInvalid, "There is no %s %q; the %ss are %s.", kind, c, kind, strings.Join(all, ", "))
		}
	}
	var out []string
	for _, a := range all {
		if contains(chosen, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (s *Coordinator) teamNames() []string {
	names := make([]string, len(s.policy.Teams))
	for i, t := range s.policy.Teams {
		names[i] = t.Name
	}
	return names
}

func (s *Coordinator) environmentNames() []string {
	names := make([]string, len(s.policy.Environments))
	for i, e := range s.policy.Environments {
		names[i] = e.Name
	}
	return names
}

func (s *Coordinator) unknownWindow(name string) error {
	if len(s.policy.Windows) == 0 {
		return Errorf(EInvalid, "There is no window %q; none are configured.", name)
	}
	return Errorf(EInvalid, "There is no window %q; the windows are %s.", name, strings.Join(s.policy.Windows, ", "))
}

// Get returns one release. Errors: ENotFound.
//
// A release read recently is answered from memory while the store says
// nothing changed since (see Versioned); the answer is a copy either way.
func (s *Coordinator) Get(ctx context.Context, id int64) (*Release, error) {
	r, err := s.GetShared(ctx, id)
	if err != nil || s.cache == nil {
		return r, err
	}
	return r.clone(), nil
}

// GetShared is Get for a reader that changes nothing of what it gets: a
// release read recently is the very one the coordinator keeps, the same
// pointer on every call while it is current, so such a reader may keep
// what it made of it until it gets another. Changing it would change what
// others read.
func (s *Coordinator) GetShared(ctx context.Context, id int64) (*Release, error) {
	if s.cache == nil {
		return s.load(ctx, id)
	}
	if r, ok := s.cache.shared(id); ok {
		return r, nil
	}
	v, keep := s.cache.store.DataVersion() // read before loading: see readCache
	r, err := s.load(ctx, id)
	if err == nil && keep {
		s.cache.keep(r, v)
	}
	return r, err
}

// Kept returns the release id as GetShared would, if the coordinator keeps
// it and it is current; it never reads the store.
func (s *Coordinator) Kept(id int64) (*Release, bool) {
	if s.cache == nil {
		return nil, false
	}
	return s.cache.shared(id)
}

func (s *Coordinator) load(ctx context.Context, id int64) (*Release, error) {
	r, err := s.store.Release(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, s.fail("get "+FormatID(id), err)
	}
	return r, nil
}

// Active returns the releases that have not run their course, newest
// first: at most MaxLimit of them (ListPage tells how many more).
func (s *Coordinator) Active(ctx context.Context) ([]Release, error) {
	rs, err := s.store.Releases(ctx, Filter{Statuses: ActiveStatuses, Limit: MaxLimit})
	if err != nil {
		return nil, s.fail("active releases", err)
	}
	return rs, nil
}

// MaxLimit is the most releases one List call returns.
const MaxLimit = 200

// DefaultLimit is what List returns when no limit is given.
const DefaultLimit = 50

// List returns releases newest first. A zero limit means DefaultLimit.
// Errors: EInvalid for an unknown status or a limit outside 1–200.
func (s *Coordinator) List(ctx context.Context, f Filter) ([]Release, error) {
	for _, st := range f.Statuses {
		if !st.Valid() {
			return nil, Errorf(EInvalid, "%q is not a status; statuses are %s.", st, joinStatuses(Statuses))
		}
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultLimit
	case f.Limit < 0 || f.Limit > MaxLimit:
		return nil, Errorf(EInvalid, "The limit must be between 1 and %d.", MaxLimit)
	}
	rs, err := s.store.Releases(ctx, f)
	if err != nil {
		return nil, s.fail("list releases", err)
	}
	return rs, nil
}

// History returns what shipped, or tried to: releases of service (all when
// empty) whose deployment started, newest first.
func (s *Coordinator) History(ctx context.Context, service string, limit int) ([]Release, error) {
	return s.List(ctx, HistoryFilter(service, limit))
}

// HistoryFilter selects what History lists.
func HistoryFilter(service string, limit int) Filter {
	var started []Status
	for _, st := range Statuses {
		if st.Started() {
			started = append(started, st)
		}
	}
	// Names are stored lower-case (NormalizeService), so any case finds them.
	return Filter{Statuses: started, Service: strings.ToLower(strings.TrimSpace(service)), Limit: limit}
}

// Audit returns a release's audit trail, oldest first. Errors: ENotFound.
func (s *Coordinator) Audit(ctx context.Context, id int64) ([]AuditEvent, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	events, err := s.store.AuditEvents(ctx, id)
	if err != nil {
		return nil, s.fail("audit "+FormatID(id), err)
	}
	return events, nil
}

// Ping reports whether the store answers.
func (s *Coordinator) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

func notFound(id int64) error {
	return Errorf(ENotFound, "There is no release %s.", FormatID(id))
}

// fail passes errors for people through and wraps the rest with what was
// being done, for the log.
func (s *Coordinator) fail(what string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (s *Coordinator) notify(ctx context.Context, r *Release, events []AuditEvent) {
	if len(events) == 0 {
		return
	}
	c := Change{Release: *r, Events: events}
	for _, n := range s.notifiers {
		n.ReleaseChanged(ctx, c)
	}
}

func joinStatuses(ss []Status) string {
	parts := make([]string, len(ss))
	for i, st := range ss {
		parts[i] = string(st)
	}
	return strings.Join(parts, ", ")
}
