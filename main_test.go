package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/storetest"
)

// testEnv is a getenv over a map.
func testEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runCmd runs the program in-process and returns its stdout and stderr.
func runCmd(t *testing.T, vars map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, testEnv(vars), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestShellWalksAReleaseToDeployed(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no releasebot.yaml here: the demo configuration
			vars := map[string]string{"DATABASE_URL": db.URL(t)}
			script := strings.Join([]string{
				"# a release walks from create to deployed",
				`/release create payments-api v2.4.0 --notes "fixes the login bug"`,
				"/as dave",
				"/react m2 ✅", // dave leads nothing: refused
				"/as alice",
				"/react m2 ✅",
				"/as carol",
				"/react m3 :white_check_mark:",
				"/release status R-1",
				"/release stauts R-1",
			}, "\n")
			out, logs, err := runCmd(t, vars, script, "shell")
			if err != nil {
				t.Fatalf("shell: %v\n%s\n%s", err, out, logs)
			}
			for _, want := range []string{
				"[m1] #releases",       // the card where the command was typed
				"[m2] #C0PAY",          // payments' sign-off request
				"[m3] #C0RISK",         // risk's
				"Only payments' leads", // dave's reaction refused
				"@alice signed off for payments (1 of 1)",      // in the thread
				"succeeded — logged by the log:staging",        // staging deployed via the log: target
				"🎉 Deployed: v2.4.0 is on staging, production", // the end
				"Status: 🎉 deployed",
				"Did you mean", // a misspelt command gets help
			} {
				if !strings.Contains(out, want) {
					t.Errorf("shell output lacks %q\n%s", want, out)
				}
			}
			if logs != "" {
				t.Errorf("the shell logged on stderr, between its story's lines:\n%s", logs)
			}
			file, _ := os.ReadFile(shellLogFile)
			if logs := string(file); !strings.Contains(logs, "built-in demo configuration") || !strings.Contains(logs, `"callback_url":"http://localhost:8080/webhooks/deployments/D-1/status"`) {
				t.Errorf("%s lacks the demo notice or the logged delivery:\n%s", shellLogFile, logs)
			}
			// The same database, read by a second process, shows the release deployed.
			out, _, err = runCmd(t, vars, "/release list\n/release audit R-1\n", "shell", "--quiet")
			if err != nil || !strings.Contains(out, "R-1 · payments-api v2.4.0* 🎉 deployed") && !strings.Contains(out, "R-1 · payments-api v2.4.0 🎉 deployed") {
				t.Errorf("a later shell does not see R-1 deployed (err %v):\n%s", err, out)
			}
			if !strings.Contains(out, "@alice signed off: payments (1 of 1)") {
				t.Errorf("audit lacks alice's sign-off:\n%s", out)
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "releasebot.yaml")
	os.WriteFile(broken, []byte(`timezone: Mars/Olympus
teams:
  - name: payments
    channel: C0PAY
    leads: [U0ALICE]
    aprovals: 1
environments:
  - name: production
    deploy: {url: "https://deploy.example.com/prod", secret: "${PROD_SECRET}"}
windows:
  - name: train
    schedule: "0 25 * * *"
    duration: 2h
`), 0o644)
	_, errOut, err := runCmd(t, nil, "", "config", "check", broken)
	if err == nil {
		t.Fatal("a broken file passed the check")
	}
	for _, want := range []string{broken + ":1:", broken + ":6:", broken + ":9:", broken + ":12:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("config check output lacks %q:\n%s", want, errOut)
		}
	}
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("teams: [{name: a, channel: C0A, leads: [U0A]}]\nenvironments: [{name: staging, deploy: {url: \"log:staging\"}}]\n"), 0o644)
	out, errOut, err := runCmd(t, nil, "", "config", "check", good)
	if err != nil || !strings.Contains(out, "is valid") {
		t.Fatalf("valid file: %v\n%s%s", err, out, errOut)
	}
}

