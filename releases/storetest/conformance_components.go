package storetest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// testComponents: a train keeps its name and its components in the order
// given, a descope is saved, and the service filter finds trains by any of
// their components.
func testComponents(t *testing.T, s releases.Store) {
	ctx := t.Context()
	train := newRelease("ledger", "v1.9.0")
	train.Name = "checkout-q3"
	train.Components = []releases.Component{
		{Service: "ledger", Version: "v1.9.0", Digest: "sha256:aaa"},
		{Service: "payments-api", Version: "v2.4.0"},
		{Service: "checkout", Version: "v3.1.0", Digest: "sha256:ccc"},
	}
	createRelease(t, s, train)
	single := createRelease(t, s, newRelease("payments-api", "v2.3.9"))
	other := createRelease(t, s, newRelease("search", "v7"))
	assertEqual(t, "train read back", load(t, s, train.ID), *train)

	inTx(t, s, func(tx releases.Tx) error {
		return tx.UpdateComponent(ctx, train.ID, releases.Component{Service: "payments-api", Descoped: true, DescopeReason: "not ready"})
	})
	got := load(t, s, train.ID)
	want := []releases.Component{train.Components[0],
		{Service: "payments-api", Version: "v2.4.0", Descoped: true, DescopeReason: "not ready"}, train.Components[2]}
	if !reflect.DeepEqual(got.Components, want) {
		t.Fatalf("components after descope %+v, want %+v", got.Components, want)
	}
	err := s.Tx(ctx, func(tx releases.Tx) error {
		return tx.UpdateComponent(ctx, train.ID, releases.Component{Service: "search", Descoped: true})
	})
	if !errors.Is(err, releases.ErrNotFound) {
		t.Fatalf("UpdateComponent of a service the release lacks: %v, want ErrNotFound", err)
	}

	for _, tc := range []struct {
		service string
		want    []*releases.Release
	}{
		{service: "payments-api", want: []*releases.Release{single, train}},
		{service: "checkout", want: []*releases.Release{train}},
		{service: "search", want: []*releases.Release{other}},
	} {
		if got := ids(list(t, s, releases.Filter{Service: tc.service})); !reflect.DeepEqual(got, idsOf(tc.want)) {
			t.Errorf("Releases(service %s) = %v, want %v", tc.service, got, tc.want)
		}
		if n, err := s.Count(ctx, releases.Filter{Service: tc.service}); err != nil || n != len(tc.want) {
			t.Errorf("Count(service %s) = %d, %v; want %d", tc.service, n, err, len(tc.want))
		}
	}

	dup := newRelease("web", "v1")
	dup.Components = []releases.Component{{Service: "web", Version: "v1"}, {Service: "web", Version: "v2"}}
	if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, dup) }); err == nil {
		t.Fatal("a release with one service twice was stored")
	}
}
