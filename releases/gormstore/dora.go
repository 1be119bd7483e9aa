package gormstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
)

// DORA spans (migration 00018): the kept parts of spans (hours to 16
// days, releases.DORASpanLengths) of an environment's deployments, which releases.ReadDORA reads and keeps.
// Every transaction that changes a finished deployment moves the
// generation of the spans it touches on (flushDORA), in the same
// transaction; ReadDORA reads the generations before the deployments it
// computes a span from, and KeepDORASpans stores data only for the
// generation it read. A change that commits in between leaves the data
// stale, never wrong.

// spanKey is a span row's key within one environment.
type spanKey struct {
	seconds int64
	start   int64 // Unix seconds
}

func byKeyOrder(a, b spanKey) int {
	return cmp.Or(cmp.Compare(a.seconds, b.seconds), cmp.Compare(a.start, b.start))
}

// DORASpans returns those of env's spans refs that have a row: primary
// key lookups, at most 500 a statement.
func (s *Store) DORASpans(ctx context.Context, env string, refs []releases.SpanRef) ([]releases.KeptSpan, error) {
	var out []releases.KeptSpan
	for chunk := range slices.Chunk(refs, 500) {
		var q strings.Builder
		args := make([]any, 0, 1+2*len(chunk))
		args = append(args, env)
		q.WriteString("SELECT span_seconds, span_start, gen, data_gen, data FROM dora_spans WHERE environment = ? AND (")
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(" OR ")
			}
			q.WriteString("(span_seconds = ? AND span_start = ?)")
			args = append(args, int64(r.Length/time.Second), r.Start.Unix())
		}
		q.WriteString(")")
		rows, err := s.db.WithContext(ctx).Raw(q.String(), args...).Rows()
		if err != nil {
			return nil, fmt.Errorf("DORA spans of %s: %w", env, err)
		}
		for rows.Next() {
			var secs, start, gen, dataGen int64
			var data []byte
			if err := rows.Scan(&secs, &start, &gen, &dataGen, &data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("DORA spans of %s: %w", env, err)
			}
			k := releases.KeptSpan{Start: time.Unix(start, 0).UTC(), Length: time.Duration(secs) * time.Second, Gen: gen}
			if dataGen == gen && data != nil {
				k.Data = data
			}
			out = append(out, k)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("DORA spans of %s: %w", env, err)
		}
	}
	return out, nil
}

// KeepDORASpans stores each span's data for the generation it was read
// at: inserted if the span has no row yet, updated only if its generation
// is still that one.
func (s *Store) KeepDORASpans(ctx context.Context, env string, spans []releases.KeptSpan) error {
	spans = slices.Clone(spans)
	key := func(k releases.KeptSpan) spanKey { return spanKey{int64(k.Length / time.Second), k.Start.Unix()} }
	slices.SortFunc(spans, func(a, b releases.KeptSpan) int { return byKeyOrder(key(a), key(b)) }) // lock order, as flushDORA
	if s.dialect == migrations.SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	db := s.db.WithContext(ctx)
	for chunk := range slices.Chunk(spans, 500) {
		args := make([]any, 0, 6*len(chunk))
		for _, k := range chunk {
			sk := key(k)
			args = append(args, env, sk.seconds, sk.start, k.Gen, k.Gen, k.Data)
		}
		q := upsertSpans("gen, data_gen, data", "?, ?, ?", len(chunk),
			"data = excluded.data, data_gen = excluded.data_gen WHERE dora_spans.gen = excluded.data_gen")
		if err := db.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("keep DORA spans of %s: %w", env, err)
		}
	}
	return nil
}

// touch notes that release's finished deployments in env ("" for every
// environment) changed.
func (t *tx) touch(releaseID int64, env string) {
	t.touched = append(t.touched, touch{releaseID, env})
}

type touch struct {
	release int64
	env     string
}

// flushDORA moves on the generation of every span that holds a finished
// deployment of a touched release, and drops their data: a change to one
// deployment of a train changes what the train's other deployments count
// as. It runs last in the transaction, as one read on the (release_id,
// id) index and one write whose rows are locked in one order: the locks
// are held only until the commit, and transactions taking them cannot
// deadlock on one another.
func (t *tx) flushDORA(ctx context.Context) error {
	if len(t.touched) == 0 {
		return nil
	}
	envs := map[int64][]string{}
	var ids []int64
	for _, x := range t.touched {
		if _, ok := envs[x.release]; !ok {
			ids = append(ids, x.release)
		}
		envs[x.release] = append(envs[x.release], x.env)
	}
	t.touched = nil
	var rows []struct {
		ReleaseID   int64
		Environment string
		FinishedAt  time.Time
	}
	for chunk := range slices.Chunk(ids, touchChunk) { // a bulk write may touch thousands
		var some []struct {
			ReleaseID   int64
			Environment string
			FinishedAt  time.Time
		}
		err := t.db.WithContext(ctx).Model(&deploymentRow{}).Select("release_id, environment, finished_at").
			Where("release_id IN ? AND finished_at IS NOT NULL", chunk).Find(&some).Error
		if err != nil {
			return fmt.Errorf("DORA spans of %d releases: %w", len(ids), err)
		}
		rows = append(rows, some...)
	}
	type envKey struct {
		env string
		spanKey
	}
	seen := map[envKey]bool{}
	var keys []envKey
	for _, r := range rows {
		if es := envs[r.ReleaseID]; !slices.Contains(es, "") && !slices.Contains(es, r.Environment) {
			continue
		}
		for _, l := range releases.DORASpanLengths {
			k := envKey{r.Environment, spanKey{int64(l / time.Second), r.FinishedAt.Truncate(l).Unix()}}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b envKey) int { return cmp.Or(strings.Compare(a.env, b.env), byKeyOrder(a.spanKey, b.spanKey)) })
	for chunk := range slices.Chunk(keys, touchChunk) { // in order: chunks lock in the same order
		args := make([]any, 0, 3*len(chunk))
		for _, k := range chunk {
			args = append(args, k.env, k.seconds, k.start)
		}
		q := upsertSpans("gen", "1", len(chunk), "gen = dora_spans.gen + 1, data_gen = -1, data = NULL")
		if err := t.db.WithContext(ctx).Exec(q, args...).Error; err != nil {
			return fmt.Errorf("DORA spans of %d releases: %w", len(ids), err)
		}
	}
	return nil
}

// touchChunk bounds the parameters of flushDORA's statements (PostgreSQL
// takes 65,535 at most, SQLite 32,766).
var touchChunk = 2000

// upsertSpans is an INSERT of n span rows — each (environment,
// span_seconds, span_start, then cols as values) — that on a row already
// there does set instead.
func upsertSpans(cols, values string, n int, set string) string {
	var q strings.Builder
	q.WriteString("INSERT INTO dora_spans (environment, span_seconds, span_start, " + cols + ") VALUES ")
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, " + values + ")")
	}
	q.WriteString(" ON CONFLICT (environment, span_seconds, span_start) DO UPDATE SET " + set)
	return q.String()
}

// ForgetDORASpans deletes the spans that start before before: a window
// reads the last month only. The table is small (about 1,200 spans a
// month and environment), so the scan is too.
func (s *Store) ForgetDORASpans(ctx context.Context, before time.Time) error {
	if s.dialect == migrations.SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	if err := s.db.WithContext(ctx).Exec("DELETE FROM dora_spans WHERE span_start < ?", before.Unix()).Error; err != nil {
		return fmt.Errorf("forget DORA spans: %w", err)
	}
	return nil
}
