// Package logbuf holds a server's log lines for a moment and writes them
// out together: one write per line is a system call per request, a few
// percent of what serve spends on a cheap one. Warnings and errors go
// out at once (FlushAt), the rest within Delay, and everything on Close.
//
// What that costs: a process killed outright (SIGKILL, the OOM killer)
// loses the lines below the flush level of its last Delay, at most
// MaxHeld bytes of them. Lines are never split or reordered.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Delay is how long a line may be held.
const Delay = 50 * time.Millisecond

// MaxHeld bounds the bytes held: at thousands of requests a second the
// buffer fills long before Delay, and is written out then.
const MaxHeld = 32 << 10

// Writer holds what is written to it, whole writes (a log handler writes
// a line at a time), and writes them to out in order: when Delay has
// passed since the first was held, when MaxHeld would be exceeded, on
// Flush and on Close. Safe for concurrent use.
type Writer struct {
	out io.Writer

	mu     sync.Mutex
	buf    []byte
	timer  timer // armed while buf holds anything
	closed bool
}

// timer is the part of *time.Timer a Writer uses.
type timer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

// New returns a Writer that writes to out.
func New(out io.Writer) *Writer {
	return newWriter(out, func(f func()) timer { return time.AfterFunc(time.Hour, f) })
}

// newWriter takes the timer a test can fire.
func newWriter(out io.Writer, afterFunc func(f func()) timer) *Writer {
	w := &Writer{out: out, buf: make([]byte, 0, MaxHeld)}
	w.timer = afterFunc(func() { _ = w.Flush() })
	w.timer.Stop()
	return w
}

// Write holds p to write out later; p is written at once when it is
// larger than MaxHeld or the Writer is closed. An error writing out what
// was held earlier is returned, and those lines and p are dropped, as
// unbuffered writes to a broken out would have lost them.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	if len(w.buf)+len(p) > MaxHeld {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
	}
	if len(p) > MaxHeld {
		return w.out.Write(p) // nothing is held now: the order is kept
	}
	if len(w.buf) == 0 {
		w.timer.Reset(Delay)
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush writes out what is held.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	w.timer.Stop()
	_, err := w.out.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Close writes out what is held; later writes go out at once.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.flushLocked()
	w.closed = true
	return err
}

// FlushAt returns a handler that passes records on to h, which writes to
// w, and has w write out at once whatever it holds after a record at
// level or above: a warning or an error is never held.
func FlushAt(h slog.Handler, w *Writer, level slog.Level) slog.Handler {
	return flushing{h: h, w: w, level: level}
}

type flushing struct {
	h     slog.Handler
	w     *Writer
	level slog.Level
}

func (f flushing) Enabled(ctx context.Context, level slog.Level) bool { return f.h.Enabled(ctx, level) }

func (f flushing) Handle(ctx context.Context, r slog.Record) error {
	err := f.h.Handle(ctx, r)
	if r.Level >= f.level {
		if ferr := f.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (f flushing) WithAttrs(as []slog.Attr) slog.Handler {
	return flushing{h: f.h.WithAttrs(as), w: f.w, level: f.level}
}

func (f flushing) WithGroup(name string) slog.Handler {
	return flushing{h: f.h.WithGroup(name), w: f.w, level: f.level}
}
