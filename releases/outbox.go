package releases

import (
	"context"
	"errors"
	"slices"
	"time"
)

// ErrBusy says that someone else is processing the same event right now.
var ErrBusy = errors.New("being processed elsewhere")

// OutboxOp is what a queued chat message does.
type OutboxOp string

// Outbox operations. Posts create a message and remember it as the
// release's card or a team's request; replies go into the card's thread;
// updates replace the card or a request in place.
const (
	OpPostCard      OutboxOp = "post_card"
	OpPostRequest   OutboxOp = "post_request"
	OpReply         OutboxOp = "reply"
	OpUpdateCard    OutboxOp = "update_card"
	OpUpdateRequest OutboxOp = "update_request"
	// OpPost posts to Channel (a channel, or a user id for a direct
	// message); it belongs to no thread.
	OpPost OutboxOp = "post"
)

// NewMessageOps are the ops that make a new message (rather than update
// one): what chat paces per channel.
var NewMessageOps = []OutboxOp{OpPost, OpPostCard, OpPostRequest, OpReply}

// NewMessage reports whether op is one of NewMessageOps.
func (op OutboxOp) NewMessage() bool { return slices.Contains(NewMessageOps, op) }

// Outbox entry statuses.
const (
	OutboxPending    = "pending"
	OutboxSent       = "sent"
	OutboxSuperseded = "superseded" // a newer update of the same message replaced it
	OutboxFailed     = "failed"     // refused for good (e.g. channel_not_found); logged
)

// OutboxEntry is one chat message waiting to be sent. Entries of one
// release are sent in order, one at a time.
type OutboxEntry struct {
	ID            int64
	ReleaseID     int64 // 0: about no single release (a summary)
	Op            OutboxOp
	DedupeKey     string // optional: an entry with a key already queued is dropped
	Team          string // of a request
	Channel       string // where a post goes
	Body          string // the message, as the bot encoded it
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	// MaybeSent says an earlier attempt may have reached chat without its
	// result being recorded: its sender died holding the claim, or a call
	// failed without saying whether the message went out. Before posting
	// again, the sender looks for that copy.
	MaybeSent bool
	// Creator is the creator of the entry's release (CreatedBy): a paced
	// channel serves creators in turn. "" for messages of no one.
	Creator string
}

// OutboxFinish is the end of an outbox entry (FinishOutboxes): its
// status, when, and for a post where it went.
type OutboxFinish struct {
	ID     int64
	Status string
	At     time.Time
	Post   *Post
}

