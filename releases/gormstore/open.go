// Package gormstore keeps releases in SQLite or PostgreSQL through gorm.
// Row structs with their tags live here; the domain types stay plain.
package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/releasebot/releasebot/migrations"
)

// Store is a releases.Store on a SQL database.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect migrations.Dialect
	// writeMu serialises write transactions on SQLite, which has one writer
	// at a time anyway: waiting here is cheaper and fairer than SQLite's
	// busy-retry loop. PostgreSQL relies on row locks instead.
	writeMu sync.Mutex
	url     string // for connections of its own (PostgreSQL's LISTEN)
	log     *slog.Logger
	changes changes
	creates createBatcher // PostgreSQL's creates share statements under load
}

// Options tune Open.
type Options struct {
	Now    func() time.Time // the clock for timestamps gorm fills in; default time.Now
	Logger *slog.Logger     // slow queries and database errors; default discard
}

var memoryDBs atomic.Int64

// Open connects to databaseURL: "sqlite://PATH", "sqlite://:memory:" or
// "postgres://…" (also "postgresql://…"). It does not migrate.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	cfg := &gorm.Config{
		TranslateError: true,
		NowFunc:        func() time.Time { return now().UTC().Truncate(time.Microsecond) },
		Logger:         gormLogger(opts.Logger),
	}
	var (
		dialector gorm.Dialector
		dialect   migrations.Dialect
		memory    bool
	)
	switch {
	case strings.HasPrefix(databaseURL, "sqlite://"):
		path := strings.TrimPrefix(databaseURL, "sqlite://")
		if path == "" {
			return nil, fmt.Errorf("DATABASE_URL %q names no file; use sqlite://releasebot.db or sqlite://:memory:", databaseURL)
		}
		dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		if path == ":memory:" {
			// Plain :memory: is one empty database per pooled connection.
			memory = true
			dsn = fmt.Sprintf("file:releasebot-mem-%d?mode=memory&cache=shared&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_txlock=immediate", memoryDBs.Add(1))
		}
		dialector, dialect = sqlite.Open(dsn), migrations.SQLite
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		dialector, dialect = postgres.Open(databaseURL), migrations.Postgres
	default:
		return nil, fmt.Errorf("DATABASE_URL must start with sqlite:// or postgres:// (got %q)", redactURL(databaseURL))
	}
	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redactURL(databaseURL), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redactURL(databaseURL), err)
	}
	if memory {
		sqlDB.SetMaxOpenConns(1) // shared-cache locks don't wait; one connection never contends
	} else if dialect == migrations.SQLite {
		// Keep every connection: reopening a SQLite file costs more than the
		// queries a request makes.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s: %w", redactURL(databaseURL), err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: db, sqlDB: sqlDB, dialect: dialect, url: databaseURL, log: log}, nil
}

// DB returns the underlying connection pool, for migrations.
func (s *Store) DB() *sql.DB { return s.sqlDB }

// Dialect tells SQLite from PostgreSQL.
func (s *Store) Dialect() migrations.Dialect { return s.dialect }

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	m, err := migrations.New(s.sqlDB, s.dialect)
	if err != nil {
		return err
	}
	_, err = m.Up(ctx)
	return err
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	return s.db.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error
}

// Close stops listening for changes and closes the connection pool.
func (s *Store) Close() error {
	s.stopListening()
	return s.sqlDB.Close()
}

// passwordParam matches a password given as a parameter (?password=…, or
// password=… in a key=value string).
var passwordParam = regexp.MustCompile(`(?i)((?:^|[?&\s])password=)[^&\s]*`)

// redactURL hides the password in a database URL, whether in the user info
// or a password parameter. A password with an unescaped '#', '/' or '%'
// makes the URL unparsable, or parsable with the password in the fragment;
// then everything between the scheme and the last '@' is hidden.
func redactURL(raw string) string {
	out := raw
	if u, err := url.Parse(raw); err == nil && !strings.Contains(raw, "#") {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			out = u.String()
		}
	} else if scheme, rest, ok := strings.Cut(raw, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			out = scheme + "://xxxxx@" + rest[at+1:]
		}
	}
	return passwordParam.ReplaceAllString(out, "${1}xxxxx")
}

func gormLogger(l *slog.Logger) logger.Interface {
	if l == nil {
		return logger.Discard
	}
	c := logger.Config{SlowThreshold: slowSQL, LogLevel: logger.Warn, IgnoreRecordNotFoundError: true, ParameterizedQueries: true}
	return quietDuplicates{logger.NewSlogLogger(l, c), c.LogLevel}
}

// slowSQL is how long a statement runs before it is logged as slow.
const slowSQL = 200 * time.Millisecond

// quietDuplicates is gorm's logger without the one error the store expects
// and answers itself: a unique key already taken (a second open release of
// a version, a Slack event claimed twice). gorm would log each as an ERROR
// with its SQL, though it is a person's retyped command or Slack's retry.
//
// It also returns early from a statement it will not log: gorm's slog
// logger renders every statement's SQL with its arguments before deciding
// whether to log it, which was a tenth of a create's CPU time.
type quietDuplicates struct {
	logger.Interface
	level logger.LogLevel
}

func (q quietDuplicates) LogMode(level logger.LogLevel) logger.Interface {
	return quietDuplicates{q.Interface.LogMode(level), level}
}

func (q quietDuplicates) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if errors.Is(err, gorm.ErrDuplicatedKey) || errors.Is(err, gorm.ErrRecordNotFound) {
		err = nil // still logged if slow
	}
	if err == nil && q.level < logger.Info && time.Since(begin) <= slowSQL {
		return
	}
	q.Interface.Trace(ctx, begin, fc, err)
}

// RedactURL is a database URL fit for a log: its password hidden.
func RedactURL(raw string) string { return redactURL(raw) }
