package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/scheduler"
)

// replicaYAML: a train every two minutes, open for 30 seconds, a reminder
// a minute before each, a summary every ten minutes.
const replicaYAML = `
timezone: UTC
teams: [{name: payments, channel: C0PAY, leads: [U0ALICE]}]
environments: [{name: staging, deploy: {url: "log:staging"}}]
windows: [{name: train, schedule: "*/2 * * * *", duration: 30s}]
reminders: {before_window: 1m}
summaries: [{name: ten, schedule: "*/10 * * * *", channel: C0MGMT}]
limits: {creates_per_hour: 0} # a release every two minutes, all by one person
`

// TestThreeReplicasActOncePerFiring runs three schedulers, each with its
// own connection pool, service and chat announcer, on one database, over
// 200 train openings. Before each opening a release is opened (its team
// still to sign off), the replicas tick together at the reminder time, the
// team signs off, and the replicas tick together at the opening. Every
// firing must act exactly once: one reminder per release in the outbox,
// one start per release, one firing row per opening, reminder and summary.
func TestThreeReplicasActOncePerFiring(t *testing.T) {
	const openings = 200
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			cfg := parseConfig(t, replicaYAML)
			start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			c := newTestClock(start)
			url := db.URL(t)
			type replica struct {
				store *gormstore.Store
				svc   *releases.Coordinator
				sched *scheduler.Scheduler
				fired map[string]int
			}
			var replicas []*replica
			logs := &syncBuffer{}
			for i := range 3 {
				store := storetest.Open(t, url, c.Now)
				cal := scheduler.NewCalendar(wire.Timetable(cfg), scheduler.WithFreezes(store))
				svc := releases.NewCoordinator(releases.Options{Store: store, Policy: cfg.Policy(), Now: c.Now, Gate: cal})
				sched := scheduler.New(wire.Scheduler(cfg, scheduler.Options{Calendar: cal, Releases: svc, Firings: store, History: store,
					Announcer: bot.NewAnnouncer(store, wire.Bot(cfg), c.Now), Now: c.Now, Owner: fmt.Sprintf("replica-%d", i),
					Logger: slog.New(slog.NewTextHandler(logs, nil))}))
				replicas = append(replicas, &replica{store: store, svc: svc, sched: sched, fired: map[string]int{}})
			}
			// together ticks every replica at once and counts what each fired.
			together := func() {
				var wg sync.WaitGroup
				reports := make([]scheduler.Report, len(replicas))
				for i, r := range replicas {
					wg.Go(func() {
						rep, err := r.sched.TickReport(ctx)
						if err != nil {
							t.Errorf("replica %d at %v: %v", i, c.Now(), err)
						}
						reports[i] = rep
					})
				}
				wg.Wait()
				for i, rep := range reports {
					for _, f := range rep.Fired {
						replicas[i].fired[f.Job]++
					}
				}
			}
			together()

			ids := make([]int64, openings)
			for i := range openings {
				at := start.Add(time.Duration(i+1) * 2 * time.Minute)
				r := replicas[i%3]
				c.Set(at.Add(-80 * time.Second)) // the last window closed 50s ago
				rel, err := r.svc.Create(ctx, dave, releases.CreateInput{Service: fmt.Sprintf("svc-%d", i), Version: "v1", Window: "train"})
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = rel.ID
				c.Set(at.Add(-time.Minute))
				together()
				c.Set(at.Add(-30 * time.Second))
				if _, err := replicas[(i+1)%3].svc.SignOff(ctx, alice, rel.ID, "payments"); err != nil {
					t.Fatal(err)
				}
				c.Set(at)
				together()
				if t.Failed() {
					t.FailNow()
				}
			}

			// Each firing acted once, whichever replica won it.
			sum := func(job string) (int, []string) {
				n, per := 0, []string{}
				for i, r := range replicas {
					n += r.fired[job]
					per = append(per, fmt.Sprintf("replica-%d: %d", i, r.fired[job]))
				}
				return n, per
			}
			// The first tick, at start, fires that opening (no release
			// rides it) and that summary too.
			last := start.Add(openings * 2 * time.Minute)
			summaries := int(last.Sub(start)/(10*time.Minute)) + 1
			for job, want := range map[string]int{"window:train": openings + 1, "reminder:train": openings, "summary:ten": summaries} {
				n, per := sum(job)
				if n != want {
					t.Errorf("%s fired %d times (%s), want %d", job, n, strings.Join(per, ", "), want)
				}
				fs, err := replicas[0].store.Firings(ctx, job, start, last.Add(time.Second))
				if err != nil {
					t.Fatal(err)
				}
				if len(fs) != want {
					t.Errorf("%s has %d firing rows, want %d", job, len(fs), want)
				}
				for _, f := range fs {
					if f.Status != releases.FiringDone || f.Attempts != 1 {
						t.Errorf("firing %s@%v: %s after %d attempts, want done after 1", f.Job, f.At, f.Status, f.Attempts)
					}
				}
				t.Logf("%s: %d firings, %s", job, n, strings.Join(per, ", "))
			}
			// Each release started once, at its opening, and its team was
			// reminded once.
			for i, id := range ids {
				at := start.Add(time.Duration(i+1) * 2 * time.Minute)
				r, err := replicas[2].svc.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status != releases.StatusDeploying || len(r.Deployments) != 1 || !r.Deployments[0].CreatedAt.Equal(at) {
					t.Fatalf("%s: %s with deployments %+v; want one started at %v", releases.FormatID(id), r.Status, r.Deployments, at)
				}
			}
			var started, reminders, summaryPosts int
			sqlDB := replicas[0].store.DB()
			if err := sqlDB.QueryRow("SELECT count(*) FROM audit_events WHERE action = '" + releases.ActionDeploymentStarted + "'").Scan(&started); err != nil {
				t.Fatal(err)
			}
			if err := sqlDB.QueryRow("SELECT count(*) FROM chat_outbox WHERE dedupe_key LIKE 'reminder:%'").Scan(&reminders); err != nil {
				t.Fatal(err)
			}
			if err := sqlDB.QueryRow("SELECT count(*) FROM chat_outbox WHERE dedupe_key LIKE 'summary:%'").Scan(&summaryPosts); err != nil {
				t.Fatal(err)
			}
			if started != openings || reminders != openings || summaryPosts != summaries {
				t.Errorf("%d deployments started, %d reminders and %d summaries queued; want %d, %d and %d",
					started, reminders, summaryPosts, openings, openings, summaries)
			}
		})
	}
}
