package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// Bot turns what people do in chat (commands, reactions, buttons) into
// calls of the release service.
type Bot struct {
	svc     Releases
	posts   releases.PostStore
	cfg     Settings // what it reads of the configuration
	cal     Calendar
	view    view
	log     *slog.Logger
	now     func() time.Time
	metrics CommandMetrics
	history releases.HistoryReader
	owners  func(service string) []string
	// homes, when set (NewHomes), hears of freezes, which change what
	// every Home shows.
	homes *Homes
	// confirmKey signs Confirm buttons (see confirm.go).
	confirmKey []byte
	// statuses keeps status answers (see status.go).
	statuses statusAnswers
}

// Options configure a Bot; all but Logger, Metrics and Now are required.
type Options struct {
	Coordinator Releases
	Posts       releases.PostStore
	Settings    Settings // projected from the configuration by main
	Calendar    Calendar
	Logger      *slog.Logger
	// Metrics counts commands by name and outcome; nil counts nothing.
	Metrics CommandMetrics
	// Now is the coordinator's clock (default time.Now).
	Now func() time.Time
	// History reads the production DORA figures `/release history SERVICE`
	// shows (the store); nil shows none.
	History releases.HistoryReader
	// Owners names the teams that own a service (the service catalog's);
	// nil names none.
	Owners func(service string) []string
	// ConfirmKey signs the Confirm buttons of typed commands that ask
	// first. Replicas must share it, so that any of them takes a press;
	// empty: a random key, good for this process only.
	ConfirmKey []byte
}

// New returns a Bot. What releases say in chat (cards, requests, thread
// replies) goes through the Relay and the Sender, not through the Bot.
func New(opts Options) *Bot {
	b := &Bot{svc: opts.Coordinator, posts: opts.Posts, cfg: opts.Settings, cal: opts.Calendar,
		view: newView(opts.Settings), log: opts.Logger, now: opts.Now, metrics: opts.Metrics,
		history: opts.History, owners: opts.Owners, confirmKey: opts.ConfirmKey}
	if len(b.confirmKey) == 0 {
		b.confirmKey = make([]byte, 32)
		_, _ = rand.Read(b.confirmKey)
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.metrics == nil {
		b.metrics = noMetrics{}
	}
	b.view.now = b.now
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	return b
}

type noMetrics struct{}

func (noMetrics) CommandHandled(string, string) {}

func touchesSignoff(events []releases.AuditEvent) bool {
	for _, e := range events {
		switch e.Action {
		case releases.ActionSignedOff, releases.ActionWithdrawn, releases.ActionRejected, releases.ActionReady,
			releases.ActionUnready, releases.ActionCancelled, releases.ActionDeploymentStarted:
			return true
		}
	}
	return false
}

// Emoji that sign off or reject on a sign-off request.
var (
	approveEmoji = map[string]bool{"white_check_mark": true, "heavy_check_mark": true, "+1": true, "thumbsup": true}
	rejectEmoji  = map[string]bool{"x": true}
)

// NormalizeEmoji drops colons and skin tones: ":+1::skin-tone-3:" → "+1".
func NormalizeEmoji(name string) string {
	name = strings.Trim(strings.TrimSpace(name), ":")
	if base, _, ok := strings.Cut(name, "::"); ok {
		name = base
	}
	return name
}

// Reaction is a reaction added to or removed from a message.
type Reaction struct {
	User    string
	Channel string
	TS      string // the message reacted to
	Emoji   string
	Added   bool
}

// HandleReaction acts on a reaction to a sign-off request: ✅ signs off,
// removing it withdraws, ❌ rejects. Reactions elsewhere are ignored. The
// returned note, if any, is for the reacting user alone. An error means
// the reaction could not be processed (the database failed): nothing
// changed and the same event should be processed again later. chat, if
// not nil, is where the reaction was made: it may be asked about a
// message the bot has no record of (see adopt).
func (b *Bot) HandleReaction(ctx context.Context, re Reaction, chat Chat) (*Message, error) {
	note := b.handleReaction(ctx, re, chat)
	if note != nil && note.internal != nil {
		return nil, note.internal
	}
	if note == nil {
		return nil, nil
	}
	return &note.Message, nil
}

// postsInFlight is implemented by stores that can tell whether a post to a
// channel is being sent.
type postsInFlight interface {
	PostInFlight(ctx context.Context, channel string, now time.Time) (bool, error)
}

// inFlightWait bounds how long a reaction on a post being sent waits for
// the post to be recorded before Slack is asked to deliver it again (a
// minute later at best). A sender records the posts it sent together,
// within finishHold of the first, so a lead who reacts at
// once, or a test that reacts as soon as the post shows, is counted on
// the first delivery; a dead sender's post still answers "retry".
const inFlightWait = 300 * time.Millisecond

// awaitPost reads the post at channel and ts until it is recorded, for at
// most inFlightWait; ErrNotFound if it was not.
func (b *Bot) awaitPost(ctx context.Context, channel, ts string) (*releases.Post, error) {
	ctx, cancel := context.WithTimeout(ctx, inFlightWait)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, releases.ErrNotFound
		case <-tick.C:
		}
		post, err := b.posts.FindPost(ctx, channel, ts)
		if ctx.Err() != nil {
			return nil, releases.ErrNotFound
		}
		if !errors.Is(err, releases.ErrNotFound) {
			return post, err
		}
	}
}

