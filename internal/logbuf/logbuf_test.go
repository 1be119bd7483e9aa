package logbuf

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/internal/syncbuf"
)

// fakeTimer fires when the test says so.
type fakeTimer struct {
	mu    sync.Mutex
	f     func()
	armed bool
	last  time.Duration
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.armed
	t.armed, t.last = true, d
	return was
}

func (t *fakeTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.armed
	t.armed = false
	return was
}

// fire runs the timer's function if it is armed, as time.AfterFunc would.
func (t *fakeTimer) fire() bool {
	t.mu.Lock()
	armed := t.armed
	t.armed = false
	t.mu.Unlock()
	if armed {
		t.f()
	}
	return armed
}

// out records each write to it separately.
type out struct {
	mu     sync.Mutex
	writes []string
	err    error
}

func (o *out) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	o.writes = append(o.writes, string(p))
	return len(p), nil
}

func (o *out) all() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.writes, "")
}

func (o *out) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.writes)
}

func newTest() (*Writer, *out, *fakeTimer) {
	o, ft := &out{}, &fakeTimer{}
	w := newWriter(o, func(f func()) timer { ft.f = f; ft.armed = true; return ft })
	return w, o, ft
}

func TestHeldUntilDelay(t *testing.T) {
	w, o, ft := newTest()
	if ft.armed {
		t.Fatal("timer armed with nothing held")
	}
	fmt.Fprintln(w, "one")
	fmt.Fprintln(w, "two")
	if o.count() != 0 {
		t.Fatalf("written at once: %q", o.writes)
	}
	if !ft.armed || ft.last != Delay {
		t.Fatalf("timer armed %v for %v, want %v", ft.armed, ft.last, Delay)
	}
	ft.fire()
	if o.count() != 1 || o.all() != "one\ntwo\n" {
		t.Fatalf("after the delay: %q", o.writes)
	}
	// Nothing held: the timer waits for the next line.
	if ft.fire() {
		t.Error("timer armed with nothing held")
	}
	fmt.Fprintln(w, "three")
	ft.fire()
	if o.all() != "one\ntwo\nthree\n" {
		t.Fatalf("%q", o.writes)
	}
}

func TestMaxHeld(t *testing.T) {
	w, o, _ := newTest()
	line := strings.Repeat("x", 1000) + "\n"
	n := MaxHeld / len(line)
	for range n {
		fmt.Fprint(w, line)
	}
	if o.count() != 0 {
		t.Fatalf("%d writes before MaxHeld", o.count())
	}
	fmt.Fprint(w, line) // would exceed: what was held goes out first, whole
	if o.count() != 1 || o.writes[0] != strings.Repeat(line, n) {
		t.Fatalf("%d writes, first of %d bytes", o.count(), len(o.writes[0]))
	}
	huge := strings.Repeat("y", MaxHeld+1) + "\n"
	fmt.Fprint(w, huge) // held line first, then the huge one, unsplit
	if o.count() != 3 || o.writes[1] != line || o.writes[2] != huge {
		t.Fatalf("%d writes", o.count())
	}
}

func TestCloseFlushesAndStopsHolding(t *testing.T) {
	w, o, ft := newTest()
	fmt.Fprintln(w, "held")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if o.all() != "held\n" {
		t.Fatalf("%q", o.writes)
	}
	fmt.Fprintln(w, "after")
	if o.all() != "held\nafter\n" || ft.armed {
		t.Fatalf("a write after Close was held: %q", o.writes)
	}
}

func TestWriteError(t *testing.T) {
	w, o, _ := newTest()
	fmt.Fprintln(w, "lost")
	o.err = errors.New("disk full")
	if err := w.Flush(); err == nil {
		t.Fatal("Flush hid the error")
	}
	o.err = nil
	fmt.Fprintln(w, "next")
	w.Flush()
	if o.all() != "next\n" {
		t.Fatalf("a failed write was kept: %q", o.writes)
	}
}

func TestFlushAt(t *testing.T) {
	w, o, _ := newTest()
	log := slog.New(FlushAt(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}), w, slog.LevelWarn)).
		With("k", "v").WithGroup("g")
	log.Debug("quiet")
	log.Info("routine")
	if o.count() != 0 {
		t.Fatalf("info written at once: %q", o.writes)
	}
	log.Warn("trouble")
	got := o.all()
	if o.count() != 1 || !strings.Contains(got, "msg=quiet") || !strings.Contains(got, "msg=routine") ||
		!strings.Contains(got, "msg=trouble k=v") || strings.Index(got, "routine") > strings.Index(got, "trouble") {
		t.Fatalf("a warning did not take what was held with it, in order: %q", o.writes)
	}
	log.Error("worse")
	if o.count() != 2 || !strings.Contains(o.writes[1], "msg=worse") {
		t.Fatalf("an error was held: %q", o.writes)
	}
}

// Many writers at once: every line arrives whole, each writer's in order.
func TestConcurrentWriters(t *testing.T) {
	var buf syncbuf.Buffer
	w := New(&buf)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				fmt.Fprintf(w, "g%d %05d %s\n", g, i, strings.Repeat("z", 100))
			}
		})
	}
	wg.Wait()
	w.Close()
	next := map[string]int{}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 8*2000 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var g string
		var i int
		var rest string
		if _, err := fmt.Sscanf(l, "%s %d %s", &g, &i, &rest); err != nil || rest != strings.Repeat("z", 100) || i != next[g] {
			t.Fatalf("line %q (want %s %05d)", l, g, next[g])
		}
		next[g]++
	}
}
