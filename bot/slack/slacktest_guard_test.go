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
// and only main wires the adapters (bot/slack, bot/shell) to the core.
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
		case imp == module+"config" && dir == "bot/shell" && !test:
			t.Errorf("%s imports %s: the shell's options are projected in main", path, imp)
		}
	})
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
