package config

import (
	"fmt"
)

// This file reads environments and their deploy webhooks.

var envKeys = []string{"name", "deploy", "promote"}

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
		} else if d, ok := p.deploy(e, path+".deploy", defaultDeploy()); ok {
			env.Deploy = d
		} else {
			valid = false
		}
		if valid {
			cfg.Environments = append(cfg.Environments, env)
		}
	}
}
