package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases/storetest"
)

// In the shell a failed release's card has Retry next to Roll back, and
// /press REF retry does what `/release retry` does: a stranger is refused,
// its creator deploys what failed again (log:fail fails it again).
func TestShellPressesRetry(t *testing.T) {
	demo, err := os.ReadFile("examples/catalog-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const target = `production: {url: "log:production"}`
	failing := strings.Replace(string(demo), target, `production: {url: "log:fail"}`, 1)
	if failing == string(demo) {
		t.Fatalf("examples/catalog-demo.yaml no longer gives payments-api %s", target)
	}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if err := os.WriteFile("releasebot.yaml", []byte(failing), 0o644); err != nil {
				t.Fatal(err)
			}
			fail := []string{
				"/as dave", "/release create payments-api v2.4.0",
				"/as alice", "/release approve R-1", "/as carol", "/release approve R-1",
			}
			// The shell numbers what it shows in order, so a first run
			// tells the card's reference in a second, identical one.
			out, logs, err := runCmd(t, map[string]string{"DATABASE_URL": db.URL(t)}, strings.Join(fail, "\n"), "shell")
			if err != nil {
				t.Fatalf("shell: %v\n%s", err, logs)
			}
			m := regexp.MustCompile(`\[(m\d+)\] #releases\n\s*R-1 · `).FindStringSubmatch(out)
			if m == nil || !strings.Contains(out, "Status: 🔥 failed") {
				t.Fatalf("R-1 did not fail, or has no card:\n%s", out)
			}
			script := append(fail, "/as U0NOBODY", "/press "+m[1]+" retry", "/as dave", "/press "+m[1]+" retry", "/release audit R-1")
			out, logs, err = runCmd(t, map[string]string{"DATABASE_URL": db.URL(t)}, strings.Join(script, "\n"), "shell")
			if err != nil {
				t.Fatalf("shell: %v\n%s", err, logs)
			}
			for _, want := range []string{
				"Only R-1's creator, leads of payments, risk and release managers can retry it.",
				"🔁 @dave retried payments-api in production (D-2 failed)",
				"🚀 @dave started deployment D-3: v2.4.0 to production",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("shell output lacks %q\n%s", want, out)
				}
			}
			if strings.Contains(out, "U0NOBODY retried") {
				t.Errorf("a stranger's Retry acted:\n%s", out)
			}
		})
	}
}
