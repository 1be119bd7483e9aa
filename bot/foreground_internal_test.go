package bot

import (
	"context"
	"testing"
	"time"
)

// waitFor runs wait on a goroutine; the channel gets what it reported.
func waitFor(wait func() bool) <-chan bool {
	out := make(chan bool, 1)
	go func() { out <- wait() }()
	return out
}

func TestForegroundIdleHoldsNothing(t *testing.T) {
	var none *Foreground
	none.Begin()()
	if none.Wait(t.Context(), time.Hour) {
		t.Error("a nil Foreground waited")
	}
	f := &Foreground{}
	start := time.Now()
	if f.Wait(t.Context(), time.Hour) {
		t.Error("Wait with no answer ever worked out: waited")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Wait with nothing in flight took %v", took)
	}
}

// An answer in flight holds chat delivery until it has been worked out and
// no other has come for quiet.
func TestForegroundWaitsForTheAnswers(t *testing.T) {
	f := &Foreground{}
	end := f.Begin()
	done := waitFor(func() bool { return f.Wait(t.Context(), time.Minute) })
	select {
	case <-done:
		t.Fatal("Wait returned while an answer was being worked out")
	case <-time.After(2 * quiet):
	}
	second := f.Begin() // a burst: the next command before the first ends
	end()
	select {
	case <-done:
		t.Fatal("Wait returned while a second answer was being worked out")
	case <-time.After(2 * quiet):
	}
	ended := time.Now()
	second()
	select {
	case waited := <-done:
		if !waited {
			t.Error("Wait reported it had not waited")
		}
		if since := time.Since(ended); since < quiet {
			t.Errorf("Wait returned %v after the last answer, want at least quiet (%v)", since, quiet)
		}
	case <-time.After(time.Minute):
		t.Fatal("Wait did not return after the answers ended")
	}
	// Quiet again: nothing to wait for.
	time.Sleep(quiet)
	if f.Wait(t.Context(), time.Minute) {
		t.Error("Wait after a quiet spell: waited")
	}
}

// However long the answers go on, one Wait holds for max at the most, and
// ends with its context.
func TestForegroundWaitIsBounded(t *testing.T) {
	f := &Foreground{}
	defer f.Begin()() // never ends during the test
	start := time.Now()
	if !f.Wait(t.Context(), 30*time.Millisecond) {
		t.Error("Wait reported it had not waited")
	}
	if took := time.Since(start); took < 30*time.Millisecond || took > 10*time.Second {
		t.Errorf("Wait(30ms) behind an endless answer took %v", took)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := waitFor(func() bool { return f.Wait(ctx, time.Hour) })
	cancel()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Wait did not end with its context")
	}
}

// The sender holds back behind answers, but not once the messages it
// claimed last were already late: chat keeps up under a load that does
// not end.
func TestSenderHoldsBackUnlessLate(t *testing.T) {
	f := &Foreground{}
	s := &Sender{Foreground: f, hold: time.Minute}
	end := f.Begin()
	done := waitFor(func() bool { s.holdBack(t.Context()); return true })
	select {
	case <-done:
		t.Fatal("the sender went on while an answer was being worked out")
	case <-time.After(2 * quiet):
	}
	end()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the sender still held back after the answer")
	}

	defer f.Begin()()
	s.late.Store(int64(lateMax))
	start := time.Now()
	s.holdBack(t.Context())
	if took := time.Since(start); took >= 30*time.Second {
		t.Errorf("late messages were held back %v behind an answer", took)
	}
}
