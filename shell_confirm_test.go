package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases/storetest"
)

// In the shell a typed rollback asks too: its Confirm is a note with a
// reference, pressed with /press REF confirm, by the one who typed it.
func TestShellRollbackAsksToConfirm(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // the demo configuration
			ship := []string{
				"/release create payments-api v2.3.9",
				"/as alice", "/release approve R-1", "/as carol", "/release approve R-1",
				"/as dave", "/release create payments-api v2.4.0",
				"/as alice", "/release approve R-2", "/as carol", "/release approve R-2",
				"/as dave", `/release rollback R-2 "error rate doubled"`,
			}
			// The shell numbers what it shows in order, so a first run
			// tells the Confirm's reference in a second, identical one.
			out, logs, err := runCmd(t, map[string]string{"DATABASE_URL": db.URL(t)}, strings.Join(ship, "\n"), "shell")
			if err != nil {
				t.Fatalf("shell: %v\n%s", err, logs)
			}
			m := regexp.MustCompile(`\(only you\) \[(m\d+)\]\n.*Roll back payments-api in production from v2.4.0 to v2.3.9\? Reason: "error rate doubled".`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("the rollback did not ask to confirm:\n%s", out)
			}
			if strings.Contains(out, "Rolling back") {
				t.Fatalf("the rollback acted before it was confirmed:\n%s", out)
			}
			ref := m[1]
			script := append(ship, "/as alice", "/press "+ref+" confirm", "/as dave", "/press "+ref+" confirm", "/release status R-2")
			out, logs, err = runCmd(t, map[string]string{"DATABASE_URL": db.URL(t)}, strings.Join(script, "\n"), "shell")
			if err != nil {
				t.Fatalf("shell: %v\n%s", err, logs)
			}
			for _, want := range []string{
				"Only @dave, who typed this command, can confirm it. Nothing was done.",
				"Rolling back R-2: payments-api on production goes from",
				"Status: ⏪ rolled back: error rate doubled",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("shell output lacks %q\n%s", want, out)
				}
			}
		})
	}
}
