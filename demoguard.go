package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/releasebot/releasebot/releases"
)

// refuseDemoWithSlack stops serve before it connects a real Slack
// workspace to the built-in demo configuration. The demo is what runs
// when no configuration file is found (loadConfig), which in a container
// is one forgotten RELEASEBOT_CONFIG away: its made-up teams, leads and
// log-only deploys would then answer real people, and deployments would
// "succeed" without anything being deployed. RELEASEBOT_DEMO=1 runs the
// demo against Slack on purpose (a trial workspace).
func refuseDemoWithSlack(env environment) error {
	if env("SLACK_BOT_TOKEN") == "" || env("RELEASEBOT_DEMO") == "1" || env("RELEASEBOT_CONFIG") != "" {
		return nil
	}
	// The same fallback as loadConfig's: no RELEASEBOT_CONFIG and no
	// releasebot.yaml in the working directory.
	if _, err := os.Stat("releasebot.yaml"); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return releases.Errorf(releases.EInvalid, "refusing to start: SLACK_BOT_TOKEN is set, but there is no configuration "+
		"(RELEASEBOT_CONFIG is not set and there is no releasebot.yaml here), so releasebot would answer your Slack "+
		"workspace with its built-in demo configuration: made-up teams and leads, and deployments that only log. "+
		"Set RELEASEBOT_CONFIG to your releasebot.yaml, or set RELEASEBOT_DEMO=1 to run the demo with Slack on purpose")
}
