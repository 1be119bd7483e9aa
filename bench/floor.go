package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/slack-go/slack"
)

// floorEnv, when set in a process's environment, makes the bench binary
// (or its test binary) run the floor server instead of the harness. It
// holds the signing secret.
const floorEnv = "RELEASEBOT_BENCH_FLOOR_SECRET"

// runFloor is the floor process: the least a Slack slash-command endpoint
// can do — check the v0 signature with slack-go's SecretsVerifier and
// answer an ephemeral "ok". It prints its address on stdout and serves
// until killed.
func runFloor(secret string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", func(w http.ResponseWriter, r *http.Request) {
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.TeeReader(http.MaxBytesReader(w, r.Body, 1<<20), &sv))
		if err != nil || sv.Ensure() != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		_ = body
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"response_type":"ephemeral","text":"ok"}`)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	fmt.Fprintln(os.Stdout, ln.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}
