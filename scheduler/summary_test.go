package scheduler_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/releasebot/releasebot/internal/wire"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// The Monday summary of 7 Dec 2026, 09:00 CET.
var monday = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

func day(month time.Month, d, hour, min int) time.Time {
	return time.Date(2026, month, d, hour, min, 0, 0, time.UTC)
}

// seeded is a release of the seeded history, with its deployments to
// production (and staging) and the audit events that ended it.
type seeded struct {
	service, version string
	created          time.Time
	status           releases.Status
	deployments      []seededDeployment
	events           []releases.AuditEvent // ReleaseID filled in
}

type seededDeployment struct {
	env      string
	typ      releases.DeploymentType
	status   releases.DeploymentStatus
	finished time.Time
}

func seed(t *testing.T, e *env, history []seeded) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, s := range history {
		r := &releases.Release{Service: s.service, Version: s.version, Status: s.status, CreatedBy: dave,
			CreatedAt: s.created, UpdatedAt: s.created, Teams: []string{"payments", "risk"},
			Environments: []string{"staging", "production"}, Window: "weekly-train"}
		err := e.store.Tx(ctx, func(tx releases.Tx) error {
			if err := tx.CreateRelease(ctx, r); err != nil {
				return err
			}
			for _, d := range s.deployments {
				dep := &releases.Deployment{ReleaseID: r.ID, Environment: d.env, Type: d.typ, Status: d.status,
					Service: s.service, Version: s.version, RequestedBy: dave, CreatedAt: s.created, UpdatedAt: d.finished, FinishedAt: d.finished}
				if err := tx.CreateDeployment(ctx, dep); err != nil {
					return err
				}
			}
			for _, ev := range s.events {
				ev.ReleaseID, ev.Actor = r.ID, releases.SystemActor
				if err := tx.AddAudit(ctx, &ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

func prod(typ releases.DeploymentType, st releases.DeploymentStatus, finished time.Time) seededDeployment {
	return seededDeployment{env: "production", typ: typ, status: st, finished: finished}
}

// TestSummaryOfASeededHistory checks a summary's content against figures
// worked out by hand. The history, in production (times UTC):
//
//	R-1 api v1     created 10 Nov 08:00, deployed 11 Nov 08:00            lead 24h
//	R-2 api v2     created  1 Dec 08:00, deployed  1 Dec 10:00,           lead  2h
//	               rolled back (rollback succeeded 1 Dec 11:30)           failure, restored in 1h30m
//	R-3 web v5     created  2 Dec 08:00, failed    2 Dec 12:00            failure, restored by R-4 in 26h
//	R-4 web v6     created  3 Dec 08:00, deployed  3 Dec 14:00            lead  6h
//	R-5 ledger v9  created  4 Dec 08:00, timed out 4 Dec 09:00            failure, not restored
//	R-6 old v0     deployed 1 Nov: before the 30 days
//
// Over [7 Nov 08:00, 7 Dec 08:00): 5 changes, 3 deployments (R-1, R-2,
// 0.7 a week), median lead time 6h, 3 failures (60%), median time
// to restore (1h30m + 26h) / 2 = 13h45m, 1 unrestored. Since the last
// summary (30 Nov 08:00): deployed, failed, rolled
// back R-2. Waiting: R-7 (risk's sign-off), R-8 (ready, for Tuesday's
// train), R-9 (promotion to production).
func TestSummaryOfASeededHistory(t *testing.T) {
	forEachDB(t, testYAML, func(t *testing.T, e *env) {
		e.clock.Set(monday.Add(-time.Hour))
		ok, fail, back := releases.DeploymentSucceeded, releases.DeploymentFailed, releases.DeploymentRolledBack
		fwd, rb := releases.TypeDeployment, releases.TypeRollback
		ev := func(action string, at time.Time, detail string) releases.AuditEvent {
			return releases.AuditEvent{Action: action, At: at, Detail: detail}
		}
		ids := seed(t, e, []seeded{
			{service: "api", version: "v1", created: day(11, 10, 8, 0), status: releases.StatusDeployed,
				deployments: []seededDeployment{{env: "staging", typ: fwd, status: ok, finished: day(11, 10, 20, 0)}, prod(fwd, ok, day(11, 11, 8, 0))},
				events:      []releases.AuditEvent{ev(releases.ActionDeployed, day(11, 11, 8, 0), "v1 is on staging, production")}},
			{service: "api", version: "v2", created: day(12, 1, 8, 0), status: releases.StatusRolledBack,
				deployments: []seededDeployment{prod(fwd, back, day(12, 1, 10, 0)), prod(rb, ok, day(12, 1, 11, 30))},
				events: []releases.AuditEvent{ev(releases.ActionDeployed, day(12, 1, 10, 0), "v2 is on staging, production"),
					ev(releases.ActionRolledBack, day(12, 1, 11, 30), "production is back on v1")}},
			{service: "web", version: "v5", created: day(12, 2, 8, 0), status: releases.StatusFailed,
				deployments: []seededDeployment{prod(fwd, fail, day(12, 2, 12, 0))},
				events:      []releases.AuditEvent{ev(releases.ActionFailed, day(12, 2, 12, 0), "production failed")}},
			{service: "web", version: "v6", created: day(12, 3, 8, 0), status: releases.StatusDeployed,
				deployments: []seededDeployment{prod(fwd, ok, day(12, 3, 14, 0))},
				events:      []releases.AuditEvent{ev(releases.ActionDeployed, day(12, 3, 14, 0), "v6 is on staging, production")}},
			{service: "ledger", version: "v9", created: day(12, 4, 8, 0), status: releases.StatusFailed,
				deployments: []seededDeployment{prod(fwd, releases.DeploymentTimedOut, day(12, 4, 9, 0))},
				events:      []releases.AuditEvent{ev(releases.ActionFailed, day(12, 4, 9, 0), "production timed_out")}},
			{service: "old", version: "v0", created: day(10, 1, 8, 0), status: releases.StatusDeployed,
				deployments: []seededDeployment{prod(fwd, ok, day(11, 1, 8, 0))}},
			{service: "api", version: "v3", created: day(12, 5, 8, 0), status: releases.StatusAwaitingSignoff},
			{service: "batch", version: "v1", created: day(12, 5, 9, 0), status: releases.StatusReady},
			{service: "promo", version: "v1", created: day(12, 5, 10, 0), status: releases.StatusAwaitingPromotion,
				deployments: []seededDeployment{{env: "staging", typ: fwd, status: ok, finished: day(12, 5, 11, 0)}}},
		})
		e.ok(e.svc.SignOff(context.Background(), alice, ids[6], "payments"))
		// The spans Run keeps every few minutes: the summary then reads
		// them, and must read as the deployments do.
		if err := e.sched.KeepDORA(context.Background(), monday); err != nil {
			t.Fatal(err)
		}
		spans := releases.WindowSpans(monday.Add(-scheduler.DORAPeriod), monday)
		kept, err := e.store.DORASpans(context.Background(), "production", spans)
		if err != nil {
			t.Fatal(err)
		}
		withData := 0
		for _, k := range kept {
			if k.Data != nil {
				withData++
			}
		}
		if withData != len(spans) || len(spans) > 16 {
			t.Fatalf("KeepDORA kept %d of the window's %d spans (want all, and at most 16)", withData, len(spans))
		}

		e.tick()
		rep := e.at(monday)
		assertStrings(t, "fired", refs(rep.Fired), []string{"summary:weekly@2026-12-07T08:00:00Z"})
		e.at(monday.Add(time.Minute))
		if len(e.ann.summaries) != 1 {
			t.Fatalf("%d summaries, want 1", len(e.ann.summaries))
		}
		call := e.ann.summaries[0]
		s := call.s
		if call.key != "summary:weekly@2026-12-07T08:00:00Z" || s.Channel != "C0MGMT" || len(s.Users) != 1 || s.Users[0] != boss {
			t.Errorf("key %q, channel %q, users %v", call.key, s.Channel, s.Users)
		}
		if !s.Since.Equal(monday.AddDate(0, 0, -7)) || !s.At.Equal(monday) || s.Quiet() {
			t.Errorf("since %v, at %v, quiet %v; want the week before Monday, not quiet", s.Since, s.At, s.Quiet())
		}
		names := func(outs []releases.Outcome) []string {
			out := []string{}
			for _, o := range outs {
				out = append(out, releases.FormatID(o.Release.ID)+" "+o.Release.Service+" "+o.Release.Version)
			}
			return out
		}
		assertStrings(t, "deployed", names(s.Deployed), []string{"R-2 api v2", "R-4 web v6"})
		assertStrings(t, "failed", names(s.Failed), []string{"R-3 web v5", "R-5 ledger v9"})
		assertStrings(t, "rolled back", names(s.RolledBack), []string{"R-2 api v2"})
		var waiting []string
		for _, w := range s.Waiting {
			line := releases.FormatID(w.Release.ID) + " " + w.Reason
			for _, b := range w.Blockers {
				line += " [" + b.Team + "]"
			}
			waiting = append(waiting, line)
		}
		assertStrings(t, "waiting", waiting, []string{
			"R-7 waits for sign-off from risk (0 of 1) [risk]",
			"R-8 waits for the window weekly-train, which opens Tue 8 Dec 2026 14:00 CET",
			"R-9 waits for promotion to production (`/release deploy R-9 --env production`)",
		})
		if len(s.Openings) != 4 || !s.Openings[0].Start.Equal(day(12, 8, 13, 0)) || len(s.Freezes) != 0 {
			t.Errorf("openings %+v, freezes %+v; want the four of the next two weeks, no freezes", s.Openings, s.Freezes)
		}

		d := s.DORA
		want := releases.DORA{From: monday.Add(-scheduler.DORAPeriod), To: monday, Deployments: 3, PerDay: 0.1, PerWeek: 0.7,
			LeadTime: 6 * time.Hour, Changes: 5, Failures: 3, FailureRate: 0.6,
			TimeToRestore: 13*time.Hour + 45*time.Minute, Restored: 2, Unrestored: 1}
		if s.Production != "production" || !d.From.Equal(want.From) || !d.To.Equal(want.To) ||
			d.Deployments != want.Deployments || !near(d.PerDay, want.PerDay) || !near(d.PerWeek, want.PerWeek) ||
			d.LeadTime != want.LeadTime || d.Changes != want.Changes || d.Failures != want.Failures ||
			!near(d.FailureRate, want.FailureRate) || d.TimeToRestore != want.TimeToRestore ||
			d.Restored != want.Restored || d.Unrestored != want.Unrestored {
			t.Errorf("DORA of %s:\n got  %+v\n want %+v", s.Production, d, want)
		}

		// The next Monday's summary covers the week since this one.
		e.at(monday.AddDate(0, 0, 7))
		if len(e.ann.summaries) != 2 || !e.ann.summaries[1].s.Since.Equal(monday) {
			t.Fatalf("second summary: %d summaries; want one since %v", len(e.ann.summaries), monday)
		}
		if len(e.ann.summaries[1].s.Deployed) != 0 {
			t.Errorf("the second summary repeats the first's deployments")
		}
	})
}

// TestQuietSummary: a week where nothing happened says so.
func TestQuietSummary(t *testing.T) {
	forEachDB(t, testYAML, func(t *testing.T, e *env) {
		e.at(monday.Add(-time.Second))
		e.at(monday)
		if len(e.ann.summaries) != 1 {
			t.Fatalf("%d summaries, want 1", len(e.ann.summaries))
		}
		s := e.ann.summaries[0].s
		if !s.Quiet() || s.DORA.Changes != 0 || s.DORA.Deployments != 0 {
			t.Fatalf("summary %+v; want a quiet one", s)
		}
	})
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestSummaryPerServiceAndTeam: with an owners lookup, the summary's DORA
// figures come per service and per owning team too (production, times UTC):
//
//	api v1     created 1 Dec 08:00, deployed  1 Dec 10:00   lead 2h
//	web v5     created 2 Dec 08:00, failed    2 Dec 12:00   failure, restored by v6 in 26h
//	web v6     created 3 Dec 08:00, deployed  3 Dec 14:00   lead 6h
//	ledger v9  created 4 Dec 08:00, deployed  4 Dec 09:00   lead 1h
//
// api is payments', web is payments' and frontend's, ledger has no owner.
func TestSummaryPerServiceAndTeam(t *testing.T) {
	forEachDB(t, testYAML, func(t *testing.T, e *env) {
		e.clock.Set(monday.Add(-time.Hour))
		ok, fail, fwd := releases.DeploymentSucceeded, releases.DeploymentFailed, releases.TypeDeployment
		seed(t, e, []seeded{
			{service: "api", version: "v1", created: day(12, 1, 8, 0), status: releases.StatusDeployed,
				deployments: []seededDeployment{prod(fwd, ok, day(12, 1, 10, 0))}},
			{service: "web", version: "v5", created: day(12, 2, 8, 0), status: releases.StatusFailed,
				deployments: []seededDeployment{prod(fwd, fail, day(12, 2, 12, 0))}},
			{service: "web", version: "v6", created: day(12, 3, 8, 0), status: releases.StatusDeployed,
				deployments: []seededDeployment{prod(fwd, ok, day(12, 3, 14, 0))}},
			{service: "ledger", version: "v9", created: day(12, 4, 8, 0), status: releases.StatusDeployed,
				deployments: []seededDeployment{prod(fwd, ok, day(12, 4, 9, 0))}},
		})
		owners := map[string][]string{"api": {"payments"}, "web": {"payments", "frontend"}}
		sched := scheduler.New(wire.Scheduler(e.cfg, scheduler.Options{Calendar: e.cal, Releases: e.svc, Firings: e.store,
			History: e.store, Now: e.clock.Now, Owners: func(service string) []string { return owners[service] }}))
		s, err := sched.BuildSummary(context.Background(), wire.Summary(e.cfg.Summaries[0]), monday.AddDate(0, 0, -7), monday)
		if err != nil {
			t.Fatal(err)
		}
		line := func(gs []releases.DORAGroup) []string {
			var out []string
			for _, g := range gs {
				out = append(out, fmt.Sprintf("%s: %d deployed, lead %v, %d of %d failed, restore %v",
					g.Name, g.Deployments, g.LeadTime, g.Failures, g.Changes, g.TimeToRestore))
			}
			return out
		}
		assertStrings(t, "per service", line(s.Services), []string{
			"web: 1 deployed, lead 6h0m0s, 1 of 2 failed, restore 26h0m0s",
			"api: 1 deployed, lead 2h0m0s, 0 of 1 failed, restore 0s",
			"ledger: 1 deployed, lead 1h0m0s, 0 of 1 failed, restore 0s",
		})
		assertStrings(t, "per team", line(s.Teams), []string{
			"payments: 2 deployed, lead 4h0m0s, 1 of 3 failed, restore 26h0m0s",
			"frontend: 1 deployed, lead 6h0m0s, 1 of 2 failed, restore 26h0m0s",
		})
		if s.DORA.Changes != 4 || s.DORA.Deployments != 3 {
			t.Errorf("DORA in all: %+v; want 4 changes, 3 deployments", s.DORA)
		}
	})
}

// TestSummaryCountsATrainOnce: a train of three components that reached
// production is one deployment in the summary's DORA figures in all, and
// one deployment of each of its services per service (production, times
// UTC):
//
//	R-1 train q4: api v2, web v7, ledger v3   created 1 Dec 08:00,
//	    in production 1 Dec 10:00, 11:00, 12:00                    lead 4h
//	R-2 api v3                                 created 2 Dec 08:00,
//	    deployed 2 Dec 09:00                                        lead 1h
func TestSummaryCountsATrainOnce(t *testing.T) {
	forEachDB(t, testYAML, func(t *testing.T, e *env) {
		e.clock.Set(monday.Add(-time.Hour))
		ctx := context.Background()
		train := &releases.Release{Name: "q4", Service: "api", Version: "v2", Status: releases.StatusDeployed, CreatedBy: dave,
			CreatedAt: day(12, 1, 8, 0), UpdatedAt: day(12, 1, 12, 0), Teams: []string{"payments"},
			Environments: []string{"staging", "production"},
			Components:   []releases.Component{{Service: "api", Version: "v2"}, {Service: "web", Version: "v7"}, {Service: "ledger", Version: "v3"}}}
		err := e.store.Tx(ctx, func(tx releases.Tx) error {
			if err := tx.CreateRelease(ctx, train); err != nil {
				return err
			}
			for i, c := range train.Components {
				at := day(12, 1, 10+i, 0)
				if err := tx.CreateDeployment(ctx, &releases.Deployment{ReleaseID: train.ID, Environment: "production",
					Type: releases.TypeDeployment, Status: releases.DeploymentSucceeded, Service: c.Service, Version: c.Version,
					RequestedBy: dave, CreatedAt: train.CreatedAt, UpdatedAt: at, FinishedAt: at}); err != nil {
					return err
				}
			}
			return tx.AddAudit(ctx, &releases.AuditEvent{ReleaseID: train.ID, Actor: releases.SystemActor,
				Action: releases.ActionDeployed, At: day(12, 1, 12, 0)})
		})
		if err != nil {
			t.Fatal(err)
		}
		seed(t, e, []seeded{{service: "api", version: "v3", created: day(12, 2, 8, 0), status: releases.StatusDeployed,
			deployments: []seededDeployment{prod(releases.TypeDeployment, releases.DeploymentSucceeded, day(12, 2, 9, 0))}}})
		s, err := e.sched.BuildSummary(ctx, wire.Summary(e.cfg.Summaries[0]), monday.AddDate(0, 0, -7), monday)
		if err != nil {
			t.Fatal(err)
		}
		if d := s.DORA; d.Deployments != 2 || d.Changes != 2 || d.LeadTime != (4*time.Hour+time.Hour)/2 {
			t.Errorf("DORA in all: %+v; want 2 deployments (the train once, R-2), 2 changes, median lead 2h30m", d)
		}
		got := map[string]int{}
		for _, g := range s.Services {
			got[g.Name] = g.Deployments
		}
		if want := map[string]int{"api": 2, "web": 1, "ledger": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("deployments per service %v, want %v", got, want)
		}
		// Among what was deployed, the train reads as the train.
		if len(s.Deployed) != 1 || s.Deployed[0].Release.Summary() != "q4: api v2, web v7, ledger v3" {
			t.Errorf("deployed %+v, want the train with its components", s.Deployed)
		}
	})
}
