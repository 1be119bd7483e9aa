package gormstore_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// A transaction that finishes deployments of many releases (a bulk import,
// a seed) makes every span holding one stale, however many: its
// statements go in chunks, within the databases' parameter limits.
func TestManyReleasesInOneTransactionTouchEverySpan(t *testing.T) {
	defer gormstore.SetTouchChunk(3)()
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := t.Context()
		t0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
		var refs []releases.SpanRef
		for i := range 10 {
			refs = append(refs, releases.SpanRef{Start: t0.Add(time.Duration(i) * time.Hour), Length: time.Hour})
		}
		keep := make([]releases.KeptSpan, len(refs))
		for i, r := range refs {
			keep[i] = releases.KeptSpan{Start: r.Start, Length: r.Length, Data: []byte("kept")}
		}
		if err := s.KeepDORASpans(ctx, "production", keep); err != nil {
			t.Fatal(err)
		}
		err := s.Tx(ctx, func(tx releases.Tx) error {
			for i := range 10 {
				r := &releases.Release{Service: "svc-" + strconv.Itoa(i), Version: "v1", Status: releases.StatusDeployed,
					CreatedBy: "U0DAVE", CreatedAt: t0, UpdatedAt: t0, Environments: []string{"production"}}
				if err := tx.CreateRelease(ctx, r); err != nil {
					return err
				}
				done := t0.Add(time.Duration(i)*time.Hour + 10*time.Minute)
				err := tx.CreateDeployment(ctx, &releases.Deployment{ReleaseID: r.ID, Environment: "production", Type: releases.TypeDeployment,
					Status: releases.DeploymentSucceeded, Service: r.Service, Version: "v1", RequestedBy: "U0DAVE", CreatedAt: t0, UpdatedAt: done, FinishedAt: done})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.DORASpans(ctx, "production", refs)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(refs) {
			t.Fatalf("%d spans, want %d", len(got), len(refs))
		}
		for _, k := range got {
			if k.Data != nil || k.Gen == 0 {
				t.Errorf("span %v (%v) still kept after a deployment finished in it: gen %d", k.Start, k.Length, k.Gen)
			}
		}
	})
}
