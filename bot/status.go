package bot

import (
	"context"
	"sync"
	"time"

	"github.com/releasebot/releasebot/commands"
	"github.com/releasebot/releasebot/metrics"
	"github.com/releasebot/releasebot/releases"
)

// sharedReleases is a Releases that shares the release it keeps between
// readers (*releases.Coordinator): the same pointer while it is current.
type sharedReleases interface {
	GetShared(ctx context.Context, id int64) (*releases.Release, error)
}

// keptReleases is a Releases that tells which releases it holds in
// memory (*releases.Coordinator).
type keptReleases interface {
	Kept(id int64) (*releases.Release, bool)
}

// AnswerFromMemory answers in as HandleCommand would when that takes no
// waiting for anything: `/release status R-n` of a release the coordinator
// holds in memory, with nothing to read from the database. ok is false for
// every other command, which HandleCommand must answer.
func (b *Bot) AnswerFromMemory(in Invocation) (m Message, ok bool) {
	kept, ok := b.svc.(keptReleases)
	if !ok {
		return Message{}, false
	}
	cmd, err := commands.Parse(in.Text, b.cfg.Location)
	if err != nil {
		return Message{}, false
	}
	c, ok := cmd.(commands.Status)
	if !ok || c.ID == 0 {
		return Message{}, false
	}
	r, ok := kept.Kept(c.ID)
	if !ok {
		return Message{}, false
	}
	m = b.statusOf(r)
	b.metrics.CommandHandled(cmd.Name(), metrics.CommandOutcome(nil))
	return m, true
}

// status answers `/release status R-n`. While the coordinator shares the
// same unchanged release, the answer made of it last time is given again:
// rendering it was most of what a status cost once its release was read
// from memory. An answer that read the clock (a window's next opening) is
// made anew every time.
func (b *Bot) status(ctx context.Context, id int64) (Message, error) {
	shared, ok := b.svc.(sharedReleases)
	if !ok {
		r, err := b.svc.Get(ctx, id)
		if err != nil {
			return Message{}, err
		}
		return b.view.status(r), nil
	}
	r, err := shared.GetShared(ctx, id)
	if err != nil {
		return Message{}, err
	}
	return b.statusOf(r), nil
}

// statusOf is the status answer of r, a release the coordinator shares:
// the one made of r before, or a new one, kept unless it read the clock.
func (b *Bot) statusOf(r *releases.Release) Message {
	if m, ok := b.statuses.get(r); ok {
		return m
	}
	v, clocked := b.view, false
	v.now = func() time.Time { clocked = true; return b.view.now() }
	m := v.status(r)
	if !clocked {
		b.statuses.put(r, m)
	}
	return m
}

// statusAnswers keeps the last status answer of each release with the
// shared release it was made of. Answers are shared too: what gets one
// reads it and changes nothing.
type statusAnswers struct {
	mu      sync.Mutex
	answers map[int64]statusAnswer
}

type statusAnswer struct {
	of *releases.Release
	m  Message
}

// maxStatusAnswers bounds the answers kept, as the coordinator bounds the
// releases it keeps.
const maxStatusAnswers = 1024

// get returns the answer made of r itself, if there is one.
func (a *statusAnswers) get(r *releases.Release) (Message, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.answers[r.ID]
	if !ok || e.of != r {
		return Message{}, false
	}
	return e.m, true
}

func (a *statusAnswers) put(r *releases.Release, m Message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.answers == nil || len(a.answers) >= maxStatusAnswers {
		a.answers = make(map[int64]statusAnswer)
	}
	a.answers[r.ID] = statusAnswer{of: r, m: m}
}
