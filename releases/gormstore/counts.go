package gormstore

import (
	"context"
	"fmt"

	"github.com/releasebot/releasebot/releases"
)

// Counts for the metrics gauges, read at every scrape: each is one
// aggregate over an index (releases_status_id, deployments_status), never a
// load of rows.

type statusCount struct {
	Status string
	N      int
}

// CountReleases returns how many releases are in each status; statuses
// without releases are absent.
func (s *Store) CountReleases(ctx context.Context) (map[releases.Status]int, error) {
	var rows []statusCount
	err := s.db.WithContext(ctx).Table("releases").Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count releases: %w", err)
	}
	out := make(map[releases.Status]int, len(rows))
	for _, r := range rows {
		out[releases.Status(r.Status)] = r.N
	}
	return out, nil
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
