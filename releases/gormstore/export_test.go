package gormstore

import "context"

// CountReleasesPlan returns the database's plan of CountReleases's
// statement: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's EXPLAIN
// (ANALYZE, FORMAT JSON) document.
func (s *Store) CountReleasesPlan(ctx context.Context) ([]string, error) {
	q, args := countReleasesQuery()
	prefix := "EXPLAIN QUERY PLAN "
	if s.dialect == "postgres" {
		prefix = "EXPLAIN (ANALYZE, FORMAT JSON) "
	}
	rows, err := s.db.WithContext(ctx).Raw(prefix+q, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		var detail string
		for i := range vals {
			vals[i] = new(any)
		}
		vals[len(vals)-1] = &detail
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}
