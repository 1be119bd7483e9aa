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
		var doc []struct{ Plan planNode }
		if err := json.Unmarshal([]byte(strings.Join(plan, "")), &doc); err != nil || len(doc) != 1 {
			t.Fatalf("EXPLAIN JSON: %v\n%s", err, strings.Join(plan, ""))
		}
		if n := doc[0].Plan.rowsRead("releases"); n > 2*open {
			t.Errorf("the count read %d rows of releases, want at most %d (the open ones):\n%s", n, 2*open, strings.Join(plan, ""))
		}
	})
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
