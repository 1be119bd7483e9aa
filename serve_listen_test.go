//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serve on RELEASEBOT_LISTEN_FD answers on the inherited socket, not on
// RELEASEBOT_ADDR; the socket outlives it, so a second serve given the
// same socket answers at the same address; each names itself with
// RELEASEBOT_INSTANCE.
func TestServeOnInheritedListener(t *testing.T) {
	t.Chdir(t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 2 * time.Second}
	for _, instance := range []string{"first", "second"} {
		// serve closes the descriptor it is given, as a child process
		// would: give it a copy of the test's.
		fd, err := syscall.Dup(int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		var logs bytes.Buffer
		vars := map[string]string{"DATABASE_URL": "sqlite://serve.db", "RELEASEBOT_ADDR": "127.0.0.1:0",
			"RELEASEBOT_LISTEN_FD": fmt.Sprint(fd), "RELEASEBOT_INSTANCE": instance}
		go func() {
			done <- run(ctx, []string{"serve"}, testEnv(vars), strings.NewReader(""), &bytes.Buffer{}, &logs)
		}()
		var resp *http.Response
		deadline := time.Now().Add(15 * time.Second)
		for resp == nil && time.Now().Before(deadline) {
			select {
			case err := <-done:
				t.Fatalf("serve %s ended: %v\n%s", instance, err, logs.String())
			default:
			}
			resp, err = client.Get(base + "/healthz")
		}
		if resp == nil {
			cancel()
			t.Fatalf("serve %s did not answer on the inherited socket %s: %v\n%s", instance, base, err, logs.String())
		}
		resp.Body.Close()
		if got := resp.Header.Get(instanceHeader); resp.StatusCode != http.StatusOK || got != instance {
			t.Errorf("/healthz: %d from instance %q, want 200 from %q", resp.StatusCode, got, instance)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve %s after SIGTERM: %v\n%s", instance, err, logs.String())
		}
		if !strings.Contains(logs.String(), `"addr":"`+ln.Addr().String()+`"`) {
			t.Errorf("serve %s does not log the inherited address %s:\n%s", instance, ln.Addr(), logs.String())
		}
	}
}

func TestServeRefusesABadListenFD(t *testing.T) {
	tests := []struct {
		name, fd, instance, want string
	}{
		{name: "not a number", fd: "three", want: `RELEASEBOT_LISTEN_FD "three" is not the number`},
		{name: "standard output", fd: "1", want: `RELEASEBOT_LISTEN_FD "1" is not the number`},
		{name: "not open", fd: "987", want: "RELEASEBOT_LISTEN_FD=987 is not a listening socket"},
		{name: "instance with a newline", instance: "a\nb", want: "RELEASEBOT_INSTANCE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			vars := map[string]string{"DATABASE_URL": "sqlite://serve.db", "RELEASEBOT_ADDR": "127.0.0.1:0",
				"RELEASEBOT_LISTEN_FD": tt.fd, "RELEASEBOT_INSTANCE": tt.instance}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, []string{"serve"}, testEnv(vars), strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve: %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
