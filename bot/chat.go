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
	// Tag, on a message posted from the outbox, says where it came from.
	Tag *Tag
}

// Tag travels with a posted message (in Slack, as message metadata) and
// names the outbox entry that posted it, so that a copy whose posting was
// never recorded (its sender died after Slack took it) can be found and
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
