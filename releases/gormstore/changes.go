package gormstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/releasebot/releasebot/migrations"
)

// changeChannel is where migration 00004's triggers announce committed
// changes to releases, sign-offs and deployments on PostgreSQL.
const changeChannel = "releasebot_release_changes"

// ListenerName is the application_name of the connection that listens on
// it, as pg_stat_activity shows it.
const ListenerName = "releasebot-changes"

// changes tells readers whether a release they loaded earlier may be out of
// date: version moves on after every commit that may have altered one —
// this process's own, counted as they happen, and on PostgreSQL everyone's,
// heard on changeChannel.
type changes struct {
	version atomic.Uint64
	live    atomic.Bool // false: changes may go unheard, nothing may be kept
	start   sync.Once
	stop    context.CancelFunc
	done    chan struct{}
}

// DataVersion implements releases.Versioned. On SQLite it is live at once:
// one process owns the database and counts its own writes. On PostgreSQL
// the first call starts listening on a connection of its own, and the
// version is live while that connection is.
func (s *Store) DataVersion() (uint64, bool) {
	if s.dialect == migrations.Postgres {
		s.changes.start.Do(s.startListening)
	}
	v := s.changes.version.Load()
	return v, s.dialect != migrations.Postgres || s.changes.live.Load()
}

// changed records a commit that may have altered a release. It runs after
// the commit: a reader that loaded the old rows in between then holds an
// outdated version, never a current one.
func (s *Store) changed() { s.changes.version.Add(1) }

func (s *Store) startListening() {
	ctx, cancel := context.WithCancel(context.Background())
	s.changes.stop, s.changes.done = cancel, make(chan struct{})
	go func() {
		defer close(s.changes.done)
		s.listen(ctx)
	}()
}

// stopListening ends the listener, if there is one.
func (s *Store) stopListening() {
	s.changes.start.Do(func() {}) // none may start after this
	if s.changes.stop != nil {
		s.changes.stop()
		<-s.changes.done
	}
}

// listen holds a LISTEN connection until ctx ends, reconnecting with
// backoff; while it is down the version is not live.
func (s *Store) listen(ctx context.Context) {
	const maxBackoff = 10 * time.Second
	backoff := 100 * time.Millisecond
	for {
		began := time.Now()
		err := s.listenOnce(ctx)
		s.changes.live.Store(false)
		s.changed()
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		s.log.Warn("lost the database's change notifications; status answers read the database until they are back",
			"err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(s.url)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redactURL(s.url), err)
	}
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redactURL(s.url), err)
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closing)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// Commits before LISTEN went unheard: count one, then trust what
	// arrives.
	s.changed()
	s.changes.live.Store(true)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		s.changed()
	}
}
