package releases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The audit chain (README "Audit chain"): every audit event, once sealed,
// carries the next sequence number Seq, the hash of the event sealed
// before it (PrevHash) and its own Hash:
//
//	Hash = hex(sha256(PrevHash ‖ CanonicalEvent(e)))
//
// PrevHash enters as its 64 hex characters; the first event's PrevHash is
// GenesisHash. The chain's order is Seq, the order in which events were
// sealed. Events are sealed after they commit, by one sealer at a time
// (see gormstore.Store.Seal), so appends never hash or wait for each other.

// GenesisHash is the PrevHash of the first sealed event.
var GenesisHash = strings.Repeat("0", 64)

// CanonicalTime is the layout of At in the canonical form and in exports:
// UTC, always nine fractional digits, so one instant has one spelling.
const CanonicalTime = "2006-01-02T15:04:05.000000000Z"

// SealedEvent is an audit event with its place in the chain.
type SealedEvent struct {
	AuditEvent
	Seq      int64
	PrevHash string
	Hash     string
}

// ChainHead is the newest sealed event of the chain: its Seq (how many
// events are sealed) and Hash. Unsealed counts the events not sealed yet.
// A zero head (Seq 0) has Hash GenesisHash: nothing is sealed.
type ChainHead struct {
	Seq      int64
	EventID  int64
	Hash     string
	Unsealed int
}

// ChainReader reads the sealed chain; the store implements it.
type ChainReader interface {
	// AuditHead returns the chain's head and how many events wait to be
	// sealed.
	AuditHead(ctx context.Context) (ChainHead, error)
	// SealedEvents returns up to f.Limit sealed events with Seq above
	// f.AfterSeq whose At lies in [f.From, f.To), in chain order.
	SealedEvents(ctx context.Context, f ChainFilter) ([]SealedEvent, error)
}

// ChainFilter selects sealed events. Zero From or To leaves that end open.
type ChainFilter struct {
	From, To time.Time
	AfterSeq int64
	Limit    int
}

