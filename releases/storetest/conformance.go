package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// RunConformance holds a releases.Store to the contract documented on
// releases.Store and releases.Tx, calling its methods directly (not through
// the Coordinator), and releases.PostStore, releases.DeliveryStore,
// releases.OutboxStore and releases.PostAdopter too when the store
// implements them.
// open must return a new, empty, migrated store each time: it is called
// once per subtest.
func RunConformance(t *testing.T, open func(t *testing.T) releases.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s releases.Store)
	}{
		{name: "CreateReleaseRoundTrip", run: testCreateReleaseRoundTrip},
		{name: "CreateReleaseDuplicate", run: testCreateReleaseDuplicate},
		{name: "CreateWithEvents", run: testCreateWithEvents},
		{name: "ConcurrentCreates", run: testConcurrentCreates},
		{name: "RelayBatch", run: testRelayBatch},
		{name: "EnqueueMany", run: testEnqueueMany},
		{name: "ReleaseNotFound", run: testReleaseNotFound},
		{name: "UpdateRelease", run: testUpdateRelease},
		{name: "SignOffs", run: testSignOffs},
		{name: "Deployments", run: testDeployments},
		{name: "Audit", run: testAudit},
		{name: "LastSucceeded", run: testLastSucceeded},
		{name: "InFlight", run: testInFlight},
		{name: "PendingDeployments", run: testPendingDeployments},
		{name: "Releases", run: testReleases},
		{name: "ReleasesByTeam", run: testReleasesByTeam},
		{name: "TxRollback", run: testTxRollback},
		{name: "LockReleaseSerialises", run: testLockReleaseSerialises},
		{name: "Ping", run: testPing},
		{name: "Posts", run: testPosts},
		{name: "Counts", run: testCounts},
		{name: "CountsFollowStatusChanges", run: testCountsFollowStatusChanges},
		{name: "ClaimDeliveries", run: testClaimDeliveries},
		{name: "ClaimOrder", run: testClaimOrder},
		{name: "OverdueDeployments", run: testOverdueDeployments},
		{name: "NextDeliveryWake", run: testNextDeliveryWake},
		{name: "ClaimRace", run: testClaimRace},
		{name: "OutboxMaybeSent", run: testOutboxMaybeSent},
		{name: "AdoptPost", run: testAdoptPost},
		{name: "FinishOutboxes", run: testFinishOutboxes},
		{name: "OutboxHeads", run: testOutboxHeads},
		{name: "OutboxHeadsUnpaced", run: testOutboxHeadsUnpaced},
		{name: "Reactions", run: testReactions},
		{name: "PacedCreatorsTakeTurns", run: testPacedCreatorsTakeTurns},
		{name: "CountAndRecentCreates", run: testCountAndRecentCreates},
		{name: "RememberWebhookID", run: testRememberWebhookID},
		{name: "Runs", run: testRuns},
		{name: "Components", run: testComponents},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// t0 has microsecond precision and is not in UTC: the store must give back
// the same instant, in UTC.
var t0 = time.Date(2026, 3, 29, 1, 30, 15, 123456000, time.FixedZone("CEST", 2*60*60))

// at is t0 plus minutes.
func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// People and teams of the fixtures.
const (
	alice = "U0ALICE"
	bob   = "U0BOB"
	carol = "U0CAROL"
	dan   = "U0DAN"
	rita  = "U0RM1"
)

func newRelease(service, version string) *releases.Release {
	return &releases.Release{
		Service: service, Version: version, Status: releases.StatusAwaitingSignoff, CreatedBy: bob,
		CreatedAt: t0, UpdatedAt: t0, Teams: []string{"payments"}, Environments: []string{"staging", "production"},
	}
}

func newDeployment(r *releases.Release, env string, status releases.DeploymentStatus) *releases.Deployment {
	return &releases.Deployment{
		ReleaseID: r.ID, Environment: env, Type: releases.TypeDeployment, Status: status,
		Service: r.Service, Version: r.Version, RequestedBy: bob, CreatedAt: at(1), UpdatedAt: at(1),
	}
}

// inTx runs fn in a transaction and fails the test if it returns an error.
func inTx(t *testing.T, s releases.Store, fn func(tx releases.Tx) error) {
	t.Helper()
	if err := s.Tx(t.Context(), fn); err != nil {
		t.Fatalf("transaction: %v", err)
	}
}

func createRelease(t *testing.T, s releases.Store, r *releases.Release) *releases.Release {
	t.Helper()
	inTx(t, s, func(tx releases.Tx) error { return tx.CreateRelease(t.Context(), r) })
	if r.ID <= 0 {
		t.Fatalf("CreateRelease set id %d, want a positive id", r.ID)
	}
	return r
}

func createDeployment(t *testing.T, s releases.Store, d *releases.Deployment) *releases.Deployment {
	t.Helper()
	inTx(t, s, func(tx releases.Tx) error { return tx.CreateDeployment(t.Context(), d) })
	if d.ID <= 0 {
		t.Fatalf("CreateDeployment set id %d, want a positive id", d.ID)
	}
	return d
}

func putSignOffs(t *testing.T, s releases.Store, sos ...releases.SignOff) {
	t.Helper()
	inTx(t, s, func(tx releases.Tx) error {
		for _, so := range sos {
			if err := tx.PutSignOff(t.Context(), so); err != nil {
				return err
			}
		}
		return nil
	})
}

func load(t *testing.T, s releases.Reader, id int64) releases.Release {
	t.Helper()
	r, err := s.Release(t.Context(), id)
	if err != nil {
		t.Fatalf("Release(%d): %v", id, err)
	}
	return *r
}

func list(t *testing.T, s releases.Reader, f releases.Filter) []releases.Release {
	t.Helper()
	rs, err := s.Releases(t.Context(), f)
	if err != nil {
		t.Fatalf("Releases(%+v): %v", f, err)
	}
	return rs
}

func audit(t *testing.T, s releases.Reader, id int64) []releases.AuditEvent {
	t.Helper()
	events, err := s.AuditEvents(t.Context(), id)
	if err != nil {
		t.Fatalf("AuditEvents(%d): %v", id, err)
	}
	return events
}

func ids(rs []releases.Release) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, releases.FormatID(r.ID))
	}
	return out
}

