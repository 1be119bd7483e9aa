package bot

import (
	"encoding/json"
	"fmt"
)

// Outbox bodies queued before the neutral Message (format 2) hold Slack's
// Block Kit, as the bot rendered it then: headers, mrkdwn sections (with
// fields), contexts of one mrkdwn text, dividers and rows of buttons.
// decodeBlockKit reads that back, so that such rows still send after an
// upgrade; rendered again, they are the same Block Kit.

type kitText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type kitElement struct {
	Type     string          `json:"type"`
	Text     json.RawMessage `json:"text"` // a string in a text object, an object in a button
	ActionID string          `json:"action_id"`
	Value    string          `json:"value"`
	Style    string          `json:"style"`
	Confirm  *kitConfirm     `json:"confirm"`
}

// kitConfirm is a button's confirm dialog (none was queued before the
// neutral Message; read so that any Block Kit of the bot's reads back).
type kitConfirm struct {
	Title   kitText `json:"title"`
	Text    kitText `json:"text"`
	Confirm kitText `json:"confirm"`
	Deny    kitText `json:"deny"`
	Style   string  `json:"style"`
}

type kitBlock struct {
	Type     string       `json:"type"`
	BlockID  string       `json:"block_id"`
	Text     *kitText     `json:"text"`
	Fields   []kitText    `json:"fields"`
	Elements []kitElement `json:"elements"`
}

func decodeBlockKit(raw json.RawMessage) ([]Block, error) {
	var kit []kitBlock
	if err := json.Unmarshal(raw, &kit); err != nil {
		return nil, fmt.Errorf("block kit: %w", err)
	}
	out := make([]Block, 0, len(kit))
	for _, k := range kit {
		var text string
		if k.Text != nil {
			text = k.Text.Text
		}
		switch k.Type {
		case "header":
			out = append(out, Header(text))
		case "section":
			b := Section(text)
			for _, f := range k.Fields {
				b.Fields = append(b.Fields, f.Text)
			}
			out = append(out, b)
		case "context":
			var parts string
			for i, e := range k.Elements {
				var s string
				if err := json.Unmarshal(e.Text, &s); err != nil {
					return nil, fmt.Errorf("block kit context: %w", err)
				}
				if i > 0 {
					parts += "\n"
				}
				parts += s
			}
			out = append(out, Context(parts))
		case "divider":
			out = append(out, Divider())
		case "actions":
			b := Buttons(k.BlockID)
			for _, e := range k.Elements {
				var label kitText
				if err := json.Unmarshal(e.Text, &label); err != nil {
					return nil, fmt.Errorf("block kit button: %w", err)
				}
				btn := Button{ActionID: e.ActionID, Value: e.Value, Label: label.Text, Style: ButtonStyle(e.Style)}
				if c := e.Confirm; c != nil {
					btn.Confirm = &Confirm{Title: c.Title.Text, Text: c.Text.Text, Yes: c.Confirm.Text, No: c.Deny.Text, Danger: c.Style == "danger"}
				}
				b.Buttons = append(b.Buttons, btn)
			}
			out = append(out, b)
		default:
			return nil, fmt.Errorf("block kit: unknown block type %q", k.Type)
		}
	}
	return out, nil
}
