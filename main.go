// Command releasebot is a Slack ChatOps bot that coordinates releases:
// sign-offs, release windows, deployment webhooks and rollbacks.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "releasebot:", err)
		}
		os.Exit(1)
	}
}

// errReported ends the process with a failure whose story was already told.
var errReported = errors.New("reported")

const usage = `releasebot coordinates releases from Slack.

Usage:
  releasebot serve [--addr :8080] [--no-migrate]   HTTP server: Slack endpoints, callbacks, API, scheduler
  releasebot shell [--as USER] [--verbose]         the same bot in a terminal, no Slack needed
  releasebot migrate up|down|status                schema migrations
  releasebot config check [FILE]                   validate a configuration
  releasebot token create --name N --services a,b  a scoped API token for POST /api/releases (printed once)
  releasebot token list | token revoke NAME        the API tokens; revoking stops one at once
  releasebot audit verify [--head HASH]            check the audit log's hash chain
  releasebot version                               version, commit, Go version

Environment: DATABASE_URL (default sqlite://releasebot.db), RELEASEBOT_CONFIG
(default releasebot.yaml, else the built-in demo), RELEASEBOT_ADDR,
RELEASEBOT_PUBLIC_URL, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN,
SLACK_API_URL; for supervisors, RELEASEBOT_LISTEN_FD (serve on an inherited
listening socket) and RELEASEBOT_INSTANCE (named in every answer). See README.md.
`

// run is the whole program, with its surroundings passed in so tests can
// drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errReported
	}
	env := environment(getenv)
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], env, stderr)
	case "shell":
		return shell(ctx, args[1:], env, stdin, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], env, stdout, stderr)
	case "config":
		if len(args) < 2 || args[1] != "check" || len(args) > 3 {
			fmt.Fprintln(stderr, "usage: releasebot config check [FILE]")
			return errReported
		}
		return configCheck(args[2:], env, stdout, stderr)
	case "token":
		return tokenCommand(ctx, args[1:], env, stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], env, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "releasebot %s (commit %s, %s)\n", version, commit, runtime.Version())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "releasebot: unknown command %q\n\n%s", args[0], usage)
	return errReported
}

// environment reads variables, treating empty ones as unset, with
// the defaults of README "Running".
type environment func(string) string

var defaults = map[string]string{
	"DATABASE_URL":          "sqlite://releasebot.db",
	"RELEASEBOT_ADDR":       ":8080",
	"RELEASEBOT_PUBLIC_URL": "http://localhost:8080",
	"SLACK_API_URL":         "https://slack.com/api/",
}

func (e environment) get(name string) string {
	if v := e(name); v != "" {
		return v
	}
	return defaults[name]
}
