package slack_test

import (
	"bytes"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"

	"github.com/releasebot/releasebot/bot/slack"
)

// manifest is the part of Slack's app manifest schema that releasebot sets.
type manifest struct {
	Metadata struct {
		MajorVersion int `yaml:"major_version"`
		MinorVersion int `yaml:"minor_version"`
	} `yaml:"_metadata"`
	Display struct {
		Name            string `yaml:"name"`
		Description     string `yaml:"description"`
		LongDescription string `yaml:"long_description"`
		BackgroundColor string `yaml:"background_color"`
	} `yaml:"display_information"`
	Features struct {
		AppHome struct {
			HomeTab             bool `yaml:"home_tab_enabled"`
			MessagesTab         bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnly bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName  string `yaml:"display_name"`
			AlwaysOnline bool   `yaml:"always_online"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
			UserEvents []string `yaml:"user_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		OrgDeploy     bool `yaml:"org_deploy_enabled"`
		SocketMode    bool `yaml:"socket_mode_enabled"`
		TokenRotation bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

func TestSlackAppManifest(t *testing.T) {
	data, err := os.ReadFile("../../docker/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key would otherwise pass unnoticed
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("the manifest is not YAML: %v", err)
	}
	if m.Metadata.MajorVersion != 1 {
		t.Errorf("_metadata.major_version %d, want 1", m.Metadata.MajorVersion)
	}
	// Slack's limits on the display information.
	if n := utf8.RuneCountInString(m.Display.Name); n == 0 || n > 35 {
		t.Errorf("name %q: 1–35 characters", m.Display.Name)
	}
	if n := utf8.RuneCountInString(m.Display.Description); n == 0 || n > 140 {
		t.Errorf("description: 1–140 characters, has %d", n)
	}
	if n := utf8.RuneCountInString(m.Display.LongDescription); n != 0 && (n < 175 || n > 4000) {
		t.Errorf("long_description: 175–4000 characters, has %d", n)
	}
	if m.Features.BotUser.DisplayName == "" {
		t.Error("no bot user")
	}

	// Least privilege: exactly these bot scopes, no user scopes.
	scopes := slices.Clone(m.OAuth.Scopes.Bot)
	sort.Strings(scopes)
	// The history scopes read back the bot's own messages (see
	// SlackChat.FindTagged and TagOf).
	want := []string{"channels:history", "chat:write", "chat:write.public", "commands", "groups:history", "im:write",
		"reactions:read", "usergroups:read", "users:read"}
	if !slices.Equal(scopes, want) || len(m.OAuth.Scopes.User) != 0 {
		t.Errorf("scopes bot %v user %v, want bot %v and no user scopes", scopes, m.OAuth.Scopes.User, want)
	}
	// Each scope says why it is asked for, on its line or just above it.
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		scope, ok := strings.CutPrefix(strings.TrimSpace(line), "- ")
		scope, _, _ = strings.Cut(scope, "#")
		if !ok || !slices.Contains(want, strings.TrimSpace(scope)) {
			continue
		}
		if !strings.Contains(line, "#") && !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") {
			t.Errorf("scope %s has no comment saying why releasebot needs it", strings.TrimSpace(scope))
		}
	}
	// The README's install section names every scope.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, install, _ := strings.Cut(string(readme), "## Install in Slack")
	install, _, _ = strings.Cut(install, "\n## ")
	for _, sc := range want {
		if !strings.Contains(install, "`"+sc+"`") {
			t.Errorf("README's \"Install in Slack\" does not name the scope %s", sc)
		}
	}
	events := slices.Clone(m.Settings.Events.BotEvents)
	sort.Strings(events)
	wantEvents := []string{"app_home_opened", "reaction_added", "reaction_removed", "subteam_members_changed", "subteam_updated"}
	if !slices.Equal(events, wantEvents) || len(m.Settings.Events.UserEvents) != 0 {
		t.Errorf("events %v %v, want %v", events, m.Settings.Events.UserEvents, wantEvents)
	}
	// The Home tab, published on app_home_opened; the Messages tab, where
	// summaries and the cards of releases opened from the Home tab go.
	if h := m.Features.AppHome; !h.HomeTab || !h.MessagesTab || h.MessagesTabReadOnly {
		t.Errorf("app_home %+v, want the Home tab and a writable Messages tab", h)
	}
	if !strings.Contains(install, "app_home_opened") {
		t.Error(`README's "Install in Slack" does not name the app_home_opened event`)
	}

	if len(m.Features.SlashCommands) != 1 {
		t.Fatalf("%d slash commands, want /release", len(m.Features.SlashCommands))
	}
	cmd := m.Features.SlashCommands[0]
	if cmd.Command != "/release" || cmd.Description == "" || cmd.UsageHint == "" || cmd.ShouldEscape {
		t.Errorf("slash command %+v", cmd)
	}
	if !m.Settings.Interactivity.IsEnabled {
		t.Error("interactivity (the Approve and Reject buttons) is off")
	}
	if m.Settings.SocketMode {
		t.Error("socket_mode_enabled: the manifest is for HTTP endpoints; its comment says how to switch")
	}

	// Every URL is https on the placeholder host, at a path the bot serves.
	gin.SetMode(gin.TestMode)
	r := gin.New()
	slack.NewSlack(slack.SlackOptions{SigningSecret: "x"}).Register(r)
	served := map[string]bool{}
	for _, route := range r.Routes() {
		served[route.Method+" "+route.Path] = true
	}
	for _, u := range []struct{ name, raw, path string }{
		{"slash command", cmd.URL, "/slack/commands"},
		{"events", m.Settings.Events.RequestURL, "/slack/events"},
		{"interactivity", m.Settings.Interactivity.RequestURL, "/slack/interactions"},
	} {
		parsed, err := url.Parse(u.raw)
		if err != nil || parsed.Scheme != "https" || parsed.Host != "YOUR-HOST" || parsed.Path != u.path {
			t.Errorf("%s URL %q, want https://YOUR-HOST%s", u.name, u.raw, u.path)
		}
		if !served["POST "+u.path] {
			t.Errorf("the bot does not serve POST %s", u.path)
		}
	}
}
