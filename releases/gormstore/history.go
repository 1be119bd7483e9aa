package gormstore

import (
	"context"
	"fmt"
	"time"

	"github.com/releasebot/releasebot/releases"
)

var _ releases.HistoryReader = (*Store)(nil)

// Outcomes returns the audit events with one of actions in [from, to),
// each with its release: two queries, the first on the (action, at) index.
func (s *Store) Outcomes(ctx context.Context, actions []string, from, to time.Time) ([]releases.Outcome, error) {
	if len(actions) == 0 {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	var events []auditRow
	err := db.Where("action IN ? AND at >= ? AND at < ? AND release_id IS NOT NULL", actions, from.UTC(), to.UTC()).
		Order("at, id").Find(&events).Error
	if err != nil {
		return nil, fmt.Errorf("outcomes: %w", err)
	}
	byID, err := bareReleases(ctx, s, events, func(e auditRow) int64 { return *e.ReleaseID })
	if err != nil {
		return nil, err
	}
	out := make([]releases.Outcome, 0, len(events))
	for _, e := range events {
		out = append(out, releases.Outcome{Release: byID[*e.ReleaseID], Action: e.Action, At: e.At.UTC(), Detail: e.Detail})
	}
	return out, nil
}

// DeploymentFacts returns the deployments (of service, or all) to env that
// finished in [from, to), with only the columns the DORA figures need: one
// query on the (environment, finished_at) index, or (service, environment,
// finished_at), with each release's creation time looked up by its primary
// key, and its count of components in scope by the components' primary
// key. Those lookups are subqueries, not joins: joined, PostgreSQL hashes
// every release of the history (a scan that grows with it) to match a
// month's deployments. Rows are scanned straight into the facts, not
// through gorm's reflection: at tens of thousands of rows that was most of
// the cost.
func (s *Store) DeploymentFacts(ctx context.Context, env, service string, from, to time.Time) ([]releases.DeploymentFact, error) {
	where, args := "d.environment = ? AND d.finished_at >= ? AND d.finished_at < ?", []any{env, from.UTC(), to.UTC()}
	if service != "" {
		where, args = where+" AND d.service = ?", append(args, service)
	}
	return s.facts(ctx, env, where, args)
}

// TrainFacts returns the deployments to env of the releases ids that
// finished before before, as DeploymentFacts: on the (release_id, id)
// index.
func (s *Store) TrainFacts(ctx context.Context, env string, ids []int64, before time.Time) ([]releases.DeploymentFact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.facts(ctx, env, "d.release_id IN ? AND d.environment = ? AND d.finished_at < ?", []any{ids, env, before.UTC()})
}

func (s *Store) facts(ctx context.Context, env, where string, args []any) ([]releases.DeploymentFact, error) {
	q := `SELECT d.id, d.release_id, d.service, d.type, d.status, d.finished_at,
       (SELECT r.created_at FROM releases r WHERE r.id = d.release_id),
       (SELECT COUNT(*) FROM release_components c WHERE c.release_id = d.release_id AND NOT c.descoped)
FROM deployments d
WHERE ` + where + " ORDER BY d.finished_at, d.id"
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("deployments finished in %s: %w", env, err)
	}
	defer rows.Close()
	var out []releases.DeploymentFact
	for rows.Next() {
		var f releases.DeploymentFact
		var typ, status string
		if err := rows.Scan(&f.ID, &f.ReleaseID, &f.Service, &typ, &status, &f.FinishedAt, &f.ReleaseCreatedAt, &f.Components); err != nil {
			return nil, fmt.Errorf("deployments finished in %s: %w", env, err)
		}
		f.Type, f.Status = releases.DeploymentType(typ), releases.DeploymentStatus(status)
		f.FinishedAt, f.ReleaseCreatedAt = f.FinishedAt.UTC(), f.ReleaseCreatedAt.UTC()
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("deployments finished in %s: %w", env, err)
	}
	return out, nil
}

// bareReleases loads, in two queries, the releases (with their
// components, without sign-offs and deployments) that items refer to.
func bareReleases[T any](ctx context.Context, s *Store, items []T, id func(T) int64) (map[int64]releases.Release, error) {
	out := map[int64]releases.Release{}
	if len(items) == 0 {
		return out, nil
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, it := range items {
		if i := id(it); !seen[i] {
			seen[i] = true
			ids = append(ids, i)
		}
	}
	var rows []releaseRow
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load releases: %w", err)
	}
	for _, row := range rows {
		r, err := row.release()
		if err != nil {
			return nil, fmt.Errorf("decode release %d: %w", row.ID, err)
		}
		out[r.ID] = r
	}
	// Components too, so that a train reads as one ("checkout-q3: …"),
	// not as its first service.
	var components []componentRow
	if err := s.db.WithContext(ctx).Where("release_id IN ?", ids).Order("release_id, position").Find(&components).Error; err != nil {
		return nil, fmt.Errorf("load components: %w", err)
	}
	loaded := map[int64]bool{}
	for _, c := range components {
		r, ok := out[c.ReleaseID]
		if !ok {
			continue
		}
		if !loaded[c.ReleaseID] {
			loaded[c.ReleaseID], r.Components = true, nil
		}
		r.Components = append(r.Components, c.component())
		out[c.ReleaseID] = r
	}
	return out, nil
}