// CanonicalEvent is the byte string an event's hash covers: a JSON object
// with exactly these keys in this order, no spaces:
//
//	{"id":12,"release_id":3,"at":"2026-12-01T09:30:00.000000000Z","actor":"U1","action":"created","detail":"…"}
//
// id and release_id are JSON integers (release_id 0 for events of no
// release); at is CanonicalTime; strings escape only '"', '\\' and the
// control characters below U+0020 (\b \t \n \f \r, else \u00xx in lower
// case) and keep every other character as UTF-8. Bytes that are not UTF-8
// count as U+FFFD. This is what Python's json.dumps(obj,
// ensure_ascii=False, separators=(",", ":")) writes for such a dict, and
// RFC 8785 for these values.
func CanonicalEvent(e AuditEvent) []byte {
	b := make([]byte, 0, 128+len(e.Detail))
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, e.ID, 10)
	b = append(b, `,"release_id":`...)
	b = strconv.AppendInt(b, e.ReleaseID, 10)
	b = append(b, `,"at":"`...)
	b = e.At.UTC().AppendFormat(b, CanonicalTime)
	b = append(b, `","actor":`...)
	b = appendJSONString(b, e.Actor)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, e.Action)
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, e.Detail)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string in the canonical escaping.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range strings.ToValidUTF8(s, string(utf8.RuneError)) {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// ChainHash returns the hash of e sealed after the event whose hash is
// prevHash.
func ChainHash(prevHash string, e AuditEvent) string {
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write(CanonicalEvent(e))
	return hex.EncodeToString(h.Sum(nil))
}

// Ways a chain breaks.
const (
	BreakChanged   = "changed"   // an event's content no longer matches its hash
	BreakDeleted   = "deleted"   // sealed events are missing before this one
	BreakReordered = "reordered" // an event no longer follows the one it was sealed after
)

// ChainBreak is the first place a chain walk found broken.
type ChainBreak struct {
	Kind    string // BreakChanged, BreakDeleted or BreakReordered
	EventID int64  // the event where the break shows
	Seq     int64
	Message string // for people
}

func (b *ChainBreak) Error() string { return b.Message }

// ChainWalk checks sealed events handed to it in Seq order, one at a
// time, so a chain of any length is checked in bounded memory.
type ChainWalk struct {
	// Lookup finds the sealed event with the given hash, to tell a
	// reordered event (its predecessor still exists elsewhere) from one
	// whose predecessor was deleted; nil treats every such break as a
	// deletion.
	Lookup func(hash string) (SealedEvent, bool, error)
	prev   SealedEvent // the last event checked; Seq 0 before the first
	count  int64
}

// Checked returns how many events were checked and found intact.
func (w *ChainWalk) Checked() int64 { return w.count }

// Last returns the last event found intact: the verified head.
func (w *ChainWalk) Last() (SealedEvent, bool) { return w.prev, w.count > 0 }

// Next checks e, the event after the previous one in Seq order. It returns
// a *ChainBreak at the first broken link, or another error when Lookup
// fails.
func (w *ChainWalk) Next(e SealedEvent) error {
	want := GenesisHash
	if w.count > 0 {
		want = w.prev.Hash
	}
	where := fmt.Sprintf("event %d (seq %d)", e.ID, e.Seq)
	brk := func(kind, format string, args ...any) error {
		return &ChainBreak{Kind: kind, EventID: e.ID, Seq: e.Seq, Message: where + " " + fmt.Sprintf(format, args...)}
	}
	if ChainHash(e.PrevHash, e.AuditEvent) != e.Hash {
		return brk(BreakChanged, "was changed after it was sealed: its content no longer matches its hash %s", short(e.Hash))
	}
	expected := w.prev.Seq + 1
	if e.Seq > expected {
		return brk(BreakDeleted, "follows %s: the events sealed as seq %s were deleted", w.after(), seqRange(expected, e.Seq-1))
	}
	if e.PrevHash != want || e.Seq < expected {
		if e.PrevHash == GenesisHash {
			return brk(BreakReordered, "is out of place: it was sealed first, but now follows %s", w.after())
		}
		if w.Lookup != nil {
			before, ok, err := w.Lookup(e.PrevHash)
			if err != nil {
				return fmt.Errorf("look up the event sealed before %s: %w", where, err)
			}
			if ok {
				return brk(BreakReordered, "is out of place: it was sealed after event %d, but now follows %s", before.ID, w.after())
			}
		}
		return brk(BreakDeleted, "follows %s, but was sealed after an event with hash %s that the chain no longer holds: that event was deleted, or changed and re-hashed",
			w.after(), short(e.PrevHash))
	}
	w.prev, w.count = e, w.count+1
	return nil
}

// after names the previous event for a break message.
func (w *ChainWalk) after() string {
	if w.count == 0 {
		return "the start of the chain"
	}
	return fmt.Sprintf("event %d (seq %d)", w.prev.ID, w.prev.Seq)
}

func seqRange(from, to int64) string {
	if from == to {
		return strconv.FormatInt(from, 10)
	}
	return fmt.Sprintf("%d–%d", from, to)
}

// short abbreviates a hash for messages.
func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// ChainSource is what VerifyChain reads: the chain, and events by hash.
type ChainSource interface {
	ChainReader
	// SealedByHash returns the sealed event with hash h, if there is one.
	SealedByHash(ctx context.Context, h string) (SealedEvent, bool, error)
}

// ChainReport is what VerifyChain found.
type ChainReport struct {
	Checked  int64       // events found intact, from the first on
	Head     SealedEvent // the last of them; zero when none
	Unsealed int         // events not sealed yet, counted after the walk
	// Break is the first broken link, nil when the chain is intact.
	Break *ChainBreak
	// HeadMissing is set when an expected head was given and no intact
	// event has that hash: the events sealed after it were deleted, or the
	// chain was rewritten.
	HeadMissing bool
}

// Intact reports whether the chain showed no break and held the expected
// head, if one was given.
func (r ChainReport) Intact() bool { return r.Break == nil && !r.HeadMissing }

// verifyPage is how many events VerifyChain reads at a time.
const verifyPage = 1000

// VerifyChain walks the sealed chain from its first event, page by page,
// and stops at the first broken link. expectHead, when not empty, is a head
// hash copied out of the database earlier (a summary, a metrics scrape):
// the chain must still hold it, which tells a truncation of the newest
// events from a chain that merely ends.
func VerifyChain(ctx context.Context, src ChainSource, expectHead string) (ChainReport, error) {
	var rep ChainReport
	walk := ChainWalk{Lookup: func(h string) (SealedEvent, bool, error) { return src.SealedByHash(ctx, h) }}
	found := expectHead == ""
	var after int64
	for {
		page, err := src.SealedEvents(ctx, ChainFilter{AfterSeq: after, Limit: verifyPage})
		if err != nil {
			return rep, err
		}
		for _, e := range page {
			if err := walk.Next(e); err != nil {
				var brk *ChainBreak
				if !errors.As(err, &brk) {
					return rep, err
				}
				rep.Break = brk
				break
			}
			found = found || e.Hash == expectHead
		}
		if rep.Break != nil || len(page) < verifyPage {
			break
		}
		after = page[len(page)-1].Seq
	}
	rep.Checked = walk.Checked()
	rep.Head, _ = walk.Last()
	rep.HeadMissing = !found && rep.Break == nil
	head, err := src.AuditHead(ctx)
	if err != nil {
		return rep, err
	}
	rep.Unsealed = head.Unsealed
	return rep, nil
}
