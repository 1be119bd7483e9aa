package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/migrations"
	"github.com/releasebot/releasebot/releases/gormstore"
)

// migrate applies, rolls back or lists schema migrations.
func migrate(ctx context.Context, args []string, env environment, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		fmt.Fprintln(stderr, "usage: releasebot migrate up|down|status")
		return errReported
	}
	store, err := gormstore.Open(ctx, env.get("DATABASE_URL"), gormstore.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	m, err := migrations.New(store.DB(), store.Dialect())
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		n, err := m.Up(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
	case "down":
		v, err := m.Down(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rolled back migration %d\n", v)
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%05d  %-8s %s\n", s.Version, state, s.Name)
		}
	}
	return nil
}

// configCheck validates a configuration file and lists every problem with
// its line.
func configCheck(args []string, env environment, stdout, stderr io.Writer) error {
	path := env("RELEASEBOT_CONFIG")
	if len(args) == 1 {
		path = args[0]
	}
	if path == "" {
		path = "releasebot.yaml"
	}
	cfg, err := config.Load(path, env)
	var problems config.Problems
	switch {
	case errors.As(err, &problems):
		for _, p := range problems {
			fmt.Fprintf(stderr, "%s\n", p.String())
		}
		fmt.Fprintf(stderr, "%d problem(s) in %s\n", len(problems), path)
		return errReported
	case err != nil && len(args) == 0 && errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(stdout, "%s does not exist: releasebot would use its built-in demo configuration, which is valid:\n\n%s", path, config.DemoYAML)
		return nil
	case err != nil:
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "%s:%d: warning: %s\n", w.File, w.Line, w.Message)
	}
	fmt.Fprintf(stdout, "%s is valid: %d team(s), %d environment(s), %d service(s), %d window(s), %d freeze(s), %d summary(ies), timezone %s\n",
		path, len(cfg.Teams), len(cfg.Environments), len(cfg.Services), len(cfg.Windows), len(cfg.Freezes), len(cfg.Summaries), cfg.Timezone)
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
