package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// How far ahead `/release windows` looks.
const (
	windowsAhead    = 60 * 24 * time.Hour
	windowsOpenings = 8
	dstAhead        = 365 * 24 * time.Hour
)

// windowsReply answers `/release windows`: the windows open now, the next
// openings (marking those a freeze holds), the freezes configured and ad
// hoc, and what the coming clock changes do to the windows.
func (b *Bot) windowsReply(ctx context.Context) (Message, error) {
	now := b.now()
	freezes, err := b.cal.Freezes(ctx, now)
	if err != nil {
		return Message{}, err
	}
	var lines []string
	var open []string
	for _, w := range b.cal.Windows() {
		if o, ok := b.cal.OpenAt(w.Name, now); ok {
			open = append(open, fmt.Sprintf("• %s is open until %s%s", w.Name, b.view.when(o.End), frozenNote(freezes, now)))
		}
	}
	if len(open) > 0 {
		lines = append(lines, "*Open now*")
		lines = append(lines, open...)
	}
	openings := b.cal.Upcoming(now, now.Add(windowsAhead), windowsOpenings)
	if len(openings) == 0 {
		lines = append(lines, "No release windows open in the next 60 days.")
	} else {
		lines = append(lines, fmt.Sprintf("*Next release windows* (%s)", b.cal.Location()))
		for _, o := range openings {
			lines = append(lines, fmt.Sprintf("• %s: %s%s", o.Window, b.view.span(o.Start, o.End), frozenNote(freezes, o.Start)))
		}
	}
	if len(freezes) == 0 {
		lines = append(lines, "No freezes ahead.")
	} else {
		lines = append(lines, "*Freezes*")
		for _, f := range freezes {
			lines = append(lines, b.freezeLine(f, now))
		}
	}
	if notes := b.cal.DSTNotes(now, now.Add(dstAhead)); len(notes) > 0 {
		lines = append(lines, "*Clock changes*")
		for _, n := range notes {
			lines = append(lines, ":clock2: "+n)
		}
	}
	return Text(strings.Join(lines, "\n")), nil
}

// frozenNote marks an opening that a freeze holds.
func frozenNote(freezes []releases.Freeze, t time.Time) string {
	for _, f := range freezes {
		if f.Active(t) {
			return " — :snowflake: held by " + escape(f.Label())
		}
	}
	return ""
}

// freezeLine is one freeze in a list.
func (b *Bot) freezeLine(f releases.Freeze, now time.Time) string {
	var line string
	if f.AdHoc() {
		line = fmt.Sprintf("• :snowflake: %q, declared by %s: %s", escape(f.Reason), mention(f.CreatedBy), b.view.span(f.Start, f.End))
	} else {
		line = fmt.Sprintf("• :snowflake: %s: %s", escape(f.Name), b.view.span(f.Start, f.End))
	}
	if f.Active(now) {
		line += " — *in force*"
	}
	return line
}
