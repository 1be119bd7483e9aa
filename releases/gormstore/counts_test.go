package gormstore_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestCountReleasesReadsOpenRowsOnly: with a long history of final
// releases and a few open ones, the scrape's count reads the open rows
// through an index and the final totals from release_status_counts, never
// the history — on SQLite by the plan, on PostgreSQL by the rows the plan
// actually read.
func TestCountReleasesReadsOpenRowsOnly(t *testing.T) {
	const history, open = 3000, 5
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := t.Context()
		t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		err := s.Tx(ctx, func(tx releases.Tx) error {
			for i := range history + open {
				st := []releases.Status{releases.StatusDeployed, releases.StatusFailed, releases.StatusCancelled}[i%3]
				if i >= history {
					st = releases.StatusAwaitingSignoff
				}
				r := &releases.Release{Service: "svc-" + strconv.Itoa(i%20), Version: "v" + strconv.Itoa(i), Status: st,
					CreatedBy: "U0DAVE", CreatedAt: t0, UpdatedAt: t0, Environments: []string{"staging"}}
				if err := tx.CreateRelease(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.CountReleases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got[releases.StatusDeployed] != history/3 || got[releases.StatusAwaitingSignoff] != open {
			t.Fatalf("CountReleases = %v, want %d deployed and %d awaiting sign-off", got, history/3, open)
		}

		if s.Dialect() == "postgres" {
			if _, err := s.DB().ExecContext(ctx, "VACUUM ANALYZE releases"); err != nil {
				t.Fatal(err)
			}
		}
		plan, err := s.CountReleasesPlan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Dialect() != "postgres" {
			for _, line := range plan {
				if strings.HasPrefix(line, "SCAN ") {
					t.Errorf("the count scans a table:\n\t%s", strings.Join(plan, "\n\t"))
				}
			}
			return
		}
		if n := rowsRead(t, plan, "releases"); n > 2*open {
			t.Errorf("the count read %d rows of releases, want at most %d (the open ones):\n%s", n, 2*open, strings.Join(plan, ""))
		}
	})
}

// rowsRead is how many rows of table PostgreSQL's EXPLAIN (ANALYZE,
// FORMAT JSON) plan says its scans returned or threw away.
func rowsRead(t *testing.T, plan []string, table string) int {
	t.Helper()
	var doc []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(strings.Join(plan, "")), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("EXPLAIN JSON: %v\n%s", err, strings.Join(plan, ""))
	}
	return doc[0].Plan.rowsRead(table)
}

// planNode is one node of PostgreSQL's EXPLAIN (ANALYZE, FORMAT JSON).
type planNode struct {
	Relation       string     `json:"Relation Name"`
	ActualRows     float64    `json:"Actual Rows"`
	ActualLoops    float64    `json:"Actual Loops"`
	RemovedFilter  float64    `json:"Rows Removed by Filter"`
	RemovedRecheck float64    `json:"Rows Removed by Index Recheck"`
	Plans          []planNode `json:"Plans"`
}

// rowsRead sums the rows the scans of table returned or threw away.
func (p planNode) rowsRead(table string) int {
	n := 0
	if p.Relation == table {
		n += int(p.ActualRows*p.ActualLoops + p.RemovedFilter + p.RemovedRecheck)
	}
	for _, c := range p.Plans {
		n += c.rowsRead(table)
	}
	return n
}

// TestCountReleasesEveryStatus: a release counts in its status however it
// got there: inserted in it (through CreateRelease or, as a create is,
// CreateWithEvents) or moved there; moved away, it no longer counts there.
func TestCountReleasesEveryStatus(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		ctx := t.Context()
		t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		newRelease := func(i int, st releases.Status) *releases.Release {
			return &releases.Release{Service: "svc-" + strconv.Itoa(i), Version: "v1", Status: st,
				CreatedBy: "U0DAVE", CreatedAt: t0, UpdatedAt: t0, Environments: []string{"staging"}, Teams: []string{"payments"}}
		}
		want := map[releases.Status]int{}
		var moved []*releases.Release
		for i, st := range releases.Statuses {
			// One of each inserted by CreateRelease, one by CreateWithEvents.
			if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, newRelease(2*i, st)) }); err != nil {
				t.Fatal(err)
			}
			events := []releases.AuditEvent{{At: t0, Actor: "U0DAVE", Action: releases.ActionCreated}}
			if err := s.CreateWithEvents(ctx, newRelease(2*i+1, st), events); err != nil {
				t.Fatal(err)
			}
			want[st] += 2
			// And one created awaiting sign-off, to be moved to st.
			r := newRelease(100+i, releases.StatusAwaitingSignoff)
			if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.CreateRelease(ctx, r) }); err != nil {
				t.Fatal(err)
			}
			want[releases.StatusAwaitingSignoff]++
			moved = append(moved, r)
		}
		check := func(when string) {
			t.Helper()
			got, err := s.CountReleases(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range releases.Statuses {
				if got[st] != want[st] {
					t.Errorf("%s: CountReleases()[%s] = %d, want %d (all: %v)", when, st, got[st], want[st], got)
				}
			}
		}
		check("inserted")
		for i, st := range releases.Statuses {
			r := moved[i]
			r.Status = st
			if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.UpdateRelease(ctx, r) }); err != nil {
				t.Fatal(err)
			}
			want[releases.StatusAwaitingSignoff]--
			want[st]++
		}
		check("moved")
		for _, r := range moved[len(moved)-2:] { // two final ones go back to awaiting sign-off
			want[r.Status]--
			r.Status = releases.StatusAwaitingSignoff
			if err := s.Tx(ctx, func(tx releases.Tx) error { return tx.UpdateRelease(ctx, r) }); err != nil {
				t.Fatal(err)
			}
			want[releases.StatusAwaitingSignoff]++
		}
		check("moved back")
	})
}
