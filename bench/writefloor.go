package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/releasebot/releasebot/releases/gormstore"
)

// writeFloor inserts single rows through the driver serve uses — gorm on
// releases/gormstore's connection pool and settings — into a table of its
// own: the least a `create` can cost in the database. Each insert is one
// statement in its own implicit transaction, returning its id, like
// pgbench's simple insert. On SQLite inserts are serialised in the process,
// as gormstore serialises its writers (SQLite has one writer; waiting on
// its lock would only add busy-retry sleeps).
type writeFloor struct {
	store *gormstore.Store
	db    *gorm.DB
	mu    *sync.Mutex // SQLite only
	next  atomic.Int64
}

// benchWriteRow is a row of the write floor's table, about as wide as a
// release's.
type benchWriteRow struct {
	ID        int64 `gorm:"primaryKey"`
	Service   string
	Version   string
	CreatedBy string
	CreatedAt time.Time
}

func (benchWriteRow) TableName() string { return "bench_write_floor" }

func openWriteFloor(ctx context.Context, kind, url string) (*writeFloor, error) {
	s, err := gormstore.Open(ctx, url, gormstore.Options{})
	if err != nil {
		return nil, err
	}
	var d gorm.Dialector = postgres.New(postgres.Config{Conn: s.DB()})
	f := &writeFloor{store: s}
	if kind == "sqlite" {
		d, f.mu = &sqlite.Dialector{Conn: s.DB()}, &sync.Mutex{}
	}
	f.db, err = gorm.Open(d, &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err == nil {
		err = f.db.WithContext(ctx).AutoMigrate(&benchWriteRow{})
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("write floor: %w", err)
	}
	return f, nil
}

func (f *writeFloor) Close() { f.store.Close() }

// load inserts rows with conc in flight until max are in or limit has
// passed.
func (f *writeFloor) load(ctx context.Context, conc, max int, limit time.Duration) stats {
	return runLoad(conc, max, limit, func() (time.Duration, error) {
		row := benchWriteRow{Service: "svc", Version: fmt.Sprintf("v%d", f.next.Add(1)), CreatedBy: dave, CreatedAt: time.Now().UTC()}
		t0 := time.Now()
		if f.mu != nil {
			f.mu.Lock()
			defer f.mu.Unlock()
		}
		err := f.db.WithContext(ctx).Create(&row).Error
		return time.Since(t0), err
	})
}
