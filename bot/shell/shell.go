// Package shell is the terminal adapter: the chat core of package bot,
// with a terminal in place of Slack.
package shell

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/releases"
)

// Shell is the terminal adapter: the same bot, with a terminal in place of
// Slack. It is the bot's Chat (it prints what the bot posts, each message
// with a short reference such as m3) and reads commands as a configured
// user.
type Shell struct {
	bot     *bot.Bot
	posts   Posts
	users   Directory
	source  string
	out     io.Writer
	user    string
	channel string
	notes   []string
	dim     bool
	// After runs after every line, so deployments and due releases move
	// on before the next prompt (the webhook worker, the scheduler).
	After func(ctx context.Context) error

	mu   sync.Mutex
	msgs []*shellMsg
	byTS map[string]*shellMsg
}

type shellMsg struct {
	ts, channel, thread string
	msg                 bot.Message
	ephemeral           bool // a note for the current user, kept for its buttons
}

// Posts are what the shell reads of a release's posts, for /thread.
type Posts interface {
	Posts(ctx context.Context, release int64) ([]releases.Post, error)
}

// Directory is what the shell reads of the configured users: names for
// /as and for display. *config.Config is one.
type Directory interface {
	// UserID resolves a configured name to its user id; an id is returned
	// as is.
	UserID(nameOrID string) (string, bool)
	// UserName returns a user id's configured name, or the id itself.
	UserName(id string) string
	// UserNames returns the configured names, sorted.
	UserNames() []string
}

// Options configure a Shell; main projects them from the configuration.
type Options struct {
	Users  Directory
	Source string // where the configuration came from, for the greeting
	// Posts tell where a release's card is.
	Posts Posts
	Out   io.Writer
	// User is who the shell acts as (a configured name or an id), in
	// Channel.
	User, Channel string
	// Notes are said before the greeting: which configuration this is,
	// and its warnings.
	Notes []string
	// Dim shows asides (Aside) dimmed, for a terminal.
	Dim bool
}

// New returns a shell writing to opts.Out.
func New(opts Options) *Shell {
	return &Shell{users: opts.Users, source: opts.Source, posts: opts.Posts, out: opts.Out, user: opts.User,
		channel: opts.Channel, notes: opts.Notes, dim: opts.Dim, byTS: map[string]*shellMsg{}}
}

// SetBot connects the shell to the bot it drives.
func (s *Shell) SetBot(b *bot.Bot) { s.bot = b }

var _ bot.Chat = (*Shell)(nil)

// Post prints a new message and returns its reference.
func (s *Shell) Post(_ context.Context, channel, thread string, m bot.Message) (bot.Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := &shellMsg{ts: fmt.Sprintf("m%d", len(s.msgs)+1), channel: channel, thread: thread, msg: m}
	s.msgs = append(s.msgs, msg)
	s.byTS[msg.ts] = msg
	where := "#" + channel
	if thread != "" {
		where += " › thread " + thread
	}
	fmt.Fprintf(s.out, "[%s] %s\n%s\n", msg.ts, where, indent(s.plain(m.Text)))
	return bot.Ref{Channel: channel, TS: msg.ts}, nil
}

// Update replaces a message and prints its new first line.
func (s *Shell) Update(_ context.Context, ref bot.Ref, m bot.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, ok := s.byTS[ref.TS]
	if !ok {
		return fmt.Errorf("no message %s", ref.TS)
	}
	if msg.msg.Text == m.Text {
		return nil
	}
	before := s.plain(msg.msg.Text)
	msg.msg = m
	fmt.Fprintf(s.out, "[%s updated] %s\n", ref.TS, s.summary(m.Text))
	if changed := changedLines(before, s.plain(m.Text)); changed != "" {
		fmt.Fprintln(s.out, indent(changed))
	}
	return nil
}

// Ephemeral prints a note meant for the current user alone.
func (s *Shell) Ephemeral(_ context.Context, _, _ string, m bot.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.note(m)
	return nil
}

// say is note, for callers that do not hold s.mu.
func (s *Shell) say(m bot.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.note(m)
}

// Aside prints a line of the story that is no message of the bot, such as
// what a log: deploy target would have sent: short, indented, and dimmed
// on a terminal.
func (s *Shell) Aside(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	line := "  ↳ " + text
	if s.dim {
		line = "\x1b[2m" + line + "\x1b[0m"
	}
	fmt.Fprintln(s.out, line)
}

