// Package srctrack makes go test's result cache see the sources of a
// binary that a test builds itself (go build in TestMain): the cache
// tracks the files a test opens, but not what a child go build reads, so
// without this a test of the built binary would be answered from the
// cache after the binary's code changed.
package srctrack

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kinds are the files a build of the module reads: Go sources, the module
// files and what the binary embeds.
var kinds = map[string]bool{".go": true, ".mod": true, ".sum": true, ".sql": true, ".html": true, ".tmpl": true,
	".css": true, ".js": true, ".svg": true, ".yaml": true, ".json": true}

// Open opens (and closes) every such file under root, the module's
// directory, skipping hidden directories.
func Open(t testing.TB, root string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !kinds[filepath.Ext(path)] {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		n++
		return f.Close()
	})
	if err != nil {
		t.Fatalf("track the sources under %s: %v", root, err)
	}
	if n == 0 {
		t.Fatalf("no sources under %s", root)
	}
}
