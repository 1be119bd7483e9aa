// Package config loads and validates releasebot.yaml.
//
// Load and Parse read the file into a Config, checking everything they can
// and reporting every mistake with its file and line (as Problems), so one
// run of `releasebot config check` shows all of them. Values may refer to the
// environment as ${VAR}; deploy secrets are held as Secret, which never
// prints its value. Demo returns the built-in demo configuration used when no
// file is present.
package config

import (
	"sort"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/releasebot/releasebot/releases"
)

// Defaults applied when a key is absent.
const (
	DefaultTimezone     = "UTC"
	DefaultApprovals    = 1
	DefaultTimeout      = 10 * time.Second
	DefaultRetries      = 8
	DefaultBackoff      = 2 * time.Second
	DefaultFinishWithin = 30 * time.Minute
)

// Values of Environment.Promote.
const (
	PromoteAuto   = "auto"   // start when the previous environment succeeded (default)
	PromoteManual = "manual" // wait for `/release deploy R-n --env NAME` or the Promote button

	OnFailureHalt     = releases.OnFailureHalt     // a failure stops new deployments; people decide (default)
	OnFailureRollback = releases.OnFailureRollback // a failure rolls the environment back
)

// Config is a loaded, validated releasebot configuration. It is read-only
// after Load, Parse or Demo returns it.
type Config struct {
	// Timezone is the IANA name windows, freezes and summaries are read in
	// (default "UTC"); Location is that zone, loaded.
	Timezone string
	Location *time.Location
	// ReleaseManagers are Slack user ids that may override freezes and
	// windows and cancel anything.
	ReleaseManagers []string
	// RequireDistinctApprover forbids a release's creator from signing it
	// off (four eyes). True when the key is absent.
	RequireDistinctApprover bool
	// Teams whose leads sign releases off.
	Teams []Team
	// Environments in deploy order.
	Environments []Environment
	// Windows are the release trains.
	Windows []Window
	// Freezes are fixed periods in which nothing deploys.
	Freezes []releases.Freeze
	// Reminders configures nudges for missing sign-offs.
	Reminders Reminders
	// Summaries are scheduled release reports.
	Summaries []Summary
	// Limits are the create quota and the sign-off expiry (`limits:`).
	Limits Limits
	// Services is the optional service catalog (`services:`): each
	// service's owning teams, repository, dependencies and per-environment
	// deploy targets. Empty: any service name may be released, and every
	// environment deploys through its own deploy.
	Services []Service
	// CI configures POST /api/releases (`ci:`): the channel of CI-opened
	// releases' cards and GitHub Actions OIDC.
	CI CI
	// Users maps a display name to a Slack user id (optional `users:` key),
	// for the terminal shell's `/as NAME` and for display. Never nil.
	Users map[string]string
	// Source is the file the configuration came from, or
	// "built-in demo configuration".
	Source string
	// LeadGroups tells who is in the user groups teams name among their
	// leads. It is not read from the file: the wiring sets it (Slack's
	// user groups when serving) before anything takes a Policy, so that
	// every copy of the policy sees the same members. Nil: none is known.
	LeadGroups releases.LeadGroups

	notes []Problem // warnings found while parsing, for Warnings
}

