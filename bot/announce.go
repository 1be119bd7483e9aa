package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// Announcer says the scheduler's reminders and summaries in chat. It
// renders them and queues them in the chat outbox under a key derived from
// the firing, so a firing done twice (a replica took over from one that
// died) says each thing once; the Sender delivers them like everything
// else, honouring Slack's rate limits.
type Announcer struct {
	store releases.OutboxStore
	view  view
	now   func() time.Time
}

var _ scheduler.Announcer = (*Announcer)(nil)

// NewAnnouncer returns an announcer into store's outbox.
func NewAnnouncer(store releases.OutboxStore, cfg Settings, now func() time.Time) *Announcer {
	v := newView(cfg)
	v.now = now
	return &Announcer{store: store, view: v, now: now}
}

// Remind queues a team's reminder in its channel. It is queued with the
// release's other messages, after its sign-off request.
func (a *Announcer) Remind(ctx context.Context, key string, r scheduler.Reminder) error {
	body, err := encodeMessage(a.view.reminder(r))
	if err != nil {
		return err
	}
	now := a.now().UTC()
	return a.store.EnqueueOnce(ctx, []releases.OutboxEntry{{ReleaseID: r.Release.ID, Op: releases.OpPost,
		DedupeKey: key, Team: r.Team, Channel: r.Channel, Body: body, NextAttemptAt: now, CreatedAt: now, Creator: r.Release.CreatedBy}})
}

// Summarize queues a summary for its channel and each of its users (a
// direct message: the user id as the channel).
func (a *Announcer) Summarize(ctx context.Context, key string, s scheduler.Summary) error {
	body, err := encodeMessage(a.view.summary(s))
	if err != nil {
		return err
	}
	now := a.now().UTC()
	var entries []releases.OutboxEntry
	targets := s.Users
	if s.Channel != "" {
		targets = append([]string{s.Channel}, s.Users...)
	}
	for _, to := range targets {
		entries = append(entries, releases.OutboxEntry{Op: releases.OpPost, DedupeKey: key + "/" + to, Channel: to,
			Body: body, NextAttemptAt: now, CreatedAt: now})
	}
	return a.store.EnqueueOnce(ctx, entries)
}

// reminder is a team's nudge: who should sign off what, by when.
func (v view) reminder(r scheduler.Reminder) Message {
	id := releases.FormatID(r.Release.ID)
	head := fmt.Sprintf(":alarm_clock: *%s needs %s's sign-off before the window %s opens %s.*",
		title(&r.Release), escape(r.Team), escape(r.Window), v.when(r.Opening))
	body := fmt.Sprintf("%s: %d of %d sign-off%s so far. React :white_check_mark: on its sign-off request in this channel, or type `/release approve %s --team %s`.",
		mentions(r.Leads), r.Have, r.Need, plural(r.Need), id, r.Team)
	ctx := fmt.Sprintf("Opened by %s %s. Without the sign-off, %s misses this opening.", mention(r.Release.CreatedBy), v.when(r.Release.CreatedAt), id)
	return Message{
		Text:   head + "\n" + body,
		Blocks: []Block{Section(head + "\n" + body), Context(ctx)},
	}
}

// summaryListMax is at most how many releases a summary lists per section.
const summaryListMax = 15

// summary is a managers' report: what ended, what waits, what comes, and
// the DORA figures.
func (v view) summary(s scheduler.Summary) Message {
	head := "Release summary: " + s.Name
	period := fmt.Sprintf("%s · since %s", v.when(s.At), v.when(s.Since))
	blocks := []Block{Header(":bar_chart: " + head), Context(period)}
	texts := []string{"*" + head + "*", period}
	add := func(s string) {
		blocks = append(blocks, Section(s))
		texts = append(texts, s)
	}
	if s.Quiet() {
		add(fmt.Sprintf(":zzz: *%s.* Nothing was deployed, failed or was rolled back since %s, and no release is waiting.",
			quietPeriod(s.At.Sub(s.Since)), v.when(s.Since)))
	} else {
		add(fmt.Sprintf("*Since the last summary:* %d deployed · %d failed · %d rolled back · %d waiting",
			len(s.Deployed), len(s.Failed), len(s.RolledBack), len(s.Waiting)))
		if len(s.Deployed) > 0 {
			add(v.outcomeList(":tada: *Deployed*", s.Deployed))
		}
		if len(s.Failed) > 0 {
			add(v.outcomeList(":fire: *Failed*", s.Failed))
		}
		if len(s.RolledBack) > 0 {
			add(v.outcomeList(":rewind: *Rolled back*", s.RolledBack))
		}
		if len(s.Waiting) > 0 {
			add(v.waitingList(s.Waiting))
		}
	}
	blocks = append(blocks, Divider())
	add(v.upcoming(s.Openings, s.Freezes, s.At))
	if s.Production != "" {
		blocks = append(blocks, Divider())
		d := s.DORA
		title := fmt.Sprintf("*DORA figures for %s, last %d days*", escape(s.Production), int(d.To.Sub(d.From).Hours()/24+0.5))
		fields := []string{
			fmt.Sprintf("*Deployment frequency*\n%d (%.1f a week)", d.Deployments, d.PerWeek),
			"*Lead time* (create → " + escape(s.Production) + ", median)\n" + duration(d.LeadTime, d.Deployments),
			fmt.Sprintf("*Change failure rate*\n%s (%d of %d)", percent(d.FailureRate, d.Changes), d.Failures, d.Changes),
			fmt.Sprintf("*Time to restore* (median)\n%s%s", duration(d.TimeToRestore, d.Restored), unrestored(d.Unrestored)),
		}
		blocks = append(blocks, Block{Kind: BlockSection, Text: title, Fields: fields})
		texts = append(texts, title)
		for _, f := range fields {
			texts = append(texts, strings.ReplaceAll(f, "\n", ": "))
		}
		if len(s.Teams) > 0 {
			add(doraGroupList("*By owning team*", s.Teams))
		}
		if len(s.Services) > 0 {
			add(doraGroupList("*By service*", s.Services))
		}
	}
	if line := auditHeadLine(s.AuditHead); line != "" {
		blocks = append(blocks, Context(line))
		texts = append(texts, line)
	}
	return Message{Text: strings.Join(texts, "\n"), Blocks: blocks}
}

