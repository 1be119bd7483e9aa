package releases_test

import (
	"sync"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

const digest1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

// Retries of one CI create racing each other open one release: each gets
// it back, and the notifiers (the card) hear of one creation.
func TestConcurrentOpensWithOneKeyCreateOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		in := releases.CreateInput{Service: "api", Version: "v1", Digest: digest1, IdempotencyKey: "run-7-1"}
		var wg sync.WaitGroup
		ids := make(chan int64, 8)
		created := make(chan bool, 8)
		for range 8 {
			wg.Go(func() {
				r, c, err := e.svc.Open(ctx, "ci:ci-api", in)
				if err != nil {
					t.Errorf("open: %v", err)
					return
				}
				ids <- r.ID
				created <- c
			})
		}
		wg.Wait()
		close(ids)
		close(created)
		first := int64(0)
		for id := range ids {
			if first == 0 {
				first = id
			}
			if id != first {
				t.Errorf("opens answered R-%d and R-%d, want one release", first, id)
			}
		}
		n := 0
		for c := range created {
			if c {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d opens say they created, want 1", n)
		}
		if got := e.ok(e.svc.Get(ctx, first)); got.Digest != digest1 || got.IdempotencyKey != "run-7-1" || got.CreatedBy != "ci:ci-api" {
			t.Errorf("stored %+v", got)
		}
	})
}

// The digest is part of the release: a create of the same version with
// another digest is refused while the first is open, and allowed once it
// is closed.
func TestOpenDigestConflict(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		r, _, err := e.svc.Open(ctx, "ci:a", releases.CreateInput{Service: "api", Version: "v1", Digest: digest1})
		if err != nil {
			t.Fatal(err)
		}
		other := "sha256:2222222222222222222222222222222222222222222222222222222222222222"
		_, _, err = e.svc.Open(ctx, "ci:b", releases.CreateInput{Service: "API", Version: "v1", Digest: other})
		if releases.ErrorCode(err) != releases.EConflict {
			t.Fatalf("another digest while open: %v, want EConflict", err)
		}
		e.ok(e.svc.Cancel(ctx, "ci:a", r.ID, "wrong build"))
		if _, c, err := e.svc.Open(ctx, "ci:b", releases.CreateInput{Service: "api", Version: "v1", Digest: other}); err != nil || !c {
			t.Fatalf("after cancelling the first: created %v, %v", c, err)
		}
	})
}