func TestMigrateRoundTrip(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": db.URL(t)}
			for _, step := range []struct{ arg, want string }{
				{"up", "migration(s)"}, // all of them
				{"status", "applied"},
				{"down", "rolled back migration"},
				{"status", "pending"},
				{"up", "applied 1 migration"},
				{"up", "applied 0 migration"},
			} {
				out, errOut, err := runCmd(t, vars, "", "migrate", step.arg)
				if err != nil || !strings.Contains(out, step.want) {
					t.Fatalf("migrate %s: %v, want %q\n%s%s", step.arg, err, step.want, out, errOut)
				}
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no command", args: nil, want: "Usage:"},
		{name: "unknown command", args: []string{"deploy"}, want: `unknown command "deploy"`},
		{name: "migrate without step", args: []string{"migrate"}, want: "usage: releasebot migrate up|down|status"},
		{name: "config without check", args: []string{"config"}, want: "usage: releasebot config check"},
		{name: "bad database url", args: []string{"migrate", "up"}, want: "DATABASE_URL must start with sqlite:// or postgres://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": "mysql://nope"}
			_, errOut, err := runCmd(t, vars, "", tt.args...)
			if err == nil || !strings.Contains(errOut+err.Error(), tt.want) {
				t.Fatalf("err %v, stderr %q; want failure mentioning %q", err, errOut, tt.want)
			}
		})
	}
	out, _, err := runCmd(t, nil, "", "version")
	if err != nil || !strings.HasPrefix(out, "releasebot ") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: %v %q", err, out)
	}
}

func TestServeAnswersAndStopsGracefully(t *testing.T) {
	t.Chdir(t.TempDir())
	addr, vars := heldAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	vars["DATABASE_URL"] = "sqlite://serve.db"
	go func() {
		done <- run(ctx, []string{"serve"}, testEnv(vars), strings.NewReader(""), &bytes.Buffer{}, &logs)
	}()
	base := "http://" + addr
	waitFor(t, base+"/healthz")
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/api/releases": 200, "/api/releases/R-1": 404, "/api/releases/nope": 400} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	var list struct {
		Releases []any `json:"releases"`
		Next     string
	}
	resp, _ := http.Get(base + "/api/releases")
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if list.Releases == nil {
		t.Errorf("empty list is not []")
	}
	cancel() // SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(logs.String(), "SLACK_BOT_TOKEN is not set") {
		t.Errorf("log does not say Slack is off:\n%s", logs.String())
	}
	for _, want := range []string{`"url":"http://` + addr + `"`, `"database":"sqlite://serve.db"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log does not say where serve is and what it uses (%s):\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "RELEASEBOT_DASHBOARD_TOKEN is not set") {
		t.Errorf("serve on loopback warns that the dashboard is open to every interface:\n%s", logs.String())
	}
}

// heldAddr opens a listening socket that stays the test's until it ends,
// so no other test can take its port, and returns its address and the
// variables that hand serve a copy of it (RELEASEBOT_LISTEN_FD): a port
// freed and then reused could be taken in between by a parallel test.
func heldAddr(t *testing.T) (string, map[string]string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	// serve closes the descriptor it is given: hand it a raw copy, which
	// no *os.File of this test owns or finalizes.
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return ln.Addr().String(), map[string]string{"RELEASEBOT_LISTEN_FD": strconv.Itoa(fd)}
}

func waitFor(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not answer", url)
}

// Messages queued while Slack was configured wait, untouched, when serve
// runs without Slack: no crash, nothing dropped.
func TestServeWithoutSlackKeepsQueuedMessages(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx := context.Background()
	store := storetest.Open(t, "sqlite://queued.db", nil)
	rel, err := releases.NewCoordinator(releases.Options{Store: store, Policy: config.Demo().Policy()}).
		Create(ctx, "U0DAVE", releases.CreateInput{Service: "ledger", Version: "v1", Origin: "C0REL"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnqueueOnce(ctx, []releases.OutboxEntry{{ReleaseID: rel.ID, Op: releases.OpPost, Channel: "C0REL",
		Body: `{"text":"queued while Slack was on"}`, NextAttemptAt: time.Now(), CreatedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	addr, vars := heldAddr(t)
	run1, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	var logs bytes.Buffer
	vars["DATABASE_URL"] = "sqlite://queued.db"
	go func() {
		done <- run(run1, []string{"serve"}, testEnv(vars), strings.NewReader(""), &bytes.Buffer{}, &logs)
	}()
	waitFor(t, "http://"+addr+"/healthz")
	time.Sleep(200 * time.Millisecond) // let the relay's first round run
	stop()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
	if n, err := store.PendingOutbox(ctx); err != nil || n != 1 {
		t.Fatalf("%d messages pending (%v), want the queued one kept", n, err)
	}
}
