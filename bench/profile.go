package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// profiler takes CPU profiles of serve through the pprof listener of a
// benchprofile build (-cpuprofile).
type profiler struct {
	prefix string // files are prefix-NAME.pprof; "" takes none
	addr   string // serve's pprof listener
}

// start profiles serve for d at concurrency 8 and 32 into
// prefix-name.pprof, in the background; the returned func waits for it.
func (p profiler) start(name string, d time.Duration, log io.Writer) (wait func()) {
	if p.prefix == "" || name[len(name)-3:] == "-c1" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(1, int(d.Round(time.Second)/time.Second))
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.addr, secs))
		if err != nil {
			fmt.Fprintf(log, "bench: profile %s: %v\n", name, err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(p.prefix + "-" + name + ".pprof")
		if err == nil {
			_, err = io.Copy(f, resp.Body)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(log, "bench: profile %s: %v\n", name, err)
		}
	}()
	return func() { <-done }
}

// freeLoopback returns a loopback address that was free a moment ago.
func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
