package web

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"unicode/utf8"
)

// MaxLogValue is the most bytes of one value (a path, a method, an error's
// text) a log line of the web routes carries; the rest is cut and counted.
// A line holds a handful of values, so it stays within a few KiB whatever
// a request or an error brings.
const MaxLogValue = 1024

// maxLogStack is the bound for the stack trace of a recovered panic, which
// is ours rather than the client's and longer than any other value.
const maxLogStack = 16 << 10

// boundLogger returns a logger that writes through l's handler with every
// value cut to MaxLogValue bytes.
func boundLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(boundedHandler); ok {
		return l
	}
	return slog.New(boundedHandler{l.Handler()})
}

// boundedHandler cuts long values of the records and attributes it passes
// on to h.
type boundedHandler struct{ h slog.Handler }

func (b boundedHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return b.h.Enabled(ctx, level)
}

func (b boundedHandler) Handle(ctx context.Context, r slog.Record) error {
	if withinBounds(r) {
		return b.h.Handle(ctx, r) // what boundAttr would give back is r's own
	}
	out := slog.NewRecord(r.Time, r.Level, truncate(r.Message, MaxLogValue), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(boundAttr(a))
		return true
	})
	return b.h.Handle(ctx, out)
}

func (b boundedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	bounded := make([]slog.Attr, len(as))
	for i, a := range as {
		bounded[i] = boundAttr(a)
	}
	return boundedHandler{b.h.WithAttrs(bounded)}
}

func (b boundedHandler) WithGroup(name string) slog.Handler {
	return boundedHandler{b.h.WithGroup(name)}
}

// withinBounds reports whether r has nothing boundAttr would change: a
// short message, and attributes with short keys whose values are short
// strings or numbers and the like. A request's access line is such a record,
// and passing it on as it is spares copying it.
func withinBounds(r slog.Record) bool {
	if len(r.Message) > MaxLogValue {
		return false
	}
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		ok = attrWithinBounds(a)
		return ok
	})
	return ok
}

func attrWithinBounds(a slog.Attr) bool {
	if len(a.Key) > MaxLogValue {
		return false
	}
	switch a.Value.Kind() {
	case slog.KindString:
		return len(a.Value.String()) <= MaxLogValue // a "stack" has a higher bound; this one is the lower
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool, slog.KindDuration, slog.KindTime:
		return true
	}
	return false // Any, Group and LogValuer values go through boundAttr
}

// boundAttr cuts a's value: strings, errors and anything printed through
// fmt to MaxLogValue bytes (a "stack" to maxLogStack), groups member by
// member. Numbers, times and the like are short already.
func boundAttr(a slog.Attr) slog.Attr {
	limit := MaxLogValue
	if a.Key == "stack" {
		limit = maxLogStack
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if len(v.String()) > limit {
			v = slog.StringValue(truncate(v.String(), limit))
		}
	case slog.KindGroup:
		group := v.Group()
		bounded := make([]slog.Attr, len(group))
		for i, g := range group {
			bounded[i] = boundAttr(g)
		}
		v = slog.GroupValue(bounded...)
	case slog.KindAny:
		var s string
		if err, ok := v.Any().(error); ok {
			s = err.Error()
		} else {
			s = fmt.Sprint(v.Any())
		}
		if len(s) > limit {
			v = slog.StringValue(truncate(s, limit))
		} else if _, ok := v.Any().(error); ok {
			v = slog.StringValue(s)
		}
	}
	return slog.Attr{Key: truncate(a.Key, MaxLogValue), Value: v}
}

// truncate returns s when it has at most limit bytes, else its first
// bytes (not splitting a character) and how many were cut.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[" + strconv.Itoa(len(s)-cut) + " bytes cut]"
}
