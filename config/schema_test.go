package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// docs/releasebot.schema.json is what editors check releasebot.yaml
// against while people type. It is written by hand; these tests hold it to
// what config check does.
//
// The rule the two keep: a file the schema refuses is always refused by
// config check; a file the schema accepts may still be refused by config
// check, but only for what a schema cannot express (beyondSchema). So an
// editor never flags a file that would load, and every mistake of form it
// can see, it flags.
const schemaPath = "../docs/releasebot.schema.json"

// beyondSchema are the problems config check finds that the schema cannot
// express: references between sections, uniqueness of names, arithmetic
// between keys, the time zone database, cron's field grammar, the
// environment's variables and the base64 inside whsec_ secrets.
var beyondSchema = []string{
	"is already used by",       // a name repeated in a section
	"is already named",         // a user id given two names
	"there is no team",         // a service's owner
	"there is no environment",  // a service's deploy or vars key
	"there is no service",      // depends_on
	"depends_on makes a cycle", // depends_on
	"a service cannot depend on itself",
	"sign-offs needed but the team has only", // approvals > len(leads)
	"must be after start",                    // freezes
	"unknown time zone",                      // timezone
	"is not a valid cron schedule",           // a schedule's fields
	"is not set",                             // ${VAR}
	"whsec_ secret:",                         // the key inside whsec_
	"unknown placeholder",                    // {servce}
}

func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s is not JSON: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // no formats are used; keep them binding if one is added
	if err := c.AddResource("releasebot.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("releasebot.schema.json")
	if err != nil {
		t.Fatalf("%s does not compile: %v", schemaPath, err)
	}
	return sch
}

// instance converts YAML as an editor's YAML language server reads it
// (YAML 1.2 types: 8 is a number, yes is text, a date is text) into the
// JSON value the schema checks. Aliases and << merges are expanded as
// config check expands them: explicit keys win over merged ones. An
// unquoted ${VAR} inside {…} is read as config check reads it, though
// strict YAML (and so an editor) calls it a syntax error.
func instance(data []byte) (any, error) {
	data, protected := protectVars(data)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if protected {
		restoreVars(&doc)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("a second YAML document")
	}
	v, err := nodeValue(&doc, 0)
	if err != nil {
		return nil, err
	}
	// Round-trip through JSON so numbers arrive as the validator expects.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

func nodeValue(n *yaml.Node, depth int) (any, error) {
	if depth > 64 {
		return nil, fmt.Errorf("nested too deep")
	}
	n = resolve(n)
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0], depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolve(n.Content[i])
			if k.ShortTag() == "!!merge" {
				merges = append(merges, resolve(n.Content[i+1]))
				continue
			}
			v, err := nodeValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		for _, m := range merges {
			sources := []*yaml.Node{m}
			if m.Kind == yaml.SequenceNode {
				sources = m.Content
			}
			for _, s := range sources {
				v, err := nodeValue(s, depth+1)
				if err != nil {
					return nil, err
				}
				mm, ok := v.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("<< merges something other than a mapping")
				}
				for k, v := range mm {
					if _, set := out[k]; !set {
						out[k] = v
					}
				}
			}
		}
		return out, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		err := n.Decode(&b)
		return b, err
	case "!!int":
		var i int64
		err := n.Decode(&i)
		return i, err
	case "!!float":
		var f float64
		err := n.Decode(&f)
		return f, err
	}
	return n.Value, nil // !!str, and !!timestamp, which YAML 1.2 reads as text
}

// anyValue sets every ${VAR} to a value that passes every check, so that
// only the file's form is compared.
func anyValue(string) string { return "env-value-0123456789abcdef" }

// TestSchemaAgreesWithConfigCheck runs every file under testdata through
// config check and the schema and holds them to the rule above. Files in
// testdata/schema/ also say by name what they are: accept-… (both accept),
// refuse-… (both refuse: a mistake of form) and beyond-… (the schema
// accepts, config check refuses: a mistake only config check can see).
func TestSchemaAgreesWithConfigCheck(t *testing.T) {
	sch := compileSchema(t)
	var files []string
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d files under testdata", len(files))
	}
	for _, path := range files {
		t.Run(filepath.ToSlash(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, cfgErr := Parse(path, data, anyValue)
			var schemaErr error
			if inst, err := instance(data); err != nil {
				schemaErr = fmt.Errorf("not readable as YAML: %v", err)
			} else {
				schemaErr = sch.Validate(inst)
			}
			var probs Problems
			if cfgErr != nil && !errors.As(cfgErr, &probs) {
				t.Fatalf("config check: %v", cfgErr)
			}
			switch {
			case schemaErr != nil && cfgErr == nil:
				t.Errorf("the schema refuses a file config check accepts:\n%v", schemaErr)
			case schemaErr == nil && cfgErr != nil:
				for _, p := range probs {
					if !isBeyondSchema(p.Message) {
						t.Errorf("config check finds a mistake of form the schema accepts: %s", p)
					}
				}
			}
			base := filepath.Base(path)
			switch {
			case strings.HasPrefix(base, "accept-") && (cfgErr != nil || schemaErr != nil):
				t.Errorf("want accepted by both; config check: %v; schema: %v", cfgErr, schemaErr)
			case strings.HasPrefix(base, "refuse-") && (cfgErr == nil || schemaErr == nil):
				t.Errorf("want refused by both; config check: %v; schema: %v", cfgErr, schemaErr)
			case strings.HasPrefix(base, "beyond-") && (cfgErr == nil || schemaErr != nil):
				t.Errorf("want accepted by the schema and refused by config check; config check: %v; schema: %v", cfgErr, schemaErr)
			}
		})
	}
}

