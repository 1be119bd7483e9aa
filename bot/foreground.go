package bot

import (
	"context"
	"sync"
	"time"
)

// Foreground tells chat delivery when people are waiting on answers.
// Slack waits at most three seconds for the answer to a slash command or
// a button, while a card or a thread reply can wait a moment: during a
// burst of commands the relay and the sender hold back (Sender.holdBack),
// so that the commands are answered first and their messages go out right
// after. The hold is bounded twice: each wait by holdMax, and none at all
// once the messages in hand are already lateMax old, so that chat keeps
// up under a load that does not end. The zero value is ready; a nil
// Foreground never holds anything back.
type Foreground struct {
	mu   sync.Mutex
	n    int           // answers being worked out
	idle chan struct{} // closed when n falls to 0
	last time.Time     // when the last answer was worked out
}

// Begin marks an answer being worked out until end is called, once.
func (f *Foreground) Begin() (end func()) {
	if f == nil {
		return func() {}
	}
	f.mu.Lock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
	f.mu.Unlock()
	return f.end
}

func (f *Foreground) end() {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = now
	if f.n--; f.n == 0 {
		close(f.idle)
	}
}

// Wait returns once no answer has been worked out for quiet (commands of
// a burst come one right after another), after max at the latest, or
// when ctx ends. It reports whether it had to wait.
func (f *Foreground) Wait(ctx context.Context, max time.Duration) bool {
	if f == nil {
		return false
	}
	deadline := time.Now().Add(max)
	for waited := false; ; waited = true {
		f.mu.Lock()
		n, idle, since := f.n, f.idle, time.Since(f.last)
		f.mu.Unlock()
		if n == 0 && since >= quiet {
			return waited
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return true
		}
		var wake <-chan struct{}
		d := min(quiet-since, left)
		if n > 0 {
			wake, d = idle, left
		}
		t := time.NewTimer(d)
		select {
		case <-wake:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

const (
	// quiet is how long no answer must have been worked out for chat
	// delivery to go on.
	quiet = 50 * time.Millisecond
	// holdMax bounds one hold of chat delivery behind answers.
	holdMax = 500 * time.Millisecond
	// lateMax is the age of the oldest message of a claim past which the
	// sender no longer holds back.
	lateMax = 2 * time.Second
)
