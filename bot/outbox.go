package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// Relay turns committed audit events into queued chat messages, in order:
// a new release's card and sign-off requests; for later changes one thread
// reply, a card update and, while sign-offs matter, request updates. Audit
// events are written with the changes they record, so nothing said here is
// lost to a crash between a change and its message.
type Relay struct {
	store releases.OutboxStore
	cfg   Settings
	view  view
	now   func() time.Time
	// Discard marks events relayed without queueing anything: with no chat
	// to speak to, turning Slack on later must not replay the past.
	Discard bool
}

// NewRelay returns a relay into store.
func NewRelay(store releases.OutboxStore, cfg Settings, now func() time.Time) *Relay {
	v := newView(cfg)
	v.now = now
	return &Relay{store: store, cfg: cfg, view: v, now: now}
}

// relayBatch bounds the events of one relay transaction. On SQLite that
// transaction holds the database's one writer lock, and commands wait
// behind it: 500 events (1,500 chat messages) held a burst of creates
// for tens of milliseconds, 100 keep the wait short at no cost in
// throughput (the bench's create at 8 on SQLite: p99 48–53 → 34–41 ms).
const relayBatch = 100

// RunOnce relays up to relayBatch events not yet relayed and returns how
// many.
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	n := 0
	err := r.store.Relay(ctx, func(tx releases.RelayTx) error {
		events, err := tx.UnrelayedEvents(ctx, relayBatch)
		if err != nil {
			return err
		}
		n = len(events)
		now := r.now().UTC()
		var entries []releases.OutboxEntry
		ids := make([]int64, len(events))
		for i, e := range events {
			ids[i] = e.ID
		}
		groups := byRelease(events)
		rels, err := r.releasesOf(ctx, tx, groups)
		if err != nil {
			return err
		}
		for _, group := range groups {
			if r.Discard || group[0].ReleaseID == 0 {
				continue // not about one release: nothing to thread
			}
			rel, ok := rels[group[0].ReleaseID]
			if !ok {
				return fmt.Errorf("relay events of %s: %w", releases.FormatID(group[0].ReleaseID), releases.ErrNotFound)
			}
			planned, err := r.plan(rel, group, now)
			if err != nil {
				return err
			}
			entries = append(entries, planned...)
		}
		if err := tx.Enqueue(ctx, entries); err != nil {
			return err
		}
		return tx.MarkRelayed(ctx, ids, now)
	})
	return n, err
}