func isBeyondSchema(msg string) bool {
	for _, s := range beyondSchema {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// TestSchemaKnowsTheParsersKeys keeps the schema's keys and the parser's
// in step: a key added to one and not the other fails here, and every key
// has a description and examples for the editor to show.
func TestSchemaKnowsTheParsersKeys(t *testing.T) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	defs := root["definitions"].(map[string]any)
	props := func(s map[string]any) map[string]any { return s["properties"].(map[string]any) }
	items := func(s map[string]any) map[string]any { return s["items"].(map[string]any) }
	top := props(root)
	obj := func(m map[string]any, k string) map[string]any { return m[k].(map[string]any) }
	deploy := defs["deploy"].(map[string]any)
	sections := []struct {
		name   string
		schema map[string]any
		keys   []string
	}{
		{"top level", root, topKeys},
		{"teams", items(obj(top, "teams")), teamKeys},
		{"environments", items(obj(top, "environments")), envKeys},
		{"deploy", deploy, deployKeys},
		{"github_actions", obj(props(deploy), KindGitHubActions), fieldKeys(func(p *parser, e entry) { p.githubActions(e, "", &GitHubActions{}) })},
		{"gitlab", obj(props(deploy), KindGitLab), fieldKeys(func(p *parser, e entry) { p.gitLab(e, "", &GitLab{}) })},
		{"argocd", obj(props(deploy), KindArgoCD), fieldKeys(func(p *parser, e entry) { p.argoCD(e, "", &ArgoCD{}) })},
		{"windows", items(obj(top, "windows")), windowKeys},
		{"freezes", items(obj(top, "freezes")), freezeKeys},
		{"summaries", items(obj(top, "summaries")), summaryKeys},
		{"reminders", obj(top, "reminders"), []string{"before_window"}},
		{"limits", obj(top, "limits"), limitKeys},
		{"services", items(obj(top, "services")), serviceKeys},
	}
	for _, s := range sections {
		var got []string
		for k, v := range props(s.schema) {
			got = append(got, k)
			p := v.(map[string]any)
			if d, _ := p["description"].(string); d == "" {
				t.Errorf("%s.%s has no description", s.name, k)
			}
			if ex, _ := p["examples"].([]any); len(ex) == 0 {
				t.Errorf("%s.%s has no examples", s.name, k)
			}
		}
		want := append([]string(nil), s.keys...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: the schema has keys %v, config check reads %v", s.name, got, want)
		}
	}
}

// fieldKeys returns the keys a kind's reader knows, read from the "known
// keys" it lists for an unknown one.
func fieldKeys(read func(*parser, entry)) []string {
	var n yaml.Node
	_ = yaml.Unmarshal([]byte("{zzzzzzzzzzzz: 1}"), &n)
	p := &parser{}
	read(p, entry{key: &yaml.Node{}, val: n.Content[0]})
	for _, pr := range p.probs {
		if _, list, ok := strings.Cut(pr.Message, "(known keys: "); ok {
			return strings.Split(strings.TrimSuffix(list, ")"), ", ")
		}
	}
	return nil
}

// TestShippedFilesMatchSchema: the demo and example files name the schema
// on their first line, for editors, and pass it.
func TestShippedFilesMatchSchema(t *testing.T) {
	sch := compileSchema(t)
	files := map[string][]byte{"DemoYAML": []byte(DemoYAML)}
	for _, glob := range []string{"../examples/*.yaml", "../docker/releasebot.yaml"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files[p] = data
		}
	}
	for name, data := range files {
		first, _, _ := strings.Cut(string(data), "\n")
		if !strings.HasPrefix(first, "# yaml-language-server: $schema=") || !strings.HasSuffix(first, "releasebot.schema.json") {
			t.Errorf("%s: first line is %q, want a yaml-language-server $schema line", name, first)
		}
		inst, err := instance(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s does not pass the schema:\n%v", name, err)
		}
	}
}
