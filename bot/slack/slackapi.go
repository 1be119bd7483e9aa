// Package slack is releasebot's Slack adapter, and the only package that
// imports slack-go: the Web API (SlackChat, which renders the core's
// messages as Block Kit when it sends them, and knows the app's own
// identity), the HTTP endpoints and Socket Mode (Slack), all driving the
// chat core of package bot.
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/releases"
)

// SlackChat is Chat over Slack's Web API.
type SlackChat struct {
	api *slackgo.Client
	// Metrics, when set, counts calls by method and outcome.
	Metrics SlackMetrics

	idMu      sync.Mutex
	id        *Identity // once auth.test answered
	idFailed  error     // the last failure, kept until idRetryAt
	idRetryAt time.Time
	now       func() time.Time
}

// identityRetry is how long a failed auth.test is not asked again, so a
// Slack that can't answer it costs one call a minute, not one a request.
const identityRetry = time.Minute

// Identity is who releasebot is in Slack, as auth.test reports it for the
// bot token.
type Identity struct {
	TeamID string // the workspace it is installed in
	UserID string // its bot user: the author of its messages
	BotID  string
}

// Identity returns releasebot's identity. Slack is asked (auth.test) until
// it answers, then never again: a bot token's identity doesn't change.
// After a failure it is asked again a minute later at the earliest.
func (c *SlackChat) Identity(ctx context.Context) (Identity, error) {
	c.idMu.Lock()
	defer c.idMu.Unlock()
	if c.id != nil {
		return *c.id, nil
	}
	now := c.now()
	if c.idFailed != nil && now.Before(c.idRetryAt) {
		return Identity{}, c.idFailed
	}
	resp, err := c.api.AuthTestContext(ctx)
	c.count("auth.test", err)
	if err != nil {
		err = chatError(err)
	} else if resp.TeamID == "" || resp.UserID == "" {
		err = errors.New("it named no workspace or bot user")
	}
	if err != nil {
		c.idFailed, c.idRetryAt = fmt.Errorf("auth.test: %w", err), now.Add(identityRetry)
		return Identity{}, c.idFailed
	}
	c.id = &Identity{TeamID: resp.TeamID, UserID: resp.UserID, BotID: resp.BotID}
	return *c.id, nil
}

// KnownIdentity returns releasebot's identity if Slack has told it
// already; it never asks.
func (c *SlackChat) KnownIdentity() (Identity, bool) {
	c.idMu.Lock()
	defer c.idMu.Unlock()
	if c.id == nil {
		return Identity{}, false
	}
	return *c.id, true
}

// wrote reports whether m is a message of id's bot: any app may put
// releasebot's tag in its own messages' metadata, none can post with its
// bot id or as its bot user.
func (id Identity) wrote(m slackgo.Message) bool {
	if (m.BotID != "" && m.BotID != id.BotID) || (m.User != "" && m.User != id.UserID) {
		return false
	}
	return m.BotID != "" || m.User != ""
}

// SlackMetrics counts Slack API calls; *metrics.Metrics is one.
type SlackMetrics interface {
	SlackCall(method, outcome string)
}

// count records one call's outcome: ok, rate_limited or error.
func (c *SlackChat) count(method string, err error) {
	if c.Metrics == nil {
		return
	}
	outcome := "ok"
	var rl *slackgo.RateLimitedError
	var sc slackgo.StatusCodeError
	switch {
	case err == nil:
	case errors.As(err, &rl), errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests:
		outcome = "rate_limited"
	default:
		outcome = "error"
	}
	c.Metrics.SlackCall(method, outcome)
}

// chatError tells the sender what err, an answer of Slack's Web API,
// means (see bot.ChatError): a rate limit (429 or ratelimited) pauses
// every call, for Retry-After when Slack said; 408, 5xx and Slack's
// internal_error, fatal_error, service_unavailable and request_timeout are
// tried again; other answers are final. Only a 5xx, internal_error or
// fatal_error ("it's possible some aspect of the operation succeeded")
// leave open whether a post was made. Other errors (a timeout, a broken
// connection) are returned as they are.
func chatError(err error) error {
	var rl *slackgo.RateLimitedError
	var sc slackgo.StatusCodeError
	var se slackgo.SlackErrorResponse
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rl):
		return &bot.ChatError{Err: err, RateLimited: true, Wait: max(rl.RetryAfter, time.Second), Refused: true}
	case errors.As(err, &sc):
		transient := sc.Code == http.StatusTooManyRequests || sc.Code == http.StatusRequestTimeout || sc.Code >= 500
		return &bot.ChatError{Err: err, RateLimited: sc.Code == http.StatusTooManyRequests, Permanent: !transient, Refused: sc.Code < 500}
	case errors.As(err, &se):
		var transient bool
		switch se.Err {
		case "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			transient = true
		}
		return &bot.ChatError{Err: err, RateLimited: se.Err == "ratelimited", Permanent: !transient,
			Refused: se.Err != "internal_error" && se.Err != "fatal_error"}
	}
	return err
}

// NewSlackChat returns a client for the bot token; apiURL points it at
// Slack (https://slack.com/api/), a proxy or a test server.
func NewSlackChat(token, apiURL string, hc *http.Client) *SlackChat {
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/" // slack-go joins method names onto it
	}
	if hc == nil {
		// Well inside the sender's claim lease, so a slow call is never
		// retried by another replica while it may still succeed.
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	return &SlackChat{api: slackgo.New(token, slackgo.OptionAPIURL(apiURL), slackgo.OptionHTTPClient(hc)), now: time.Now}
}

var _ bot.Chat = (*SlackChat)(nil)

func msgOptions(m bot.Message) []slackgo.MsgOption {
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slackgo.MsgOptionBlocks(blockKit(m.Blocks)...))
	}
	return opts
}

