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

// Factory builds the target a deploy block configures, and the timing the
// worker applies to it. Names in d may hold {service}, {environment} and
// {version}: the target fills them in from each request's payload.
type Factory func(d config.Deploy, deps Deps) (Target, Timing, error)

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
// Webhooks to an http(s) URL), log (log: URLs), github_actions (workflow
// dispatch), gitlab (a GitLab pipeline trigger) and argocd (an Argo CD
// application's sync).
func Builtin() Registry {
	return Registry{
		config.KindWebhook:       newWebhookTarget,
		config.KindLog:           newLogTarget,
		config.KindGitHubActions: newGitHubTarget,
		config.KindGitLab:        newGitLabTarget,
		config.KindArgoCD:        newArgoCDTarget,
	}
}

// Resolve builds the targets of the configured environments, in their
// order, then those of catalog services that have a deploy of their own in
// an environment, or vars for it (which then go to the environment's
// target). Errors: a kind is not in the registry, or its factory refused
// its configuration.
func (r Registry) Resolve(envs []config.Environment, services []config.Service, deps Deps) ([]Environment, error) {
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
	byName := make(map[string]Environment, len(envs))
	for _, e := range envs {
		env, err := r.build(e.Deploy, deps, "environment "+e.Name)
		if err != nil {
			return nil, err
		}
		env.Name = e.Name
		out = append(out, env)
		byName[e.Name] = env
	}
	for _, s := range services {
		for _, e := range envs {
			d, own := s.Deploy[e.Name]
			vars := s.Vars[e.Name]
			var env Environment
			switch {
			case own:
				var err error
				if env, err = r.build(d, deps, fmt.Sprintf("service %s in %s", s.Name, e.Name)); err != nil {
					return nil, err
				}
			case len(vars) > 0:
				env = byName[e.Name]
			default:
				continue
			}
			env.Name, env.Service, env.Vars = e.Name, s.Name, vars
			out = append(out, env)
		}
	}
	return out, nil
}

// build resolves one deploy block; where names it for errors.
func (r Registry) build(d config.Deploy, deps Deps, where string) (Environment, error) {
	kind := d.TargetKind()
	f, ok := r[kind]
	if !ok {
		return Environment{}, fmt.Errorf("%s: deploy target kind %q is not known", where, kind)
	}
	t, timing, err := f(d, deps)
	if err != nil {
		return Environment{}, fmt.Errorf("%s: %s target: %w", where, kind, err)
	}
	return Environment{Kind: kind, Target: t, Timing: timing}, nil
}

// DeployTiming is the timing a deploy block configures: timeout, retries
// (after the first attempt), backoff and finish_within.
func DeployTiming(d config.Deploy) Timing {
	return Timing{Timeout: d.Timeout, MaxAttempts: d.Retries + 1, Backoff: d.Backoff, FinishWithin: d.FinishWithin}
}
