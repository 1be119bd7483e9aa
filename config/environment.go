package config

import (
	"fmt"
	"time"
)

// This file reads environments and their deploy webhooks.

var (
	envKeys    = []string{"name", "deploy", "promote"}
	deployKeys = []string{"url", "secret", "timeout", "retries", "backoff", "finish_within"}
)

// maxRetries bounds deploy.retries: with backoff capped at 5m, 100 retries
// already span more than 8 hours.
const maxRetries = 100

func (p *parser) environments(top map[string]entry, cfg *Config) {
	seen := newNames("environments")
	hint := func(key string) string {
		if contains(deployKeys, key) {
			return "it belongs under deploy:"
		}
		if suggest(key, envKeys) == "" {
			if s := suggest(key, deployKeys); s != "" {
				return fmt.Sprintf("did you mean %q under deploy:?", s)
			}
		}
		return ""
	}
	for i, n := range p.items(top, "environments", "- name: staging", true) {
		path := fmt.Sprintf("environments[%d]", i)
		n = resolve(n)
		f, ok := p.mapping(n, path, envKeys, hint)
		if !ok {
			continue
		}
		env := Environment{Promote: PromoteAuto}
		name, valid := p.name(f, n, path, seen, i)
		env.Name = name
		if e, ok := f["promote"]; ok {
			if s, ok := p.scalar(e.val, path+".promote"); !ok {
				valid = false
			} else if s != PromoteAuto && s != PromoteManual {
				p.add(e.val.Line, path+".promote", "must be auto or manual, got %q", s)
				valid = false
			} else {
				env.Promote = s
			}
		}
		if e, ok := f["deploy"]; !ok {
			p.add(n.Line, path, "deploy is required (at least deploy.url)")
			valid = false
		} else if d, ok := p.deploy(e, path+".deploy"); ok {
			env.Deploy = d
		} else {
			valid = false
		}
		if valid {
			cfg.Environments = append(cfg.Environments, env)
		}
	}
}

func (p *parser) deploy(e entry, path string) (Deploy, bool) {
	d := Deploy{Timeout: DefaultTimeout, Retries: DefaultRetries, Backoff: DefaultBackoff, FinishWithin: DefaultFinishWithin}
	f, ok := p.mapping(e.val, path, deployKeys, nil)
	if !ok {
		return d, false
	}
	valid := true
	line := lineOf(resolve(e.val))
	if isNull(resolve(e.val)) {
		line = e.key.Line
	}
	u, hasURL := f["url"]
	if !hasURL {
		p.add(line, path, "url is required (https://…, http://… or log:…)")
		valid = false
	} else if s, ok := p.scalar(u.val, path+".url"); !ok {
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
	return d, valid
}