// note prints m for the current user alone; s.mu is held. A note with buttons (a
// Confirm) gets a reference, so that /press can press them.
func (s *Shell) note(m bot.Message) {
	var buttons []string
	for _, b := range m.Blocks {
		for _, btn := range b.Buttons {
			buttons = append(buttons, btn.ActionID)
		}
	}
	if len(buttons) == 0 {
		fmt.Fprintf(s.out, "(only you)\n%s\n", indent(s.plain(m.Text)))
		return
	}
	msg := &shellMsg{ts: fmt.Sprintf("m%d", len(s.msgs)+1), channel: s.channel, msg: m, ephemeral: true}
	s.msgs = append(s.msgs, msg)
	s.byTS[msg.ts] = msg
	fmt.Fprintf(s.out, "(only you) [%s]\n%s\n    (/press %s %s)\n", msg.ts, indent(s.plain(m.Text)), msg.ts, strings.Join(buttons, "|"))
}

const shellHelp = `Shell commands:
  /release …            a releasebot command as the current user (try /release help)
  /as NAME              act as another configured user (a name from users: or a Slack id)
  /in CHANNEL           type commands in another channel
  /react REF EMOJI      react to a bot message, e.g. /react m2 ✅ (also :white_check_mark:, :x:, 👍)
  /unreact REF EMOJI    remove that reaction
  /press REF BUTTON [N] press a button of a message: approve, reject, promote, retry, rollback, cancel, or
                        confirm (the Confirm of a typed rollback or production deploy; --yes skips it);
                        N picks the Nth such button
  /home                 your Home, as Slack's Home tab shows it: what waits for you, your releases, what's coming up
  /channels             what the bot posted where
  /thread R-n           a release's card and thread
  /quit                 leave (so does the end of input)`