// OutboxStore keeps the chat outbox: audit events are relayed into it in
// order, and senders claim its entries.
type OutboxStore interface {
	// Relay runs fn alone (one relay at a time across replicas) in one
	// transaction.
	Relay(ctx context.Context, fn func(RelayTx) error) error
	// ClaimOutbox leases, until now+lease, up to limit entries that are due:
	// the oldest pending entry of each release's queue for each team (Team
	// "" is the release's card and thread; a team's is its sign-off
	// request), unless another sender holds it. With pace > 0, of entries
	// that make a new message (NewMessage) at most one per Channel is
	// handed out, and none for a channel whose next turn (TakeTurn) has not
	// come; creators take turns in a channel: of its due entries, the
	// oldest of the creator whose turn there (EndTurn) is longest ago
	// goes first, so that one person's backlog doesn't hold up another's
	// sign-off request. An entry whose previous claim lapsed unfinished comes back with
	// MaybeSent set, and keeps it.
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int, pace time.Duration) ([]OutboxEntry, error)
	// TakeTurn takes channel's turn to have a new message, if it has come
	// by now (senders on the same database share the turns), and holds the
	// channel until now+hold at the latest. If it has not come, it returns
	// when it will.
	TakeTurn(ctx context.Context, channel string, now time.Time, hold time.Duration) (ok bool, next time.Time, err error)
	// EndTurn sets when channel's next turn comes, once the post that took
	// its turn has ended: pacing counts from when chat took a message, not
	// from when a sender meant to send it. The post was turn's message
	// (its entry's Channel and Creator), ended at ended: that creator was
	// served there last, which ClaimOutbox weighs.
	EndTurn(ctx context.Context, channel string, next time.Time, turn Turn) error
	// FinishOutbox records that an entry was sent (or superseded, or failed
	// for good) and, for a post, where it went.
	FinishOutbox(ctx context.Context, id int64, status string, at time.Time, post *Post) error
	// FinishOutboxes records several ends at once, all or nothing, each as
	// FinishOutbox would.
	FinishOutboxes(ctx context.Context, ends []OutboxFinish) error
	// RetryOutbox releases an entry to be tried again at next. maybeSent
	// records that the failed attempt may have reached chat all the same
	// (a timeout, a 5xx); once set, MaybeSent stays set.
	RetryOutbox(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, maybeSent bool) error
	// NewerUpdate reports whether a later pending entry updates the same
	// message as e, so e need not be sent.
	NewerUpdate(ctx context.Context, e OutboxEntry) (bool, error)
	// PendingOutbox counts entries not yet sent.
	PendingOutbox(ctx context.Context) (int, error)
	// EnqueueOnce adds entries outside a relay; entries whose DedupeKey is
	// already queued (or was sent) are dropped, so a job that runs twice
	// says things once.
	EnqueueOnce(ctx context.Context, entries []OutboxEntry) error
}

// PostAdopter records posts that were found in chat rather than
// remembered by their sender: a message whose sender died after chat took
// it and before recording where it went.
type PostAdopter interface {
	// AdoptPost records p as the post made by outbox entry entry, which
	// the message at p's channel and ts says it came from. It returns
	// ErrNotFound when entry is not a post of p's kind, release and team,
	// and ErrDuplicate when the release already has a post of that kind for
	// that team at another ts, or the ts belongs to another post. Adopting
	// the same post twice is not an error. A pending entry that nobody
	// holds (no claim, or a lapsed one, at p.At) is finished as sent: its
	// message is in chat.
	AdoptPost(ctx context.Context, entry int64, p Post) error
}

// RelayTx is the outbox inside a relay transaction.
type RelayTx interface {
	// UnrelayedEvents returns up to limit audit events not yet relayed,
	// oldest first.
	UnrelayedEvents(ctx context.Context, limit int) ([]AuditEvent, error)
	// ReleasesByID returns the releases of ids as they are now, by id, with
	// a few queries for all of them; an id without a release is absent.
	ReleasesByID(ctx context.Context, ids []int64) (map[int64]*Release, error)
	// Enqueue adds entries to the outbox, in their order.
	Enqueue(ctx context.Context, entries []OutboxEntry) error
	// MarkRelayed records that events were relayed.
	MarkRelayed(ctx context.Context, ids []int64, at time.Time) error
}

// EventClaims remembers which chat-platform events were processed.
type EventClaims interface {
	// ClaimEvent reports whether the caller should process event id: it was
	// never seen, or a claim on it lapsed without finishing. It leases the
	// event until now+lease. It returns false for an event already
	// processed, and ErrBusy for one whose processing is under way
	// elsewhere (or died and its lease has not lapsed yet): its delivery
	// should be retried later, not dropped.
	ClaimEvent(ctx context.Context, id string, now time.Time, lease time.Duration) (bool, error)
	// FinishEvent records that event id was processed.
	FinishEvent(ctx context.Context, id string) error
	// ReleaseEvent gives up a claim without processing, so the next
	// delivery of event id is processed.
	ReleaseEvent(ctx context.Context, id string) error
}

// Turn is whose new message took a paced channel's turn, and when it was
// posted: creators take turns in a busy channel (ClaimOutbox).
type Turn struct {
	Channel string // the entry's channel
	Creator string // the creator of the entry's release
	At      time.Time
}
