package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

// TestFreezesOnAMemoryDatabase: sqlite://:memory: has one connection, held
// by the service's transaction while the calendar checks a release. The
// calendar reads ad-hoc freezes through that transaction, so nothing waits
// for a second connection.
func TestFreezesOnAMemoryDatabase(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := newTestClock(t0)
		e := newEnv(t, storetest.Open(t, "sqlite://:memory:", c.Now), parseConfig(t, testYAML), c, "replica-1")
		ctx := context.Background()
		if _, _, err := e.svc.Freeze(ctx, rita, opening.Add(time.Hour), "memory"); err != nil {
			t.Error(err)
			return
		}
		r := e.create("api", "")
		e.ready(r.ID)
		e.at(opening)
		if st := e.get(r.ID).Status; st != releases.StatusReady {
			t.Errorf("during the freeze it is %s", st)
		}
		e.at(opening.Add(time.Hour))
		if st := e.get(r.ID).Status; st != releases.StatusDeploying {
			t.Errorf("after the freeze it is %s", st)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("deadlock: the calendar waited for a second connection")
	}
}
