package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// repoRoot finds the module root: the nearest directory upwards with a
// go.mod that declares the releasebot module.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/releasebot/releasebot\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the releasebot repository (no go.mod of github.com/releasebot/releasebot above here)")
		}
		dir = parent
	}
}

// buildReleasebot builds the binary once into dir; with profile, the
// build answers net/http/pprof (pprof_bench.go).
func buildReleasebot(ctx context.Context, root, dir string, profile bool) (string, error) {
	bin := filepath.Join(dir, "releasebot")
	args := []string{"build", "-o", bin}
	if profile {
		args = append(args, "-tags", "benchprofile")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// listenLoopback opens a listening socket on a free loopback port. serve
// inherits it (RELEASEBOT_LISTEN_FD) instead of binding an address found
// free a moment earlier, which another process could take in between.
func listenLoopback() (*os.File, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, "", err
	}
	return f, ln.Addr().String(), nil
}

// process is a child process the harness started and measures.
type process struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	log  string // file holding its stderr
	done chan error
}

// startServe starts `releasebot serve` with env (on top of PATH and HOME
// only, so nothing of the caller's Slack setup leaks in) and waits until
// /readyz answers.
func startServe(bin, dir string, env map[string]string) (*process, error) {
	sock, addr, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	defer sock.Close()                // the child has its copy once started
	env["RELEASEBOT_LISTEN_FD"] = "3" // ExtraFiles[0]
	env["RELEASEBOT_PUBLIC_URL"] = "http://" + addr
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{sock}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{name: "serve", cmd: cmd, base: "http://" + addr, log: filepath.Join(dir, "serve.log")}
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, p.waitReady("/readyz", 60*time.Second)
}

// startFloor re-executes this binary as the floor server and reads the
// address it prints.
func startFloor(dir, secret string) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), floorEnv+"="+secret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &process{name: "floor", cmd: cmd, log: filepath.Join(dir, "floor.log")}
	if err := p.start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("floor process printed no address: %w (log %s)", err, p.log)
	}
	p.base = "http://" + strings.TrimSpace(line)
	return p, p.waitReady("/healthz", 10*time.Second)
}

func (p *process) start() error {
	f, err := os.Create(p.log)
	if err != nil {
		return err
	}
	p.cmd.Stderr = f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait(); f.Close() }()
	return nil
}

func (p *process) waitReady(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", p.name, err, tail(p.log, 20))
		default:
		}
		resp, err := http.Get(p.base + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop()
	return fmt.Errorf("%s not ready after %v:\n%s", p.name, timeout, tail(p.log, 20))
}

// peakRSS reads the process's high-water resident set (VmHWM) in bytes.
func (p *process) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/PID/status")
}

// stop sends SIGTERM, waits for a graceful exit, and kills after 25 s.
func (p *process) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(25 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
