package gormstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/releasebot/releasebot/releases"
)

// createBatcher shares statements between the creates that arrive while
// others are being written: PostgreSQL's group commit, one level up. A
// create that finds fewer than createsInFlight statements under way is
// written at once, alone, so a quiet bot waits for nothing; the creates
// that arrive meanwhile queue, and when a statement returns, the first of
// them writes the queue (up to createsPerBatch) in one statement and one
// commit. Under a burst of commands that costs the database a fraction of
// one statement per create.
//
// A batch is all or nothing, so one create must not fail the others: when
// the database refuses a batch (a duplicate release, or any error it
// reports, which leaves nothing written), each of its creates is written
// again alone and gets its own answer. An error without the database's
// word (a lost connection) may have come after the commit, so it is
// everyone's answer rather than a reason to write twice.
type createBatcher struct {
	mu      sync.Mutex
	queue   []*pendingCreate
	running int // statements under way, or held by a queued create about to write
}

const (
	// createsInFlight bounds the create statements under way at once: two
	// keep both a database core and the other busy; more would only
	// split the queue into smaller batches.
	createsInFlight = 2
	// createsPerBatch bounds one statement: about 30 parameters each.
	createsPerBatch = 16
)

// pendingCreate is a create waiting in the queue.
type pendingCreate struct {
	ctx   context.Context
	c     *create
	wake  chan wakeup // one at a time, buffered
	batch []*pendingCreate
	err   error
}

type wakeup int

const (
	wakeDone  wakeup = iota // written (or failed): err holds the answer
	wakeLead                // write batch, then hand on
	wakeAlone               // the batch was refused: write this create alone
)

// write writes c, alone or with others, and returns its own answer.
func (b *createBatcher) write(ctx context.Context, db *gorm.DB, c *create) error {
	me := &pendingCreate{ctx: ctx, c: c, wake: make(chan wakeup, 1)}
	b.mu.Lock()
	if b.running < createsInFlight {
		b.running++
		b.mu.Unlock()
		b.lead(db, []*pendingCreate{me})
		return me.err
	}
	b.queue = append(b.queue, me)
	b.mu.Unlock()
	// No waiting on ctx here: a create in a batch under way may already
	// be written, and its answer must say so. The queue moves as fast as
	// the statements before it.
	switch <-me.wake {
	case wakeLead:
		b.lead(db, me.batch)
	case wakeAlone:
		me.err = writeCreates(db.WithContext(ctx), me.single())
	}
	return me.err
}

// single is the create alone, as writeCreates takes it.
func (p *pendingCreate) single() []*create { return []*create{p.c} }

// lead writes batch, whose first create is the caller's, hands the
// statement slot on to the queue, and wakes the others with their
// answers.
func (b *createBatcher) lead(db *gorm.DB, batch []*pendingCreate) {
	live := batch[:0:0]
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil { // its command gave up before it was written
			p.err = err
			continue
		}
		live = append(live, p)
	}
	var err error
	if len(live) > 0 {
		ctx, cancel := batchContext(live)
		cs := make([]*create, len(live))
		for i, p := range live {
			cs[i] = p.c
		}
		err = writeShared(db.WithContext(ctx), cs)
		cancel()
	}
	b.handOn()
	// A batch the database refused wrote nothing: each of its creates is
	// written again alone, for its own answer.
	var pgErr *pgconn.PgError
	alone := len(live) > 1 && (errors.Is(err, releases.ErrDuplicate) || errors.As(err, &pgErr))
	me := batch[0]
	for _, p := range batch {
		written := slices.Contains(live, p) // else p.err is its context's
		switch {
		case written && alone && p != me:
			p.wake <- wakeAlone
			continue
		case written && !alone:
			p.err = err
		}
		if p != me {
			p.wake <- wakeDone
		}
	}
	if alone && slices.Contains(live, me) {
		me.err = writeCreates(db.WithContext(me.ctx), me.single())
	}
}

// writeShared is writeCreates for a batch, whose creates' commands all
// wait on it: a panic is their error, not the end of the slot, which
// would leave every later create queued for good.
func writeShared(db *gorm.DB, cs []*create) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("insert releases: panic: %v\n%s", p, debug.Stack())
		}
	}()
	return writeCreates(db, cs)
}

// handOn gives the statement slot of a batch that returned to the first
// create of the queue, with the queue's first createsPerBatch as its
// batch, or frees it.
func (b *createBatcher) handOn() {
	b.mu.Lock()
	if len(b.queue) == 0 {
		b.running--
		b.mu.Unlock()
		return
	}
	n := min(len(b.queue), createsPerBatch)
	next := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.mu.Unlock()
	next[0].batch = next
	next[0].wake <- wakeLead
}

// batchContext is the context of a statement for several commands: not
// cancelled by any one of them (the others still want their releases),
// bounded by the latest of their deadlines. A create alone keeps its own.
func batchContext(ps []*pendingCreate) (context.Context, context.CancelFunc) {
	if len(ps) == 1 {
		return ps[0].ctx, func() {}
	}
	ctx := context.WithoutCancel(ps[0].ctx)
	var latest time.Time
	for _, p := range ps {
		d, ok := p.ctx.Deadline()
		if !ok {
			return context.WithCancel(ctx)
		}
		if d.After(latest) {
			latest = d
		}
	}
	return context.WithDeadline(ctx, latest)
}
