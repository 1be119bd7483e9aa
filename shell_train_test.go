package main

import (
	"os"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases/storetest"
)

// README's walk-through of a release train, in three shell sessions on one
// database: a train ships; the next one's middle service fails in
// production (its target turned into log:fail) and halts it before
// checkout; with the target fixed, a retry takes it to deployed and an
// environment rollback sends all three back, dependents first.
func TestShellWalksATrain(t *testing.T) {
	demo, err := os.ReadFile("examples/catalog-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const target = `production: {url: "log:production"}`
	if !strings.Contains(string(demo), target) {
		t.Fatalf("examples/catalog-demo.yaml no longer gives payments-api %s", target)
	}
	failing := strings.Replace(string(demo), target, `production: {url: "log:fail"}`, 1)
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			vars := map[string]string{"DATABASE_URL": db.URL(t)}
			session := func(yaml string, lines ...string) string {
				t.Helper()
				if err := os.WriteFile("releasebot.yaml", []byte(yaml), 0o644); err != nil {
					t.Fatal(err)
				}
				out, logs, err := runCmd(t, vars, strings.Join(lines, "\n"), "shell")
				if err != nil {
					t.Fatalf("shell: %v\n%s\n%s", err, out, logs)
				}
				return out
			}
			mustHave := func(out string, want ...string) {
				t.Helper()
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("shell output lacks %q\n%s", w, out)
					}
				}
			}
			out := session(string(demo),
				"/release create ledger@v1.8.0 payments-api@v2.3.0 checkout@v3.0.0 --name q2",
				"/as alice", "/release approve R-1", "/as carol", "/release approve R-1", "/release status R-1")
			mustHave(out, "🎉 deployed", "• checkout v3.0.0: ✅ staging · ✅ production")
			out = session(failing,
				"/release create payments-api@v2.4.0 ledger@v1.9.0 checkout@v3.1.0 --name checkout-q3",
				"/as alice", "/release approve R-2", "/as carol", "/release approve R-2", "/release status R-2", "/release audit R-2")
			mustHave(out, "payments owns payments-api v2.4.0, checkout v3.1.0.",
				"failed: payments-api v2.4.0 failed in production (D-11)", "/release retry R-2 --service payments-api",
				"• payments-api v2.4.0: ✅ staging · ❌ production", "• checkout v3.1.0: ✅ staging · ⚪ production")
			out = session(string(demo), "/release retry R-2", "/release status R-2",
				`/release rollback R-2 --env production "checkout errors" --yes`, "/release status R-2", "/release audit R-2")
			mustHave(out, "🎉 deployed", "⏪ rolled back: checkout errors",
				"• ledger v1.9.0: ✅ staging · ✅ production (rollback to v1.8.0)",
				"D-14: checkout in production back to v3.0.0", "D-15: payments-api in production back to v2.3.0",
				"D-16: ledger in production back to v1.8.0")
		})
	}
}
