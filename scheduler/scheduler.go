package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/releasebot/releasebot/releases"
)

// Releases is what the scheduler needs of the release service.
type Releases interface {
	Starter
	StartAtOpening(ctx context.Context, id int64, opening string) (*releases.Release, error)
}

// Options configure a Scheduler. Calendar, Releases and Firings are
// required; History too when summaries are configured. Main projects
// Policy, Teams, RemindBefore and Summaries from the configuration.
type Options struct {
	Calendar *Calendar
	Releases Releases               // *releases.Coordinator
	Firings  releases.FiringStore   // the store
	History  releases.HistoryReader // the store
	// Policy tells which teams still owe sign-offs (reminders, waiting
	// releases) and the environments: summaries' DORA figures are about
	// the last.
	Policy releases.Policy
	// Teams tell where each team's reminders go and whose sign-off they
	// ask for.
	Teams []Team
	// RemindBefore is how long before a window opens teams that have not
	// signed off are nudged; 0 turns reminders off.
	RemindBefore time.Duration
	// Summaries are the scheduled release reports.
	Summaries []ScheduledSummary
	// Owners names the teams that own a service (the service catalog's
	// teams), for the summary's DORA figures per team; nil groups them by
	// service only.
	Owners func(service string) []string
	// Announcer says reminders and summaries in chat; nil logs them.
	Announcer Announcer
	// Now is the clock; default time.Now. Share the release service's.
	Now    func() time.Time
	Logger *slog.Logger
	// Owner names this replica in its claims; default host-pid-random.
	Owner string
	// Lease is how long a claimed firing may take before another replica
	// takes it over; default 2 minutes.
	Lease time.Duration
	// SummaryGrace is how late a summary may still go out after a downtime;
	// default 6 hours. Later ones are recorded as missed.
	SummaryGrace time.Duration
	// Audit reads the audit chain's head for summaries (the store); nil
	// leaves it out of them.
	Audit AuditHeads
}

// Team is a team as reminders address it.
type Team struct {
	Name string
	// Channel is where its sign-off requests, and so its reminders, go.
	Channel string
	// Leads are whose sign-off counts.
	Leads []string
}

// ScheduledSummary is a configured summary: posted to Channel and sent as
// a direct message to each of Users at every time Cron names.
type ScheduledSummary struct {
	Name, Channel string
	Users         []string
	Cron          cron.Schedule
}

// Defaults of Options.
const (
	DefaultLease        = 2 * time.Minute
	DefaultSummaryGrace = 6 * time.Hour
	// maxAttempts is how often a firing is tried (taken over after its
	// replica died or its action failed) before it is given up as failed.
	maxAttempts = 5
	// maxCatchUp bounds the missed firings of one job recorded one by one
	// after a long downtime; older ones are counted in the log.
	maxCatchUp = 1000
	// lookback bounds how far back a restarted replica looks for missed
	// firings.
	lookback = 400 * 24 * time.Hour
	// late is how far behind its time a firing must be to be logged as a
	// catch-up.
	late = time.Minute
	// firstLook is how far back a job that never fired looks on the first
	// tick: a replica started just after a firing that nobody recorded
	// still does it.
	firstLook = time.Minute
	// saveCursorEvery is how often a replica stores how far it handled a
	// job's firings. A stale cursor costs a restarted replica only a look
	// at firings that others recorded already.
	saveCursorEvery = 30 * time.Second
)

// Scheduler fires the calendar's jobs — each window's openings, the
// sign-off reminders before them, each summary — exactly once across
// replicas: every firing is claimed in the store under (job, scheduled
// time) before it acts, with a lease, so that a firing whose replica died
// is taken over, and everything it says goes through the chat outbox under
// a key derived from the firing. On its first tick it catches up what came
// due while no replica ran: the latest firing of each job if it is still
// worth it (its window is still open, its reminder's window has not
// opened, its summary is within the grace period); the rest are recorded
// as missed and logged. Every tick also runs the Loop, which starts
// releases the calendar lets go (no window, a start time, a freeze's end).
type Scheduler struct {
	policy   releases.Policy
	cal      *Calendar
	rel      Releases
	firings  releases.FiringStore
	history  releases.HistoryReader
	audit    AuditHeads
	owners   func(service string) []string
	announce Announcer
	now      func() time.Time
	log      *slog.Logger
	owner    string
	lease    time.Duration
	grace    time.Duration
	loop     *Loop
	jobs     []*job
	// From the configuration: teams to remind, how long before an
	// opening (0: no reminders), the summaries.
	teams     []Team
	before    time.Duration
	summaries []ScheduledSummary

	mu      sync.Mutex           // one tick at a time
	cursors map[string]time.Time // each job's firings up to here are handled
	saved   map[string]time.Time // when each cursor was last stored
}