// reactionNote is handleReaction's answer: a note for the user, or the
// internal failure that prevented processing.
type reactionNote struct {
	Message
	internal error
}

func (b *Bot) handleReaction(ctx context.Context, re Reaction, chat Chat) *reactionNote {
	emoji := NormalizeEmoji(re.Emoji)
	if !approveEmoji[emoji] && !rejectEmoji[emoji] {
		return nil
	}
	post, err := b.posts.FindPost(ctx, re.Channel, re.TS)
	if errors.Is(err, releases.ErrNotFound) {
		// The message may be a request whose post is being recorded right
		// now: then the event must be retried, not ignored.
		if f, ok := b.posts.(postsInFlight); ok {
			busy, ferr := f.PostInFlight(ctx, re.Channel, b.now())
			if busy && ferr == nil {
				post, err = b.awaitPost(ctx, re.Channel, re.TS)
			} else if ferr == nil {
				// Recording a post ends its flight in the same transaction:
				// if it landed between the two reads above, it is there now.
				post, err = b.posts.FindPost(ctx, re.Channel, re.TS)
			}
			if ferr != nil || busy && errors.Is(err, releases.ErrNotFound) {
				return &reactionNote{internal: errors.Join(releases.ErrBusy, ferr)}
			}
		}
		if errors.Is(err, releases.ErrNotFound) {
			// Or it is a request whose sender died before recording it.
			var note *reactionNote
			if post, note = b.adopt(ctx, re, chat); post == nil {
				return note
			}
			err = nil
		}
	}
	if err == nil && post.Kind != releases.PostRequest {
		return nil
	}
	if err != nil {
		return &reactionNote{internal: fmt.Errorf("find post: %w", err)}
	}
	mark := releases.PostReaction{Channel: re.Channel, TS: re.TS, User: re.User, Emoji: strings.Trim(strings.TrimSpace(re.Emoji), ":"), At: b.now()}
	switch {
	case approveEmoji[emoji] && re.Added:
		if err := b.posts.AddReaction(ctx, mark); err != nil {
			return &reactionNote{internal: fmt.Errorf("record reaction: %w", err)}
		}
		_, err = b.svc.SignOff(ctx, re.User, post.ReleaseID, post.Team)
		if b.repeated(ctx, err, re.User, post.ReleaseID, post.Team, releases.Approved) {
			return nil
		}
	case approveEmoji[emoji]:
		return b.takeBack(ctx, post, mark)
	case re.Added:
		_, err = b.svc.Reject(ctx, re.User, post.ReleaseID, post.Team, "")
		if b.repeated(ctx, err, re.User, post.ReleaseID, post.Team, releases.Rejected) {
			return nil
		}
	default:
		return nil // removing ❌ can't undo a rejection
	}
	if releases.ErrorCode(err) == releases.EInternal {
		return &reactionNote{internal: fmt.Errorf("reaction: %w", err)}
	}
	if err != nil {
		return &reactionNote{Message: *b.Failure(ctx, "reaction", err)}
	}
	return nil
}

