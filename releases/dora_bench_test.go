package releases_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// BenchmarkReadDORA reads a month's figures from kept spans (warm), as a
// summary does, for histories as dense as bench -seed's 10k and 300k
// releases (11 and 330 production changes a day over 25 services). The
// store is in memory: this is ReadDORA's own cost, decoding and joining.
func BenchmarkReadDORA(b *testing.B) {
	end := time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	for _, perDay := range []int{11, 330} {
		b.Run(fmt.Sprintf("%d-a-day", perDay), func(b *testing.B) {
			var facts []releases.DeploymentFact
			step := 24 * time.Hour / time.Duration(perDay)
			var id int64
			for t := end.Add(-35 * 24 * time.Hour); t.Before(end); t = t.Add(step) {
				id++
				st := releases.DeploymentSucceeded
				if id%7 == 0 {
					st = releases.DeploymentFailed
				}
				facts = append(facts, releases.DeploymentFact{ID: id, ReleaseID: id, Components: 1, Service: fmt.Sprintf("svc-%02d", id%25),
					Type: releases.TypeDeployment, Status: st, FinishedAt: t, ReleaseCreatedAt: t.Add(-5 * time.Minute)})
			}
			st := newSpanStore(facts)
			from := end.Add(-30 * 24 * time.Hour)
			if _, err := releases.ReadDORA(b.Context(), st, "production", from, end); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w, err := releases.ReadDORA(b.Context(), st, "production", from, end)
				if err != nil {
					b.Fatal(err)
				}
				w.Releases()
				w.ByService()
			}
		})
	}
}
