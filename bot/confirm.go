package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/releasebot/releasebot/commands"
	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
)

// This file holds the typed commands that ask "are you sure?" before they
// act: a rollback, a deploy to an environment configured with confirm:,
// and a deploy with --override. They answer with a summary and a Confirm
// button; --yes skips the question.
//
// The button's value is the command itself, signed: who typed it, what
// they typed, the release's state when they were asked and until when the
// answer is good. Any replica can check it, nothing is stored, and a
// press by someone else, after the release moved on or after the expiry
// is refused.

// confirmFor is how long a Confirm button is good for.
const confirmFor = 15 * time.Minute

// maxButtonValue is Slack's limit on a button's value, in characters.
const maxButtonValue = 2000

// pending is what a Confirm button's value carries.
type pending struct {
	User    string `json:"u"`
	Text    string `json:"c"` // as typed after /release
	Release int64  `json:"r"`
	State   string `json:"s"` // stateOf the release when asked
	Expires int64  `json:"e"` // Unix seconds
}

// stateOf condenses what a confirmation was given for: the release's
// status and its deployments. A change to either makes the question stale.
func stateOf(r *releases.Release) string {
	s := fmt.Sprintf("%s/%d", r.Status, len(r.Deployments))
	if n := len(r.Deployments); n > 0 {
		d := r.Deployments[n-1]
		s += fmt.Sprintf("/%d/%s", d.ID, d.Status)
	}
	return s
}

// confirmDeploy returns the question to ask before c runs, or ok false
// when c may run at once: with --yes, to an environment that needs no
// confirmation without --override, or when the deploy will be refused
// anyway (its refusal is the better answer).
func (b *Bot) confirmDeploy(ctx context.Context, in Invocation, c commands.Deploy) (Message, bool, error) {
	if c.Yes {
		return Message{}, false, nil
	}
	r, err := b.svc.Get(ctx, c.ID)
	if err != nil {
		return Message{}, false, nil // the deploy says what is wrong
	}
	if r.Status != releases.StatusReady && r.Status != releases.StatusAwaitingPromotion || !b.view.policy.MayOperate(r, in.User) {
		return Message{}, false, nil
	}
	env := c.Env
	if env == "" {
		env, _ = r.NextEnvironment()
	}
	if c.Override != "" && !b.view.policy.IsReleaseManager(in.User) {
		return Message{}, false, nil
	}
	if !r.HasEnvironment(env) || (c.Override == "" && !b.view.policy.NeedsConfirm(env)) {
		return Message{}, false, nil
	}
	what := promoteText(r, env)
	if c.Override != "" {
		what = fmt.Sprintf("Deploy %s %s to %s now, setting windows and freezes aside for the rest of %s's deployments (override: %q)?",
			r.Service, r.Version, env, releases.FormatID(r.ID), c.Override)
	}
	m, err := b.ask(in, r, what, "Deploy", false)
	return m, err == nil, err
}

// confirmRollback returns the question to ask before c runs, or ok false
// when it may run at once (--yes) or will be refused anyway.
func (b *Bot) confirmRollback(ctx context.Context, in Invocation, c commands.Rollback) (Message, bool, error) {
	if c.Yes {
		return Message{}, false, nil
	}
	r, err := b.svc.Get(ctx, c.ID)
	if err != nil || !b.view.policy.MayOperate(r, in.User) {
		return Message{}, false, nil
	}
	if _, busy := r.InFlight(); busy {
		return Message{}, false, nil
	}
	envs := r.RollbackEnvironments()
	env := c.Env
	if env == "" && len(envs) > 0 {
		env = envs[len(envs)-1]
	}
	if env == "" || !contains(envs, env) {
		return Message{}, false, nil
	}
	what := rollbackText(r, env)
	if c.Reason != "" {
		what += fmt.Sprintf(" Reason: %q.", c.Reason)
	}
	m, err := b.ask(in, r, what, "Roll back", true)
	return m, err == nil, err
}