// New returns a Scheduler over opts.
func New(opts Options) *Scheduler {
	s := &Scheduler{policy: opts.Policy, cal: opts.Calendar, rel: opts.Releases,
		firings: opts.Firings, history: opts.History, owners: opts.Owners, announce: opts.Announcer, now: opts.Now, log: opts.Logger,
		owner: opts.Owner, lease: opts.Lease, grace: opts.SummaryGrace, audit: opts.Audit,
		teams: opts.Teams, before: opts.RemindBefore, summaries: opts.Summaries}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.announce == nil {
		s.announce = logAnnouncer{s.log}
	}
	if s.owner == "" {
		s.owner = defaultOwner()
	}
	if s.lease <= 0 {
		s.lease = DefaultLease
	}
	if s.grace <= 0 {
		s.grace = DefaultSummaryGrace
	}
	s.loop = NewLoop(s.rel, s.cal, s.now, s.log)
	s.jobs = s.buildJobs()
	return s
}

func defaultOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// FiringRef names one firing.
type FiringRef struct {
	Job string
	At  time.Time
}

func (f FiringRef) String() string { return f.Job + "@" + f.At.UTC().Format(time.RFC3339) }

// Report is what one tick did.
type Report struct {
	Fired   []FiringRef // firings this replica claimed and acted on
	Missed  []FiringRef // firings this replica recorded as missed (or failed)
	Started int         // releases the loop started
}

// Tick does what is due now and returns how many things it did (firings
// acted on and releases started), for callers that repeat until nothing
// moves. It never sleeps.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	rep, err := s.TickReport(ctx)
	return len(rep.Fired) + rep.Started, err
}

// TickReport is Tick with the details.
func (s *Scheduler) TickReport(ctx context.Context) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rep Report
	now := s.now().UTC()
	if s.cursors == nil {
		if err := s.start(ctx, now); err != nil {
			return rep, err
		}
	}
	var errs []error
	for _, j := range s.jobs {
		if err := s.runJob(ctx, j, now, &rep); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.takeOver(ctx, now, &rep); err != nil {
		errs = append(errs, err)
	}
	started, err := s.loop.Tick(ctx)
	rep.Started = started
	if err != nil {
		errs = append(errs, fmt.Errorf("start ready releases: %w", err))
	}
	return rep, errors.Join(errs...)
}

// start sets each job's cursor from the store: the latest firing recorded,
// or the time up to which replicas handled its firings, whichever is later,
// so that the first tick sees what came due since; for a job no replica ever
// looked at, a minute ago.
func (s *Scheduler) start(ctx context.Context, now time.Time) error {
	cursors := map[string]time.Time{}
	for _, j := range s.jobs {
		last, err := s.firings.LastFiring(ctx, j.name, "")
		if err != nil {
			return err
		}
		checked, err := s.firings.Checked(ctx, j.name)
		if err != nil {
			return err
		}
		if checked.After(last) {
			last = checked
		}
		switch {
		case last.IsZero() || last.After(now):
			cursors[j.name] = now.Add(-firstLook)
		case now.Sub(last) > lookback:
			s.log.Warn("scheduler: firings before the look-back were not examined", "job", j.name,
				"last_recorded", last, "from", now.Add(-lookback))
			cursors[j.name] = now.Add(-lookback)
		default:
			cursors[j.name] = last
		}
	}
	s.cursors, s.saved = cursors, map[string]time.Time{}
	return nil
}

// runJob handles j's firings that came due in (cursor, now]: the latest
// acts if it is still worth it, the others are recorded as missed.
func (s *Scheduler) runJob(ctx context.Context, j *job, now time.Time, rep *Report) error {
	due, dropped := s.due(j, now)
	if dropped > 0 {
		s.log.Warn("scheduler: firings missed while no replica ran, too many to record one by one", "job", j.name,
			"count", dropped, "before", due[0])
	}
	for i, at := range due {
		var err error
		if i < len(due)-1 {
			err = s.miss(ctx, j.name, at, now, fmt.Sprintf("missed while no replica ran; superseded by the firing at %s", due[len(due)-1].Format(time.RFC3339)), rep)
		} else if worth, why := j.worth(at, now); !worth {
			err = s.miss(ctx, j.name, at, now, why, rep)
		} else {
			err = s.fire(ctx, j, at, now, rep)
		}
		if err != nil {
			return err // the cursor stays: the next tick tries again
		}
		s.cursors[j.name] = at
	}
	// Every firing up to now is claimed or recorded: say so, now and then,
	// for a replica that starts after all were down.
	s.cursors[j.name] = now
	if len(due) > 0 || now.Sub(s.saved[j.name]) >= saveCursorEvery {
		if err := s.firings.SetChecked(ctx, j.name, now); err != nil {
			return err
		}
		s.saved[j.name] = now
	}
	return nil
}

