package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// Bot turns what people do in chat into calls of the release service, and
// the service's changes into messages.
type Bot struct {
	svc   *releases.Service
	posts releases.PostStore
	chat  Chat
	cfg   *config.Config
	cal   *scheduler.Calendar
	view  view
	log   *slog.Logger
	now   func() time.Time
}

// Options configure a Bot; all but Logger are required.
type Options struct {
	Service  *releases.Service
	Posts    releases.PostStore
	Chat     Chat
	Config   *config.Config
	Calendar *scheduler.Calendar
	Logger   *slog.Logger
}

// New returns a Bot. Register it as a notifier of the service
// (Service.AddNotifier) so releases tell their story in their threads.
func New(opts Options) *Bot {
	b := &Bot{svc: opts.Service, posts: opts.Posts, chat: opts.Chat, cfg: opts.Config, cal: opts.Calendar,
		view: newView(opts.Config), log: opts.Logger, now: opts.Service.Now}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	return b
}

// ReleaseChanged posts a committed change: a new release gets its card and
// one sign-off request per team; later changes become one reply in the
// release's thread, and the card (and, while sign-offs matter, the requests)
// are updated in place.
func (b *Bot) ReleaseChanged(ctx context.Context, c releases.Change) {
	r := &c.Release
	if len(c.Events) > 0 && c.Events[0].Action == releases.ActionCreated {
		b.announce(ctx, r)
		return
	}
	posts, err := b.posts.Posts(ctx, r.ID)
	if err != nil {
		b.log.Error("load posts", "release", releases.FormatID(r.ID), "err", err)
		return
	}
	var card *releases.Post
	for i := range posts {
		if posts[i].Kind == releases.PostCard {
			card = &posts[i]
		}
	}
	if card != nil {
		if _, err := b.chat.Post(ctx, card.Channel, card.TS, b.view.threadReply(c.Events)); err != nil {
			b.log.Error("post thread reply", "release", releases.FormatID(r.ID), "err", err)
		}
		if err := b.chat.Update(ctx, Ref{card.Channel, card.TS}, b.view.card(r)); err != nil {
			b.log.Error("update card", "release", releases.FormatID(r.ID), "err", err)
		}
	}
	if !touchesSignoff(c.Events) {
		return
	}
	for _, p := range posts {
		if p.Kind == releases.PostRequest {
			if err := b.chat.Update(ctx, Ref{p.Channel, p.TS}, b.view.request(r, p.Team)); err != nil {
				b.log.Error("update sign-off request", "release", releases.FormatID(r.ID), "team", p.Team, "err", err)
			}
		}
	}
}

// announce posts a new release's card and its teams' sign-off requests.
func (b *Bot) announce(ctx context.Context, r *releases.Release) {
	if r.Origin != "" {
		b.postFor(ctx, r, releases.PostCard, "", r.Origin, b.view.card(r))
	}
	for _, team := range r.Teams {
		t, ok := b.cfg.Team(team)
		if !ok {
			continue
		}
		b.postFor(ctx, r, releases.PostRequest, team, t.Channel, b.view.request(r, team))
	}
}

func (b *Bot) postFor(ctx context.Context, r *releases.Release, kind releases.PostKind, team, channel string, m Message) {
	ref, err := b.chat.Post(ctx, channel, "", m)
	if err != nil {
		b.log.Error("post", "release", releases.FormatID(r.ID), "kind", kind, "channel", channel, "err", err)
		return
	}
	p := releases.Post{ReleaseID: r.ID, Kind: kind, Team: team, Channel: ref.Channel, TS: ref.TS, At: b.now()}
	if err := b.posts.SavePost(ctx, p); err != nil {
		b.log.Error("save post", "release", releases.FormatID(r.ID), "kind", kind, "err", err)
	}
}

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

// normalizeEmoji drops colons and skin tones: ":+1::skin-tone-3:" → "+1".
func normalizeEmoji(name string) string {
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
// returned note, if any, is for the reacting user alone.
func (b *Bot) HandleReaction(ctx context.Context, re Reaction) *Message {
	emoji := normalizeEmoji(re.Emoji)
	if !approveEmoji[emoji] && !rejectEmoji[emoji] {
		return nil
	}
	post, err := b.posts.FindPost(ctx, re.Channel, re.TS)
	if errors.Is(err, releases.ErrNotFound) || (err == nil && post.Kind != releases.PostRequest) {
		return nil
	}
	if err != nil {
		return b.failure(ctx, "find post", err)
	}
	switch {
	case approveEmoji[emoji] && re.Added:
		_, err = b.svc.SignOff(ctx, re.User, post.ReleaseID, post.Team)
		if alreadySigned(err) {
			return nil
		}
	case approveEmoji[emoji]:
		_, err = b.svc.Withdraw(ctx, re.User, post.ReleaseID, post.Team)
		if releases.ErrorCode(err) == releases.EConflict && !strings.Contains(releases.ErrorMessage(err), "stands") {
			return nil // nothing of theirs to withdraw: they were never counted
		}
	case re.Added:
		_, err = b.svc.Reject(ctx, re.User, post.ReleaseID, post.Team, "")
	default:
		return nil // removing ❌ can't undo a rejection
	}
	if err != nil {
		return b.failure(ctx, "reaction", err)
	}
	return nil
}

func alreadySigned(err error) bool {
	return releases.ErrorCode(err) == releases.EConflict && strings.Contains(releases.ErrorMessage(err), "already signed off")
}

// Action is a button press.
type Action struct {
	User     string
	Channel  string
	ActionID string
	Value    string
}

// HandleAction acts on a button: Approve and Reject on a sign-off request,
// Promote on a card. The returned note, if any, is for the user alone.
func (b *Bot) HandleAction(ctx context.Context, a Action) *Message {
	id, arg, ok := parseButtonValue(a.Value)
	if !ok {
		return nil
	}
	var err error
	switch a.ActionID {
	case ActionApprove:
		_, err = b.svc.SignOff(ctx, a.User, id, arg)
	case ActionReject:
		_, err = b.svc.Reject(ctx, a.User, id, arg, "")
	case ActionPromote:
		_, err = b.svc.Deploy(ctx, a.User, id, arg, "")
	default:
		return nil
	}
	if err != nil {
		return b.failure(ctx, a.ActionID, err)
	}
	return nil
}

// failure turns an error into a note for the user: the service's sentence,
// or "Internal error" with a reference that the log has too.
func (b *Bot) failure(ctx context.Context, what string, err error) *Message {
	if releases.ErrorCode(err) != releases.EInternal {
		m := text(releases.ErrorMessage(err))
		return &m
	}
	ref := newRef()
	b.log.ErrorContext(ctx, what, "ref", ref, "err", err)
	m := text("Internal error (reference " + ref + "). The operators can find it in releasebot's log.")
	return &m
}

func newRef() string {
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}
