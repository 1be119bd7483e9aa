package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/releasebot/releasebot/commands"
	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
)

// Invocation is one `/release …` typed by a user in a channel.
type Invocation struct {
	User    string
	Channel string
	Text    string // what followed "/release"
}

// HandleCommand runs one command and returns the reply for the invoking
// user alone. What others should see (the card, thread replies) the bot
// posts as the release changes.
func (b *Bot) HandleCommand(ctx context.Context, in Invocation) Message {
	cmd, err := commands.Parse(in.Text, b.cfg.Location)
	if err != nil {
		b.metrics.CommandHandled("unknown", metrics.Usage)
		var ue *commands.UsageError
		if errors.As(err, &ue) {
			return Text(escape(ue.Error()))
		}
		return *b.Failure(ctx, "parse", err)
	}
	reply, err := b.run(ctx, in, cmd)
	b.metrics.CommandHandled(cmd.Name(), metrics.CommandOutcome(err))
	if err != nil {
		return *b.Failure(ctx, cmd.Name(), err)
	}
	return reply
}

func (b *Bot) run(ctx context.Context, in Invocation, cmd commands.Command) (Message, error) {
	svc, user := b.svc, in.User
	switch c := cmd.(type) {
	case commands.Help:
		return Text(commands.HelpText(c.Topic)), nil
	case commands.Create:
		in := releases.CreateInput{Service: c.Service, Version: c.Version, Name: c.TrainName, Teams: c.Teams,
			Environments: c.Envs, Window: c.Window, StartAt: c.At, Notes: c.Notes, Origin: in.Channel, Override: c.Override}
		for _, comp := range c.Components {
			in.Components = append(in.Components, releases.ComponentInput{Service: comp.Service, Version: comp.Version})
		}
		r, err := svc.Create(ctx, user, in)
		if err != nil {
			return Message{}, err
		}
		reply := fmt.Sprintf("Opened %s. Sign-off requests went to %s.", title(r), b.teamChannels(r.Teams))
		for _, stuck := range b.view.policy.Unsignable(r) {
			reply += "\n:warning: " + stuck
		}
		return Text(reply), nil
	case commands.Status:
		if c.ID == 0 {
			p, err := svc.ListPage(ctx, releases.Filter{Statuses: releases.ActiveStatuses, Limit: pageLines})
			if err != nil {
				return Message{}, err
			}
			return b.view.page("Active releases", p, "No releases are active. Open one with `/release create SERVICE VERSION`.", activeMore()), nil
		}
		return b.status(ctx, c.ID)
	case commands.List:
		f := releases.Filter{Limit: c.Limit}
		if c.Status != "" {
			f.Statuses = []releases.Status{releases.Status(c.Status)}
		}
		if c.Mine {
			f.CreatedBy = user
		}
		if f.Limit == 0 {
			f.Limit = pageLines
		}
		p, err := svc.ListPage(ctx, f)
		if err != nil {
			return Message{}, err
		}
		return b.view.page("Releases", p, "No releases match.", listMore(f)), nil
	case commands.Approve:
		r, err := svc.SignOff(ctx, user, c.ID, c.Team)
		return b.done(r, err, "You signed off %s.")
	case commands.Reject:
		r, err := svc.Reject(ctx, user, c.ID, "", c.Reason)
		return b.done(r, err, "You rejected %s.")
	case commands.Deploy:
		if m, ask, err := b.confirmDeploy(ctx, in, c); ask || err != nil {
			return m, err
		}
		r, err := svc.Deploy(ctx, user, c.ID, c.Env, c.Override)
		return b.done(r, err, "%s is on its way; follow it in its thread.")
	case commands.Rollback:
		if m, ask, err := b.confirmRollback(ctx, in, c); ask || err != nil {
			return m, err
		}
		r, err := svc.Rollback(ctx, user, c.ID, c.Env, c.Reason)
		if err != nil {
			return Message{}, err
		}
		return Text(rollingBack(r)), nil
	case commands.Retry:
		r, err := svc.Retry(ctx, user, c.ID, c.Service)
		return b.done(r, err, "Retrying what failed in %s; follow it in its thread.")
	case commands.Descope:
		r, err := svc.Descope(ctx, user, c.ID, c.Service, c.Reason)
		return b.done(r, err, "Descoped "+escape(c.Service)+" from %s.")
	case commands.Cancel:
		r, err := svc.Cancel(ctx, user, c.ID, c.Reason)
		return b.done(r, err, "You cancelled %s.")
	case commands.Schedule:
		r, err := svc.Schedule(ctx, user, c.ID, c.Window, c.At)
		return b.done(r, err, "Rescheduled %s.")
	case commands.Audit:
		events, err := svc.Audit(ctx, c.ID)
		if err != nil {
			return Message{}, err
		}
		return b.view.audit(c.ID, events), nil
	case commands.History:
		p, err := svc.ListPage(ctx, releases.HistoryFilter(c.Service, pageLines))
		if err != nil {
			return Message{}, err
		}
		head := "What shipped"
		if c.Service != "" {
			head += " of " + c.Service
		}
		m := b.view.page(head, p, "Nothing has shipped yet.", historyMore(c.Service))
		if c.Service == "" {
			return m, nil
		}
		about, err := b.serviceFigures(ctx, releases.HistoryFilter(c.Service, 0).Service)
		if err != nil || about == "" {
			return m, err
		}
		if len(p.Releases) == 0 {
			return Text(about + "\n" + m.Text), nil
		}
		first, rest, _ := strings.Cut(m.Text, "\n")
		return Text(first + "\n" + about + "\n" + rest), nil
	case commands.Windows:
		return b.windowsReply(ctx)
	case commands.Freeze:
		return b.freeze(ctx, user, c)
	case commands.Unfreeze:
		return b.unfreeze(ctx, user)
	}
	return Message{}, fmt.Errorf("command %s has no handler", cmd.Name())
}

// done confirms a change to the user, or returns the refusal.
func (b *Bot) done(r *releases.Release, err error, format string) (Message, error) {
	if err != nil {
		return Message{}, err
	}
	return Text(fmt.Sprintf(format, releases.FormatID(r.ID)) + "\n" + b.view.statusText(r)), nil
}

// rollingBack says what a rollback just started undoes: which service,
// where, from which version back to which.
func rollingBack(r *releases.Release) string {
	id := releases.FormatID(r.ID)
	for i := len(r.Deployments) - 1; i >= 0; i-- {
		if d := r.Deployments[i]; d.Type == releases.TypeRollback {
			return fmt.Sprintf("Rolling back %s: %s on %s goes from %s back to %s; follow it in its thread.",
				id, escape(d.Service), d.Environment, escape(d.PreviousVersion), escape(d.Version))
		}
	}
	return "Rolling back " + id + "; follow it in its thread."
}

func (b *Bot) teamChannels(teams []string) string {
	var chans []string
	for _, name := range teams {
		if t, ok := b.cfg.Team(name); ok {
			chans = append(chans, "<#"+t.Channel+"> ("+name+")")
		}
	}
	return strings.Join(chans, ", ")
}
