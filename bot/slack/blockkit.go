package slack

import (
	slackgo "github.com/slack-go/slack"

	"github.com/releasebot/releasebot/bot"
)

// blockKit renders a message's blocks as Slack's Block Kit.
func blockKit(blocks []bot.Block) []slackgo.Block {
	if len(blocks) == 0 {
		return nil
	}
	md := func(s string) *slackgo.TextBlockObject {
		return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, false)
	}
	out := make([]slackgo.Block, 0, len(blocks))
	for _, b := range blocks {
		switch b.Kind {
		case bot.BlockHeader:
			out = append(out, slackgo.NewHeaderBlock(slackgo.NewTextBlockObject(slackgo.PlainTextType, b.Text, true, false)))
		case bot.BlockSection:
			var text *slackgo.TextBlockObject
			if b.Text != "" || len(b.Fields) == 0 {
				text = md(b.Text)
			}
			var fields []*slackgo.TextBlockObject
			for _, f := range b.Fields {
				fields = append(fields, md(f))
			}
			out = append(out, slackgo.NewSectionBlock(text, fields, nil))
		case bot.BlockContext:
			out = append(out, slackgo.NewContextBlock("", md(b.Text)))
		case bot.BlockDivider:
			out = append(out, slackgo.NewDividerBlock())
		case bot.BlockButtons:
			elements := make([]slackgo.BlockElement, len(b.Buttons))
			for i, btn := range b.Buttons {
				el := slackgo.NewButtonBlockElement(btn.ActionID, btn.Value,
					slackgo.NewTextBlockObject(slackgo.PlainTextType, btn.Label, false, false)).WithStyle(slackgo.Style(btn.Style))
				if c := btn.Confirm; c != nil {
					el = el.WithConfirm(confirmDialog(*c))
				}
				elements[i] = el
			}
			out = append(out, slackgo.NewActionBlock(b.ID, elements...))
		}
	}
	return out
}

// Slack's limits on a confirm dialog's texts, in characters.
const (
	maxConfirmTitle = 100
	maxConfirmText  = 300
	maxConfirmLabel = 30
)

// confirmDialog is c as Block Kit's confirmation object; texts too long
// for Slack are cut, so the message is still taken.
func confirmDialog(c bot.Confirm) *slackgo.ConfirmationBlockObject {
	plain := func(s string, limit int) *slackgo.TextBlockObject {
		if r := []rune(s); len(r) > limit {
			s = string(r[:limit-1]) + "…"
		}
		return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, false, false)
	}
	d := slackgo.NewConfirmationBlockObject(plain(c.Title, maxConfirmTitle), plain(c.Text, maxConfirmText),
		plain(c.Yes, maxConfirmLabel), plain(c.No, maxConfirmLabel))
	if c.Danger {
		d = d.WithStyle(slackgo.StyleDanger)
	}
	return d
}