// ask is the summary with a Confirm button bound to what in typed, as in's
// user, for r as it stands.
func (b *Bot) ask(in Invocation, r *releases.Release, what, yes string, danger bool) (Message, error) {
	p := pending{User: in.User, Text: in.Text, Release: r.ID, State: stateOf(r), Expires: b.now().Add(confirmFor).Unix()}
	value, err := b.sign(p)
	if err != nil {
		return Message{}, err
	}
	if utf8.RuneCountInString(value) > maxButtonValue {
		return Text("This command is too long to confirm with a button; shorten the reason, or add `--yes` to act at once."), nil
	}
	style := StylePrimary
	if danger {
		style = StyleDanger
	}
	head := ":warning: " + escape(what)
	note := fmt.Sprintf("Only you can confirm, within %d minutes. Add `--yes` to act without asking.", int(confirmFor/time.Minute))
	return Message{Text: head + "\n" + note, Blocks: []Block{
		Section(head),
		Buttons("confirm_actions", Button{ActionID: ActionConfirm, Value: value, Label: yes, Style: style}),
		Context(note),
	}}, nil
}

// sign makes p a button value: "v1." + MAC + "." + p as JSON.
func (b *Bot) sign(p pending) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return "", fmt.Errorf("encode confirmation: %w", err)
	}
	body := strings.TrimSuffix(buf.String(), "\n")
	return "v1." + b.mac(body) + "." + body, nil
}

func (b *Bot) mac(body string) string {
	h := hmac.New(sha256.New, b.confirmKey)
	h.Write([]byte("releasebot confirm\x00" + body))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// verify reads a Confirm button's value back; ok is false for one releasebot
// did not sign (with this key).
func (b *Bot) verify(value string) (pending, bool) {
	rest, found := strings.CutPrefix(value, "v1.")
	if !found {
		return pending{}, false
	}
	sig, body, found := strings.Cut(rest, ".")
	if !found || !hmac.Equal([]byte(sig), []byte(b.mac(body))) {
		return pending{}, false
	}
	var p pending
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return pending{}, false
	}
	return p, true
}

// confirmed runs the command a Confirm button stands for, if a.User typed
// it, it has not expired and the release is where it was when they were
// asked. The answer is the command's own.
func (b *Bot) confirmed(ctx context.Context, a Action) *Message {
	p, ok := b.verify(a.Value)
	if !ok {
		m := Text("This Confirm button was not made by this releasebot (or its key changed since). Nothing was done; type the command again.")
		return &m
	}
	if p.User != a.User {
		m := Text(fmt.Sprintf("Only %s, who typed this command, can confirm it. Nothing was done.", mention(p.User)))
		return &m
	}
	if b.now().Unix() > p.Expires {
		m := Text("This confirmation has expired. Nothing was done; type the command again if you still mean it.")
		return &m
	}
	cmd, err := commands.Parse(p.Text, b.cfg.Location)
	if err != nil {
		return b.Failure(ctx, "confirm", err)
	}
	switch c := cmd.(type) {
	case commands.Deploy:
		c.Yes = true
		cmd = c
	case commands.Rollback:
		c.Yes = true
		cmd = c
	default:
		m := Text("There is nothing to confirm here.")
		return &m
	}
	r, err := b.svc.Get(ctx, p.Release)
	if err != nil {
		return b.Failure(ctx, "confirm", err)
	}
	if stateOf(r) != p.State {
		m := Text(fmt.Sprintf("%s has moved on since you were asked (%s). Nothing was done; type the command again if you still mean it.",
			releases.FormatID(r.ID), b.view.statusText(r)))
		return &m
	}
	reply, err := b.run(ctx, Invocation{User: a.User, Channel: a.Channel, Text: p.Text}, cmd)
	b.metrics.CommandHandled(cmd.Name(), metrics.CommandOutcome(err))
	if err != nil {
		return b.Failure(ctx, cmd.Name(), err)
	}
	return &reply
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