// Post calls chat.postMessage, in a thread when thread is set.
func (c *SlackChat) Post(ctx context.Context, channel, thread string, m bot.Message) (bot.Ref, error) {
	opts := msgOptions(m)
	if thread != "" {
		opts = append(opts, slackgo.MsgOptionTS(thread))
	}
	if m.Tag != nil {
		opts = append(opts, slackgo.MsgOptionMetadata(tagMetadata(*m.Tag)))
	}
	ch, ts, err := c.api.PostMessageContext(ctx, channel, opts...)
	c.count("chat.postMessage", err)
	if err != nil {
		return bot.Ref{}, chatError(err)
	}
	return bot.Ref{Channel: ch, TS: ts}, nil
}

// metadataEventType marks the message metadata releasebot posts with.
const metadataEventType = "releasebot_post"

// tagMetadata is t as Slack message metadata. chat.update keeps a
// message's metadata when it sends none, so updates leave it alone.
func tagMetadata(t bot.Tag) slackgo.SlackMetadata {
	payload := map[string]any{"entry": t.Entry, "kind": t.Kind}
	if t.Release != 0 {
		payload["release"] = releases.FormatID(t.Release)
	}
	if t.Team != "" {
		payload["team"] = t.Team
	}
	return slackgo.SlackMetadata{EventType: metadataEventType, EventPayload: payload}
}

// metadataTag reads a Tag back from message metadata; nil if it is not
// releasebot's.
func metadataTag(md slackgo.SlackMetadata) *bot.Tag {
	if md.EventType != metadataEventType {
		return nil
	}
	entry, ok := payloadInt(md.EventPayload["entry"])
	if !ok || entry <= 0 {
		return nil
	}
	t := &bot.Tag{Entry: entry}
	t.Kind, _ = md.EventPayload["kind"].(string)
	t.Team, _ = md.EventPayload["team"].(string)
	if r, ok := md.EventPayload["release"].(string); ok {
		id, err := releases.ParseID(r)
		if err != nil {
			return nil
		}
		t.Release = id
	}
	return t
}

// payloadInt reads a whole number from decoded JSON.
func payloadInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), n == float64(int64(n))
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// slackTS renders t as a Slack timestamp ("1764583200.000123").
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// Reading back is bounded: a channel busier than this since the message
// was queued is searched no further (and the message posted again).
const (
	historyPage  = 200
	historyPages = 5
)

// FindTagged looks for the bot's message tagged like want (same entry,
// release and kind), posted in channel since since: in its history, or in
// the thread rooted at thread when that is set. Messages of other apps
// are passed over, whatever their metadata says. It needs channels:history
// (groups:history for private channels); without it Slack answers
// missing_scope.
func (c *SlackChat) FindTagged(ctx context.Context, channel, thread string, since time.Time, want bot.Tag) (bot.Ref, bool, error) {
	self, err := c.Identity(ctx)
	if err != nil {
		return bot.Ref{}, false, err
	}
	var oldest string
	if since.Unix() > 0 {
		oldest = slackTS(since)
	}
	cursor := ""
	for range historyPages {
		var msgs []slackgo.Message
		var more bool
		var err error
		if thread == "" {
			var resp *slackgo.GetConversationHistoryResponse
			resp, err = c.api.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{ChannelID: channel,
				Cursor: cursor, Oldest: oldest, Limit: historyPage, IncludeAllMetadata: true})
			c.count("conversations.history", err)
			if err == nil {
				msgs, more, cursor = resp.Messages, resp.HasMore, resp.ResponseMetaData.NextCursor
			}
		} else {
			msgs, more, cursor, err = c.api.GetConversationRepliesContext(ctx, &slackgo.GetConversationRepliesParameters{ChannelID: channel,
				Timestamp: thread, Cursor: cursor, Oldest: oldest, Limit: historyPage, IncludeAllMetadata: true})
			c.count("conversations.replies", err)
		}
		if err != nil {
			return bot.Ref{}, false, chatError(err)
		}
		for _, m := range msgs {
			if t := metadataTag(m.Metadata); t != nil && t.Entry == want.Entry && t.Release == want.Release && t.Kind == want.Kind && self.wrote(m) {
				return bot.Ref{Channel: channel, TS: m.Timestamp}, true, nil
			}
		}
		if !more || cursor == "" {
			break
		}
	}
	return bot.Ref{}, false, nil
}

// TagOf returns the tag of the bot's top-level message at ref, or nil if
// it has none, is not there or is another app's. Like FindTagged it needs
// channels:history.
func (c *SlackChat) TagOf(ctx context.Context, ref bot.Ref) (*bot.Tag, error) {
	self, err := c.Identity(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.api.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{ChannelID: ref.Channel,
		Latest: ref.TS, Oldest: ref.TS, Inclusive: true, Limit: 1, IncludeAllMetadata: true})
	c.count("conversations.history", err)
	if err != nil {
		return nil, chatError(err)
	}
	for _, m := range resp.Messages {
		if m.Timestamp == ref.TS && self.wrote(m) {
			return metadataTag(m.Metadata), nil
		}
	}
	return nil, nil
}

// Update calls chat.update.
func (c *SlackChat) Update(ctx context.Context, ref bot.Ref, m bot.Message) error {
	_, _, _, err := c.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, msgOptions(m)...)
	c.count("chat.update", err)
	return chatError(err)
}

// Ephemeral calls chat.postEphemeral.
func (c *SlackChat) Ephemeral(ctx context.Context, channel, user string, m bot.Message) error {
	_, err := c.api.PostEphemeralContext(ctx, channel, user, msgOptions(m)...)
	c.count("chat.postEphemeral", err)
	return chatError(err)
}
