package webhooks

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/releasebot/releasebot/config"
)

// Defaults of a Timing left zero, the same as the configuration's.
const (
	defaultTimeout = config.DefaultTimeout
	defaultBackoff = config.DefaultBackoff
)

// Factory builds the target of one configured environment, and the timing
// the worker applies to it.
type Factory func(env config.Environment, deps Deps) (Target, Timing, error)

// Deps are what targets are built with.
type Deps struct {
	// Now is the clock of signatures and Retry-After dates; default
	// time.Now. Share the worker's.
	Now func() time.Time
	// Client makes the requests of targets that call out; default a
	// client of the targets' own. A target may change its redirect policy
	// (on a copy).
	Client *http.Client
	// Logger is where targets that only log write; default discard.
	Logger *slog.Logger
}

// Registry maps a target kind, as config.Deploy.TargetKind names it, to
// its Factory. It is a plain value: build it with Builtin where the
// program is wired, and add kinds to it there (or in a test).
type Registry map[string]Factory

// Builtin returns a registry of the built-in kinds: webhook (Standard
// Webhooks to an http(s) URL) and log (log: URLs).
func Builtin() Registry {
	return Registry{
		config.KindWebhook: newWebhookTarget,
		config.KindLog:     newLogTarget,
	}
}

// Resolve builds the targets of the configured environments, in their
// order. Errors: an environment's kind is not in the registry, or its
// factory refused its configuration.
func (r Registry) Resolve(envs []config.Environment, deps Deps) ([]Environment, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 8
		deps.Client = &http.Client{Transport: t}
	}
	out := make([]Environment, 0, len(envs))
	for _, e := range envs {
		kind := e.Deploy.TargetKind()
		f, ok := r[kind]
		if !ok {
			return nil, fmt.Errorf("environment %s: deploy target kind %q is not known", e.Name, kind)
		}
		t, timing, err := f(e, deps)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %s target: %w", e.Name, kind, err)
		}
		out = append(out, Environment{Name: e.Name, Target: t, Timing: timing})
	}
	return out, nil
}

// DeployTiming is the timing a deploy block configures: timeout, retries
// (after the first attempt), backoff and finish_within.
func DeployTiming(d config.Deploy) Timing {
	return Timing{Timeout: d.Timeout, MaxAttempts: d.Retries + 1, Backoff: d.Backoff, FinishWithin: d.FinishWithin}
}
