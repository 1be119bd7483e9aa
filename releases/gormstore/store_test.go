package gormstore_test

import (
	"testing"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestConformance holds the gorm store to the releases.Store contract on
// SQLite and, when TEST_DATABASE_URL is set, PostgreSQL; every subtest gets
// a fresh database.
func TestConformance(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			storetest.RunConformance(t, func(t *testing.T) releases.Store {
				return storetest.Open(t, db.URL(t), nil)
			})
		})
	}
}

// TestConformanceMemory runs the suite on sqlite://:memory:, whose pool of
// one shared-cache connection behaves differently from a file's.
func TestConformanceMemory(t *testing.T) {
	storetest.RunConformance(t, func(t *testing.T) releases.Store {
		return storetest.Open(t, "sqlite://:memory:", nil)
	})
}