// UserGroups returns the user groups named among the teams' leads, each
// once, in file order.
func (c *Config) UserGroups() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range c.Teams {
		for _, l := range t.Leads {
			if releases.IsUserGroup(l) && !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// Team is a group whose leads sign off releases in its channel.
type Team struct {
	Name string
	// Channel is a Slack channel id (C0PAY) or name where sign-off
	// requests go.
	Channel string
	// Leads are the Slack user ids whose sign-off counts.
	Leads []string
	// Approvals is the number of distinct leads that must sign off
	// (default 1, at most len(Leads)).
	Approvals int
}

// Environment is one deploy target; Config.Environments lists them in the
// order a release goes through them.
type Environment struct {
	Name   string
	Deploy Deploy
	// Promote is PromoteAuto (start after the previous environment
	// succeeded, the default) or PromoteManual (wait for a deploy command
	// or the Promote button).
	Promote string
	// Confirm: promoting to this environment, rolling it back or
	// overriding its window asks the person to confirm first (buttons
	// carry a confirm dialog, typed commands answer with a Confirm
	// button unless --yes). Default: true for the last environment.
	Confirm bool
	// OnFailure is OnFailureHalt (the default: a failed deployment stops
	// the release's new deployments and waits for people) or
	// OnFailureRollback (then roll the environment back).
	OnFailure string
}

// Deploy describes how an environment's deployments are requested.
type Deploy struct {
	// Kind names the kind of deploy target; empty: TargetKind reads it
	// from URL (webhook or log). The file sets it by the key it holds
	// (github_actions:, gitlab:, argocd:).
	Kind string
	// URL is http://…, https://… or log:… (log only, always succeeds).
	URL string
	// Secret signs requests (Standard Webhooks); empty for log: URLs.
	Secret Secret
	// GitHubActions, GitLab and ArgoCD hold the target of the kind Kind
	// names (KindGitHubActions, KindGitLab, KindArgoCD); URL and Secret are
	// then empty. (Values, not pointers: a Deploy copies whole, and prints
	// its secrets redacted at any depth.)
	GitHubActions GitHubActions
	GitLab        GitLab
	ArgoCD        ArgoCD
	// Timeout bounds one HTTP attempt (default 10s).
	Timeout time.Duration
	// Retries is the number of further attempts after the first (default 8).
	Retries int
	// Backoff is the first retry delay (default 2s); it doubles with jitter.
	Backoff time.Duration
	// FinishWithin is how long the deployer has to report a final status
	// before the deployment is timed_out (default 30m).
	FinishWithin time.Duration
}

// Kinds of deploy target.
const (
	// KindWebhook calls an http(s) URL, signed (Standard Webhooks).
	KindWebhook = "webhook"
	// KindLog, for log: URLs, only logs what it would send and succeeds.
	KindLog = "log"
	// KindGitHubActions dispatches a GitHub Actions workflow.
	KindGitHubActions = "github_actions"
	// KindGitLab triggers a GitLab pipeline.
	KindGitLab = "gitlab"
	// KindArgoCD syncs an Argo CD application.
	KindArgoCD = "argocd"
)

// TargetKind returns the kind of deploy target: Kind if set, else KindLog
// for a log: URL and KindWebhook for any other.
func (d Deploy) TargetKind() string {
	switch {
	case d.Kind != "":
		return d.Kind
	case isLogURL(d.URL):
		return KindLog
	}
	return KindWebhook
}

// GitHubActions is a deploy target that dispatches a workflow
// (`github_actions:`). Names may hold {service}, {environment} and
// {version}, filled in for each deployment.
type GitHubActions struct {
	// Repo is OWNER/NAME of the repository that holds the workflow.
	Repo string
	// Workflow is the workflow's file name (deploy.yml) or id.
	Workflow string
	// Ref is the branch or tag the workflow runs on.
	Ref string
	// Token authenticates the dispatch and the polls (actions: write).
	Token Secret
	// WebhookSecret verifies workflow_run webhooks on POST
	// /webhooks/github; empty: polling alone finishes deployments.
	WebhookSecret Secret
	// APIURL is the REST API's base (GitHub Enterprise, tests); default
	// https://api.github.com.
	APIURL string
}

// GitLab is a deploy target that triggers a pipeline (`gitlab:`).
type GitLab struct {
	// URL is the GitLab instance's base, e.g. https://gitlab.com.
	URL string
	// Project is a numeric id or a path (group/project), URL-encoded
	// when sent.
	Project string
	// Ref is the branch or tag the pipeline runs on.
	Ref string
	// TriggerToken triggers the pipeline.
	TriggerToken Secret
	// Token (read_api) reads the pipeline when polling; empty: no
	// polling.
	Token Secret
	// WebhookToken is the secret token of pipeline webhooks on POST
	// /webhooks/gitlab; empty: polling alone finishes deployments.
	WebhookToken Secret
}

// ArgoCD is a deploy target that syncs an Argo CD application (`argocd:`).
type ArgoCD struct {
	// Server is the Argo CD API server's base URL.
	Server string
	// App is the application's name.
	App string
	// Revision is what the sync targets; default "{version}".
	Revision string
	// Token is a bearer token allowed to sync and read the application.
	Token Secret
}

// Service is one entry of the service catalog.
type Service struct {
	// Name is the service's name, lower-case, as releases name it.
	Name string
	// Teams own the service: each always signs its releases off.
	Teams []string
	// Repo is OWNER/NAME of the service's repository (CI identity, commit
	// links); optional.
	Repo string
	// DependsOn names catalog services deployed before this one inside a
	// release train, per environment.
	DependsOn []string
	// Deploy is the service's own deploy target per environment, with any
	// timing key it does not set taken from the environment's deploy. An
	// environment not listed uses the environment's deploy.
	Deploy map[string]Deploy
	// Vars are values handed to the target, per environment.
	Vars map[string]map[string]string
}

// Service returns the catalog entry of the named service.
func (c *Config) Service(name string) (Service, bool) {
	for _, s := range c.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// DeployOf returns the deploy target of service in env: the service's
// own, or else the environment's.
func (c *Config) DeployOf(service, env string) (Deploy, bool) {
	if s, ok := c.Service(service); ok {
		if d, ok := s.Deploy[env]; ok {
			return d, true
		}
	}
	e, ok := c.Environment(env)
	return e.Deploy, ok
}

// Window is a recurring release window (a release train).
type Window struct {
	Name string
	// Schedule is the cron text as written; Cron is it parsed, in the
	// configured zone unless Schedule starts with its own CRON_TZ=.
	Schedule string
	// Duration is how long the window stays open after each opening.
	Duration time.Duration
	Cron     cron.Schedule

	line int // of the schedule, for Warnings
}

// Reminders configures sign-off reminders.
type Reminders struct {
	// BeforeWindow is how long before a window opens teams that have not
	// signed off are nudged; 0 turns reminders off.
	BeforeWindow time.Duration
}

// Summary is a scheduled release summary, posted to Channel and sent as a
// direct message to each of Users.
type Summary struct {
	Name, Schedule, Channel string
	Users                   []string
	Cron                    cron.Schedule

	line int // of the schedule, for Warnings
}

// Team returns the team with the given name.
func (c *Config) Team(name string) (Team, bool) {
	for _, t := range c.Teams {
		if t.Name == name {
			return t, true
		}
	}
	return Team{}, false
}

// Environment returns the environment with the given name.
func (c *Config) Environment(name string) (Environment, bool) {
	for _, e := range c.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// Window returns the window with the given name.
func (c *Config) Window(name string) (Window, bool) {
	for _, w := range c.Windows {
		if w.Name == name {
			return w, true
		}
	}
	return Window{}, false
}

// UserID resolves a display name from `users:` to its Slack user id. A
// string that is already a configured id, or looks like one, is returned
// as is.
func (c *Config) UserID(nameOrID string) (string, bool) {
	if id, ok := c.Users[nameOrID]; ok {
		return id, true
	}
	if isUserID(nameOrID) {
		return nameOrID, true
	}
	return "", false
}

// UserNames returns the names of `users:`, sorted.
func (c *Config) UserNames() []string {
	names := make([]string, 0, len(c.Users))
	for n := range c.Users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UserName returns the display name `users:` gives a Slack user id, or
// the id itself when it has none.
func (c *Config) UserName(id string) string {
	names := make([]string, 0, 1)
	for name, uid := range c.Users {
		if uid == id {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return id
	}
	sort.Strings(names) // ids are unique after Parse; this keeps hand-built configs stable
	return names[0]
}
