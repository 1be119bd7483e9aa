package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	// The zone database travels in the binary so that timezone: works in
	// scratch and distroless images, which have no /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Load reads and parses the configuration file at path; see Parse. An
// unreadable file gives a wrapped os error that names the path (test it
// with errors.Is(err, fs.ErrNotExist)); an invalid one gives Problems.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(path, data, getenv)
}

// Parse parses and validates a configuration; file names it in problems
// and becomes Config.Source. ${VAR} in values is replaced through getenv
// (nil: no variables are set); an unset or empty variable is a problem.
// When anything is wrong, Parse returns a nil Config and every problem
// found, as Problems, in line order.
func Parse(file string, data []byte, getenv func(string) string) (*Config, error) {
	p := &parser{file: file, getenv: getenv}
	var cfg *Config
	if root := p.document(data); root != nil {
		cfg = p.config(root)
	}
	if len(p.probs) > 0 {
		sortProblems(p.probs)
		return nil, Problems(p.probs)
	}
	cfg.Source = file
	cfg.notes = p.notes
	return cfg, nil
}

var yamlLineErr = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// document parses the YAML and returns the top-level mapping, or nil after
// reporting why there is none.
func (p *parser) document(data []byte) (root *yaml.Node) {
	defer func() {
		// A config check must report, not crash, whatever the YAML library
		// does with odd input.
		if r := recover(); r != nil {
			p.add(0, "", "invalid YAML (the parser failed: %v)", r)
			root = nil
		}
	}()
	data, protected := protectVars(data)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if protected {
		restoreVars(&doc)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			p.add(0, "", "the file is empty; it needs at least teams: and environments:")
		} else {
			p.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.add(extra.Line, "", `only one YAML document is allowed; remove the "---" and what follows`)
	case !errors.Is(err, io.EOF):
		p.yamlError(err)
	}
	root = &doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			p.add(0, "", "the file is empty; it needs at least teams: and environments:")
			return nil
		}
		root = doc.Content[0]
	}
	root = resolve(root)
	if isNull(root) {
		p.add(lineOf(root), "", "the file is empty; it needs at least teams: and environments:")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "", "the top level must be a mapping with keys such as teams: and environments:, found %s", describe(root))
		return nil
	}
	return root
}

// YAML forbids '{' and '}' inside unquoted values in flow style, so
// "deploy: {url: …, secret: ${PROD_DEPLOY_SECRET}}" would be a syntax error.
// protectVars swaps each ${NAME} for a placeholder made of characters YAML
// accepts anywhere, and restoreVars swaps them back in the parsed tree; the
// variables themselves are still looked up only in values, after parsing.
// Files that already contain the placeholder brackets are left alone.
const (
	openVar  = "\u27e6" // ⟦
	closeVar = "\u27e7" // ⟧
)

var placeholder = regexp.MustCompile(openVar + `([A-Za-z_][A-Za-z0-9_]*)` + closeVar)

func protectVars(data []byte) ([]byte, bool) {
	if !bytes.Contains(data, []byte("${")) || bytes.ContainsAny(data, openVar+closeVar) {
		return data, false
	}
	return varRef.ReplaceAll(data, []byte(openVar+"${1}"+closeVar)), true
}

func restoreVars(n *yaml.Node) {
	if n == nil {
		return
	}
	if strings.Contains(n.Value, openVar) {
		n.Value = placeholder.ReplaceAllString(n.Value, "$${${1}}")
	}
	for _, c := range n.Content { // not n.Alias: its target is in the tree already
		restoreVars(c)
	}
}

func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.add(line, "", "invalid YAML: %s", m[2])
		return
	}
	p.add(0, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

var topKeys = []string{
	"timezone", "release_managers", "require_distinct_approver", "users",
	"teams", "environments", "windows", "freezes", "reminders", "summaries", "limits",
	"ci",
	"services",
}

// config reads the top-level mapping. Keys are read in a fixed order, not
// file order, because later sections depend on earlier ones (schedules on
// the timezone, lead checks on users).
func (p *parser) config(root *yaml.Node) *Config {
	cfg := &Config{
		Timezone:                DefaultTimezone,
		Location:                time.UTC,
		RequireDistinctApprover: true,
		Users:                   map[string]string{},
		Limits:                  Limits{CreatesPerHour: DefaultCreatesPerHour, SignoffExpiry: DefaultSignoffExpiry},
	}
	f, _ := p.mapping(root, "", topKeys, nil)
	if e, ok := f["timezone"]; ok {
		if s, ok := p.scalar(e.val, "timezone"); ok {
			if loc, msg := checkTimezone(s); msg != "" {
				p.add(e.val.Line, "timezone", "%s", msg)
			} else {
				cfg.Timezone, cfg.Location = s, loc
			}
		}
	}
	if e, ok := f["require_distinct_approver"]; ok {
		if b, ok := p.boolean(e.val, "require_distinct_approver"); ok {
			cfg.RequireDistinctApprover = b
		}
	}
	if e, ok := f["users"]; ok {
		p.users(e.val, cfg)
	}
	if e, ok := f["release_managers"]; ok {
		cfg.ReleaseManagers = p.userIDs(e.val, "release_managers", cfg.Users)
	}
	p.teams(f, cfg)
	p.environments(f, cfg)
	if e, ok := f["services"]; ok {
		p.services(e.val, cfg)
	}
	if e, ok := f["windows"]; ok {
		p.windows(e.val, cfg)
	}
	if e, ok := f["freezes"]; ok {
		p.freezes(e.val, cfg)
	}
	if e, ok := f["reminders"]; ok {
		if r, ok := p.mapping(e.val, "reminders", []string{"before_window"}, nil); ok {
			if e, ok := r["before_window"]; ok {
				cfg.Reminders.BeforeWindow, _ = p.duration(e.val, "reminders.before_window")
			}
		}
	}
	if e, ok := f["summaries"]; ok {
		p.summaries(e.val, cfg)
	}
	if e, ok := f["limits"]; ok {
		p.limits(e.val, cfg)
	}
	if e, ok := f["ci"]; ok {
		p.ci(e.val, cfg)
	}
	return cfg
}

// names tracks the names used in one section, to report duplicates.
type names struct {
	section string
	lines   map[string]int
	index   map[string]int
}

func newNames(section string) *names {
	return &names{section: section, lines: map[string]int{}, index: map[string]int{}}
}

// name reads a required, valid, unique name from an item's fields.
func (p *parser) name(f map[string]entry, item *yaml.Node, path string, seen *names, i int) (string, bool) {
	e, ok := f["name"]
	if !ok {
		p.add(item.Line, path, "name is required")
		return "", false
	}
	s, ok := p.scalar(e.val, path+".name")
	if !ok {
		return "", false
	}
	if msg := checkName(s); msg != "" {
		p.add(e.val.Line, path+".name", "%s", msg)
		return "", false
	}
	if line, dup := seen.lines[s]; dup {
		p.add(e.val.Line, path+".name", "%q is already used by %s[%d] (line %d)", s, seen.section, seen.index[s], line)
		return "", false
	}
	seen.lines[s], seen.index[s] = e.val.Line, i
	return s, true
}

// items reads a section that is a list of mappings; required sections
// must not be missing or empty.
func (p *parser) items(f map[string]entry, section, example string, required bool) []*yaml.Node {
	e, ok := f[section]
	if !ok {
		if required {
			p.add(0, "", "no %s: configure at least one under %s:", section, section)
		}
		return nil
	}
	nodes, ok := p.list(e.val, section, example)
	if ok && len(nodes) == 0 && required {
		p.add(e.key.Line, section, "configure at least one")
	}
	return nodes
}
