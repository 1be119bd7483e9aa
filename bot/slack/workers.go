package slack

import "time"

// workers run each request's work (withinBudget) on a goroutine that
// outlives it. A fresh goroutine per request starts on a small stack that
// grows, by copying, several times on the way down to the store and back:
// a few percent of serve's CPU at thousands of slash commands a second.
// A worker that has been idle for workerIdle ends.
type workers struct {
	jobs chan func() // unbuffered: a send succeeds only when a worker waits
}

// workerIdle is how long an idle worker waits for more work.
const workerIdle = 30 * time.Second

func newWorkers() *workers { return &workers{jobs: make(chan func())} }

// run runs f on an idle worker, or on a new one when none is idle.
func (w *workers) run(f func()) {
	select {
	case w.jobs <- f:
	default:
		go w.work(f)
	}
}

func (w *workers) work(f func()) {
	f()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		select {
		case f := <-w.jobs:
			f()
			idle.Reset(workerIdle)
		case <-idle.C:
			return
		}
	}
}
