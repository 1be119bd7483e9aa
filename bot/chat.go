// Package bot is releasebot's face: the Slack adapter (endpoints, Socket
// Mode, Block Kit, threads) and the terminal shell. Both drive the same
// Bot, which turns commands, reactions and button presses into calls of the
// release service and tells each release's story in its thread. It is the
// only package that imports slack-go.
package bot

import (
	"context"

	"github.com/slack-go/slack"
)

// Message is something the bot says: Text is plain mrkdwn (Slack's
// fallback and what the terminal prints), Blocks the Block Kit layout.
type Message struct {
	Text   string
	Blocks []slack.Block
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