// takeBack acts on the removal of an approving reaction mark from a
// sign-off request: the sign-off is withdrawn only when none of the user's
// approving reactions is left on the message, as people see it. The
// reactions are read from the store, so this holds across replicas and
// restarts.
func (b *Bot) takeBack(ctx context.Context, post *releases.Post, mark releases.PostReaction) *reactionNote {
	if err := b.posts.RemoveReaction(ctx, mark); err != nil {
		return &reactionNote{internal: fmt.Errorf("forget reaction: %w", err)}
	}
	if left, err := b.approving(ctx, mark); err != nil {
		return &reactionNote{internal: err}
	} else if left {
		return nil // the sign-off stands, as the message shows
	}
	_, err := b.svc.Withdraw(ctx, mark.User, post.ReleaseID, post.Team)
	switch {
	case releases.ErrorCode(err) == releases.EConflict && !errors.Is(err, releases.ErrStarted):
		return nil // nothing of theirs to withdraw: they were never counted
	case releases.ErrorCode(err) == releases.EInternal:
		return &reactionNote{internal: fmt.Errorf("reaction: %w", err)}
	case err != nil:
		return &reactionNote{Message: *b.Failure(ctx, "reaction", err)}
	}
	// An approving reaction recorded meanwhile (another replica took its
	// event) may have signed off before the withdrawal: it shows, so the
	// sign-off stands again.
	if left, err := b.approving(ctx, mark); err == nil && left {
		_, err = b.svc.SignOff(ctx, mark.User, post.ReleaseID, post.Team)
		if err != nil && !b.repeated(ctx, err, mark.User, post.ReleaseID, post.Team, releases.Approved) {
			b.log.WarnContext(ctx, "an approving reaction added while another was removed did not sign off again",
				"release", releases.FormatID(post.ReleaseID), "team", post.Team, "user", mark.User, "err", err)
		}
	}
	return nil
}

// approving reports whether the user of mark has an approving reaction on
// its message.
func (b *Bot) approving(ctx context.Context, mark releases.PostReaction) (bool, error) {
	emoji, err := b.posts.Reactions(ctx, mark.Channel, mark.TS, mark.User)
	if err != nil {
		return false, fmt.Errorf("read reactions: %w", err)
	}
	for _, e := range emoji {
		if approveEmoji[NormalizeEmoji(e)] {
			return true, nil
		}
	}
	return false, nil
}

// tagReader is a chat that can tell where a message of the bot came from.
type tagReader interface {
	TagOf(ctx context.Context, ref Ref) (*Tag, error)
}

// postAdopter is a store that records posts found in chat.
type postAdopter interface {
	AdoptPost(ctx context.Context, entry int64, p releases.Post) error
}

// adopt asks chat about the message re is on, which the bot has no record
// of: a sign-off request whose sender died after Slack took it and before
// recording its ts carries a tag naming its release and team. That post is
// recorded (adopted) and returned. It returns nil, and the note to answer
// with, for any other message.
func (b *Bot) adopt(ctx context.Context, re Reaction, chat Chat) (*releases.Post, *reactionNote) {
	tags, ok := chat.(tagReader)
	if !ok || !b.signoffChannel(re.Channel) {
		return nil, nil
	}
	tag, err := tags.TagOf(ctx, Ref{Channel: re.Channel, TS: re.TS})
	if err != nil {
		if _, transient := retryAfter(err, 0); transient {
			return nil, &reactionNote{internal: fmt.Errorf("read the message reacted to: %w", err)}
		}
		b.log.WarnContext(ctx, "cannot read the message a sign-off reaction is on; ignoring the reaction",
			"channel", re.Channel, "ts", re.TS, "err", err)
		return nil, nil
	}
	if tag == nil || tag.Kind != string(releases.PostRequest) || tag.Release == 0 {
		return nil, nil
	}
	if t, ok := b.cfg.Team(tag.Team); !ok || (isChannelID(t.Channel) && t.Channel != re.Channel) {
		return nil, nil // a request is posted in its team's channel
	}
	p := releases.Post{ReleaseID: tag.Release, Kind: releases.PostRequest, Team: tag.Team, Channel: re.Channel, TS: re.TS, At: b.now()}
	if a, ok := b.posts.(postAdopter); ok {
		err = a.AdoptPost(ctx, tag.Entry, p)
	} else {
		err = b.posts.SavePost(ctx, p)
	}
	switch {
	case errors.Is(err, releases.ErrNotFound):
		b.log.WarnContext(ctx, "a message tagged as a sign-off request was never queued by this releasebot; ignoring the reaction",
			"channel", re.Channel, "ts", re.TS, "entry", tag.Entry)
		return nil, nil
	case errors.Is(err, releases.ErrDuplicate):
		// Adopted meanwhile, or the release's request was posted again and
		// that copy recorded: the ✅ on this one counts all the same.
		if found, ferr := b.posts.FindPost(ctx, re.Channel, re.TS); ferr == nil {
			return found, nil
		} else if !errors.Is(ferr, releases.ErrNotFound) {
			return nil, &reactionNote{internal: fmt.Errorf("find post: %w", ferr)}
		}
		b.log.InfoContext(ctx, "reaction on an unrecorded copy of a sign-off request", "release", releases.FormatID(p.ReleaseID),
			"team", p.Team, "channel", re.Channel, "ts", re.TS)
	case err != nil:
		return nil, &reactionNote{internal: fmt.Errorf("adopt post: %w", err)}
	default:
		b.log.InfoContext(ctx, "adopted a sign-off request whose post was never recorded", "release", releases.FormatID(p.ReleaseID),
			"team", p.Team, "channel", re.Channel, "ts", re.TS)
	}
	return &p, nil
}