// due returns j's firings in (cursor, now], at most maxCatchUp of the
// latest, and how many older ones it dropped.
func (s *Scheduler) due(j *job, now time.Time) ([]time.Time, int) {
	var out []time.Time
	dropped := 0
	for t := j.next(s.cursors[j.name]); !t.IsZero() && !t.After(now); t = j.next(t) {
		out = append(out, t)
		if len(out) > maxCatchUp {
			out = out[1:]
			dropped++
		}
	}
	return out, dropped
}

// fire claims one firing and, when this replica wins it, acts.
func (s *Scheduler) fire(ctx context.Context, j *job, at, now time.Time, rep *Report) error {
	won, err := s.firings.ClaimFiring(ctx, j.name, at, s.owner, now, s.lease)
	if err != nil || !won {
		return err
	}
	s.act(ctx, j, at, now, rep)
	return nil
}

// act runs a claimed firing and records how it ended. A failed action
// leaves the firing running: its lease lapses and it is tried again (the
// actions are idempotent).
func (s *Scheduler) act(ctx context.Context, j *job, at, now time.Time, rep *Report) {
	ref := FiringRef{j.name, at}
	if now.Sub(at) > late {
		s.log.Info("scheduler: catching up a firing missed while no replica ran", "firing", ref.String(), "late", now.Sub(at).Round(time.Second).String())
	}
	detail, err := j.act(ctx, at)
	if err != nil {
		s.log.Error("scheduler: firing failed; it is tried again once its claim lapses", "firing", ref.String(), "err", err)
		return
	}
	if err := s.firings.FinishFiring(ctx, j.name, at, s.owner, releases.FiringDone, detail, s.now()); err != nil {
		s.log.Error("scheduler: record firing", "firing", ref.String(), "err", err)
	}
	s.log.Info("scheduler: fired", "firing", ref.String(), "detail", detail)
	rep.Fired = append(rep.Fired, ref)
}

// miss records a firing that came due while no replica ran and is not
// worth acting on any more. It is logged, never dropped silently.
func (s *Scheduler) miss(ctx context.Context, job string, at, now time.Time, why string, rep *Report) error {
	recorded, err := s.firings.MissFiring(ctx, job, at, why, now)
	if err != nil || !recorded {
		return err
	}
	ref := FiringRef{job, at}
	s.log.Warn("scheduler: missed firing", "firing", ref.String(), "why", why)
	rep.Missed = append(rep.Missed, ref)
	return nil
}

// takeOver finishes the firings whose replica died mid-firing (or whose
// action failed): once their lease lapsed, they are acted on again if
// still worth it, given up after maxAttempts.
func (s *Scheduler) takeOver(ctx context.Context, now time.Time, rep *Report) error {
	lapsed, err := s.firings.LapsedFirings(ctx, now, 20)
	if err != nil {
		return err
	}
	for _, f := range lapsed {
		won, err := s.firings.ClaimFiring(ctx, f.Job, f.At, s.owner, now, s.lease)
		if err != nil {
			return err
		}
		if !won {
			continue
		}
		j := s.job(f.Job)
		status, why := releases.FiringMissed, ""
		switch {
		case j == nil:
			why = "its job is no longer configured"
		case f.Attempts >= maxAttempts:
			status, why = releases.FiringFailed, fmt.Sprintf("given up after %d attempts; see the log", f.Attempts)
		default:
			if worth, reason := j.worth(f.At, now); !worth {
				why = reason
			}
		}
		ref := FiringRef{f.Job, f.At}
		if why != "" {
			if err := s.firings.FinishFiring(ctx, f.Job, f.At, s.owner, status, why, now); err != nil {
				return err
			}
			s.log.Warn("scheduler: firing taken over and not acted on", "firing", ref.String(), "status", status, "why", why)
			rep.Missed = append(rep.Missed, ref)
			continue
		}
		s.log.Warn("scheduler: taking over a firing whose replica stopped mid-way", "firing", ref.String(), "previous_owner", f.Owner, "attempts", f.Attempts)
		s.act(ctx, j, f.At, now, rep)
	}
	return nil
}

// team returns the team with the given name.
func (s *Scheduler) team(name string) (Team, bool) {
	for _, t := range s.teams {
		if t.Name == name {
			return t, true
		}
	}
	return Team{}, false
}

func (s *Scheduler) job(name string) *job {
	for _, j := range s.jobs {
		if j.name == name {
			return j
		}
	}
	return nil
}

// Run ticks until ctx ends, on every whole second of the clock, so that a
// firing due on the minute acts within milliseconds.
func (s *Scheduler) Run(ctx context.Context) {
	var keptDORA time.Time
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("scheduler tick", "err", err)
		}
		if now := s.now(); now.Sub(keptDORA) >= keepDORAEvery {
			keptDORA = now
			if err := s.KeepDORA(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Warn("keep DORA spans", "err", err)
			}
		}
		if !sleep(ctx, untilBoundary(s.now(), time.Second)) {
			return
		}
	}
}

// key is the dedupe key of what firing (job, at) says to target.
func key(job string, at time.Time, target string) string {
	return FiringRef{job, at}.String() + "/" + target
}
