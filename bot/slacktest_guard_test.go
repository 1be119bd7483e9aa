package bot_test

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
	const fake = "github.com/releasebot/releasebot/bot/slacktest"
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "testdata" || path == filepath.Join("..", "bench")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			filepath.Dir(path) == filepath.Join("..", "bot", "slacktest") {
			return nil
		}
		f, err := parser.ParseFile(gotoken.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == fake {
				t.Errorf("%s imports %s", path, fake)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
