package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/releasebot/releasebot/internal/textdist"
)

// parser walks a yaml.Node tree and collects every problem it meets, so a
// single run reports all of them with their lines. Its helpers report a
// problem and return ok == false; callers then skip checks that depend on
// the bad value instead of piling up follow-on problems.
type parser struct {
	file   string
	getenv func(string) string
	probs  []Problem
	// notes are warnings found while parsing (Config.Warnings returns them).
	notes []Problem
	// teamsRead and envsRead hold every team and environment name read,
	// also of entries that had other problems: a reference to one of those
	// is not reported again as unknown.
	teamsRead, envsRead *names
}

// entry is one key: value pair of a mapping.
type entry struct{ key, val *yaml.Node }

// add records a problem; path ("teams[0].approvals") prefixes the message.
func (p *parser) add(line int, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Message: msg})
}

// note records a warning; path prefixes the message.
func (p *parser) note(line int, path, format string, args ...any) {
	p.notes = append(p.notes, Problem{File: p.file, Line: line, Message: path + ": " + fmt.Sprintf(format, args...)})
}

// maxAliasDepth bounds alias chains.
const maxAliasDepth = 16

// resolve follows aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names a node's kind for "expected X, found Y" messages; it
// never includes the value, which might be a secret.
func describe(n *yaml.Node) string {
	switch {
	case n == nil || isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping (key: value)"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.AliasNode:
		return "an alias that refers to itself"
	default:
		return "a single value"
	}
}

// mapping returns the entries of a mapping node by key, reporting a node
// that is not a mapping, repeated keys and, when known is not nil, unknown
// keys (with a "did you mean" suggestion, or hint's advice). Merge keys
// (<<: *anchor) are expanded; explicit keys win over merged ones. A null
// node is an empty mapping.
func (p *parser) mapping(n *yaml.Node, path string, known []string, hint func(string) string) (map[string]entry, bool) {
	n = resolve(n)
	if isNull(n) {
		return map[string]entry{}, true
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, path, "expected a mapping (key: value), found %s", describe(n))
		return nil, false
	}
	got := map[string]entry{}
	p.collect(n, path, known, hint, got, map[*yaml.Node]bool{n: true}, true)
	return got, true
}

// collect adds n's pairs to got; explicit is false for merged mappings,
// whose keys may repeat (and lose to) keys already present.
// Each mapping is merged at most once (merged records those seen), which
// bounds the work for anchors that merge themselves or each other.
func (p *parser) collect(n *yaml.Node, path string, known []string, hint func(string) string,
	got map[string]entry, merged map[*yaml.Node]bool, explicit bool) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			p.add(n.Content[i].Line, path, "keys must be plain words, found %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if prev, dup := got[k.Value]; dup {
			if explicit {
				p.add(k.Line, path, "key %q is repeated (first on line %d)", k.Value, prev.key.Line)
			}
			continue
		}
		if path == "" && strings.HasPrefix(k.Value, "x-") {
			continue // top-level x-… keys hold anchors for reuse, as in Compose files
		}
		if known != nil && !contains(known, k.Value) {
			p.add(k.Line, path, "unknown key %q%s", k.Value, unknownHint(k.Value, known, hint))
			continue
		}
		got[k.Value] = entry{key: k, val: v}
	}
	// Merged keys come after explicit ones so that explicit keys win, and
	// problems inside an anchor are reported where it is defined.
	for _, m := range merges {
		m = resolve(m)
		var sources []*yaml.Node
		switch {
		case m != nil && m.Kind == yaml.MappingNode:
			sources = []*yaml.Node{m}
		case m != nil && m.Kind == yaml.SequenceNode:
			for _, s := range m.Content {
				sources = append(sources, resolve(s))
			}
		}
		if len(sources) == 0 {
			p.add(lineOf(m), path, "<< must merge a mapping or a list of mappings")
		}
		for _, s := range sources {
			if s == nil || s.Kind != yaml.MappingNode {
				p.add(lineOf(m), path, "<< must merge a mapping or a list of mappings")
				continue
			}
			if merged[s] {
				continue
			}
			merged[s] = true
			p.collect(s, path, known, hint, got, merged, false)
		}
	}
}

