package gormstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases"
)

var (
	_ releases.OutboxStore = (*Store)(nil)
	_ releases.EventClaims = (*Store)(nil)
)

type outboxRow struct {
	ID            int64 `gorm:"primaryKey"`
	ReleaseID     *int64
	Op            string
	DedupeKey     *string
	Team          string
	Channel       string
	Body          string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	ClaimedUntil  *time.Time
	LastError     string
	CreatedAt     time.Time `gorm:"autoCreateTime:false"`
	SentAt        *time.Time
	MaybeSent     bool
	Creator       string // of the release (migration 00009): paced channels serve creators in turn
}

func (outboxRow) TableName() string { return "chat_outbox" }

func (row outboxRow) entry() releases.OutboxEntry {
	e := releases.OutboxEntry{ID: row.ID, Op: releases.OutboxOp(row.Op), Team: row.Team,
		Channel: row.Channel, Body: row.Body, Status: row.Status, Attempts: row.Attempts,
		NextAttemptAt: row.NextAttemptAt.UTC(), LastError: row.LastError, CreatedAt: row.CreatedAt.UTC(),
		MaybeSent: row.MaybeSent, Creator: row.Creator}
	if row.ReleaseID != nil {
		e.ReleaseID = *row.ReleaseID
	}
	if row.DedupeKey != nil {
		e.DedupeKey = *row.DedupeKey
	}
	return e
}

func toOutboxRow(e releases.OutboxEntry) outboxRow {
	row := outboxRow{Op: string(e.Op), Team: e.Team, Channel: e.Channel, Body: e.Body,
		Status: releases.OutboxPending, NextAttemptAt: e.NextAttemptAt.UTC(), CreatedAt: e.CreatedAt.UTC(), Creator: e.Creator}
	if e.ReleaseID != 0 {
		id := e.ReleaseID
		row.ReleaseID = &id
	}
	if e.DedupeKey != "" {
		key := e.DedupeKey
		row.DedupeKey = &key
	}
	return row
}

type slackEventRow struct {
	EventID      string `gorm:"primaryKey"`
	Status       string
	ClaimedUntil time.Time
	ReceivedAt   time.Time
}

func (slackEventRow) TableName() string { return "slack_events" }

// relayLock names the advisory lock that makes relays take turns.
const relayLock = 0x72656c6179 // "relay"

// Relay runs fn alone across replicas, in one transaction.
func (s *Store) Relay(ctx context.Context, fn func(releases.RelayTx) error) error {
	if s.dialect == migrations.SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		if s.dialect == migrations.Postgres {
			if err := db.Exec("SELECT pg_advisory_xact_lock(?)", relayLock).Error; err != nil {
				return fmt.Errorf("relay lock: %w", err)
			}
		}
		return fn(relayTx{reader{db}})
	})
}

type relayTx struct{ reader }

// UnrelayedEvents locks the events it returns, in id order, until the
// relay's transaction ends, as a sealer (Seal) locks the events it seals:
// a relay that locked them only when marking them relayed, in whatever
// order the UPDATE met them, and a sealer could each hold an event the
// other waited for, and PostgreSQL ended one of them after a second
// (deadlock_timeout).
func (t relayTx) UnrelayedEvents(ctx context.Context, limit int) ([]releases.AuditEvent, error) {
	var rows []auditRow
	q := t.db.WithContext(ctx).Clauses(clause.Locking{Strength: "NO KEY UPDATE"})
	if err := q.Where("relayed_at IS NULL").Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("unrelayed events: %w", err)
	}
	out := make([]releases.AuditEvent, len(rows))
	for i, row := range rows {
		out[i] = row.event()
	}
	return out, nil
}

func (t relayTx) ReleasesByID(ctx context.Context, ids []int64) (map[int64]*releases.Release, error) {
	out := make(map[int64]*releases.Release, len(ids))
	for len(ids) > 0 {
		batch := ids[:min(len(ids), childBatch)]
		ids = ids[len(batch):]
		var rows []releaseRow
		if err := t.db.WithContext(ctx).Where("id IN ?", batch).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("load releases: %w", err)
		}
		rs, err := t.withChildren(ctx, rows)
		if err != nil {
			return nil, err
		}
		for i := range rs {
			out[rs[i].ID] = &rs[i]
		}
	}
	return out, nil
}