// releasesOf loads the releases of the groups that are about one, in one
// go.
func (r *Relay) releasesOf(ctx context.Context, tx releases.RelayTx, groups [][]releases.AuditEvent) (map[int64]*releases.Release, error) {
	var ids []int64
	for _, g := range groups {
		if !r.Discard && g[0].ReleaseID != 0 {
			ids = append(ids, g[0].ReleaseID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return tx.ReleasesByID(ctx, ids)
}

// byRelease groups events by release, keeping each group's order and the
// groups in order of their first event.
func byRelease(events []releases.AuditEvent) [][]releases.AuditEvent {
	index := map[int64]int{}
	var groups [][]releases.AuditEvent
	for _, e := range events {
		i, ok := index[e.ReleaseID]
		if !ok {
			i = len(groups)
			index[e.ReleaseID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], e)
	}
	return groups
}

// plan decides the messages for one release's new events.
func (r *Relay) plan(rel *releases.Release, events []releases.AuditEvent, now time.Time) ([]releases.OutboxEntry, error) {
	var out []releases.OutboxEntry
	add := func(op releases.OutboxOp, team, channel string, m Message) error {
		body, err := encodeMessage(m)
		if err != nil {
			return err
		}
		out = append(out, releases.OutboxEntry{ReleaseID: rel.ID, Op: op, Team: team, Channel: channel, Body: body,
			NextAttemptAt: now, CreatedAt: now, Creator: rel.CreatedBy})
		return nil
	}
	if events[0].Action == releases.ActionCreated {
		if rel.Origin != "" {
			if err := add(releases.OpPostCard, "", rel.Origin, r.view.card(rel)); err != nil {
				return nil, err
			}
		}
		for _, team := range rel.Teams {
			if t, ok := r.cfg.Team(team); ok {
				if err := add(releases.OpPostRequest, team, t.Channel, r.view.request(rel, team)); err != nil {
					return nil, err
				}
			}
		}
		events = events[1:]
		if len(events) == 0 {
			return out, nil
		}
	}
	if rel.Origin != "" {
		// A reply goes to the card's thread, in the card's channel: named
		// here so that a sender pacing that channel passes it over.
		if err := add(releases.OpReply, "", rel.Origin, r.view.threadReply(events)); err != nil {
			return nil, err
		}
		if err := add(releases.OpUpdateCard, "", "", r.view.card(rel)); err != nil {
			return nil, err
		}
	}
	if touchesSignoff(events) {
		for _, team := range rel.Teams {
			if err := add(releases.OpUpdateRequest, team, "", r.view.request(rel, team)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// messageFormat marks an outbox body written as a neutral Message, whose
// blocks are under "layout". Bodies without it were written before it
// existed, with Slack's Block Kit under "blocks" (see decodeBlockKit). A
// releasebot of before reads "layout" not at all: during a rolling
// upgrade it sends such a message as its text alone, not as blocks Slack
// would refuse.
const messageFormat = 2

type encodedMessage struct {
	Format int             `json:"format,omitempty"`
	Text   string          `json:"text"`
	Layout json.RawMessage `json:"layout,omitempty"` // format 2
	Blocks json.RawMessage `json:"blocks,omitempty"` // Block Kit, before format 2
}

func encodeMessage(m Message) (string, error) {
	layout, err := json.Marshal(m.Blocks)
	if err == nil {
		var b []byte
		b, err = json.Marshal(encodedMessage{Format: messageFormat, Text: m.Text, Layout: layout})
		if err == nil {
			return string(b), nil
		}
	}
	return "", fmt.Errorf("encode message: %w", err)
}

// decodeMessage reads an outbox body in either form: a neutral Message,
// or the Block Kit of a body queued by an earlier releasebot.
func decodeMessage(body string) (Message, error) {
	var em encodedMessage
	if err := json.Unmarshal([]byte(body), &em); err != nil {
		return Message{}, fmt.Errorf("decode message: %w", err)
	}
	m := Message{Text: em.Text}
	var err error
	switch em.Format {
	case messageFormat:
		if len(em.Layout) > 0 {
			err = json.Unmarshal(em.Layout, &m.Blocks)
		}
	case 0:
		if len(em.Blocks) > 0 && string(em.Blocks) != "null" {
			m.Blocks, err = decodeBlockKit(em.Blocks)
		}
	default:
		err = fmt.Errorf("unknown format %d", em.Format)
	}
	if err != nil {
		return Message{}, fmt.Errorf("decode message: %w", err)
	}
	return m, nil
}

// Sender sends queued chat messages, one at a time per release, in order.
// Slack's rate limits are honoured (Retry-After), other transient failures
// are retried with backoff, and a restart resumes where the queue stands.
type Sender struct {
	store releases.OutboxStore
	posts releases.PostStore
	chat  Chat
	now   func() time.Time
	log   *slog.Logger
	kick  chan struct{}

	// PostInterval paces new messages per channel: Slack allows about one
	// message per second in a channel. The store hands out a channel's
	// turns (ClaimOutbox), so the pace holds across replicas, and serves
	// the creators of releases in turn, so that one person's many releases
	// don't hold up another's sign-off request. Zero (the
	// terminal) sends at once. Updates in place are not paced; stale ones
	// are superseded instead.
	PostInterval time.Duration
	// Foreground, when set, holds chat delivery back while answers are
	// being worked out (Foreground).
	Foreground *Foreground
	// hold bounds one hold (zero: holdMax).
	hold time.Duration
	// late is how old the oldest message of the last claim was: past
	// lateMax, nothing is held back.
	late     atomic.Int64
	mu       sync.Mutex
	lastPost map[string]time.Time // when this sender last posted in a channel: when to look again
	// pausedUntil is when Slack's last rate-limit answer (Retry-After)
	// ends: no chat call is made before then, in any channel.
	pausedUntil time.Time
}

// errPaced says a channel's turn for a new message has not come; the
// entry waits for it.
type errPaced struct{ until time.Time }

func (e errPaced) Error() string { return "paced until " + e.until.Format(time.RFC3339Nano) }

// post sends e's new message to channel when its turn there has come (see
// PostInterval), and notes when, to look again when the next comes.
func (s *Sender) post(ctx context.Context, e releases.OutboxEntry, channel, thread string, m Message) (Ref, error) {
	if s.PostInterval <= 0 {
		return s.chat.Post(ctx, channel, thread, m)
	}
	// The channel is held while the post is under way, so that a post
	// slowed down on its way (a busy machine, a slow network) is not
	// followed closely by another replica's: the next turn counts from
	// when this one ended.
	ok, next, err := s.store.TakeTurn(ctx, channel, s.now(), s.PostInterval+turnHold)
	if err != nil {
		return Ref{}, err
	}
	if !ok {
		return Ref{}, errPaced{until: next}
	}
	ref, err := s.chat.Post(ctx, channel, thread, m)
	ended := s.now()
	turn := releases.Turn{Channel: e.Channel, Creator: e.Creator, At: ended}
	if eerr := s.store.EndTurn(context.WithoutCancel(ctx), channel, ended.Add(s.PostInterval), turn); eerr != nil {
		s.log.Error("end a turn in a paced channel; it stays held until its hold ends", "channel", channel, "err", eerr)
	}
	s.mu.Lock()
	if s.lastPost == nil {
		s.lastPost = map[string]time.Time{}
	}
	for ch, last := range s.lastPost { // forget channels whose turn came: the map stays small
		if ended.Sub(last) >= s.PostInterval {
			delete(s.lastPost, ch)
		}
	}
	s.lastPost[channel] = ended
	s.mu.Unlock()
	return ref, err
}

// turnHold bounds how long a sender holds a paced channel while it posts
// there: longer than a chat call may take (the Slack client's timeout is
// 15 s). A sender that dies mid-post holds its channel that long.
const turnHold = 20 * time.Second

// pause holds every chat call for d: a rate limit is the app's, not one
// message's, and calling on only earns more refusals.
func (s *Sender) pause(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until := s.now().Add(d); until.After(s.pausedUntil) {
		s.pausedUntil = until
	}
}

// paused reports whether chat calls are held, and until when.
func (s *Sender) paused() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pausedUntil, s.now().Before(s.pausedUntil)
}

// rateLimited reports whether err is chat's rate limit.
func rateLimited(err error) bool {
	ce, ok := asChatError(err)
	return ok && ce.RateLimited
}

// nextFree returns how long until the first busy channel is free again;
// false when none is busy.
func (s *Sender) nextFree() (time.Duration, bool) {
	if s.PostInterval <= 0 {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now, first, any := s.now(), time.Duration(0), false
	for _, last := range s.lastPost {
		if wait := last.Add(s.PostInterval).Sub(now); wait > 0 && (!any || wait < first) {
			first, any = wait, true
		}
	}
	return first, any
}

// NewSender returns a sender of store's queue to chat.
func NewSender(store releases.OutboxStore, posts releases.PostStore, chat Chat, now func() time.Time, log *slog.Logger) *Sender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sender{store: store, posts: posts, chat: chat, now: now, log: log, kick: make(chan struct{}, 1)}
}

// claimLease is how long a sender holds a message before another may take
// it over (a sender that died mid-send).
const claimLease = 30 * time.Second

// RunOnce sends the messages due now and returns how many it finished.
// The ends of the messages sent are recorded together (FinishOutboxes),
// before the first would wait finishHold for the others (a send is
// expected to take as long as the one before), not each on its own: the
// entries claimed together are heads of different queues, so none waits
// for another's end. Until its end is recorded an entry stays claimed;
// a sender that dies before recording leaves claims that lapse, whose
// entries are MaybeSent: as if it died just after chat took each message.
func (s *Sender) RunOnce(ctx context.Context) (int, error) {
	entries, err := s.store.ClaimOutbox(ctx, s.now(), claimLease, 50, s.PostInterval)
	if err != nil {
		return 0, err
	}
	var late time.Duration
	if len(entries) > 0 { // oldest first
		late = s.now().Sub(entries[0].CreatedAt)
	}
	s.late.Store(int64(late))
	var ends []releases.OutboxFinish
	var first time.Time
	done := 0 // ends recorded
	record := func() error {
		if len(ends) == 0 {
			return nil
		}
		// What chat took is recorded even when ctx ends meanwhile (a
		// shutdown): otherwise its next sender has to look for it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		defer cancel()
		if err := s.store.FinishOutboxes(rctx, ends); err != nil {
			return err
		}
		done, ends = done+len(ends), ends[:0]
		return nil
	}
	var took time.Duration // by the last send: what the next may take
	for _, e := range entries {
		if len(ends) > 0 && s.now().Sub(first)+took >= finishHold {
			if err := record(); err != nil {
				return done, err
			}
		}
		start := s.now()
		end, err := s.send(ctx, e)
		took = s.now().Sub(start)
		if err != nil {
			rerr := record()
			return done, errors.Join(err, rerr)
		}
		if end != nil {
			if len(ends) == 0 {
				first = end.At
			}
			ends = append(ends, *end)
		}
	}
	return done, record()
}

// finishHold bounds how long a sent message's end waits to be recorded
// with others': meanwhile a reaction on it waits for the record
// (inFlightWait, PostInFlight), so it is kept far below both that wait
// and a person's reaction time. Posts
// to Slack take about that long each: they are recorded one by one, as
// before; posts that take a few milliseconds share a statement.
const finishHold = 100 * time.Millisecond

// finishTimeout bounds recording ends once the sender's context ended.
const finishTimeout = 5 * time.Second

// holdBack waits while answers are being worked out (Foreground), unless
// the messages of the last claim were already late.
func (s *Sender) holdBack(ctx context.Context) {
	if s.Foreground != nil && time.Duration(s.late.Load()) < lateMax {
		s.Foreground.Wait(ctx, cmp.Or(s.hold, holdMax))
	}
}

// Drain sends until nothing more is due.
func (s *Sender) Drain(ctx context.Context) error {
	for {
		s.holdBack(ctx)
		n, err := s.RunOnce(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// send delivers one entry; it returns the entry's end when it is finished
// (sent, superseded or failed for good), nil when it is to be retried.
func (s *Sender) send(ctx context.Context, e releases.OutboxEntry) (*releases.OutboxFinish, error) {
	end := func(status string, post *releases.Post) (*releases.OutboxFinish, error) {
		return &releases.OutboxFinish{ID: e.ID, Status: status, At: s.now(), Post: post}, nil
	}
	if e.Op == releases.OpUpdateCard || e.Op == releases.OpUpdateRequest {
		newer, err := s.store.NewerUpdate(ctx, e)
		if err != nil {
			return nil, err
		}
		if newer { // only the newest state of a message is worth a call
			return end(releases.OutboxSuperseded, nil)
		}
	}
	if until, paused := s.paused(); paused { // not an attempt: chat asked everyone to wait
		return nil, s.store.RetryOutbox(ctx, e.ID, e.Attempts, until, e.LastError, false)
	}
	m, err := decodeMessage(e.Body)
	if err != nil {
		s.log.Error("chat message cannot be decoded", "id", e.ID, "err", err)
		return end(releases.OutboxFailed, nil)
	}
	post, err := s.deliver(ctx, e, m)
	if err == nil {
		return end(releases.OutboxSent, post)
	}
	var paced errPaced
	if errors.As(err, &paced) { // not an attempt: another sender just posted there
		// A sender posting there holds the channel for up to turnHold, and
		// frees it a pace after its post: look again a pace from now.
		until := paced.until
		if soon := s.now().Add(s.PostInterval); until.After(soon) {
			until = soon
		}
		return nil, s.store.RetryOutbox(ctx, e.ID, e.Attempts, until, e.LastError, false)
	}
	wait, transient := retryAfter(err, e.Attempts)
	if rateLimited(err) {
		s.pause(wait)
	}
	release := releases.FormatID(e.ReleaseID)
	if !transient {
		s.log.Error("chat refused a message for good", "release", release, "op", e.Op, "err", err)
		return end(releases.OutboxFailed, nil)
	}
	s.log.Warn("chat message delayed", "release", release, "op", e.Op, "attempt", e.Attempts+1, "retry_in", wait.String(), "err", err)
	return nil, s.store.RetryOutbox(ctx, e.ID, e.Attempts+1, s.now().Add(wait), err.Error(), e.Op.NewMessage() && mayHaveLanded(err))
}

// errNoTarget says the message an entry refers to was never posted.
var errNoTarget = errors.New("the message to reply to or update was never posted")

// tagFor is what a message posted for e carries, to be found again.
func tagFor(e releases.OutboxEntry) *Tag {
	kind := string(e.Op)
	switch e.Op {
	case releases.OpPostCard:
		kind = string(releases.PostCard)
	case releases.OpPostRequest:
		kind = string(releases.PostRequest)
	}
	return &Tag{Entry: e.ID, Release: e.ReleaseID, Kind: kind, Team: e.Team}
}

// deliver makes the chat call for e and returns the post to remember.
func (s *Sender) deliver(ctx context.Context, e releases.OutboxEntry, m Message) (*releases.Post, error) {
	if e.Op.NewMessage() {
		m.Tag = tagFor(e)
	}
	switch e.Op {
	case releases.OpPost:
		if _, found, err := s.earlierCopy(ctx, e, e.Channel, ""); found || err != nil {
			return nil, err
		}
		_, err := s.post(ctx, e, e.Channel, "", m)
		return nil, err
	case releases.OpPostCard, releases.OpPostRequest:
		kind := releases.PostCard
		if e.Op == releases.OpPostRequest {
			kind = releases.PostRequest
		}
		if e.MaybeSent { // a reaction on the earlier copy may have adopted it already
			if p, err := s.recorded(ctx, e.ReleaseID, kind, e.Team); p != nil || err != nil {
				return p, err
			}
		}
		ref, found, err := s.earlierCopy(ctx, e, e.Channel, "")
		if err != nil {
			return nil, err
		}
		if !found {
			if ref, err = s.post(ctx, e, e.Channel, "", m); err != nil {
				return nil, err
			}
		}
		return &releases.Post{ReleaseID: e.ReleaseID, Kind: kind, Team: e.Team, Channel: ref.Channel, TS: ref.TS, At: s.now()}, nil
	}
	target, err := s.target(ctx, e)
	if err != nil {
		return nil, err
	}
	if e.Op == releases.OpReply {
		if _, found, err := s.earlierCopy(ctx, e, target.Channel, target.TS); found || err != nil {
			return nil, err
		}
		_, err = s.post(ctx, e, target.Channel, target.TS, m)
		return nil, err
	}
	return nil, s.chat.Update(ctx, Ref{target.Channel, target.TS}, m)
}

// copyFinder is a chat that can look for a message it was given before.
type copyFinder interface {
	FindTagged(ctx context.Context, channel, thread string, since time.Time, want Tag) (Ref, bool, error)
}

// lookBack is how much earlier than its entry's creation a copy is looked
// for: chat stamps messages with its own clock.
const lookBack = 5 * time.Minute

// earlierCopy looks for the message of e that an earlier attempt may have
// posted, in channel (in the thread rooted at thread, if set), when e may
// have been sent before. A failed look-up that trying later can mend is
// returned; any other (releasebot may not read the channel's history) is
// logged, and the message is posted again: twice is better than never.
func (s *Sender) earlierCopy(ctx context.Context, e releases.OutboxEntry, channel, thread string) (Ref, bool, error) {
	f, ok := s.chat.(copyFinder)
	if !e.MaybeSent || !ok || isDirect(channel) {
		return Ref{}, false, nil
	}
	release := releases.FormatID(e.ReleaseID)
	ref, found, err := f.FindTagged(ctx, channel, thread, e.CreatedAt.Add(-lookBack), *tagFor(e))
	if err != nil {
		if _, transient := retryAfter(err, 0); transient {
			return Ref{}, false, fmt.Errorf("look for an earlier copy: %w", err)
		}
		s.log.Warn("cannot look for the copy of a chat message that may have been posted before; posting it again, perhaps twice",
			"release", release, "op", e.Op, "channel", channel, "err", err)
		return Ref{}, false, nil
	}
	if found {
		s.log.Info("chat message was posted before; not posting it again", "release", release, "op", e.Op, "channel", ref.Channel, "ts", ref.TS)
	}
	return ref, found, nil
}

// isDirect reports whether channel is a person or a direct message:
// reading those back would need im:history, which releasebot doesn't ask
// for.
func isDirect(channel string) bool {
	return strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") || strings.HasPrefix(channel, "D")
}

// recorded returns release's post of kind for team, nil if there is none.
func (s *Sender) recorded(ctx context.Context, release int64, kind releases.PostKind, team string) (*releases.Post, error) {
	posts, err := s.posts.Posts(ctx, release)
	if err != nil {
		return nil, err
	}
	for i := range posts {
		if posts[i].Kind == kind && posts[i].Team == team {
			return &posts[i], nil
		}
	}
	return nil, nil
}

func (s *Sender) target(ctx context.Context, e releases.OutboxEntry) (*releases.Post, error) {
	kind := releases.PostCard
	if e.Op == releases.OpUpdateRequest {
		kind = releases.PostRequest
	}
	p, err := s.recorded(ctx, e.ReleaseID, kind, e.Team)
	if err == nil && p == nil {
		err = errNoTarget
	}
	return p, err
}

// maxBackoff caps the delay between attempts.
const maxBackoff = 5 * time.Minute

// retryAfter tells how long to wait before the next attempt, and whether
// trying again can help at all.
func retryAfter(err error, attempts int) (time.Duration, bool) {
	if ce, ok := asChatError(err); ok {
		switch {
		case ce.Wait > 0:
			return ce.Wait, true
		case ce.Permanent:
			return 0, false
		}
		return backoff(attempts), true
	}
	if errors.Is(err, errNoTarget) {
		return 0, false
	}
	return backoff(attempts), true // a timeout, a broken connection, unknown: keep the message and try later
}

// mayHaveLanded reports whether a failed post may have been made all the
// same: only an answer from chat that refuses it says it was not (see
// ChatError.Refused); a timeout or a broken connection leave it open.
func mayHaveLanded(err error) bool {
	ce, ok := asChatError(err)
	return !ok || !ce.Refused
}

// backoff doubles from one second, with jitter, up to maxBackoff.
func backoff(attempts int) time.Duration {
	d := time.Second << min(attempts, 9)
	d = min(d, maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// Kick wakes a running sender (and relay).
func (s *Sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Pump relays and sends until ctx ends, woken by Kick and every poll.
func Pump(ctx context.Context, relay *Relay, s *Sender, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		s.holdBack(ctx)
		n, err := relay.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("relay chat messages", "err", err)
		}
		if err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("send chat messages", "err", err)
		}
		if n == relayBatch && err == nil && ctx.Err() == nil {
			continue // more events wait: relay them now, not a poll later
		}
		// A channel that just had a message holds its next one back: look
		// again when it is free, not a whole poll later.
		var free <-chan time.Time
		var timer *time.Timer
		if wait, ok := s.nextFree(); ok {
			timer = time.NewTimer(wait)
			free = timer.C
		}
		select {
		case <-ctx.Done():
		case <-s.kick:
		case <-t.C:
		case <-free:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// Run relays every poll until ctx ends, without sending: for a server with
// no chat, whose relay only marks events told (Discard). Messages queued
// while a chat was configured stay queued for when it is again.
func (r *Relay) Run(ctx context.Context, poll time.Duration, log *slog.Logger) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		n, err := r.RunOnce(ctx)
		if err != nil && ctx.Err() == nil && log != nil {
			log.Error("relay chat messages", "err", err)
		}
		if n == relayBatch && err == nil && ctx.Err() == nil {
			continue // more events wait
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
