package config

import (
	"strings"
	"testing"
)

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // each must be a line of the error
	}{
		{name: "empty file", text: "", want: []string{"test.yaml: the file is empty; it needs at least teams: and environments:"}},
		{name: "only comments", text: "# nothing yet\n", want: []string{"test.yaml: the file is empty; it needs at least teams: and environments:"}},
		{name: "top level list", text: "- a\n- b\n", want: []string{"test.yaml:1: the top level must be a mapping with keys such as teams: and environments:, found a list"}},
		{name: "top level text", text: "hello\n", want: []string{"test.yaml:1: the top level must be a mapping with keys such as teams: and environments:, found a single value"}},
		{name: "syntax error", text: "teams: [\n", want: []string{"test.yaml:1: invalid YAML: did not find expected node content"}},
		{name: "two documents", text: minimal + "---\nteams: []\n", want: []string{"test.yaml:9: only one YAML document is allowed; remove the \"---\" and what follows"}},
		{name: "no teams or environments", text: "timezone: UTC\n", want: []string{
			"test.yaml: no teams: configure at least one under teams:",
			"test.yaml: no environments: configure at least one under environments:"}},
		{name: "empty teams", text: "teams: []\nenvironments: [{name: s, deploy: {url: 'log:'}}]\n", want: []string{"test.yaml:1: teams: configure at least one"}},
		{name: "teams not a list", text: "teams: {name: payments}\n" + minimal[strings.Index(minimal, "environments"):],
			want: []string{"test.yaml:1: teams: expected a list (- name: payments), found a mapping (key: value)"}},
		{name: "team not a mapping", text: "teams: [payments]\n" + minimal[strings.Index(minimal, "environments"):],
			want: []string{"test.yaml:1: teams[0]: expected a mapping (key: value), found a single value"}},
		{name: "approvals not a number", text: strings.Replace(minimal, "leads: [U0ALICE]", "leads: [U0ALICE]\n    approvals: two", 1),
			want: []string{`test.yaml:6: teams[0].approvals: expected a whole number, got "two"`}},
		{name: "approvals above leads", text: strings.Replace(minimal, "leads: [U0ALICE]", "leads: [U0ALICE]\n    approvals: 2", 1),
			want: []string{`test.yaml:6: teams[0].approvals: 2 sign-offs needed but the team has only 1 lead(s)`}},
		{name: "approvals zero", text: strings.Replace(minimal, "leads: [U0ALICE]", "leads: [U0ALICE]\n    approvals: 0", 1),
			want: []string{`test.yaml:6: teams[0].approvals: must be at least 1, got 0`}},
		{name: "leads not a list", text: strings.Replace(minimal, "leads: [U0ALICE]", "leads: U0ALICE", 1),
			want: []string{`test.yaml:5: teams[0].leads: expected a list ([U0ALICE, U0BOB]), found a single value`}},
		{name: "lead written as a users: name", text: "users: {alice: U0ALICE}\n" + strings.Replace(minimal, "[U0ALICE]", "[alice]", 1),
			want: []string{`test.yaml:6: teams[0].leads[0]: "alice" is a name; write its Slack user id U0ALICE (from users:)`}},
		{name: "bad channel", text: strings.Replace(minimal, "C0PAY", "Payments Team", 1),
			want: []string{`test.yaml:4: teams[0].channel: "Payments Team" is neither a Slack channel id (C… e.g. C0PAY) nor a channel name (lowercase letters, digits, '-' and '_')`}},
		{name: "timezone as list", text: "timezone: [UTC]\n" + minimal, want: []string{"test.yaml:1: timezone: expected a single value, found a list"}},
		{name: "timezone Local", text: "timezone: Local\n" + minimal, want: []string{`test.yaml:1: timezone: "Local" depends on the server; name a zone such as Europe/Berlin or UTC`}},
		{name: "null name", text: strings.Replace(minimal, "name: payments", "name:", 1), want: []string{"test.yaml:3: teams[0].name: has no value"}},
		{name: "repeated key", text: "timezone: UTC\ntimezone: UTC\n" + minimal, want: []string{`test.yaml:2: key "timezone" is repeated (first on line 1)`}},
		{name: "deploy as text", text: strings.Replace(minimal, `deploy: {url: "log:staging"}`, "deploy: https://x.example.com", 1),
			want: []string{"test.yaml:8: environments[0].deploy: expected a mapping (key: value), found a single value"}},
		{name: "missing deploy", text: strings.Replace(minimal, `    deploy: {url: "log:staging"}`, "    promote: auto", 1),
			want: []string{"test.yaml:7: environments[0]: deploy is required (at least deploy.url)"}},
		{name: "missing url", text: strings.Replace(minimal, `{url: "log:staging"}`, "{timeout: 5s}", 1),
			want: []string{"test.yaml:8: environments[0].deploy: url is required (https://…, http://… or log:…), or one of github_actions:, gitlab:, argocd:"}},
		{name: "url without scheme, not quoted", text: strings.Replace(minimal, `"log:staging"`, `"deploy.example.com/hook?token=abc"`, 1),
			want: []string{"test.yaml:8: environments[0].deploy.url: must start with https://, http:// or log:"}},
		{name: "https needs a secret", text: strings.Replace(minimal, `"log:staging"`, `"https://deploy.example.com/hook"`, 1),
			want: []string{"test.yaml:8: environments[0].deploy: secret is required for an http(s) url (write secret: ${NAME} to take it from the environment)"}},
		{name: "retries too many", text: strings.Replace(minimal, `{url: "log:staging"}`, `{url: "log:staging", retries: 101}`, 1),
			want: []string{"test.yaml:8: environments[0].deploy.retries: must be between 0 and 100, got 101"}},
		{name: "zero backoff", text: strings.Replace(minimal, `{url: "log:staging"}`, `{url: "log:staging", backoff: 0s}`, 1),
			want: []string{`test.yaml:8: environments[0].deploy.backoff: must be a positive duration, got "0s"`}},
		{name: "duplicate environment", text: minimal + "  - name: staging\n    deploy: {url: \"log:x\"}\n",
			want: []string{`test.yaml:9: environments[1].name: "staging" is already used by environments[0] (line 7)`}},
		{name: "window name and schedule missing", text: minimal + "windows:\n  - duration: 2h\n",
			want: []string{"test.yaml:10: windows[0]: name is required", `test.yaml:10: windows[0]: schedule is required (cron, 5 fields, e.g. "0 14 * * TUE,THU")`}},
		{name: "every is refused", text: minimal + "windows:\n  - {name: w, schedule: \"@every 1h\", duration: 1h}\n",
			want: []string{`test.yaml:10: windows[0].schedule: "@every 1h": @every is not supported; windows and summaries need clock times, e.g. "0 14 * * TUE"`}},
		{name: "zero step would hang cron", text: minimal + "windows:\n  - {name: w, schedule: \"*/0 * * * *\", duration: 1h}\n",
			want: []string{`test.yaml:10: windows[0].schedule: "*/0 * * * *": a step of /0 is not allowed`}},
		{name: "CRON_TZ without fields would panic cron", text: minimal + "windows:\n  - {name: w, schedule: \"CRON_TZ=UTC\", duration: 1h}\n",
			want: []string{`test.yaml:10: windows[0].schedule: "CRON_TZ=UTC": CRON_TZ=ZONE must be followed by a space and 5 fields`}},
		{name: "bad CRON_TZ zone", text: minimal + "windows:\n  - {name: w, schedule: \"CRON_TZ=Mars/Base 0 14 * * *\", duration: 1h}\n",
			want: []string{`test.yaml:10: windows[0].schedule: "CRON_TZ=Mars/Base 0 14 * * *" is not a valid cron schedule: provided bad location Mars/Base: unknown time zone Mars/Base; write 5 fields: minute hour day-of-month month day-of-week`}},
		{name: "freeze time format", text: minimal + "freezes:\n  - name: f\n    start: next week\n    end: 2026-12-20T00:00:00Z\n",
			want: []string{`test.yaml:11: freezes[0].start: "next week" is not a time: use RFC 3339 (2026-12-20T00:00:00+01:00) or YYYY-MM-DD HH:MM in the configured timezone`}},
		{name: "duplicate freeze", text: minimal + "freezes:\n  - {name: f, start: 2026-12-20, end: 2026-12-21}\n  - {name: f, start: 2026-12-22, end: 2026-12-23}\n",
			want: []string{`test.yaml:11: freezes[1].name: "f" is already used by freezes[0] (line 10)`}},
		{name: "summary users must be ids", text: minimal + "summaries:\n  - name: s\n    schedule: \"0 9 * * MON\"\n    users: [boss]\n",
			want: []string{`test.yaml:12: summaries[0].users[0]: "boss" is not a Slack user id (U… or W… followed by capital letters and digits, e.g. U024BE7LH)`}},
		{name: "duplicate summary", text: minimal + "summaries:\n  - {name: s, schedule: \"0 9 * * MON\", channel: C0M}\n  - {name: s, schedule: \"0 9 * * MON\", channel: C0M}\n",
			want: []string{`test.yaml:11: summaries[1].name: "s" is already used by summaries[0] (line 10)`}},
		{name: "duplicate window", text: minimal + "windows:\n  - {name: w, schedule: \"0 9 * * MON\", duration: 1h}\n  - {name: w, schedule: \"0 9 * * MON\", duration: 1h}\n",
			want: []string{`test.yaml:11: windows[1].name: "w" is already used by windows[0] (line 10)`}},
		{name: "reminder zero", text: minimal + "reminders: {before_window: 0s}\n",
			want: []string{`test.yaml:9: reminders.before_window: must be a positive duration, got "0s"`}},
		{name: "users value must be an id", text: "users:\n  alice: alice\n" + minimal,
			want: []string{`test.yaml:2: users.alice: "alice" is not a Slack user id (U… or W… followed by capital letters and digits, e.g. U024BE7LH)`}},
		{name: "users id named twice", text: "users:\n  alice: U0ALICE\n  al: U0ALICE\n" + minimal,
			want: []string{`test.yaml:3: users.al: U0ALICE is already named "alice" (line 2); give each user one name`}},
		{name: "misspelt deploy key at the environment level", text: minimal + "    timout: 3s\n",
			want: []string{`test.yaml:9: environments[0]: unknown key "timout" (did you mean "timeout" under deploy:?)`}},
		{name: "unknown nested key", text: minimal + "reminders: {before: 2h}\n",
			want: []string{`test.yaml:9: reminders: unknown key "before" (did you mean "before_window"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.text, nil)
			got := strings.Split(ps.Error(), "\n")
			for _, want := range tt.want {
				found := false
				for _, line := range got {
					found = found || line == want
				}
				if !found {
					t.Errorf("missing line\n  %s\nin\n%s", want, ps.Error())
				}
			}
		})
	}
}
