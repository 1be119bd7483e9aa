package config

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/releasebot/releasebot/releases"
)

// This file reads the service catalog (`services:`).

var serviceKeys = []string{"name", "teams", "repo", "depends_on", "deploy", "vars"}

// varName is the form of a var's name: an environment variable's, so that
// GitLab and deploy scripts can take it as one.
var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// dependency is one depends_on item, kept for the checks that need the
// whole catalog.
type dependency struct {
	from, to string
	path     string
	line     int
}

func (p *parser) services(n *yaml.Node, cfg *Config) {
	nodes, ok := p.list(n, "services", "- name: payments-api")
	if !ok {
		return
	}
	seen := newNames("services")
	hint := func(key string) string {
		if contains(deployKeys, key) {
			return "a service's deploy is per environment: deploy: {staging: {" + key + ": …}}"
		}
		return ""
	}
	var deps []dependency
	for i, n := range nodes {
		path := fmt.Sprintf("services[%d]", i)
		n = resolve(n)
		f, ok := p.mapping(n, path, serviceKeys, hint)
		if !ok {
			continue
		}
		s := Service{}
		name, valid := p.serviceName(f, n, path, seen, i)
		s.Name = name
		if e, ok := f["teams"]; !ok {
			p.add(n.Line, path, "teams is required (the teams that own the service and always sign its releases off)")
			valid = false
		} else if teams, ok := p.owners(e, path+".teams", cfg); ok {
			s.Teams = teams
		} else {
			valid = false
		}
		if e, ok := f["repo"]; ok {
			if v, ok := p.scalar(e.val, path+".repo"); !ok {
				valid = false
			} else if msg := checkRepo(v); msg != "" {
				p.add(e.val.Line, path+".repo", "%s", msg)
				valid = false
			} else {
				s.Repo = v
			}
		}
		if e, ok := f["depends_on"]; ok {
			items, ok := p.stringList(e.val, path+".depends_on", "[ledger]")
			valid = valid && ok
			for j, it := range items {
				at := fmt.Sprintf("%s.depends_on[%d]", path, j)
				to, err := releases.NormalizeService(it.val)
				switch {
				case err != nil:
					p.add(it.line, at, "%s", errorMessage(err))
					valid = false
				case contains(s.DependsOn, to):
					p.add(it.line, at, "%q is listed twice", to)
					valid = false
				case name != "" && to == name:
					p.add(it.line, at, "a service cannot depend on itself")
					valid = false
				default:
					s.DependsOn = append(s.DependsOn, to)
					deps = append(deps, dependency{from: name, to: to, path: at, line: it.line})
				}
			}
		}
		if e, ok := f["deploy"]; ok {
			s.Deploy, ok = p.serviceDeploys(e, path+".deploy", cfg)
			valid = valid && ok
		}
		if e, ok := f["vars"]; ok {
			s.Vars, ok = p.serviceVars(e, path+".vars")
			valid = valid && ok
		}
		if valid {
			cfg.Services = append(cfg.Services, s)
		}
	}
	p.dependencies(deps, seen)
}

// serviceName reads a service's name, stored lower-case as releases store
// it (releases.NormalizeService).
func (p *parser) serviceName(f map[string]entry, item *yaml.Node, path string, seen *names, i int) (string, bool) {
	e, ok := f["name"]
	if !ok {
		p.add(item.Line, path, "name is required")
		return "", false
	}
	s, ok := p.scalar(e.val, path+".name")
	if !ok {
		return "", false
	}
	name, err := releases.NormalizeService(s)
	if err != nil {
		p.add(e.val.Line, path+".name", "%s", errorMessage(err))
		return "", false
	}
	if line, dup := seen.lines[name]; dup {
		p.add(e.val.Line, path+".name", "%q is already used by %s[%d] (line %d); service names are case-insensitive",
			name, seen.section, seen.index[name], line)
		return "", false
	}
	seen.lines[name], seen.index[name] = e.val.Line, i
	return name, true
}

// errorMessage is a releases error's sentence, for a problem.
func errorMessage(err error) string {
	var e *releases.Error
	if errors.As(err, &e) {
		return strings.TrimSuffix(e.Message, ".")
	}
	return err.Error()
}

// owners reads a service's teams, which must be configured teams.
func (p *parser) owners(e entry, path string, cfg *Config) ([]string, bool) {
	items, valid := p.stringList(e.val, path, "[payments]")
	if valid && len(items) == 0 {
		p.add(lineOf(resolve(e.val)), path, "list at least one team")
		return nil, false
	}
	var teams []string
	for j, it := range items {
		at := fmt.Sprintf("%s[%d]", path, j)
		switch {
		case contains(teams, it.val):
			p.add(it.line, at, "%q is listed twice", it.val)
			valid = false
		case !p.known(p.teamsRead, it.val):
			p.add(it.line, at, "there is no team %q%s", it.val, p.didYouMean(it.val, p.teamsRead))
			valid = false
		default:
			if _, ok := cfg.Team(it.val); !ok {
				valid = false // the team has problems of its own
			}
			teams = append(teams, it.val)
		}
	}
	return teams, valid
}

