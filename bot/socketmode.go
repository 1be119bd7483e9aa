package bot

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode serves Slack over Socket Mode (no public URL needed) until
// ctx ends, reconnecting when the connection drops. api must carry the
// app-level token (slack.OptionAppLevelToken).
func (s *Slack) RunSocketMode(ctx context.Context, api *slack.Client) {
	client := socketmode.New(api)
	go s.socketEvents(ctx, client)
	for delay := time.Second; ctx.Err() == nil; delay = min(2*delay, time.Minute) {
		err := client.RunContext(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("Socket Mode connection ended; reconnecting", "in", delay.String(), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

func (s *Slack) socketEvents(ctx context.Context, client *socketmode.Client) {
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
		case socketmode.EventTypeSlashCommand:
			sc, ok := evt.Data.(slack.SlashCommand)
			if !ok || evt.Request == nil {
				continue
			}
			if sc.UserID == "" || sc.ChannelID == "" {
				s.ack(client, *evt.Request, nil)
				continue
			}
			req := *evt.Request
			reply, inTime := withinBudget(s, s.internalError(), func(ctx context.Context) Message { return s.command(ctx, sc) },
				func(ctx context.Context, m Message) { s.respond(ctx, sc.ResponseURL, m) })
			if inTime {
				s.ack(client, req, ephemeralJSON(reply))
			} else {
				s.ack(client, req, nil)
			}
		case socketmode.EventTypeEventsAPI:
			ev, ok := evt.Data.(slackevents.EventsAPIEvent)
			if evt.Request != nil {
				s.ack(client, *evt.Request, nil)
			}
			if !ok {
				continue
			}
			if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
				go s.safely(func() {
					if err := s.event(ctx, cb.EventID, ev.InnerEvent); err != nil {
						s.log.Error("slack event", "event_id", cb.EventID, "err", err)
					}
				})
			}
		case socketmode.EventTypeInteractive:
			ic, ok := evt.Data.(slack.InteractionCallback)
			if evt.Request != nil {
				s.ack(client, *evt.Request, nil)
			}
			if ok && ic.User.ID != "" {
				go s.safely(func() { s.interaction(ctx, ic) })
			}
		}
	}
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

func (s *Slack) ack(client *socketmode.Client, req socketmode.Request, payload any) {
	var err error
	if payload == nil {
		err = client.Ack(req)
	} else {
		err = client.Ack(req, payload)
	}
	if err != nil {
		s.log.Warn("Socket Mode ack", "err", err)
	}
}
