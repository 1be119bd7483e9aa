package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/internal/srctrack"
)

// TestMain lets the test binary stand in for the bench binary when the
// harness re-executes itself as the floor process.
func TestMain(m *testing.M) {
	if secret := os.Getenv(floorEnv); secret != "" {
		if err := runFloor(secret); err != nil {
			os.Stderr.WriteString("floor: " + err.Error() + "\n")
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// TestQuick runs the whole harness in -quick mode on SQLite — build,
// serve and floor processes, every phase — and checks that the table has
// every row and that nothing failed along the way.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("builds releasebot and starts processes; skipped with -short")
	}
	srctrack.Open(t, "..") // the binary it builds: see package srctrack
	out := filepath.Join(t.TempDir(), "bench.md")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-quick", "-db", "sqlite", "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
	}
	table := stdout.String()
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != table {
		t.Errorf("-out file differs from stdout:\n%s", written)
	}
	for _, want := range []string{
		"- date: ", "- machine: ", "cores (nproc)", "- database: SQLite",
		"| dashboard GET / (", "| dashboard GET /api/releases (",
		"| last sign-off (reaction_added) → first webhook at deployer |",
		"| `webhook` target: sign-off (reaction_added) → first webhook at deployer |",
		"| `github_actions` target: sign-off (reaction_added) → first dispatch at fake GitHub |",
		"| `gitlab` target: sign-off (reaction_added) → first trigger at fake GitLab |",
		"| `argocd` target: sign-off (reaction_added) → first sync at fake Argo CD |",
		"fake GitHub: 5 deployments, 5 run-starting requests", "fake GitLab: 5 deployments, 5 run-starting requests",
		"fake Argo CD: 5 deployments, 5 run-starting requests", "deployer 5 webhook deliveries verified",
		"| floor `status R-1`, concurrency 1 |", "| releasebot `status R-1`, concurrency 1 |",
		"| `status` throughput releasebot / floor, concurrency 1 |",
		"| floor `status R-1`, concurrency 8 |", "| releasebot `status R-1`, concurrency 8 |",
		"| `status` throughput releasebot / floor, concurrency 8 |",
		"| floor `status R-1`, concurrency 32 |", "| releasebot `status R-1`, concurrency 32 |",
		"| `status` throughput releasebot / floor, concurrency 32 |",
		"| floor `create`, concurrency 1 |", "| releasebot `create svc-N vN`, concurrency 1 |",
		"| floor `create`, concurrency 8 |", "| releasebot `create svc-N vN`, concurrency 8 |",
		"| floor `create`, concurrency 32 |", "| releasebot `create svc-N vN`, concurrency 32 |",
		"| write floor: single-row inserts through gorm, concurrency 8 |", "| `create` throughput releasebot / write floor, concurrency 8 |",
		"| Slack cards and sign-off requests of those creates (concurrency 32) |",
		"| peak RSS of serve (VmHWM at the end) |",
		"| train of 20 services in 5 levels: last sign-off (reaction_added) → every first-level service's first webhook | 3 |",
		"| peak RSS of the train serve (VmHWM at the end) |", "0 deployments delivered twice",
		"0 with a bad signature",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	for _, bad := range []string{"errors)", "errors, first:", "serve logged errors", "| — | — | — | p99", "not all posted after", "**fake "} {
		if strings.Contains(table, bad) {
			t.Errorf("table shows a failure (%q):\n%s", bad, table)
		}
	}
	if t.Failed() {
		t.Logf("table:\n%s\nstderr:\n%s", table, stderr.String())
	}
}

// TestSeedCurve runs -seed on SQLite with the smallest history and checks
// that every probe has its row and none failed.
func TestSeedCurve(t *testing.T) {
	if testing.Short() {
		t.Skip("builds releasebot and starts processes; skipped with -short")
	}
	srctrack.Open(t, "..")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-quick", "-db", "sqlite", "-seed", "1000"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
	}
	table := stdout.String()
	for _, p := range append(curveProbes(1000), probe{what: doraProbe}, probe{what: shellProbe}) {
		if !strings.Contains(table, "| "+p.what+" | ") {
			t.Errorf("table lacks %q", p.what)
		}
	}
	if strings.Contains(table, "errors)") {
		t.Errorf("table shows a failure:\n%s", table)
	}
	if t.Failed() {
		t.Logf("table:\n%s\nstderr:\n%s", table, stderr.String())
	}
}
