package slack

import (
	"context"
	"encoding/json"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/releasebot/releasebot/bot"
)

// SocketModeOptions tune RunSocketModeWith; the zero value is what
// RunSocketMode uses.
type SocketModeOptions struct {
	// After waits out the pause before connecting again after slack-go
	// gave up (default time.After): tests see the pauses without waiting.
	After func(time.Duration) <-chan time.Time
}

// Pauses before connecting again after slack-go's client gave up: the
// first, doubled after each failure in a row up to the last.
const (
	firstReconnectDelay = time.Second
	maxReconnectDelay   = time.Minute
)

// ackTimeout bounds the wait to hand an ack to slack-go's sender: Slack
// takes none later than 3 s after delivery, and none at all once the
// connection is gone.
const ackTimeout = 3 * time.Second

// RunSocketMode serves Slack over Socket Mode (no public URL needed) until
// ctx ends, reconnecting when the connection drops. api must carry the
// app-level token (slackgo.OptionAppLevelToken). Requests under way when ctx
// ends are finished before it returns.
func (s *Slack) RunSocketMode(ctx context.Context, api *slackgo.Client) {
	s.RunSocketModeWith(ctx, api, SocketModeOptions{})
}

// ConnectSocketMode is RunSocketMode for the app of botToken and
// appToken (its app-level token), at Slack's Web API at apiURL.
func (s *Slack) ConnectSocketMode(ctx context.Context, botToken, appToken, apiURL string) {
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/" // slack-go joins method names onto it
	}
	s.RunSocketMode(ctx, slackgo.New(botToken, slackgo.OptionAPIURL(apiURL), slackgo.OptionAppLevelToken(appToken)))
}

// RunSocketModeWith is RunSocketMode with options.
//
// slack-go's client reconnects by itself after a dropped connection or
// Slack's disconnect message, and retries failed attempts to connect; it
// gives up (RunContext returns) on errors it deems fatal, such as
// invalid_auth. Then this loop pauses and starts it again, pausing longer
// after each failure in a row; a connection that Slack greeted with hello
// ends the row, so a failure hours later starts with the shortest pause.
func (s *Slack) RunSocketModeWith(ctx context.Context, api *slackgo.Client, opts SocketModeOptions) {
	after := opts.After
	if after == nil {
		after = time.After
	}
	client := socketmode.New(api)
	greeted := make(chan struct{}, 1)
	var work sync.WaitGroup
	defer work.Wait() // after the dispatcher stopped adding to it
	dispatched := make(chan struct{})
	defer func() { <-dispatched }()
	go func() {
		defer close(dispatched)
		s.socketEvents(ctx, client, greeted, &work)
	}()
	var delay time.Duration
	for {
		err := client.RunContext(ctx)
		if ctx.Err() != nil {
			return
		}
		select {
		case <-greeted:
			delay = 0
		default:
		}
		delay = nextReconnectDelay(delay)
		s.log.Warn("Socket Mode connection ended; reconnecting", "in", delay.String(), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-after(delay):
		}
	}
}

// nextReconnectDelay is the pause after one of delay; 0 is none yet.
func nextReconnectDelay(delay time.Duration) time.Duration {
	if delay == 0 {
		return firstReconnectDelay
	}
	return min(2*delay, maxReconnectDelay)
}

