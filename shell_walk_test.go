package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases/storetest"
)

var update = flag.Bool("update", false, "rewrite the shell walks' golden files (so does UPDATE=1)")

// The newcomer's first hour, as golden transcripts: the README's walk
// (examples/walk.txt) on the built-in demo, and the four-eyes trap of a
// team with one lead. The shell tells the story and nothing else: no log
// line reaches its output or stderr. The clock is fixed, so every date
// and window in the transcript is stable. go test -run TestShellWalkGolden
// -update (or UPDATE=1) rewrites testdata/*.golden after a wanted change.
func TestShellWalkGolden(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	walk, err := os.ReadFile("examples/walk.txt")
	if err != nil {
		t.Fatal(err)
	}
	// Every line typed in README's walk ("Try it") is in examples/walk.txt,
	// in order. (Later sections walk other configurations.)
	tryIt, _, _ := strings.Cut(string(readme[strings.Index(string(readme), "## Try it"):]), "\n## ")
	typed := regexp.MustCompile(`(?m)^[a-z]+> (/[^←\n]*?)\s*(?:←.*)?$`).FindAllStringSubmatch(tryIt, -1)
	if len(typed) == 0 || !strings.Contains(string(readme), "go run . shell < examples/walk.txt") {
		t.Fatal("README.md no longer shows the walk, or no longer pipes examples/walk.txt into the shell")
	}
	rest := string(walk)
	for _, m := range typed {
		i := strings.Index(rest, m[1]+"\n")
		if i < 0 {
			t.Fatalf("README's walk types %q, which examples/walk.txt lacks (or has out of order)", m[1])
		}
		rest = rest[i+len(m[1]):]
	}
	trap, err := os.ReadFile("testdata/trap.txt")
	if err != nil {
		t.Fatal(err)
	}
	trapConfig, err := os.ReadFile("testdata/trap.yaml")
	if err != nil {
		t.Fatal(err)
	}

	defer func(c func() time.Time) { appClock = c }(appClock)
	appClock = func() time.Time { return time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC) } // a Monday

	walks := []struct {
		name, script string
		config       []byte // releasebot.yaml; nil: the built-in demo
	}{
		{name: "shell-walk", script: string(walk)},
		{name: "shell-trap", script: string(trap), config: trapConfig},
	}
	for _, db := range storetest.Databases(t) {
		for _, w := range walks {
			t.Run(db.Name+"/"+w.name, func(t *testing.T) {
				golden, _ := filepath.Abs(filepath.Join("testdata", w.name+".golden"))
				t.Chdir(t.TempDir())
				vars := map[string]string{"DATABASE_URL": db.URL(t)}
				if w.config != nil {
					if err := os.WriteFile("releasebot.yaml", w.config, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				out, logs, err := runCmd(t, vars, w.script, "shell")
				if err != nil {
					t.Fatalf("shell: %v\n%s\n%s", err, out, logs)
				}
				if logs != "" {
					t.Errorf("the shell wrote to stderr:\n%s", logs)
				}
				if strings.Contains(out, `"level":`) || strings.Contains(out, "level=") {
					t.Errorf("a log line is in the shell's story:\n%s", out)
				}
				if *update || os.Getenv("UPDATE") == "1" {
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (go test -run TestShellWalkGolden -update writes it)", err)
				}
				if out != string(want) {
					t.Errorf("the shell's story differs from %s (-update or UPDATE=1 accepts it):\n%s", golden, lineDiff(string(want), out))
				}
			})
		}
	}
}

// lineDiff shows the first lines where got and want part.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b bytes.Buffer
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
