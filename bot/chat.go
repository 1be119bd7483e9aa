// Package bot is releasebot's chat core: it turns commands, reactions and
// button presses into calls of the release service, and tells each
// release's story in its thread through the outbox (Relay, Sender). What
// it says is a neutral Message; a chat adapter (Slack, the terminal)
// renders it.
package bot

import (
	"context"
)

// Message is something the bot says: Text is plain mrkdwn (the fallback
// and what the terminal prints), Blocks its layout.
type Message struct {
	Text   string
	Blocks []Block
	// Tag, on a message posted from the outbox, says where it came from.
	Tag *Tag
}

// BlockKind names what a Block is.
type BlockKind string

// The kinds of block a message is made of.
const (
	BlockHeader  BlockKind = "header"  // Text as plain text, large
	BlockSection BlockKind = "section" // Text in mrkdwn, and Fields beside each other
	BlockContext BlockKind = "context" // Text in mrkdwn, small
	BlockDivider BlockKind = "divider" // a rule
	BlockButtons BlockKind = "buttons" // Buttons in a row named ID
)

// Block is one part of a message's layout.
type Block struct {
	Kind    BlockKind `json:"kind"`
	Text    string    `json:"text,omitempty"`
	Fields  []string  `json:"fields,omitempty"` // mrkdwn
	ID      string    `json:"id,omitempty"`     // of a row of buttons
	Buttons []Button  `json:"buttons,omitempty"`
}

// Button is a button: pressing it is an Action with its ActionID and
// Value.
type Button struct {
	ActionID string      `json:"action"`
	Value    string      `json:"value"`
	Label    string      `json:"label"` // plain text
	Style    ButtonStyle `json:"style,omitempty"`
	// Confirm, when set, is asked before the press counts (in Slack, the
	// button's confirm dialog).
	Confirm *Confirm `json:"confirm,omitempty"`
}

// Confirm is an "are you sure?" dialog: Title and Text (plain text)
// say what will happen, Yes and No label its two answers.
type Confirm struct {
	Title string `json:"title"`
	Text  string `json:"text"`
	Yes   string `json:"yes"`
	No    string `json:"no"`
	// Danger colours Yes as destructive.
	Danger bool `json:"danger,omitempty"`
}

// ButtonStyle colours a button.
type ButtonStyle string

// Button styles; the zero style is the default.
const (
	StylePrimary ButtonStyle = "primary"
	StyleDanger  ButtonStyle = "danger"
)

// Header, Section, Context and Divider make blocks.
func Header(text string) Block  { return Block{Kind: BlockHeader, Text: text} }
func Section(text string) Block { return Block{Kind: BlockSection, Text: text} }
func Context(text string) Block { return Block{Kind: BlockContext, Text: text} }
func Divider() Block            { return Block{Kind: BlockDivider} }

// Buttons makes a row of buttons named id.
func Buttons(id string, buttons ...Button) Block {
	return Block{Kind: BlockButtons, ID: id, Buttons: buttons}
}

// Tag travels with a posted message (in Slack, as message metadata) and
// names the outbox entry that posted it, so that a copy whose posting was
// never recorded (its sender died after the chat took it) can be found and
// adopted instead of posted again.
type Tag struct {
	Entry   int64  // the outbox entry
	Release int64  // 0: about no release
	Kind    string // card, signoff_request, reply or post
	Team    string // of a sign-off request
}

// Ref names a posted message: its channel and timestamp.
type Ref struct {
	Channel string
	TS      string
}

// Chat is where the bot speaks: Slack's Web API or a terminal.
type Chat interface {
	// Post sends m to channel, as a reply in the thread rooted at thread
	// when that is not empty.
	Post(ctx context.Context, channel, thread string, m Message) (Ref, error)
	// Update replaces a message the bot posted.
	Update(ctx context.Context, ref Ref, m Message) error
	// Ephemeral shows m to user alone, in channel.
	Ephemeral(ctx context.Context, channel, user string, m Message) error
}
