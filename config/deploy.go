package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// This file reads deploy blocks: an environment's, or a catalog service's
// in one environment. A block holds exactly one target (url + secret, or
// one of the kinds' own keys) and the timing keys beside it.

var (
	// targetKeys are the keys that each make a block's target.
	targetKeys = []string{"url", KindGitHubActions, KindGitLab, KindArgoCD}
	timingKeys = []string{"timeout", "retries", "backoff", "finish_within"}
	deployKeys = append(append(append([]string(nil), targetKeys...), "secret"), timingKeys...)
)

// Defaults of the kinds' optional keys.
const (
	DefaultGitHubAPIURL   = "https://api.github.com"
	DefaultArgoCDRevision = "{version}"
)

// maxRetries bounds deploy.retries: with backoff capped at 5m, 100 retries
// already span more than 8 hours.
const maxRetries = 100

// defaultDeploy is the timing of an environment's deploy that sets none.
func defaultDeploy() Deploy {
	return Deploy{Timeout: DefaultTimeout, Retries: DefaultRetries, Backoff: DefaultBackoff, FinishWithin: DefaultFinishWithin}
}

// deploy reads a deploy block. Timing keys it does not set are taken from
// base: the defaults for an environment, the environment's deploy for a
// service.
func (p *parser) deploy(e entry, path string, base Deploy) (Deploy, bool) {
	d := Deploy{Timeout: base.Timeout, Retries: base.Retries, Backoff: base.Backoff, FinishWithin: base.FinishWithin}
	f, ok := p.mapping(e.val, path, deployKeys, nil)
	if !ok {
		return d, false
	}
	valid := true
	line := deployLine(e)
	var targets []string
	for _, k := range inFileOrder(f) {
		if contains(targetKeys, k) {
			targets = append(targets, k)
		}
	}
	switch len(targets) {
	case 0:
		p.add(line, path, "url is required (https://…, http://… or log:…), or one of github_actions:, gitlab:, argocd:")
		valid = false
	case 1:
	default:
		p.add(f[targets[1]].key.Line, path, "holds both %s and %s; a deploy holds exactly one target", targets[0], targets[1])
		valid = false
	}
	for _, k := range targets {
		var ok bool
		switch k {
		case "url":
			ok = p.webhookTarget(f, path, line, &d)
		case KindGitHubActions:
			d.Kind = KindGitHubActions
			ok = p.githubActions(f[k], path+"."+k, &d.GitHubActions)
		case KindGitLab:
			d.Kind = KindGitLab
			ok = p.gitLab(f[k], path+"."+k, &d.GitLab)
		case KindArgoCD:
			d.Kind = KindArgoCD
			ok = p.argoCD(f[k], path+"."+k, &d.ArgoCD)
		}
		valid = valid && ok
	}
	if e, ok := f["secret"]; ok && len(targets) == 1 && targets[0] != "url" {
		p.add(e.key.Line, path, "secret goes with url; a %s target takes its tokens inside %s:", targets[0], targets[0])
		valid = false
	}
	return d, p.timing(f, path, &d) && valid
}

// webhookTarget reads url and secret: a Standard Webhooks endpoint, or a
// log: URL.
func (p *parser) webhookTarget(f map[string]entry, path string, line int, d *Deploy) bool {
	valid := true
	u := f["url"]
	if s, ok := p.scalar(u.val, path+".url"); !ok {
		valid = false
	} else if msg := checkURL(s); msg != "" {
		p.add(u.val.Line, path+".url", "%s", msg)
		valid = false
	} else {
		d.URL = s
	}
	if e, ok := f["secret"]; ok {
		if s, ok := p.scalar(e.val, path+".secret"); !ok {
			valid = false
		} else if d.URL != "" && !isLogURL(d.URL) {
			d.Secret = Secret(s)
			if msg := checkSecret(d.Secret); msg != "" {
				p.add(e.val.Line, path+".secret", "%s", msg)
				valid = false
			}
		} else {
			d.Secret = Secret(s)
		}
	} else if d.URL != "" && !isLogURL(d.URL) {
		p.add(line, path, "secret is required for an http(s) url (write secret: ${NAME} to take it from the environment)")
		valid = false
	}
	return valid
}