// signoffChannel reports whether channel may hold a sign-off request, so
// that reactions elsewhere cost no call to chat. A team channel given by
// name can't be told from its id: then any channel may.
func (b *Bot) signoffChannel(channel string) bool {
	for _, t := range b.cfg.Teams {
		if t.Channel == channel || !isChannelID(t.Channel) {
			return true
		}
	}
	return false
}

// isChannelID tells a Slack conversation id (C0PAY, G01…) from a name.
func isChannelID(s string) bool {
	if len(s) < 2 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// repeated reports whether err refused a decision that already stands:
// user's sign-off (or rejection) of release id for team. A double click, or
// a ✅ after the button, then changes nothing and says nothing — also when
// the first one closed the sign-offs by starting the deployment, which the
// service reports as a conflict of its own.
func (b *Bot) repeated(ctx context.Context, err error, user string, id int64, team string, d releases.Decision) bool {
	if releases.ErrorCode(err) != releases.EConflict {
		return false
	}
	r, gerr := b.svc.Get(ctx, id)
	if gerr != nil {
		return false
	}
	for _, so := range r.SignOffs {
		if so.User == user && so.Team == team && so.Decision == d {
			return true
		}
	}
	return false
}

// Action is a button press.
type Action struct {
	User     string
	Channel  string
	ActionID string
	Value    string
}

// HandleAction acts on a button: Approve and Reject on a sign-off request,
// Promote, Retry, Roll back and Cancel on a card, Confirm on a typed command's
// summary. Each does what its command does, with the same checks and
// refusals. The returned note, if any, is for the user alone.
func (b *Bot) HandleAction(ctx context.Context, a Action) *Message {
	if a.ActionID == ActionConfirm {
		return b.confirmed(ctx, a)
	}
	id, arg, ok := parseButtonValue(a.Value)
	if !ok {
		return nil
	}
	var err error
	switch a.ActionID {
	case ActionApprove:
		_, err = b.svc.SignOff(ctx, a.User, id, arg)
		if b.repeated(ctx, err, a.User, id, arg, releases.Approved) {
			return nil // a double click: the first one counted
		}
	case ActionReject:
		_, err = b.svc.Reject(ctx, a.User, id, arg, "")
		if b.repeated(ctx, err, a.User, id, arg, releases.Rejected) {
			return nil
		}
	case ActionPromote:
		_, err = b.svc.Deploy(ctx, a.User, id, arg, "")
	case ActionRollback:
		_, err = b.svc.Rollback(ctx, a.User, id, arg, "")
	case ActionRetry:
		_, err = b.svc.Retry(ctx, a.User, id, "")
	case ActionCancel:
		_, err = b.svc.Cancel(ctx, a.User, id, "")
	default:
		return nil
	}
	if err != nil {
		return b.Failure(ctx, a.ActionID, err)
	}
	return nil
}

// Failure turns an error into a note for the user: the coordinator's sentence,
// or "Internal error" with a reference that the log has too.
func (b *Bot) Failure(ctx context.Context, what string, err error) *Message {
	if releases.ErrorCode(err) != releases.EInternal {
		m := Text(refusal(releases.ErrorMessage(err)))
		return &m
	}
	ref := newRef()
	b.log.ErrorContext(ctx, what, "ref", ref, "err", err)
	m := Text("Internal error (reference " + ref + "). The operators can find it in releasebot's log.")
	return &m
}

func newRef() string {
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}