func (t relayTx) Enqueue(ctx context.Context, entries []releases.OutboxEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return enqueue(t.db.WithContext(ctx), entries)
}

// enqueue inserts entries, dropping those whose dedupe key is taken. Ids
// ascend in the entries' order, which is the order a release's queue is
// sent in. On PostgreSQL that is one statement whose text is the same for
// any number of entries (enqueuePostgres); elsewhere one multi-row INSERT
// per enqueueBatch entries.
func enqueue(db *gorm.DB, entries []releases.OutboxEntry) error {
	if db.Dialector.Name() == "postgres" {
		return enqueuePostgres(db, entries)
	}
	rows := make([]outboxRow, len(entries))
	for i, e := range entries {
		rows[i] = toOutboxRow(e)
	}
	// The ids returned are not read: with dropped rows they would not line
	// up with the entries.
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, enqueueBatch).Error; err != nil {
		return fmt.Errorf("enqueue chat messages: %w", err)
	}
	return nil
}

// queuedJSON is one entry as enqueuePostgres hands it to the database.
type queuedJSON struct {
	ReleaseID     *int64    `json:"release_id"`
	Op            string    `json:"op"`
	DedupeKey     *string   `json:"dedupe_key"`
	Team          string    `json:"team"`
	Channel       string    `json:"channel"`
	Body          string    `json:"body"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	CreatedAt     time.Time `json:"created_at"`
	Creator       string    `json:"creator"`
}

// enqueueSQL inserts the entries of a JSON array of queuedJSON, in the
// array's order, pending. One text for any batch: gorm's multi-row INSERT
// was a statement of its own for each batch size, built by reflection
// and planned anew by the database, a tenth of the relay's CPU.
const enqueueSQL = `INSERT INTO chat_outbox (release_id, op, dedupe_key, team, channel, body, status, next_attempt_at, created_at, creator)
SELECT release_id, op, dedupe_key, team, channel, body, '` + releases.OutboxPending + `', next_attempt_at, created_at, creator
FROM ROWS FROM (jsonb_to_recordset(?::jsonb) AS (release_id bigint, op text, dedupe_key text, team text, channel text, body text,
 next_attempt_at timestamptz, created_at timestamptz, creator text)) WITH ORDINALITY AS v
ORDER BY v.ordinality
ON CONFLICT DO NOTHING`

func enqueuePostgres(db *gorm.DB, entries []releases.OutboxEntry) error {
	rows := make([]queuedJSON, len(entries))
	for i, e := range entries {
		o := toOutboxRow(e)
		// As pgx writes a timestamptz: to the microsecond, truncated.
		rows[i] = queuedJSON{ReleaseID: o.ReleaseID, Op: o.Op, DedupeKey: o.DedupeKey, Team: o.Team, Channel: o.Channel, Body: o.Body,
			NextAttemptAt: o.NextAttemptAt.Truncate(time.Microsecond), CreatedAt: o.CreatedAt.Truncate(time.Microsecond), Creator: o.Creator}
	}
	arg, err := json.Marshal(rows)
	if err == nil {
		err = db.Exec(enqueueSQL, string(arg)).Error
	}
	if err != nil {
		return fmt.Errorf("enqueue chat messages: %w", err)
	}
	return nil
}

// enqueueBatch bounds the rows of one INSERT, well within SQLite's and
// PostgreSQL's limits on a statement's variables.
const enqueueBatch = 200

// EnqueueOnce adds entries outside a relay, once per dedupe key.
func (s *Store) EnqueueOnce(ctx context.Context, entries []releases.OutboxEntry) error {
	return s.Tx(ctx, func(rtx releases.Tx) error { return enqueue(rtx.(*tx).db.WithContext(ctx), entries) })
}

func (t relayTx) MarkRelayed(ctx context.Context, ids []int64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := t.db.WithContext(ctx).Model(&auditRow{}).Where("id IN ?", ids).Update("relayed_at", at.UTC()).Error
	if err != nil {
		return fmt.Errorf("mark events relayed: %w", err)
	}
	return nil
}

// ClaimOutbox leases the due head entry of each release's queue.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int, pace time.Duration) ([]releases.OutboxEntry, error) {
	db := s.db.WithContext(ctx)
	due := func() *gorm.DB { return dueHeads(db, now) }
	var ids []int64
	if pace <= 0 {
		if err := firstDueHeads(db, now, limit).Pluck("id", &ids).Error; err != nil {
			return nil, fmt.Errorf("due chat messages: %w", err)
		}
	} else {
		// Updates in place (and new messages with no channel) are not paced.
		err := due().Where("NOT (op IN ? AND channel <> '')", releases.NewMessageOps).Order("id").Limit(limit).Pluck("id", &ids).Error
		if err != nil {
			return nil, fmt.Errorf("due chat messages: %w", err)
		}
		picks, err := s.pacedPicks(ctx, due, now)
		if err != nil {
			return nil, err
		}
		ids = append(ids, picks...)
		slices.Sort(ids)
		ids = ids[:min(len(ids), limit)]
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// Compare-and-set in one statement: only one sender wins each entry (a
	// racing sender's UPDATE finds the row claimed and skips it), and the
	// won rows come back as they are now ours. A claim that lapsed
	// unfinished (claimed_until still set: finishing and retrying clear it)
	// means its sender died, perhaps after chat took the message: remember
	// that, for this and every later attempt.
	var claimed []outboxRow
	q := db
	if s.dialect == migrations.Postgres {
		// One statement is atomic alone: gorm's transaction around it
		// would add BEGIN and COMMIT, two more round trips per claim.
		q = db.Session(&gorm.Session{SkipDefaultTransaction: true})
	}
	err := q.Model(&claimed).Clauses(clause.Returning{}).
		Where("id IN ? AND status = ? AND (claimed_until IS NULL OR claimed_until < ?)", ids, releases.OutboxPending, now.UTC()).
		Updates(map[string]any{"claimed_until": now.Add(lease).UTC(), "maybe_sent": gorm.Expr("maybe_sent OR claimed_until IS NOT NULL")}).Error
	if err != nil {
		return nil, fmt.Errorf("claim chat messages: %w", err)
	}
	slices.SortFunc(claimed, func(a, b outboxRow) int { return cmp.Compare(a.ID, b.ID) })
	out := make([]releases.OutboxEntry, len(claimed))
	for i, row := range claimed {
		out[i] = row.entry()
	}
	return out, nil
}

// pendingHead selects the pending entries that head their queues. The
// oldest pending entry of each release and team is its queue's head: a
// release's card and thread in order, and each team's request and its
// updates in order, but a request need not wait for the card; entries of
// no release queue by team. Asked of each entry (no older pending one in
// its queue, found through chat_outbox_pending) rather than by grouping
// every pending entry by queue, a claim walks the pending entries in id
// order (chat_outbox_pending_id, 00020) and stops at the first heads it
// can take: under a backlog, grouping read all of it for every claim.
// The status is written out, not a parameter, so that both databases see
// the indexes' condition in it.
const pendingHead = `chat_outbox.status = '` + releases.OutboxPending + `'
 AND (chat_outbox.release_id IS NULL OR NOT EXISTS (SELECT 1 FROM chat_outbox AS older WHERE older.status = '` + releases.OutboxPending + `'
  AND older.release_id = chat_outbox.release_id AND older.team = chat_outbox.team AND older.id < chat_outbox.id))
 AND (chat_outbox.release_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM chat_outbox AS older WHERE older.status = '` + releases.OutboxPending + `'
  AND older.release_id IS NULL AND older.team = chat_outbox.team AND older.id < chat_outbox.id))`

// dueHeads selects the heads due at now and not claimed.
func dueHeads(db *gorm.DB, now time.Time) *gorm.DB {
	return db.Model(&outboxRow{}).Where(pendingHead).Where("next_attempt_at <= ?", now.UTC()).
		Where("claimed_until IS NULL OR claimed_until < ?", now.UTC())
}

// firstDueHeads selects the oldest limit of dueHeads: what an unpaced
// claim takes.
func firstDueHeads(db *gorm.DB, now time.Time, limit int) *gorm.DB {
	return dueHeads(db, now).Order("id").Limit(limit)
}

// maxPacedCandidates bounds the (channel, creator) pairs one claim weighs.
const maxPacedCandidates = 1000

// pacedPicks chooses, for each channel whose turn has come, the one new
// message to hand out: the oldest due head of the creator who had a new
// message there least recently (never counts as longest ago; ties go to
// the older entry). So creators take turns in a busy channel, and one
// person's backlog of twenty releases delays another's sign-off request
// by one turn, not twenty.
func (s *Store) pacedPicks(ctx context.Context, due func() *gorm.DB, now time.Time) ([]int64, error) {
	type candidate struct {
		Channel string
		Creator string
		ID      int64
	}
	var cands []candidate
	err := due().Select("channel, creator, MIN(id) AS id").
		Where("op IN ? AND channel <> ''", releases.NewMessageOps).
		Where("channel NOT IN (SELECT channel FROM chat_pacing WHERE next_at > ?)", now.UTC()).
		Group("channel, creator").Order("MIN(id)").Limit(maxPacedCandidates).Scan(&cands).Error
	if err != nil {
		return nil, fmt.Errorf("due new chat messages: %w", err)
	}
	if len(cands) == 0 {
		return nil, nil
	}
	multi := map[string]int{} // channels where creators compete
	for _, c := range cands {
		multi[c.Channel]++
	}
	var channels, creators []string
	for _, c := range cands {
		if multi[c.Channel] > 1 {
			channels, creators = append(channels, c.Channel), append(creators, c.Creator)
		}
	}
	served := map[[2]string]time.Time{}
	if len(channels) > 0 {
		var turns []turnRow
		err := s.db.WithContext(ctx).Where("channel IN ? AND creator IN ?", uniq(channels), uniq(creators)).Find(&turns).Error
		if err != nil {
			return nil, fmt.Errorf("turns of creators: %w", err)
		}
		for _, tr := range turns {
			served[[2]string{tr.Channel, tr.Creator}] = tr.ServedAt
		}
	}
	best := map[string]candidate{}
	var order []string
	for _, c := range cands { // by id: the first of equals wins
		b, seen := best[c.Channel]
		if !seen {
			order = append(order, c.Channel)
		}
		if !seen || served[[2]string{c.Channel, c.Creator}].Before(served[[2]string{b.Channel, b.Creator}]) {
			best[c.Channel] = c
		}
	}
	picks := make([]int64, len(order))
	for i, ch := range order {
		picks[i] = best[ch].ID
	}
	return picks, nil
}

func uniq(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// turnRow is when a creator last had a new message in a channel.
type turnRow struct {
	Channel  string `gorm:"primaryKey"`
	Creator  string `gorm:"primaryKey"`
	ServedAt time.Time
}

func (turnRow) TableName() string { return "chat_turns" }

// TakeTurn takes channel's turn to have a new message, if it has come by
// now, and holds the channel until now+hold (EndTurn ends the hold). One
// statement, so that of senders racing for a turn exactly one wins, and
// nothing else between the turn and the post it allows.
func (s *Store) TakeTurn(ctx context.Context, channel string, now time.Time, hold time.Duration) (bool, time.Time, error) {
	db := s.db.WithContext(ctx)
	res := db.Exec(`INSERT INTO chat_pacing (channel, next_at) VALUES (?, ?)
		ON CONFLICT (channel) DO UPDATE SET next_at = excluded.next_at WHERE chat_pacing.next_at <= ?`,
		channel, now.Add(hold).UTC(), now.UTC())
	if res.Error != nil {
		return false, time.Time{}, fmt.Errorf("take a turn in %s: %w", channel, res.Error)
	}
	if res.RowsAffected == 1 {
		return true, time.Time{}, nil
	}
	var next time.Time
	if err := db.Raw("SELECT next_at FROM chat_pacing WHERE channel = ?", channel).Scan(&next).Error; err != nil {
		return false, time.Time{}, fmt.Errorf("next turn in %s: %w", channel, err)
	}
	return false, next, nil
}

// EndTurn sets when channel's next turn comes, and records whose turn it
// was. It is written after the post, outside the window between a turn
// and its post, and only when channels are paced.
func (s *Store) EndTurn(ctx context.Context, channel string, next time.Time, turn releases.Turn) error {
	db := s.db.WithContext(ctx)
	if err := db.Exec("UPDATE chat_pacing SET next_at = ? WHERE channel = ?", next.UTC(), channel).Error; err != nil {
		return fmt.Errorf("end the turn in %s: %w", channel, err)
	}
	err := db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "channel"}, {Name: "creator"}},
		DoUpdates: clause.AssignmentColumns([]string{"served_at"}),
	}).Create(&turnRow{Channel: turn.Channel, Creator: turn.Creator, ServedAt: turn.At.UTC()}).Error
	if err != nil {
		return fmt.Errorf("record the turn of %s in %s: %w", turn.Creator, turn.Channel, err)
	}
	return nil
}

// FinishOutbox records an entry's end and, for a post, where it went.
func (s *Store) FinishOutbox(ctx context.Context, id int64, status string, at time.Time, post *releases.Post) error {
	return s.FinishOutboxes(ctx, []releases.OutboxFinish{{ID: id, Status: status, At: at, Post: post}})
}

// FinishOutboxes records entries' ends and, for posts, where they went,
// in one transaction.
func (s *Store) FinishOutboxes(ctx context.Context, ends []releases.OutboxFinish) error {
	if len(ends) == 0 {
		return nil
	}
	if s.dialect == migrations.Postgres {
		return s.finishPostgres(ctx, ends)
	}
	s.writeMu.Lock() // as Tx: cheaper than SQLite's busy-retry loop
	defer s.writeMu.Unlock()
	return s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		var posts []postRow
		for _, e := range ends {
			if p := e.Post; p != nil {
				posts = append(posts, postRow{Channel: p.Channel, TS: p.TS, ReleaseID: p.ReleaseID, Kind: string(p.Kind), Team: p.Team, CreatedAt: p.At.UTC()})
			}
		}
		if len(posts) > 0 {
			if err := db.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(posts, enqueueBatch).Error; err != nil {
				return fmt.Errorf("save posts: %w", err)
			}
		}
		for _, e := range ends {
			set := map[string]any{"status": e.Status, "sent_at": e.At.UTC(), "claimed_until": nil}
			if err := db.Model(&outboxRow{}).Where("id = ?", e.ID).Updates(set).Error; err != nil {
				return fmt.Errorf("finish chat message %d: %w", e.ID, err)
			}
		}
		return nil
	})
}

// finishedJSON is one end as finishPostgres hands it to the database.
type finishedJSON struct {
	ID        int64      `json:"id"`
	Status    string     `json:"status"`
	At        time.Time  `json:"at"`
	TS        *string    `json:"ts"` // null: no post
	Channel   string     `json:"channel"`
	ReleaseID int64      `json:"release_id"`
	Kind      string     `json:"kind"`
	Team      string     `json:"team"`
	PostedAt  *time.Time `json:"posted_at"`
}

// finishSQL finishes the entries of a JSON array of finishedJSON and
// records their posts, in one statement whose text is the same for any
// number of entries: one prepared statement, however the batches vary.
const finishSQL = `WITH v AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS v(id bigint, status text, at timestamptz,
 ts text, channel text, release_id bigint, kind text, team text, posted_at timestamptz)),
