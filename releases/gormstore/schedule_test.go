package gormstore_test

import (
	"testing"

	"github.com/releasebot/releasebot/releases/storetest"
)

// TestScheduleConformance holds the gorm store to the contracts of ad-hoc
// freezes, firing claims and the summary history, on SQLite and, when
// TEST_DATABASE_URL is set, PostgreSQL.
func TestScheduleConformance(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			storetest.RunScheduleConformance(t, func(t *testing.T) storetest.ScheduleStore {
				return storetest.Open(t, db.URL(t), nil)
			})
		})
	}
}

// TestScheduleConformanceMemory runs the suite on sqlite://:memory:, whose
// one connection would deadlock a gate that read freezes outside the
// caller's transaction.
func TestScheduleConformanceMemory(t *testing.T) {
	storetest.RunScheduleConformance(t, func(t *testing.T) storetest.ScheduleStore {
		return storetest.Open(t, "sqlite://:memory:", nil)
	})
}
