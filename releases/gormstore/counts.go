package gormstore

import (
	"context"
	"fmt"

	"github.com/releasebot/releasebot/releases"
)

// Counts for the metrics gauges, read at every scrape: each reads a few
// rows whatever the length of the history, never a load of rows.

type statusCount struct {
	Status string
	N      int
}

// CountReleases returns how many releases are in each status; statuses
// without releases are absent. The open statuses are counted through
// releases_status_id (open releases are few); the final ones are read from
// release_status_counts, which triggers keep in step with releases
// (migration 00011). One statement, so both halves see one snapshot.
func (s *Store) CountReleases(ctx context.Context) (map[releases.Status]int, error) {
	var rows []statusCount
	q, args := countReleasesQuery()
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count releases: %w", err)
	}
	out := make(map[releases.Status]int, len(rows))
	for _, r := range rows {
		out[releases.Status(r.Status)] = r.N
	}
	return out, nil
}

// countReleasesQuery is CountReleases's statement and its arguments: the
// open statuses, then the final ones.
func countReleasesQuery() (string, []any) {
	var open, final []string
	for _, st := range releases.Statuses {
		if st.Active() {
			open = append(open, string(st))
		} else {
			final = append(final, string(st))
		}
	}
	return `SELECT status, COUNT(*) AS n FROM releases WHERE status IN ? GROUP BY status
UNION ALL
SELECT status, n FROM release_status_counts WHERE status IN ? AND n > 0`, []any{open, final}
}

// CountInFlight returns how many deployments (and rollbacks) are pending
// and in progress; a status without any is absent.
func (s *Store) CountInFlight(ctx context.Context) (map[releases.DeploymentStatus]int, error) {
	var rows []statusCount
	err := s.db.WithContext(ctx).Table("deployments").Select("status, COUNT(*) AS n").
		Where("status IN ?", []string{string(releases.DeploymentPending), string(releases.DeploymentInProgress)}).
		Group("status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count deployments in flight: %w", err)
	}
	out := make(map[releases.DeploymentStatus]int, len(rows))
	for _, r := range rows {
		out[releases.DeploymentStatus(r.Status)] = r.N
	}
	return out, nil
}