// timing reads timeout, retries, backoff and finish_within into d.
func (p *parser) timing(f map[string]entry, path string, d *Deploy) bool {
	valid := true
	durations := []struct {
		key string
		dst *time.Duration
	}{{"timeout", &d.Timeout}, {"backoff", &d.Backoff}, {"finish_within", &d.FinishWithin}}
	for _, dur := range durations {
		if e, ok := f[dur.key]; ok {
			if v, ok := p.duration(e.val, path+"."+dur.key); ok {
				*dur.dst = v
			} else {
				valid = false
			}
		}
	}
	if e, ok := f["retries"]; ok {
		if v, ok := p.integer(e.val, path+".retries"); !ok {
			valid = false
		} else if v < 0 || v > maxRetries {
			p.add(e.val.Line, path+".retries", "must be between 0 and %d, got %d", maxRetries, v)
			valid = false
		} else {
			d.Retries = v
		}
	}
	return valid
}

// targetField is one key of a kind's block.
type targetField struct {
	key      string
	required string // why the key is needed, when it is; "" when optional
	// Exactly one of the destinations is set.
	name   *string // a name, which may hold placeholders; check tells its form
	link   *string // an http(s) URL; http:// is allowed with a warning
	secret *Secret
	check  func(string) string // of a name, with placeholders filled in
}

func (p *parser) githubActions(e entry, path string, g *GitHubActions) bool {
	g.APIURL = DefaultGitHubAPIURL
	return p.target(e, path, []targetField{
		{key: "repo", required: "OWNER/NAME of the repository with the workflow", name: &g.Repo, check: checkRepo},
		{key: "workflow", required: "the workflow's file name, such as deploy.yml, or its id", name: &g.Workflow, check: checkWorkflow},
		{key: "ref", required: "the branch or tag the workflow runs on, such as main", name: &g.Ref, check: checkRef},
		{key: "token", required: "a token with actions: write; write token: ${NAME} to take it from the environment", secret: &g.Token},
		{key: "webhook_secret", secret: &g.WebhookSecret},
		{key: "api_url", link: &g.APIURL},
	})
}

func (p *parser) gitLab(e entry, path string, g *GitLab) bool {
	return p.target(e, path, []targetField{
		{key: "url", required: "the GitLab instance, such as https://gitlab.com", link: &g.URL},
		{key: "project", required: "a numeric project id or a path such as group/project", name: &g.Project, check: checkProject},
		{key: "ref", required: "the branch or tag the pipeline runs on, such as main", name: &g.Ref, check: checkRef},
		{key: "trigger_token", required: "a pipeline trigger token; write trigger_token: ${NAME} to take it from the environment", secret: &g.TriggerToken},
		{key: "token", secret: &g.Token},
		{key: "webhook_token", secret: &g.WebhookToken},
	})
}

func (p *parser) argoCD(e entry, path string, a *ArgoCD) bool {
	a.Revision = DefaultArgoCDRevision
	return p.target(e, path, []targetField{
		{key: "server", required: "the Argo CD API server, such as https://argocd.example.com", link: &a.Server},
		{key: "app", required: "the application's name; it may use {service} and {environment}", name: &a.App, check: checkApp},
		{key: "revision", name: &a.Revision, check: checkRef},
		{key: "token", required: "a bearer token allowed to sync and read the application; write token: ${NAME} to take it from the environment", secret: &a.Token},
	})
}