func unknownHint(key string, known []string, hint func(string) string) string {
	if hint != nil {
		if h := hint(key); h != "" {
			return " (" + h + ")"
		}
	}
	if s := suggest(key, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Sprintf(" (known keys: %s)", strings.Join(known, ", "))
}

// suggest returns the known word closest to s, if it is close enough to be
// a likely misspelling.
func suggest(s string, known []string) string {
	lower := strings.ToLower(s)
	for _, k := range known {
		if len(lower) >= 3 && (strings.HasPrefix(k, lower) || strings.HasPrefix(lower, k)) {
			return k // a shortened or extended key
		}
	}
	best, bestD := "", -1
	for _, k := range known {
		d := textdist.Distance(lower, k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	if bestD >= 0 && (bestD <= 2 || bestD <= len(s)/3) && bestD < len(s) {
		return best
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// list returns the items of a sequence node; a null node is an empty list.
func (p *parser) list(n *yaml.Node, path, example string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, path, "expected a list (%s), found %s", example, describe(n))
		return nil, false
	}
	return n.Content, true
}

// varRef matches ${NAME} in a value.
var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// scalar returns a single value with ${VAR} references replaced from the
// environment. Messages name the variable, never its value.
func (p *parser) scalar(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		p.add(lineOf(n), path, "expected a single value, found %s", describe(n))
		return "", false
	}
	if isNull(n) {
		p.add(n.Line, path, "has no value")
		return "", false
	}
	v := n.Value
	if !strings.Contains(v, "${") {
		return v, true
	}
	ok := true
	out := varRef.ReplaceAllStringFunc(v, func(m string) string {
		name := m[2 : len(m)-1]
		val := ""
		if p.getenv != nil {
			val = p.getenv(name)
		}
		if val == "" { // an empty variable counts as unset
			p.add(n.Line, path, "${%s} is not set", name)
			ok = false
		}
		return val
	})
	if strings.Contains(varRef.ReplaceAllString(v, ""), "${") {
		p.add(n.Line, path, `has a "${" that does not start a ${NAME} reference (NAME: letters, digits and _)`)
		ok = false
	}
	return out, ok
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// integer reads a whole number.
func (p *parser) integer(n *yaml.Node, path string) (int, bool) {
	s, ok := p.scalar(n, path)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		p.add(n.Line, path, "expected a whole number, got %q", s)
		return 0, false
	}
	return v, true
}

// boolean reads true or false (any case; YAML 1.1's yes/no are refused
// because yaml.v3 reads them as text, which would surprise).
func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	s, ok := p.scalar(n, path)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	p.add(n.Line, path, "expected true or false, got %q", s)
	return false, false
}

// duration reads a positive Go duration such as 90s, 10m or 2h.
func (p *parser) duration(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := p.scalar(n, path)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.add(n.Line, path, "expected a duration such as 90s, 10m or 2h, got %q", s)
		return 0, false
	}
	if d <= 0 {
		p.add(n.Line, path, "must be a positive duration, got %q", s)
		return 0, false
	}
	return d, true
}

// item is a scalar from a list, with its line.
type item struct {
	val  string
	line int
}

// stringList reads a list of single values; ok is false when any of them
// was bad (the good ones are still returned).
func (p *parser) stringList(n *yaml.Node, path, example string) ([]item, bool) {
	nodes, ok := p.list(n, path, example)
	if !ok {
		return nil, false
	}
	items := make([]item, 0, len(nodes))
	for i, c := range nodes {
		s, good := p.scalar(c, fmt.Sprintf("%s[%d]", path, i))
		if !good {
			ok = false
			continue
		}
		items = append(items, item{val: s, line: lineOf(resolve(c))})
	}
	return items, ok
}
