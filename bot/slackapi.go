package bot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// SlackChat is Chat over Slack's Web API.
type SlackChat struct {
	api *slack.Client
	// Metrics, when set, counts calls by method and outcome.
	Metrics SlackMetrics
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
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	switch {
	case err == nil:
	case errors.As(err, &rl), errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests:
		outcome = "rate_limited"
	default:
		outcome = "error"
	}
	c.Metrics.SlackCall(method, outcome)
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
	return &SlackChat{api: slack.New(token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(hc))}
}

var _ Chat = (*SlackChat)(nil)

func msgOptions(m Message) []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	return opts
}

// Post calls chat.postMessage, in a thread when thread is set.
func (c *SlackChat) Post(ctx context.Context, channel, thread string, m Message) (Ref, error) {
	opts := msgOptions(m)
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	ch, ts, err := c.api.PostMessageContext(ctx, channel, opts...)
	c.count("chat.postMessage", err)
	if err != nil {
		return Ref{}, err
	}
	return Ref{Channel: ch, TS: ts}, nil
}

// Update calls chat.update.
func (c *SlackChat) Update(ctx context.Context, ref Ref, m Message) error {
	_, _, _, err := c.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, msgOptions(m)...)
	c.count("chat.update", err)
	return err
}

// Ephemeral calls chat.postEphemeral.
func (c *SlackChat) Ephemeral(ctx context.Context, channel, user string, m Message) error {
	_, err := c.api.PostEphemeralContext(ctx, channel, user, msgOptions(m)...)
	c.count("chat.postEphemeral", err)
	return err
}
