package main

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/config"
)

// A production container that forgets RELEASEBOT_CONFIG must not answer
// a real Slack workspace with the demo's made-up teams and log-only
// deploys: serve refuses, before it opens the database, unless
// RELEASEBOT_DEMO=1 asks for the demo on purpose.
func TestServeRefusesTheDemoWithSlack(t *testing.T) {
	// Past the guard, serve stops at the next check, which needs a
	// signing secret or an app token: that error proves the guard let it by.
	const pastGuard = "neither SLACK_SIGNING_SECRET"
	tests := []struct {
		name    string
		vars    map[string]string
		file    bool // a releasebot.yaml in the working directory
		refused bool
	}{
		{name: "token and no configuration", vars: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, refused: true},
		{name: "RELEASEBOT_DEMO other than 1", vars: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "RELEASEBOT_DEMO": "yes"}, refused: true},
		{name: "demo on purpose", vars: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "RELEASEBOT_DEMO": "1"}},
		{name: "RELEASEBOT_CONFIG", vars: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "RELEASEBOT_CONFIG": "my.yaml"}},
		{name: "releasebot.yaml here", vars: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, file: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if err := os.WriteFile("my.yaml", []byte(config.DemoYAML), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.file {
				if err := os.Rename("my.yaml", "releasebot.yaml"); err != nil {
					t.Fatal(err)
				}
			}
			tc.vars["DATABASE_URL"] = "sqlite://serve.db"
			_, _, err := runCmd(t, tc.vars, "", "serve", "--addr", "127.0.0.1:0")
			if err == nil {
				t.Fatal("serve returned no error")
			}
			_, statErr := os.Stat("serve.db")
			if tc.refused {
				for _, want := range []string{"SLACK_BOT_TOKEN is set", "built-in demo configuration", "RELEASEBOT_CONFIG", "RELEASEBOT_DEMO=1"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				if !errors.Is(statErr, os.ErrNotExist) {
					t.Errorf("the database was opened before refusing (serve.db: %v)", statErr)
				}
				return
			}
			if !strings.Contains(err.Error(), pastGuard) {
				t.Errorf("serve: %v; want it past the demo guard, stopping at %q", err, pastGuard)
			}
		})
	}
}
