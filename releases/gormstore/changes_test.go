package gormstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

var changePolicy = releases.Policy{
	Teams:        []releases.Team{{Name: "payments", Leads: []string{"U0ALICE"}, Approvals: 1}, {Name: "risk", Leads: []string{"U0CAROL"}, Approvals: 1}},
	Environments: []releases.Environment{{Name: "staging"}},
}

// eventually polls ok for up to 5 s.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDataVersionMovesOnCommit: the store's own writes move its data
// version, so a status answer kept in memory is dropped at once.
func TestDataVersionMovesOnCommit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := t.Context()
		eventually(t, "the store to hear of changes", func() bool { _, ok := s.DataVersion(); return ok })
		v0, _ := s.DataVersion()
		svc := releases.NewCoordinator(releases.Options{Store: s, Policy: changePolicy})
		r, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "api", Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		v1, _ := s.DataVersion()
		if v1 == v0 {
			t.Fatal("creating a release left the data version where it was")
		}
		if _, err := svc.SignOff(ctx, "U0ALICE", r.ID, "payments"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SignOff(ctx, "U0CAROL", r.ID, "risk"); err != nil {
			t.Fatal(err)
		}
		// A webhook worker claiming the deployment changes its attempts.
		v2, _ := s.DataVersion()
		got, err := s.ClaimDeliveries(ctx, releases.DeliveryClaim{Now: time.Now(), Lease: time.Minute, Limit: 1})
		if err != nil || len(got) != 1 {
			t.Fatalf("ClaimDeliveries = %d, %v; want the one deployment", len(got), err)
		}
		if v3, _ := s.DataVersion(); v3 == v2 {
			t.Fatal("claiming a delivery left the data version where it was")
		}
	})
}

// TestReplicasHearEachOthersChanges runs two stores — two replicas — on one
// PostgreSQL database: a release one of them answers from memory is
// dropped when the other changes it, also after the listening connection
// was cut.
func TestReplicasHearEachOthersChanges(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		if db.Name != "postgres" {
			continue
		}
		ctx := t.Context()
		url := db.URL(t)
		a, b := storetest.Open(t, url, nil), storetest.Open(t, url, nil)
		svcA := releases.NewCoordinator(releases.Options{Store: a, Policy: changePolicy})
		svcB := releases.NewCoordinator(releases.Options{Store: b, Policy: changePolicy})
		eventually(t, "replica b to listen", func() bool { _, ok := b.DataVersion(); return ok })

		r, err := svcA.Create(ctx, "U0DAVE", releases.CreateInput{Service: "api", Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		signoffs := func() int {
			got, err := svcB.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			return len(got.SignOffs)
		}
		if n := signoffs(); n != 0 { // b now keeps it
			t.Fatalf("%d sign-offs on a new release", n)
		}
		before, _ := b.DataVersion()
		if _, err := svcA.SignOff(ctx, "U0ALICE", r.ID, "payments"); err != nil {
			t.Fatal(err)
		}
		// Heard, not aged out: b's version moves though b wrote nothing.
		eventually(t, "replica b to hear of a's sign-off", func() bool { v, _ := b.DataVersion(); return v != before })
		if n := signoffs(); n != 1 {
			t.Fatalf("replica b heard of a's sign-off but shows %d sign-offs", n)
		}

		// Cut b's listening connection (and any other replica's: they
		// reconnect too); a change made meanwhile still shows on b.
		var pids []int
		rows, err := a.DB().QueryContext(ctx, "SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity WHERE application_name = $1", gormstore.ListenerName)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var ok bool
			var pid int
			if err := rows.Scan(&ok, &pid); err != nil {
				t.Fatal(err)
			}
			pids = append(pids, pid)
		}
		rows.Close()
		if len(pids) == 0 {
			t.Fatal("no listening connection to cut")
		}
		if _, err := svcA.SignOff(ctx, "U0CAROL", r.ID, "risk"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "replica b to show the second sign-off", func() bool {
			got, err := svcB.Get(ctx, r.ID)
			return err == nil && got.Status != releases.StatusAwaitingSignoff
		})
		eventually(t, "replica b to listen again", func() bool {
			_, ok := b.DataVersion()
			var n int
			err := a.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND NOT (pid = ANY($2))", gormstore.ListenerName, pids).Scan(&n)
			return ok && err == nil && n > 0
		})
		cur, err := svcA.Get(ctx, r.ID)
		if err != nil || len(cur.Deployments) != 1 {
			t.Fatalf("Get = %+v, %v; want one deployment", cur, err)
		}
		if err := storetest.MarkSent(ctx, a, cur.Deployments[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svcA.ReportDeployment(ctx, "deployer", cur.Deployments[0].ID, releases.StatusReport{Status: releases.DeploymentSucceeded}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "replica b to show the deployer's report after reconnecting", func() bool {
			got, err := svcB.Get(ctx, r.ID)
			return err == nil && got.Status == releases.StatusDeployed
		})
	}
}

// TestNewReleaseIsNotAnnounced: on PostgreSQL creating a release sends no
// change notification (no replica keeps a release it could not have
// read, and a NOTIFY serialises commits), while a change to it does.
func TestNewReleaseIsNotAnnounced(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		if db.Name != "postgres" {
			continue
		}
		ctx := t.Context()
		url := db.URL(t)
		s := storetest.Open(t, url, nil)
		s.DB().SetMaxOpenConns(1) // one backend, so its notifications can be told from other tests'
		var pid uint32
		if err := s.DB().QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		listener, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer listener.Close(context.Background())
		if _, err := listener.Exec(ctx, "LISTEN releasebot_release_changes"); err != nil {
			t.Fatal(err)
		}
		mark := func(payload string) {
			t.Helper()
			if _, err := s.DB().ExecContext(ctx, "SELECT pg_notify('releasebot_release_changes', $1)", payload); err != nil {
				t.Fatal(err)
			}
		}
		svc := releases.NewCoordinator(releases.Options{Store: s, Policy: changePolicy})
		r, err := svc.Create(ctx, "U0DAVE", releases.CreateInput{Service: "api", Version: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		mark("created")
		if _, err := svc.SignOff(ctx, "U0ALICE", r.ID, "payments"); err != nil {
			t.Fatal(err)
		}
		mark("signed off")

		var heard []string
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for len(heard) == 0 || heard[len(heard)-1] != "signed off" {
			n, err := listener.WaitForNotification(wait)
			if err != nil {
				t.Fatalf("heard %q, then: %v", heard, err)
			}
			if n.PID == pid {
				heard = append(heard, n.Payload)
			}
		}
		if want := []string{"created", "", "signed off"}; !slices.Equal(heard, want) {
			t.Errorf("heard %q from the store's backend, want %q: the create announced", heard, want)
		}
	}
}
