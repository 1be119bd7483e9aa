package scheduler_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/syncbuf"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

// People of testYAML.
const (
	alice = "U0ALICE" // payments lead
	bob   = "U0BOB"   // payments lead
	carol = "U0CAROL" // risk lead
	dave  = "U0DAVE"  // an engineer
	rita  = "U0RM1"   // release manager
	boss  = "U0BOSS"  // reads summaries
)

// testYAML: two teams, a Tuesday/Thursday train at 14:00 Berlin time,
// reminders two hours before, a Monday summary.
const testYAML = `
timezone: Europe/Berlin
release_managers: [U0RM1]
require_distinct_approver: true
teams:
  - name: payments
    channel: C0PAY
    leads: [U0ALICE, U0BOB]
  - name: risk
    channel: C0RISK
    leads: [U0CAROL]
environments:
  - name: staging
    deploy: {url: "log:staging"}
  - name: production
    deploy: {url: "log:production"}
windows:
  - name: weekly-train
    schedule: "0 14 * * TUE,THU"
    duration: 2h
reminders:
  before_window: 2h
summaries:
  - name: weekly
    schedule: "0 9 * * MON"
    channel: C0MGMT
    users: [U0BOSS]
`

// Tue 1 Dec 2026, 11:00 in Berlin: three hours before the train.
var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// opening is the first train after t0: Tue 1 Dec 14:00 CET.
var opening = time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)

func parseConfig(t testing.TB, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// announcer records what the scheduler asked to say.
type announcer struct {
	mu        sync.Mutex
	reminders []reminderCall
	summaries []summaryCall
}

type reminderCall struct {
	key string
	r   scheduler.Reminder
}

type summaryCall struct {
	key string
	s   scheduler.Summary
}

func (a *announcer) Remind(_ context.Context, key string, r scheduler.Reminder) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reminders = append(a.reminders, reminderCall{key, r})
	return nil
}

func (a *announcer) Summarize(_ context.Context, key string, s scheduler.Summary) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.summaries = append(a.summaries, summaryCall{key, s})
	return nil
}

func (a *announcer) reminded() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []string{}
	for _, c := range a.reminders {
		out = append(out, releases.FormatID(c.r.Release.ID)+"/"+c.r.Team)
	}
	return out
}

// env is one replica of the bot's back end (service, calendar, scheduler)
// on a real database, with a clock the test moves.
type env struct {
	t     *testing.T
	clock *clock
	cfg   *config.Config
	store *gormstore.Store
	cal   *scheduler.Calendar
	svc   *releases.Coordinator
	ann   *announcer
	sched *scheduler.Scheduler
	logs  *syncBuffer
}

// newEnv wires a replica on store.
func newEnv(t *testing.T, store *gormstore.Store, cfg *config.Config, c *clock, owner string) *env {
	e := &env{t: t, clock: c, cfg: cfg, store: store, ann: &announcer{}, logs: &syncBuffer{}}
	e.cal = scheduler.NewCalendar(wire.Timetable(cfg), scheduler.WithFreezes(store))
	e.svc = releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Now: c.Now, Gate: e.cal})
	e.sched = e.newScheduler(owner)
	return e
}

// newScheduler is a new scheduler instance on the replica: a restart.
func (e *env) newScheduler(owner string) *scheduler.Scheduler {
	return scheduler.New(wire.Scheduler(e.cfg, scheduler.Options{Calendar: e.cal, Releases: e.svc, Firings: e.store,
		History: e.store, Announcer: e.ann, Now: e.clock.Now, Owner: owner,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil))}))
}

// forEachDB runs fn with a fresh replica on SQLite and, with
// TEST_DATABASE_URL, PostgreSQL.
func forEachDB(t *testing.T, yaml string, fn func(t *testing.T, e *env)) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			c := testclock.New(t0)
			store := storetest.Open(t, db.URL(t), c.Now)
			fn(t, newEnv(t, store, parseConfig(t, yaml), c, "replica-1"))
		})
	}
}

// at sets the clock and ticks the scheduler once.
func (e *env) at(t time.Time) scheduler.Report {
	e.t.Helper()
	e.clock.Set(t)
	return e.tick()
}

func (e *env) tick() scheduler.Report {
	e.t.Helper()
	rep, err := e.sched.TickReport(context.Background())
	if err != nil {
		e.t.Fatalf("tick at %v: %v", e.clock.Now(), err)
	}
	return rep
}

func (e *env) ok(r *releases.Release, err error) *releases.Release {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("unexpected error: %v", err)
	}
	return r
}

// create opens a release of service by dave, in window ("" for none).
func (e *env) create(service, window string) *releases.Release {
	e.t.Helper()
	return e.ok(e.svc.Create(context.Background(), dave, releases.CreateInput{Service: service, Version: "v1", Window: window, Origin: "C0REL"}))
}

// ready signs r off by both teams.
func (e *env) ready(id int64) *releases.Release {
	e.t.Helper()
	e.ok(e.svc.SignOff(context.Background(), alice, id, "payments"))
	return e.ok(e.svc.SignOff(context.Background(), carol, id, "risk"))
}

// get reads release id. It reads the store, not the service: the service may answer from its
// cache for up to a second after another replica's write to a SQLite file,
// which announces nothing (see releases/cache.go), and these tests check
// what every replica did.
func (e *env) get(id int64) *releases.Release {
	e.t.Helper()
	return e.ok(e.store.Release(context.Background(), id))
}

func (e *env) audit(id int64) []releases.AuditEvent {
	e.t.Helper()
	events, err := e.svc.Audit(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return events
}

// events returns r's audit events with action, as "actor: detail".
func (e *env) events(id int64, action string) []string {
	e.t.Helper()
	out := []string{}
	for _, ev := range e.audit(id) {
		if ev.Action == action {
			out = append(out, ev.Actor+": "+ev.Detail)
		}
	}
	return out
}

// firings returns the recorded firings of job as "status@RFC3339".
func (e *env) firings(job string) []string {
	e.t.Helper()
	fs, err := e.store.Firings(context.Background(), job, t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0))
	if err != nil {
		e.t.Fatal(err)
	}
	out := []string{}
	for _, f := range fs {
		out = append(out, string(f.Status)+"@"+f.At.UTC().Format(time.RFC3339))
	}
	return out
}

func refs(rs []scheduler.FiringRef) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

func assertStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

type clock = testclock.Clock

func newTestClock(t time.Time) *clock { return testclock.New(t) }

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer = syncbuf.Buffer
