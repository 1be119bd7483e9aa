package scheduler_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestRealTimeWindowOpening measures, on the real clock, how long after a
// window opens the first deployment webhook of a ready release arrives, in
// the built `releasebot serve` binary on a temporary SQLite database. The
// window is "*/2 * * * *", open for a minute; the release is opened and
// signed off (with `releasebot shell`) while it is closed. It takes up to
// three minutes, so it runs only with RELEASEBOT_REALTIME=1:
//
//	RELEASEBOT_REALTIME=1 go test ./scheduler/ -run RealTime -v
//
// RELEASEBOT_BINARY=path measures that binary instead of building one.
func TestRealTimeWindowOpening(t *testing.T) {
	if os.Getenv("RELEASEBOT_REALTIME") != "1" {
		t.Skip("takes up to three minutes of real time; set RELEASEBOT_REALTIME=1")
	}
	dir := t.TempDir()
	bin := os.Getenv("RELEASEBOT_BINARY") // a binary built otherwise; default: build one
	if bin == "" {
		bin = filepath.Join(dir, "releasebot")
		build := exec.Command("go", "build", "-o", bin, "github.com/releasebot/releasebot")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
	}

	// The deployer: it notes when the first webhook arrives and reports
	// success at once.
	var mu sync.Mutex
	var first time.Time
	var firstBody string
	deployer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		if first.IsZero() {
			first, firstBody = time.Now(), string(body)
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status": "succeeded"}`)
	}))
	defer deployer.Close()

	cfgPath := filepath.Join(dir, "releasebot.yaml")
	cfg := fmt.Sprintf(`timezone: UTC
require_distinct_approver: true
users: {dave: U0DAVE, alice: U0ALICE}
teams: [{name: payments, channel: C0PAY, leads: [U0ALICE]}]
environments:
  - name: staging
    deploy: {url: %q, secret: realtime-test-secret}
windows: [{name: train, schedule: "*/2 * * * *", duration: 1m}]
`, deployer.URL+"/hooks/staging")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "DATABASE_URL=sqlite://"+filepath.Join(dir, "releasebot.db"), "RELEASEBOT_CONFIG="+cfgPath,
		"RELEASEBOT_ADDR=127.0.0.1:0", "SLACK_BOT_TOKEN=", "SLACK_APP_TOKEN=", "SLACK_SIGNING_SECRET=")

	// Ready the release while the window is closed (odd minutes), with
	// time to spare before the next opening.
	for now := time.Now().UTC(); now.Minute()%2 == 0 || now.Second() > 40; now = time.Now().UTC() {
		time.Sleep(time.Until(now.Truncate(time.Minute).Add(time.Minute)) + 10*time.Millisecond)
	}
	shell := exec.Command(bin, "shell", "--as", "dave", "--quiet")
	shell.Env = env
	shell.Stdin = strings.NewReader("/release create payments-api v2.4.0 --window train\n/as alice\n/release approve R-1\n/release status R-1\n")
	out, err := shell.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "waits for the window train") {
		t.Fatalf("shell: %v\n%s", err, out)
	}
	opening := time.Now().UTC().Truncate(time.Minute).Add(time.Minute) // the next even minute
	t.Logf("R-1 is ready at %s; the window opens at %s", time.Now().UTC().Format("15:04:05.000"), opening.Format("15:04:05"))

	serve := exec.Command(bin, "serve")
	serve.Env = env
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		_ = serve.Wait()
	}()
	addr := make(chan string, 1)
	var logs strings.Builder
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			logs.WriteString(line + "\n")
			logMu.Unlock()
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "releasebot serving" {
				addr <- rec.Addr
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start:\n%s", logs.String())
	}

	deadline := time.Now().Add(time.Until(opening) + 30*time.Second)
	for {
		mu.Lock()
		got := first
		mu.Unlock()
		if !got.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			logMu.Lock()
			t.Fatalf("no webhook by %v:\n%s", deadline, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	webhookAfter := first.Sub(opening)

	// The audit trail says when the deployment started.
	var startedAfter time.Duration
	for i := 0; i < 50; i++ {
		resp, err := http.Get(base + "/api/releases/R-1")
		if err != nil {
			t.Fatal(err)
		}
		var rel struct {
			Audit []struct {
				At     time.Time `json:"at"`
				Action string    `json:"action"`
			} `json:"audit"`
		}
		err = json.NewDecoder(resp.Body).Decode(&rel)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range rel.Audit {
			if e.Action == "deployment_started" && startedAfter == 0 {
				startedAfter = e.At.Sub(opening)
			}
		}
		if startedAfter != 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("window opened %s; deployment_started %v after it; first webhook %v after it; body %s",
		opening.Format(time.RFC3339), startedAfter, webhookAfter, firstBody)
	if webhookAfter < 0 || webhookAfter > 2*time.Second {
		t.Errorf("the first webhook came %v after the opening; want within 2s", webhookAfter)
	}
}
