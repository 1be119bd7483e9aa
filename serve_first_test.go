package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A busy port is said once and plainly, before anything else starts: no
// database errors of workers stopped under it.
func TestServeOnABusyPort(t *testing.T) {
	t.Chdir(t.TempDir())
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var logs bytes.Buffer
	vars := map[string]string{"DATABASE_URL": "sqlite://serve.db", "RELEASEBOT_ADDR": busy.Addr().String()}
	err = run(ctx, []string{"serve"}, testEnv(vars), strings.NewReader(""), &bytes.Buffer{}, &logs)
	if err == nil || !strings.Contains(err.Error(), "port "+port+" is in use") || !strings.Contains(err.Error(), "set RELEASEBOT_ADDR") {
		t.Errorf("serve on a busy port: %v, want \"port %s is in use: …; set RELEASEBOT_ADDR\"", err, port)
	}
	if logs.Len() != 0 {
		t.Errorf("serve on a busy port logged before giving up:\n%s", logs.String())
	}
}

// Without RELEASEBOT_DASHBOARD_TOKEN, serve on every interface warns that
// the dashboard and the API are open; with the token it does not.
func TestServeWarnsOfAnOpenDashboard(t *testing.T) {
	for _, token := range []string{"", "dashboard-token-0123456789abcdef"} {
		t.Run("token="+strconv.FormatBool(token != ""), func(t *testing.T) {
			t.Chdir(t.TempDir())
			ln, err := net.Listen("tcp", ":0") // every interface
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			f, err := ln.(*net.TCPListener).File()
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fd, err := syscall.Dup(int(f.Fd()))
			if err != nil {
				t.Fatal(err)
			}
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			vars := map[string]string{"DATABASE_URL": "sqlite://serve.db", "RELEASEBOT_LISTEN_FD": strconv.Itoa(fd),
				"RELEASEBOT_DASHBOARD_TOKEN": token}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			var logs syncBuffer
			go func() {
				done <- run(ctx, []string{"serve"}, testEnv(vars), strings.NewReader(""), &bytes.Buffer{}, &logs)
			}()
			waitFor(t, "http://127.0.0.1:"+port+"/healthz")
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve: %v\n%s", err, logs.String())
			}
			warned := strings.Contains(logs.String(), "the dashboard and the API are open to anyone")
			if warned != (token == "") {
				t.Errorf("warned of an open dashboard: %v, want %v\n%s", warned, token == "", logs.String())
			}
			if !strings.Contains(logs.String(), `"url":"http://localhost:`+port+`"`) {
				t.Errorf("log does not give the URL to open:\n%s", logs.String())
			}
		})
	}
}
