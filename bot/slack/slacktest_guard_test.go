package slack_test

import (
	"go/parser"
	gotoken "go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The fake Slack is for tests and for the bench harness (which plays Slack
// against a real server): no other program code may import it.
func TestNoProgramImportsTheFakeSlack(t *testing.T) {
	const fake = "github.com/releasebot/releasebot/bot/slack/slacktest"
	walkImports(t, func(path, dir, imp string, test bool) {
		if imp == fake && !test && dir != "bench" && dir != "bot/slack/slacktest" {
			t.Errorf("%s imports %s", path, fake)
		}
	})
}

// TestImportGraph keeps the layout: only bot/slack speaks Slack (slack-go),
// and only main wires the adapters (bot/slack, bot/shell) to the core
// (and projects the configuration for them: TestConfigStaysAtTheEdge).
// Tests of bot/slack, the fake Slack and the bench, which plays Slack
// against a real server and checks signatures as slack-go does, may use
// slack-go too.
func TestImportGraph(t *testing.T) {
	const (
		slackGo = "github.com/slack-go/slack"
		module  = "github.com/releasebot/releasebot/"
	)
	walkImports(t, func(path, dir, imp string, test bool) {
		switch {
		case imp == slackGo || strings.HasPrefix(imp, slackGo+"/"):
			if dir != "bot/slack" && dir != "bot/slack/slacktest" && dir != "bench" {
				t.Errorf("%s imports %s: only bot/slack may", path, imp)
			}
		case imp == module+"bot/slack" || imp == module+"bot/shell":
			if dir != "." && !(test && dir == "bot/slack") {
				t.Errorf("%s imports %s: only main may", path, imp)
			}
		case imp == module+"scheduler" && dir == "web" && !test:
			t.Errorf("%s imports %s: web takes the calendar's freezes and openings from releases", path, imp)
		}
	})
}

// TestConfigStaysAtTheEdge: main projects the configuration into each
// package's own options (bot.Settings, scheduler.Timetable and Options,
// the shell's Options), so the chat core, the scheduler and the adapters
// never depend on config, not even through another package. Their tests
// may.
func TestConfigStaysAtTheEdge(t *testing.T) {
	const module = "github.com/releasebot/releasebot/"
	deps := map[string][]string{} // a package's directory → the module's packages its program files import
	walkImports(t, func(_, dir, imp string, test bool) {
		if !test && strings.HasPrefix(imp, module) {
			deps[dir] = append(deps[dir], strings.TrimPrefix(imp, module))
		}
	})
	for _, pkg := range []string{"bot", "bot/shell", "bot/slack", "scheduler"} {
		if chain := importChain(deps, pkg, "config"); chain != nil {
			t.Errorf("%s depends on config (%s): project what it reads in main instead", pkg, strings.Join(chain, " -> "))
		}
	}
}

// importChain returns the packages from "from" to "to" along imports in
// deps, both ends included; nil when to is not reachable.
func importChain(deps map[string][]string, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		pkg := queue[0]
		queue = queue[1:]
		if pkg == to {
			var chain []string
			for p := to; p != ""; p = prev[p] {
				chain = append([]string{p}, chain...)
			}
			return chain
		}
		for _, next := range deps[pkg] {
			if _, seen := prev[next]; !seen {
				prev[next] = pkg
				queue = append(queue, next)
			}
		}
	}
	return nil
}

// walkImports calls fn for each import of each Go file of the module,
// with the file's directory relative to the module's root.
func walkImports(t *testing.T, fn func(path, dir, imp string, test bool)) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(gotoken.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			fn(path, filepath.ToSlash(rel), p, strings.HasSuffix(path, "_test.go"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
