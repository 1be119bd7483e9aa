package config

import (
	"fmt"
)

// This file reads environments and their deploy webhooks.

var envKeys = []string{"name", "deploy", "promote", "confirm", "on_failure"}

func (p *parser) environments(top map[string]entry, cfg *Config) {
	seen := newNames("environments")
	p.envsRead = seen
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
	explicit := map[int]bool{} // environments whose confirm: was written, by index in cfg.Environments
	for i, n := range p.items(top, "environments", "- name: staging", true) {
		path := fmt.Sprintf("environments[%d]", i)
		n = resolve(n)
		f, ok := p.mapping(n, path, envKeys, hint)
		if !ok {
			continue
		}
		env := Environment{Promote: PromoteAuto} // OnFailure "" is halt
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
		confirmSet := false
		if e, ok := f["confirm"]; ok {
			if v, ok := p.boolean(e.val, path+".confirm"); !ok {
				valid = false
			} else {
				env.Confirm, confirmSet = v, true
			}
		}
		if e, ok := f["on_failure"]; ok {
			if s, ok := p.scalar(e.val, path+".on_failure"); !ok {
				valid = false
			} else if s != OnFailureHalt && s != OnFailureRollback {
				p.add(e.val.Line, path+".on_failure", "must be halt or rollback, got %q", s)
				valid = false
			} else {
				env.OnFailure = s
			}
		}
		if e, ok := f["deploy"]; !ok {
			p.add(n.Line, path, "deploy is required (at least deploy.url)")
			valid = false
		} else if d, ok := p.deploy(e, path+".deploy", defaultDeploy()); ok {
			env.Deploy = d
		} else {
			valid = false
		}
		if valid {
			explicit[len(cfg.Environments)] = confirmSet
			cfg.Environments = append(cfg.Environments, env)
		}
	}
	// Production is last: by default deploying there, rolling it back or
	// overriding its window asks "are you sure?" first.
	if n := len(cfg.Environments); n > 0 && !explicit[n-1] {
		cfg.Environments[n-1].Confirm = true
	}
}
