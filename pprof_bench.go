//go:build benchprofile

package main

import (
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// With -tags benchprofile (go run ./bench -cpuprofile), serve also answers
// net/http/pprof on the loopback address in RELEASEBOT_PPROF_ADDR, so the
// bench can take CPU profiles of the process it measures. Release builds
// have no such listener.
func init() {
	addr := os.Getenv("RELEASEBOT_PPROF_ADDR")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go func() { _ = http.Serve(ln, mux) }()
}