// target reads a kind's block by its fields.
func (p *parser) target(e entry, path string, fields []targetField) bool {
	keys := make([]string, len(fields))
	for i, fd := range fields {
		keys[i] = fd.key
	}
	f, ok := p.mapping(e.val, path, keys, nil)
	if !ok {
		return false
	}
	line := deployLine(e)
	valid := true
	for _, fd := range fields {
		en, ok := f[fd.key]
		if !ok {
			if fd.required != "" {
				p.add(line, path, "%s is required (%s)", fd.key, fd.required)
				valid = false
			}
			continue
		}
		at := path + "." + fd.key
		s, ok := p.scalar(en.val, at)
		if !ok {
			valid = false
			continue
		}
		n := resolve(en.val)
		var msg string
		switch {
		case fd.secret != nil:
			if strings.TrimSpace(s) == "" {
				msg = "is empty"
			}
			*fd.secret = Secret(s)
		case fd.link != nil:
			var insecure bool
			if msg, insecure = checkTargetURL(s); msg == "" {
				*fd.link = strings.TrimRight(s, "/")
				if insecure {
					p.note(n.Line, at, "uses http://, so its token travels unencrypted; use https:// outside tests")
				}
			}
		default:
			if msg = checkPlaceholders(n.Value); msg == "" {
				if msg = fd.check(fillPlaceholders(s)); msg == "" {
					*fd.name = s
				}
			}
		}
		if msg != "" {
			p.add(n.Line, at, "%s", msg)
			valid = false
		}
	}
	return valid
}

// The placeholders names may hold, filled in for each deployment.
var placeholders = []string{"{service}", "{environment}", "{version}"}

var placeholderRef = regexp.MustCompile(`\{[^{}]*\}`)

// checkPlaceholders checks the placeholders of a name as written (before
// ${VAR} references are replaced, which it leaves out).
func checkPlaceholders(raw string) string {
	s := varRef.ReplaceAllString(raw, "")
	for _, m := range placeholderRef.FindAllString(s, -1) {
		if contains(placeholders, m) {
			continue
		}
		if sug := suggest(m, placeholders); sug != "" {
			return fmt.Sprintf("unknown placeholder %s (did you mean %s?)", m, sug)
		}
		return fmt.Sprintf("unknown placeholder %s; names may use {service}, {environment} and {version}", m)
	}
	if strings.ContainsAny(placeholderRef.ReplaceAllString(s, ""), "{}") {
		return "has a { or } that does not make a placeholder ({service}, {environment} or {version})"
	}
	return ""
}

// fillPlaceholders puts a sample value in each placeholder, so that a
// name's form can be checked.
func fillPlaceholders(s string) string {
	return strings.NewReplacer("{service}", "svc", "{environment}", "env", "{version}", "v1").Replace(s)
}

var (
	repoForm     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)
	workflowForm = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	projectForm  = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)
	appForm      = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
)

// checkRepo checks OWNER/NAME of a GitHub repository.
func checkRepo(s string) string {
	if !repoForm.MatchString(s) {
		return fmt.Sprintf("%q is not OWNER/NAME of a repository, such as acme/payments-api", s)
	}
	return ""
}

func checkWorkflow(s string) string {
	if !workflowForm.MatchString(s) {
		return fmt.Sprintf("%q is not a workflow file name (deploy.yml, without .github/workflows/) or id", s)
	}
	return ""
}

// checkRef checks a branch, tag or revision: one word.
func checkRef(s string) string {
	if strings.TrimSpace(s) == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Sprintf("%q is not a branch, tag or revision: write one word without spaces", s)
	}
	return ""
}

func checkProject(s string) string {
	if !projectForm.MatchString(s) {
		return fmt.Sprintf("%q is not a project id (a number) or path (group/project)", s)
	}
	return ""
}

// checkApp checks an Argo CD application name, a Kubernetes resource name.
func checkApp(s string) string {
	if len(s) > 253 || !appForm.MatchString(s) {
		return fmt.Sprintf("%q is not an application name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit", s)
	}
	return ""
}

// checkTargetURL checks the base URL of a CI/CD system's API without
// quoting it; insecure reports http://.
func checkTargetURL(s string) (msg string, insecure bool) {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Scheme == "":
		return "must start with https:// (or http://)", false
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("scheme %q is not supported; use https:// (or http://)", u.Scheme), false
	case u.Host == "":
		return "has no host; write it as https://host", false
	case u.User != nil:
		return "must not hold a user or password; put the token under its own key", false
	case u.RawQuery != "" || u.Fragment != "":
		return "must not hold a query (?…) or fragment (#…)", false
	}
	return "", u.Scheme == "http"
}

// deployLine is where problems about a whole block are reported.
func deployLine(e entry) int {
	if n := resolve(e.val); !isNull(n) {
		return lineOf(n)
	}
	return e.key.Line
}