// auditHeadLine posts the audit chain's head with each summary: a copy
// outside the database that `releasebot audit verify --head` checks
// later. "" without one.
func auditHeadLine(h *releases.ChainHead) string {
	if h == nil {
		return ""
	}
	return fmt.Sprintf("Audit chain head: %s (%d events)", h.Hash, h.Seq)
}

// doraGroupList lists the DORA figures of each service or team, one line
// each, at most summaryListMax of them (the ones with the most changes).
func doraGroupList(head string, gs []releases.DORAGroup) string {
	lines := []string{head}
	for i, g := range gs {
		if i == summaryListMax {
			lines = append(lines, fmt.Sprintf("… and %d more", len(gs)-i))
			break
		}
		lines = append(lines, fmt.Sprintf("• *%s*: %s", escape(g.Name), doraLine(g.DORA)))
	}
	return strings.Join(lines, "\n")
}

func quietPeriod(d time.Duration) string {
	switch days := d.Hours() / 24; {
	case days >= 6 && days <= 8:
		return "A quiet week"
	case days >= 0.9 && days <= 1.1:
		return "A quiet day"
	}
	return "All quiet"
}

// outcomeList lists releases that ended, with when and why.
func (v view) outcomeList(head string, outs []releases.Outcome) string {
	lines := []string{fmt.Sprintf("%s (%d)", head, len(outs))}
	for i, o := range outs {
		if i == summaryListMax {
			lines = append(lines, fmt.Sprintf("… and %d more", len(outs)-i))
			break
		}
		line := fmt.Sprintf("• *%s* — %s", title(&o.Release), v.when(o.At))
		if o.Detail != "" {
			line += ": " + escape(o.Detail)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// waitingList lists waiting releases and what blocks each.
func (v view) waitingList(ws []scheduler.Waiting) string {
	lines := []string{fmt.Sprintf(":hourglass_flowing_sand: *Waiting* (%d)", len(ws))}
	for i, w := range ws {
		if i == summaryListMax {
			lines = append(lines, fmt.Sprintf("… and %d more", len(ws)-i))
			break
		}
		line := fmt.Sprintf("• *%s* %s", title(&w.Release), escape(w.Reason))
		if len(w.Blockers) > 0 {
			teams := make([]string, len(w.Blockers))
			for i, b := range w.Blockers {
				teams[i] = "*" + escape(b.Team) + "*"
			}
			line += " — blocked by " + strings.Join(teams, ", ")
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// upcoming lists the next openings and the freezes.
func (v view) upcoming(openings []releases.Opening, freezes []releases.Freeze, now time.Time) string {
	lines := []string{":calendar: *Next windows*"}
	if len(openings) == 0 {
		lines = append(lines, "None in the next two weeks.")
	}
	for _, o := range openings {
		lines = append(lines, fmt.Sprintf("• %s: %s%s", escape(o.Window), v.span(o.Start, o.End), frozenNote(freezes, o.Start)))
	}
	if len(freezes) == 0 {
		lines = append(lines, ":snowflake: *Freezes:* none ahead.")
		return strings.Join(lines, "\n")
	}
	lines = append(lines, ":snowflake: *Freezes*")
	for _, f := range freezes {
		name := escape(f.Title())
		if f.AdHoc() {
			name = fmt.Sprintf("%q (ad hoc, by %s)", escape(f.Reason), mention(f.CreatedBy))
		}
		line := fmt.Sprintf("• %s: %s", name, v.span(f.Start, f.End))
		if f.Active(now) {
			line += " — *in force*"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// duration renders a DORA duration: "1d 4h", "2h 10m", "45m", "30s"; "—"
// when nothing was measured.
func duration(d time.Duration, samples int) string {
	if samples == 0 {
		return "—"
	}
	d = d.Round(time.Second)
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

func percent(f float64, samples int) string {
	if samples == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

func unrestored(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %d not restored yet", n)
}