p AS (INSERT INTO messages (channel, ts, release_id, kind, team, created_at)
 SELECT channel, ts, release_id, kind, team, posted_at FROM v WHERE ts IS NOT NULL ON CONFLICT DO NOTHING)
UPDATE chat_outbox SET status = v.status, sent_at = v.at, claimed_until = NULL FROM v WHERE chat_outbox.id = v.id`

func (s *Store) finishPostgres(ctx context.Context, ends []releases.OutboxFinish) error {
	rows := make([]finishedJSON, len(ends))
	for i, e := range ends {
		// As pgx writes a timestamptz: to the microsecond, truncated.
		rows[i] = finishedJSON{ID: e.ID, Status: e.Status, At: e.At.UTC().Truncate(time.Microsecond)}
		if p := e.Post; p != nil {
			ts, at := p.TS, p.At.UTC().Truncate(time.Microsecond)
			rows[i].TS, rows[i].Channel, rows[i].ReleaseID, rows[i].Kind, rows[i].Team, rows[i].PostedAt = &ts, p.Channel, p.ReleaseID, string(p.Kind), p.Team, &at
		}
	}
	arg, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("finish chat messages: %w", err)
	}
	// Committed without waiting for the disk: a finish lost to a database
	// crash is a sender that died after chat took the message — its claim
	// lapses (the claim waited for the disk, and with it everything
	// before), the next attempt is MaybeSent and finds the message instead
	// of posting it again. So the sender does not wait for a WAL flush per
	// batch of messages. The posts and the entries go in one statement.
	return s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		if err := db.Exec("SET LOCAL synchronous_commit TO OFF").Error; err != nil {
			return fmt.Errorf("finish chat messages: %w", err)
		}
		if err := db.Exec(finishSQL, string(arg)).Error; err != nil {
			return fmt.Errorf("finish chat messages %d…: %w", ends[0].ID, err)
		}
		return nil
	})
}

// RetryOutbox releases an entry to be tried again at next.
func (s *Store) RetryOutbox(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, maybeSent bool) error {
	set := map[string]any{"attempts": attempts, "next_attempt_at": next.UTC(), "last_error": lastErr, "claimed_until": nil}
	if maybeSent {
		set["maybe_sent"] = true
	}
	err := s.db.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", id).Updates(set).Error
	if err != nil {
		return fmt.Errorf("retry chat message %d: %w", id, err)
	}
	return nil
}

// NewerUpdate reports whether a later pending entry replaces the same
// message as e.
func (s *Store) NewerUpdate(ctx context.Context, e releases.OutboxEntry) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&outboxRow{}).Where("release_id = ? AND op = ? AND team = ? AND status = ? AND id > ?",
		e.ReleaseID, string(e.Op), e.Team, releases.OutboxPending, e.ID).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("newer update: %w", err)
	}
	return n > 0, nil
}

// PendingOutbox counts entries not yet sent.
func (s *Store) PendingOutbox(ctx context.Context) (int, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&outboxRow{}).Where("status = ?", releases.OutboxPending).Count(&n).Error
	return int(n), err
}

// ClaimEvent reports whether event id should be processed now.
func (s *Store) ClaimEvent(ctx context.Context, id string, now time.Time, lease time.Duration) (bool, error) {
	db := s.db.WithContext(ctx)
	row := slackEventRow{EventID: id, Status: "processing", ClaimedUntil: now.Add(lease).UTC(), ReceivedAt: now.UTC()}
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("claim event: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	// Seen before: take it over only if its processing died.
	res = db.Model(&slackEventRow{}).Where("event_id = ? AND status = ? AND claimed_until < ?", id, "processing", now.UTC()).
		Update("claimed_until", now.Add(lease).UTC())
	if res.Error != nil {
		return false, fmt.Errorf("claim event: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	var seen slackEventRow
	err := db.Where("event_id = ?", id).Take(&seen).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return false, releases.ErrBusy // released between our two statements: try again
	case err != nil:
		return false, fmt.Errorf("claim event: %w", err)
	case seen.Status == "done":
		return false, nil
	}
	return false, releases.ErrBusy
}

// FinishEvent records that event id was processed.
func (s *Store) FinishEvent(ctx context.Context, id string) error {
	err := s.db.WithContext(ctx).Model(&slackEventRow{}).Where("event_id = ?", id).Update("status", "done").Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("finish event: %w", err)
	}
	return nil
}

// ReleaseEvent gives up an unfinished claim on event id.
func (s *Store) ReleaseEvent(ctx context.Context, id string) error {
	err := s.db.WithContext(ctx).Where("event_id = ? AND status = ?", id, "processing").Delete(&slackEventRow{}).Error
	if err != nil {
		return fmt.Errorf("release event: %w", err)
	}
	return nil
}

// PostInFlight reports whether a card or sign-off request is being posted
// to channel right now: a reaction on a message we don't know yet may be
// on it, and should be retried rather than ignored.
func (s *Store) PostInFlight(ctx context.Context, channel string, now time.Time) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&outboxRow{}).
		Where("status = ? AND channel = ? AND op IN ? AND claimed_until >= ?", releases.OutboxPending, channel,
			[]string{string(releases.OpPostCard), string(releases.OpPostRequest)}, now.UTC()).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("posts in flight: %w", err)
	}
	return n > 0, nil
}