func idsOf(rs []*releases.Release) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, releases.FormatID(r.ID))
	}
	return out
}

// assertEqual reports where got differs from want.
func assertEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	// A release built without components is stored as its one component
	// (releases.Component): Service at Version.
	if r, ok := want.(releases.Release); ok && len(r.Components) == 0 {
		r.Components = []releases.Component{{Service: r.Service, Version: r.Version}}
		want = r
	}
	var diffs []string
	diffValue(&diffs, reflect.TypeOf(got).String(), reflect.ValueOf(got), reflect.ValueOf(want))
	if len(diffs) > 0 {
		t.Errorf("%s differs:\n\t%s", what, strings.Join(diffs, "\n\t"))
	}
}

var timeType = reflect.TypeFor[time.Time]()

// diffValue compares times as instants and requires the stored side to be
// in UTC, and treats nil and empty slices alike; everything else must be
// equal.
func diffValue(out *[]string, path string, got, want reflect.Value) {
	switch {
	case got.Type() == timeType:
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Equal(w) {
			*out = append(*out, fmt.Sprintf("%s = %v, want %v", path, g, w.UTC()))
		} else if g.Location() != time.UTC {
			*out = append(*out, fmt.Sprintf("%s = %v, want it in UTC", path, g))
		}
	case got.Kind() == reflect.Struct:
		for i := range got.NumField() {
			diffValue(out, path+"."+got.Type().Field(i).Name, got.Field(i), want.Field(i))
		}
	case got.Kind() == reflect.Slice:
		if got.Len() != want.Len() {
			*out = append(*out, fmt.Sprintf("%s has %d elements, want %d:\n\t\tgot  %+v\n\t\twant %+v",
				path, got.Len(), want.Len(), got.Interface(), want.Interface()))
			return
		}
		for i := range got.Len() {
			diffValue(out, fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))
		}
	case !reflect.DeepEqual(got.Interface(), want.Interface()):
		*out = append(*out, fmt.Sprintf("%s = %#v, want %#v", path, got.Interface(), want.Interface()))
	}
}
