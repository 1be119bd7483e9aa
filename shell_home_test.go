package main

import (
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases/storetest"
)

// /home prints what Slack's Home tab shows, and its buttons act as the
// requests' do.
func TestShellHome(t *testing.T) {
	db := storetest.Databases(t)[0]
	t.Chdir(t.TempDir()) // the demo configuration
	script := strings.Join([]string{
		"/as dave",
		"/release create payments-api v2.4.0",
		"/release create ledger v1.0.0",
		"/as alice",
		"/home",
		"/press m7 approve 2",
		"/home",
		"/as dave",
		"/home",
	}, "\n")
	out, logs, err := runCmd(t, map[string]string{"DATABASE_URL": db.URL(t)}, script, "shell")
	if err != nil {
		t.Fatalf("shell: %v\n%s\n%s", err, out, logs)
	}
	homes := strings.Split(out, "#home\n")[1:]
	if len(homes) != 3 {
		t.Fatalf("%d Homes printed, want 3:\n%s", len(homes), out)
	}
	waiting := func(home string) string {
		_, rest, _ := strings.Cut(home, "Waiting for you")
		w, _, _ := strings.Cut(rest, "Your releases")
		return w
	}
	if w := waiting(homes[0]); !strings.Contains(w, "R-1 · payments-api v2.4.0 needs payments's sign-off") || !strings.Contains(w, "R-2 · ledger v1.0.0 needs payments's sign-off") {
		t.Errorf("alice's first Home:\n%s", homes[0])
	}
	if w := waiting(homes[1]); !strings.Contains(w, "R-1 · payments-api") || strings.Contains(w, "R-2 · ledger") {
		t.Errorf("alice's Home after approving R-2 with its second approve button:\n%s", homes[1])
	}
	if !strings.Contains(homes[2], "Nothing waits for your sign-off.") || !strings.Contains(homes[2], "R-1 · payments-api v2.4.0 ⏳ waiting for sign-off") ||
		!strings.Contains(homes[2], "Next: sign-off from") {
		t.Errorf("dave's Home:\n%s", homes[2])
	}
}