// Run reads lines from in until it ends or /quit. When echo is set each
// line is printed after a prompt, so a piped script reads as a transcript.
func (s *Shell) Run(ctx context.Context, in io.Reader, echo bool) error {
	for _, n := range s.notes {
		fmt.Fprintln(s.out, n)
	}
	fmt.Fprintf(s.out, "releasebot shell (%s). You are %s in #%s. Type /help for the shell's commands, /release help for releasebot's.\n",
		s.source, s.who(), s.channel)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for {
		if !echo {
			fmt.Fprintf(s.out, "%s> ", s.name())
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if echo {
			fmt.Fprintf(s.out, "%s> %s\n", s.name(), line)
		}
		if s.line(ctx, line) {
			return nil
		}
		if s.After != nil {
			if err := s.After(ctx); err != nil {
				fmt.Fprintf(s.out, "error: %v\n", err)
			}
		}
	}
	if !echo {
		fmt.Fprintln(s.out)
	}
	return sc.Err()
}

// line runs one line; it reports whether the shell should end.
func (s *Shell) line(ctx context.Context, line string) (quit bool) {
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(word) {
	case "/release":
		s.say(s.bot.HandleCommand(ctx, bot.Invocation{User: s.userID(), Channel: s.channel, Text: rest}))
	case "/as":
		id, ok := s.users.UserID(rest)
		if !ok {
			fmt.Fprintf(s.out, "Unknown user %q; the configured users are %s.\n", rest, s.userList())
			return false
		}
		s.user = id
		fmt.Fprintf(s.out, "You are now %s.\n", s.who())
	case "/in":
		s.channel = strings.TrimPrefix(rest, "#")
		fmt.Fprintf(s.out, "You are now in #%s.\n", s.channel)
	case "/react", "/unreact":
		ref, emoji, _ := strings.Cut(rest, " ")
		if ref == "" || strings.TrimSpace(emoji) == "" {
			fmt.Fprintf(s.out, "Usage: %s REF EMOJI, with REF a message reference such as m2.\n", word)
			return false
		}
		msg, ok := s.find(ref)
		if !ok {
			s.noMessage(ref)
			return false
		}
		note, err := s.bot.HandleReaction(ctx, bot.Reaction{User: s.userID(), Channel: msg.channel, TS: msg.ts,
			Emoji: emojiName(strings.TrimSpace(emoji)), Added: word == "/react"}, nil)
		if err != nil {
			note = s.bot.Failure(ctx, "reaction", err)
		}
		if note != nil {
			s.say(*note)
		}
	case "/press":
		s.press(ctx, rest)
	case "/home":
		s.home(ctx)
	case "/channels":
		s.channels()
	case "/thread":
		s.thread(ctx, rest)
	case "/help":
		fmt.Fprintln(s.out, shellHelp)
	case "/quit", "/exit":
		return true
	default:
		fmt.Fprintln(s.out, "Lines start with /release or a shell command; type /help.")
	}
	return false
}

// home posts the user's Home as a message, so that its buttons can be
// pressed (/press REF approve N).
func (s *Shell) home(ctx context.Context) {
	m, err := s.bot.Home(ctx, s.userID())
	if err != nil {
		s.note(*s.bot.Failure(ctx, "home", err))
		return
	}
	_, _ = s.Post(ctx, "home", "", m)
}

func (s *Shell) press(ctx context.Context, rest string) {
	fields := strings.Fields(rest)
	if len(fields) < 2 {
		fmt.Fprintln(s.out, "Usage: /press REF BUTTON [N], e.g. /press m2 approve.")
		return
	}
	msg, ok := s.find(fields[0])
	if !ok {
		s.noMessage(fields[0])
		return
	}
	button, nth := strings.ToLower(fields[1]), 1
	if len(fields) > 2 {
		if _, err := fmt.Sscan(fields[2], &nth); err != nil || nth < 1 {
			fmt.Fprintln(s.out, "N counts the buttons of that name from 1: /press m5 approve 2.")
			return
		}
	}
	if button == bot.ActionNewRelease || button == "new" {
		fmt.Fprintln(s.out, "The New release form is Slack's; here, type /release create SERVICE VERSION (see /release help create).")
		return
	}
	for _, bl := range msg.msg.Blocks {
		for _, btn := range bl.Buttons {
			if btn.ActionID == button {
				if nth--; nth > 0 {
					continue
				}
				if note := s.bot.HandleAction(ctx, bot.Action{User: s.userID(), Channel: msg.channel, ActionID: btn.ActionID, Value: btn.Value}); note != nil {
					s.say(*note)
				}
				return
			}
		}
	}
	fmt.Fprintf(s.out, "%s has no %q button.\n", fields[0], button)
}

func (s *Shell) channels() {
	s.mu.Lock()
	defer s.mu.Unlock()
	byChannel := map[string][]string{}
	for _, m := range s.msgs {
		if m.thread == "" && !m.ephemeral {
			byChannel[m.channel] = append(byChannel[m.channel], m.ts+" "+s.summary(m.msg.Text))
		}
	}
	if len(byChannel) == 0 {
		fmt.Fprintln(s.out, "The bot has posted nothing yet.")
		return
	}
	names := make([]string, 0, len(byChannel))
	for c := range byChannel {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		fmt.Fprintf(s.out, "#%s\n", c)
		for _, line := range byChannel[c] {
			fmt.Fprintf(s.out, "  %s\n", line)
		}
	}
}

func (s *Shell) thread(ctx context.Context, arg string) {
	id, err := releases.ParseID(arg)
	if err != nil {
		fmt.Fprintln(s.out, releases.ErrorMessage(err))
		return
	}
	posts, err := s.posts.Posts(ctx, id)
	if err != nil {
		fmt.Fprintln(s.out, releases.ErrorMessage(err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range posts {
		if p.Kind != releases.PostCard {
			continue
		}
		card, ok := s.byTS[p.TS]
		if !ok {
			break
		}
		fmt.Fprintf(s.out, "[%s] #%s\n%s\n", card.ts, card.channel, indent(s.plain(card.msg.Text)))
		for _, m := range s.msgs {
			if m.thread == card.ts {
				fmt.Fprintf(s.out, "  [%s]\n%s\n", m.ts, indent(indent(s.plain(m.msg.Text))))
			}
		}
		return
	}
	fmt.Fprintf(s.out, "This shell has no thread of %s (it was opened elsewhere or before this session).\n", releases.FormatID(id))
}

func (s *Shell) noMessage(ref string) {
	s.mu.Lock()
	n := len(s.msgs)
	s.mu.Unlock()
	if n == 0 {
		fmt.Fprintf(s.out, "There is no message %s: the bot has posted nothing yet.\n", ref)
		return
	}
	fmt.Fprintf(s.out, "There is no message %s; the bot's messages are m1 to m%d (/channels lists them).\n", ref, n)
}

func (s *Shell) find(ref string) (*shellMsg, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byTS[strings.TrimPrefix(strings.TrimSpace(ref), "[")]
	return m, ok
}

func (s *Shell) userID() string {
	if id, ok := s.users.UserID(s.user); ok {
		return id
	}
	return s.user
}

func (s *Shell) name() string { return s.users.UserName(s.userID()) }

func (s *Shell) who() string {
	if n := s.name(); n != s.userID() {
		return fmt.Sprintf("%s (%s)", n, s.userID())
	}
	return s.userID()
}

func (s *Shell) userList() string {
	names := s.users.UserNames()
	if len(names) == 0 {
		return "none by name (use Slack ids such as U0ALICE)"
	}
	return strings.Join(names, ", ")
}

var (
	userRef    = regexp.MustCompile(`<@([A-Z0-9]+)>`)
	groupRef   = regexp.MustCompile(`<!subteam\^([A-Z0-9]+)(\|[^>]*)?>`)
	channelRef = regexp.MustCompile(`<#([A-Za-z0-9_-]+)(\|[^>]*)?>`)
	linkRef    = regexp.MustCompile(`<(https?://[^|>]+)(\|[^>]*)?>`)
	emojiCode  = regexp.MustCompile(`:([a-z0-9_+-]+):`)
	codeSpan   = regexp.MustCompile("`([^`\n]+)`")
)

// plain renders mrkdwn for a terminal: names for user ids, characters for
// emoji codes, no bold markers.
func (s *Shell) plain(t string) string {
	t = userRef.ReplaceAllStringFunc(t, func(m string) string { return "@" + s.users.UserName(userRef.FindStringSubmatch(m)[1]) })
	t = groupRef.ReplaceAllString(t, "@$1")
	t = channelRef.ReplaceAllString(t, "#$1")
	t = linkRef.ReplaceAllString(t, "$1")
	t = emojiCode.ReplaceAllStringFunc(t, func(m string) string {
		if u, ok := emojiChars[strings.Trim(m, ":")]; ok {
			return u
		}
		return m
	})
	t = codeSpan.ReplaceAllString(t, s.bold("$1"))
	return bot.Unescape(strings.ReplaceAll(t, "*", "")) // what people typed, as they typed it
}

// bold is text in bold on a terminal, as it is.
func (s *Shell) bold(t string) string {
	if !s.dim {
		return t
	}
	return "\x1b[1m" + t + "\x1b[22m"
}

// changedLines are the lines of after, but its first (the summary),
// that before did not have: what an update changed.
func changedLines(before, after string) string {
	had := map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		had[l] = true
	}
	var out []string
	for _, l := range strings.Split(after, "\n")[1:] {
		if !had[l] && strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// summary is a message's first line, plain.
func (s *Shell) summary(t string) string {
	first, _, _ := strings.Cut(s.plain(t), "\n")
	return first
}

func indent(t string) string { return "    " + strings.ReplaceAll(t, "\n", "\n    ") }

var emojiChars = map[string]string{
	"white_check_mark": "✅", "heavy_check_mark": "✔️", "+1": "👍", "x": "❌", "hourglass_flowing_sand": "⏳",
	"hourglass": "⌛", "large_green_circle": "🟢", "rocket": "🚀", "double_vertical_bar": "⏸️", "tada": "🎉",
	"fire": "🔥", "rewind": "⏪", "no_entry_sign": "🚫", "clock4": "🕓", "arrows_counterclockwise": "🔄",
	"white_circle": "⚪", "warning": "⚠️", "raising_hand": "🙋", "leftwards_arrow_with_hook": "↩️",
	"calendar": "📅", "vertical_traffic_light": "🚦", "information_source": "ℹ️",
	"snowflake": "❄️", "sunny": "☀️", "clock2": "🕑", "alarm_clock": "⏰", "bar_chart": "📊", "zzz": "💤",
	"repeat": "🔁", "scissors": "✂️",
}

// emojiName reads an emoji as typed in the shell: a character, :code: or a
// bare name.
func emojiName(typed string) string {
	for name, char := range emojiChars {
		if typed == char || typed == strings.TrimSuffix(char, "\ufe0f") {
			return name
		}
	}
	return bot.NormalizeEmoji(typed)
}
