package releases_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// chainVector is two events and their canonical forms and hashes as
// computed by Python, following README "Audit chain" and not this
// package:
//
//	c = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
//	h = hashlib.sha256((prev + c).encode()).hexdigest()
var chainVector = []struct {
	event     releases.AuditEvent
	canonical string
	hash      string
}{
	{
		event: releases.AuditEvent{ID: 12, ReleaseID: 3, At: time.Date(2026, 12, 1, 10, 30, 0, 500_000_000, time.FixedZone("CET", 3600)),
			Actor: "U1", Action: "created", Detail: "payments-api v2.4.1 \"quoted\" \\ é ✓ \n\t\x01\x7f <b>&\u2028"},
		canonical: `{"id":12,"release_id":3,"at":"2026-12-01T09:30:00.500000000Z","actor":"U1","action":"created","detail":"payments-api v2.4.1 \"quoted\" \\ é ✓ \n\t\u0001` + "\x7f <b>&\u2028" + `"}`,
		hash:      "3607b0ea48cb4c876610dff3d976b629a22075e967deef8388ea741eed0b16e8",
	},
	{
		event:     releases.AuditEvent{ID: 13, At: time.Date(2026, 12, 1, 9, 31, 0, 0, time.UTC), Actor: "releasebot", Action: "freeze"},
		canonical: `{"id":13,"release_id":0,"at":"2026-12-01T09:31:00.000000000Z","actor":"releasebot","action":"freeze","detail":""}`,
		hash:      "789dd01209fed10de15f35a84bac3e7a3095d5acdbe10e9ec3de00627324d46b",
	},
}

// TestCanonicalEventAndHash holds the canonical form and the hash to the
// independently computed vector: an auditor's script must agree with us.
func TestCanonicalEventAndHash(t *testing.T) {
	prev := releases.GenesisHash
	for _, v := range chainVector {
		if got := string(releases.CanonicalEvent(v.event)); got != v.canonical {
			t.Errorf("CanonicalEvent(%d) =\n\t%s\nwant\n\t%s", v.event.ID, got, v.canonical)
		}
		if got := releases.ChainHash(prev, v.event); got != v.hash {
			t.Errorf("ChainHash(%d) = %s, want %s", v.event.ID, got, v.hash)
		}
		prev = v.hash
	}
	if got := string(releases.CanonicalEvent(releases.AuditEvent{Detail: "\b\f\x1f\xff"})); !strings.HasSuffix(got, `"detail":"\b\f\u001f`+"\uFFFD"+`"}`) {
		t.Errorf("short escapes and invalid UTF-8: %s", got)
	}
}

// sealedChain builds an intact chain of n events, ids 1..n.
func sealedChain(n int) []releases.SealedEvent {
	out := make([]releases.SealedEvent, n)
	prev := releases.GenesisHash
	for i := range out {
		e := releases.AuditEvent{ID: int64(i + 1), ReleaseID: 1, At: time.Date(2026, 12, 1, 9, i, 0, 0, time.UTC),
			Actor: "U1", Action: releases.ActionSignedOff, Detail: "event"}
		h := releases.ChainHash(prev, e)
		out[i] = releases.SealedEvent{AuditEvent: e, Seq: int64(i + 1), PrevHash: prev, Hash: h}
		prev = h
	}
	return out
}

// TestChainWalk checks that the walk finds the first broken link, names
// the event where it shows and tells a change from a deletion and a
// reordering.
func TestChainWalk(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]releases.SealedEvent) []releases.SealedEvent
		kind   string // "" for intact
		id     int64
	}{
		{name: "intact", tamper: func(c []releases.SealedEvent) []releases.SealedEvent { return c }},
		{name: "detail changed", kind: releases.BreakChanged, id: 3, tamper: func(c []releases.SealedEvent) []releases.SealedEvent {
			c[2].Detail = "something else"
			return c
		}},
		{name: "time changed", kind: releases.BreakChanged, id: 4, tamper: func(c []releases.SealedEvent) []releases.SealedEvent {
			c[3].At = c[3].At.Add(time.Microsecond)
			return c
		}},
		{name: "changed and re-hashed alone", kind: releases.BreakDeleted, id: 4, tamper: func(c []releases.SealedEvent) []releases.SealedEvent {
			c[2].Actor = "U666"
			c[2].Hash = releases.ChainHash(c[2].PrevHash, c[2].AuditEvent)
			return c
		}},
		{name: "middle deleted", kind: releases.BreakDeleted, id: 4, tamper: func(c []releases.SealedEvent) []releases.SealedEvent {
			return append(c[:2], c[3:]...)
		}},
		{name: "first deleted", kind: releases.BreakDeleted, id: 2, tamper: func(c []releases.SealedEvent) []releases.SealedEvent {
			return c[1:]
		}},
		{name: "deleted and renumbered", kind: releases.BreakDeleted, id: 4, tamper: func(c []releases.SealedEvent) []releases.SealedEvent {
			c = append(c[:2], c[3:]...)
			for i := range c {
				c[i].Seq = int64(i + 1)
			}
			return c
		}},
		{name: "two swapped", kind: releases.BreakReordered, id: 4, tamper: func(c []releases.SealedEvent) []releases.SealedEvent {
			c[2], c[3] = c[3], c[2]
			c[2].Seq, c[3].Seq = 3, 4
			return c
		}},
		{name: "first moved later", kind: releases.BreakReordered, id: 2, tamper: func(c []releases.SealedEvent) []releases.SealedEvent {
			c[0], c[1] = c[1], c[0]
			c[0].Seq, c[1].Seq = 1, 2
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := tt.tamper(sealedChain(6))
			byHash := map[string]releases.SealedEvent{}
			for _, e := range chain {
				byHash[e.Hash] = e
			}
			w := releases.ChainWalk{Lookup: func(h string) (releases.SealedEvent, bool, error) {
				e, ok := byHash[h]
				return e, ok, nil
			}}
			var brk *releases.ChainBreak
			for _, e := range chain {
				if err := w.Next(e); err != nil {
					if !errors.As(err, &brk) {
						t.Fatalf("Next: %v", err)
					}
					break
				}
			}
			switch {
			case tt.kind == "" && brk != nil:
				t.Fatalf("intact chain reported broken: %s", brk.Message)
			case tt.kind == "":
				if w.Checked() != 6 {
					t.Fatalf("checked %d, want 6", w.Checked())
				}
			case brk == nil:
				t.Fatalf("%s not detected", tt.name)
			case brk.Kind != tt.kind || brk.EventID != tt.id:
				t.Fatalf("break = %s at event %d (%s), want %s at event %d", brk.Kind, brk.EventID, brk.Message, tt.kind, tt.id)
			}
		})
	}
}
