package bot

import "github.com/slack-go/slack"

// blockKit renders a message's blocks as Slack's Block Kit.
func blockKit(blocks []Block) []slack.Block {
	if len(blocks) == 0 {
		return nil
	}
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	out := make([]slack.Block, 0, len(blocks))
	for _, b := range blocks {
		switch b.Kind {
		case BlockHeader:
			out = append(out, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, b.Text, true, false)))
		case BlockSection:
			var text *slack.TextBlockObject
			if b.Text != "" || len(b.Fields) == 0 {
				text = md(b.Text)
			}
			var fields []*slack.TextBlockObject
			for _, f := range b.Fields {
				fields = append(fields, md(f))
			}
			out = append(out, slack.NewSectionBlock(text, fields, nil))
		case BlockContext:
			out = append(out, slack.NewContextBlock("", md(b.Text)))
		case BlockDivider:
			out = append(out, slack.NewDividerBlock())
		case BlockButtons:
			elements := make([]slack.BlockElement, len(b.Buttons))
			for i, btn := range b.Buttons {
				elements[i] = slack.NewButtonBlockElement(btn.ActionID, btn.Value,
					slack.NewTextBlockObject(slack.PlainTextType, btn.Label, false, false)).WithStyle(slack.Style(btn.Style))
			}
			out = append(out, slack.NewActionBlock(b.ID, elements...))
		}
	}
	return out
}