// known reports whether a name was read in a section, even one whose
// entry had other problems.
func (p *parser) known(read *names, name string) bool {
	if read == nil {
		return false
	}
	_, ok := read.lines[name]
	return ok
}

// didYouMean returns " (did you mean "x"?)" or the section's names.
func (p *parser) didYouMean(s string, read *names) string {
	var all []string
	if read != nil {
		all = inLineOrder(read.lines)
	}
	if sug := suggest(s, all); sug != "" {
		return fmt.Sprintf(" (did you mean %q?)", sug)
	}
	if len(all) == 0 {
		return ""
	}
	return fmt.Sprintf(" (the %s are %s)", read.section, strings.Join(all, ", "))
}

// inLineOrder returns the names of a section in the order they appear.
func inLineOrder(lines map[string]int) []string {
	out := make([]string, 0, len(lines))
	for n := range lines {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if lines[out[i]] != lines[out[j]] {
			return lines[out[i]] < lines[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// environmentKey checks a key that names an environment.
func (p *parser) environmentKey(e entry, path, example string) bool {
	if p.known(p.envsRead, e.key.Value) {
		return true
	}
	hint := p.didYouMean(e.key.Value, p.envsRead)
	if strings.HasSuffix(path, ".deploy") && contains(deployKeys, e.key.Value) {
		hint = " (a service's deploy is per environment: " + example + ")"
	}
	p.add(e.key.Line, path, "there is no environment %q%s", e.key.Value, hint)
	return false
}

// serviceDeploys reads a service's deploy blocks, per environment; timing
// keys a block leaves out come from the environment's deploy.
func (p *parser) serviceDeploys(e entry, path string, cfg *Config) (map[string]Deploy, bool) {
	f, ok := p.mapping(e.val, path, nil, nil)
	if !ok {
		return nil, false
	}
	valid := true
	out := map[string]Deploy{}
	for _, env := range inFileOrder(f) {
		en := f[env]
		if !p.environmentKey(en, path, "deploy: {staging: {url: …}}") {
			valid = false
			continue
		}
		base := defaultDeploy()
		e, ok := cfg.Environment(env)
		if ok {
			base = e.Deploy
		}
		d, good := p.deploy(en, path+"."+env, base)
		if good && ok {
			out[env] = d
		} else {
			valid = false
		}
	}
	return out, valid
}

// serviceVars reads a service's vars, per environment.
func (p *parser) serviceVars(e entry, path string) (map[string]map[string]string, bool) {
	f, ok := p.mapping(e.val, path, nil, nil)
	if !ok {
		return nil, false
	}
	valid := true
	out := map[string]map[string]string{}
	for _, env := range inFileOrder(f) {
		en := f[env]
		if !p.environmentKey(en, path, `vars: {staging: {REPLICAS: "2"}}`) {
			valid = false
			continue
		}
		at := path + "." + env
		vf, ok := p.mapping(en.val, at, nil, nil)
		if !ok {
			valid = false
			continue
		}
		vars := map[string]string{}
		for _, k := range inFileOrder(vf) {
			ve := vf[k]
			if !varName.MatchString(k) {
				p.add(ve.key.Line, at, "%q is not a var name: use letters, digits and _, not starting with a digit", k)
				valid = false
				continue
			}
			v, ok := p.scalar(ve.val, at+"."+k)
			if !ok {
				valid = false
				continue
			}
			vars[k] = v
		}
		out[env] = vars
	}
	return out, valid
}

// dependencies checks that every depends_on names a catalog service, and
// that no services depend on each other in a cycle.
func (p *parser) dependencies(deps []dependency, seen *names) {
	graph := map[string][]dependency{}
	for _, d := range deps {
		if _, ok := seen.lines[d.to]; !ok {
			p.add(d.line, d.path, "there is no service %q in services:%s", d.to, p.didYouMean(d.to, seen))
			continue
		}
		if d.from != "" {
			graph[d.from] = append(graph[d.from], d)
		}
	}
	// Depth-first, in file order; an edge back to a service on the current
	// path closes a cycle, reported once, where it closes.
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(string)
	visit = func(s string) {
		state[s] = onPath
		stack = append(stack, s)
		for _, d := range graph[s] {
			switch state[d.to] {
			case unvisited:
				visit(d.to)
			case onPath:
				i := len(stack) - 1
				for stack[i] != d.to {
					i--
				}
				cycle := append(append([]string(nil), stack[i:]...), d.to)
				p.add(d.line, d.path, "depends_on makes a cycle: %s; remove one of these dependencies", strings.Join(cycle, " -> "))
			}
		}
		stack = stack[:len(stack)-1]
		state[s] = done
	}
	for _, s := range inLineOrder(seen.lines) {
		if state[s] == unvisited {
			visit(s)
		}
	}
}