// socketEvents dispatches the client's events until ctx ends. Each request
// is handled on its own goroutine, tracked by work, so that a slow one
// holds up no other request's ack.
func (s *Slack) socketEvents(ctx context.Context, client *socketmode.Client, greeted chan<- struct{}, work *sync.WaitGroup) {
	for {
		var evt socketmode.Event
		select {
		case <-ctx.Done():
			return
		case evt = <-client.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeConnected:
			s.log.Info("connected to Slack over Socket Mode")
		case socketmode.EventTypeHello:
			select {
			case greeted <- struct{}{}:
			default:
			}
		case socketmode.EventTypeConnectionError:
			if e, ok := evt.Data.(*slackgo.ConnectionErrorEvent); ok {
				s.log.Warn("Socket Mode: could not connect; trying again", "attempt", e.Attempt, "in", e.Backoff.String(), "err", e.ErrorObj)
			}
		case socketmode.EventTypeErrorBadMessage:
			// slack-go could not read the envelope. Acknowledge it all the
			// same: Slack would only deliver it again, no more readable.
			bad, _ := evt.Data.(*socketmode.ErrorBadMessage)
			if bad == nil {
				continue
			}
			var env struct {
				EnvelopeID string `json:"envelope_id"`
				Type       string `json:"type"`
			}
			_ = json.Unmarshal(bad.Message, &env)
			if gc, ok := envelopeGroupChange(bad.Message); ok {
				// slack-go can't read these as Slack sends them.
				work.Go(func() {
					s.safely(func() {
						withinBudget(s, false, func(ctx context.Context) bool { s.groupChanged(ctx, gc); return true }, func(context.Context, bool) {})
					})
				})
				s.ack(client, env.EnvelopeID, nil)
				continue
			}
			s.log.Warn("Socket Mode: unreadable envelope", "type", env.Type, "envelope_id", env.EnvelopeID, "err", bad.Cause)
			if env.EnvelopeID != "" {
				s.ack(client, env.EnvelopeID, nil)
			}
		case socketmode.EventTypeSlashCommand, socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive:
			if evt.Request == nil {
				continue
			}
			work.Go(func() {
				s.safely(func() { s.socketRequest(client, evt) })
			})
		}
	}
}

// socketRequest answers one envelope as the HTTP handlers answer the same
// request: the ack is the HTTP response.
func (s *Slack) socketRequest(client *socketmode.Client, evt socketmode.Event) {
	id := evt.Request.EnvelopeID
	switch data := evt.Data.(type) {
	case slackgo.SlashCommand:
		if data.UserID == "" || data.ChannelID == "" {
			s.ack(client, id, nil)
			return
		}
		reply, inTime := withinBudget(s, s.internalError(), func(ctx context.Context) bot.Message { return s.command(ctx, data) },
			func(ctx context.Context, m bot.Message) { s.respond(ctx, data.ResponseURL, m) })
		if !inTime || reply.Text == "" && len(reply.Blocks) == 0 {
			s.ack(client, id, nil) // the answer follows via response_url, or a form opened
			return
		}
		if !s.ack(client, id, ephemeralJSON(reply)) {
			// Too big for an ack (Slack drops those of 20 KB and more), or
			// the connection went: say it through response_url instead.
			s.ack(client, id, nil)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s.respond(ctx, data.ResponseURL, reply)
		}
	case slackevents.EventsAPIEvent:
		if s.socketEvent(data) {
			s.ack(client, id, nil)
		}
	case slackgo.InteractionCallback:
		var answer any
		if data.User.ID != "" {
			if a := s.interactionAnswer(data); a != nil {
				answer = a
			}
		}
		s.ack(client, id, answer)
	}
}

// socketEvent processes an Events API event and reports whether to
// acknowledge it: not when processing failed, so that Slack delivers it
// again (as the HTTP endpoint answers 503).
func (s *Slack) socketEvent(ev slackevents.EventsAPIEvent) bool {
	switch ev.Type {
	case slackevents.AppRateLimited:
		s.log.Warn("Slack is rate-limiting releasebot's events")
		return true
	case slackevents.CallbackEvent:
	default:
		return true
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb.EventID == "" {
		return true // nothing to process, however often it comes
	}
	return s.processEvent(cb.EventID, ev.TeamID, ev.InnerEvent) == nil
}

// safely runs fn, logging a panic instead of ending the process.
func (s *Slack) safely(fn func()) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic while handling a Slack request", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	fn()
}

// ack acknowledges envelope id with payload (nil for none) and reports
// whether slack-go took it for sending.
func (s *Slack) ack(client *socketmode.Client, id string, payload any) bool {
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	if err := client.AckCtx(ctx, id, payload); err != nil {
		s.log.Warn("Socket Mode ack", "envelope_id", id, "err", err)
		return false
	}
	return true
}

// envelopeGroupChange reads a Socket Mode envelope that carries a change
// to a user group (see readGroupChange).
func envelopeGroupChange(raw []byte) (groupChange, bool) {
	var env struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(raw, &env) != nil || env.Type != "events_api" {
		return groupChange{}, false
	}
	return readGroupChange(env.Payload)
}
