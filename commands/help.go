package commands

import (
	"fmt"
	"strings"
)

// commandInfo describes one subcommand for parsing and for help.
type commandInfo struct {
	name     string
	usage    string // the README table's form, without "/release "
	synopsis string // short form for the overview; usage when ""
	summary  string // one line for the overview
	about    string // a paragraph for the command's own help
	options  []optionHelp
	example  string // without "/release "
	opts     []optSpec
}

type optionHelp struct{ form, text string }

// timesNote explains time values in the help of commands that take them.
const timesNote = "TIME is `YYYY-MM-DD HH:MM` in the configured time zone, or RFC 3339 with an offset, like `2026-12-01T14:00:00+01:00`. Quote it, or write it as two words: `2026-12-01 14:00`."

// commandTable lists the subcommands in the order of the help overview. It
// is read-only.
var commandTable = []commandInfo{
	{
		name:     "create",
		usage:    `create SERVICE VERSION [--teams a,b] [--envs staging,production] [--window NAME | --at "2026-12-01 14:00"] [--notes "…"] [--override "reason"]`,
		synopsis: "create SERVICE VERSION [options]",
		summary:  "open a release and ask its teams to sign off",
		about: "Opens a release of SERVICE at VERSION and asks each involved team's channel to sign off. " +
			"Without --teams every team signs off, or, with a service catalog, the service's owners, who always sign off; without --envs it goes to every environment, in the configured order. " +
			"--envs can stop early (staging only) but can't skip an environment that comes before one it keeps. " +
			"Without --window or --at it deploys as soon as it is ready (freezes still apply). " +
			"Service names ignore case (`Payments-API` is `payments-api`); versions use letters, digits and . _ + -.",
		options: []optionHelp{
			{"--teams a,b", "only these teams sign off, besides a catalog service's owners (comma-separated, no spaces)"},
			{"--envs staging,production", "deploy only to these environments, in the configured order; stop early, never skip one"},
			{"--window NAME", "deploy when this release window next opens (see `/release windows`)"},
			{`--at "2026-12-01 14:00"`, "deploy at this time instead; not together with --window"},
			{`--notes "…"`, "free text shown with the release"},
			{`--override "reason"`, "release managers only: let --envs skip an environment that comes before one it keeps; the reason is recorded in the audit log"},
		},
		example: `create payments-api v2.4.0 --teams payments,risk --window weekly-train --notes "new checkout flow"`,
		opts: []optSpec{
			{name: "teams", example: "payments,risk"},
			{name: "envs", example: "staging,production"},
			{name: "window", example: "weekly-train"},
			{name: "at", example: "2026-12-01 14:00"},
			{name: "notes", example: "new checkout flow"},
			{name: "override", example: "staging is down (INC-7)"},
		},
	},
	{
		name:    "status",
		usage:   "status [R-n]",
		summary: "show one release, or the active ones",
		about:   "Shows a release's state, sign-offs and deployments. Without an id, shows every active release.",
		example: "status R-42",
	},
	{
		name:    "list",
		usage:   "list [--status S] [--mine] [--limit N]",
		summary: "list releases, newest first",
		about:   "Lists releases, newest first.",
		options: []optionHelp{
			{"--status S", "only releases in this state: " + strings.Join(listStatuses, ", ")},
			{"--mine", "only releases you created"},
			{"--limit N", fmt.Sprintf("at most N releases (1 to %d)", MaxLimit)},
		},
		example: "list --status deploying --limit 10",
		opts: []optSpec{
			{name: "status", example: "deploying"},
			{name: "mine", flag: true},
			{name: "limit", example: "20"},
		},
	},
	{
		name:    "approve",
		usage:   "approve R-n [--team T]",
		summary: "sign off a release for your team",
		about:   "Signs off a release for your team, as reacting ✅ on its sign-off request does. Only sign-offs from a team's leads count.",
		options: []optionHelp{
			{"--team T", "sign off for team T, when you lead more than one of the release's teams"},
		},
		example: "approve R-42 --team risk",
		opts:    []optSpec{{name: "team", example: "payments"}},
	},
	{
		name:    "reject",
		usage:   `reject R-n "reason"`,
		summary: "reject a release, with a reason",
		about:   "Rejects a release, as reacting ❌ on its sign-off request does. The reason is required and is posted in the release's thread.",
		example: `reject R-42 "breaks the refund flow"`,
	},
	{
		name:    "deploy",
		usage:   `deploy R-n [--env E] [--override "reason"]`,
		summary: "deploy a ready release now, or promote it to the next environment",
		about:   "Starts deploying a ready release now, or promotes it to the next environment when that one waits for a manual promotion.",
		options: []optionHelp{
			{"--env E", "the environment to deploy to"},
			{`--override "reason"`, "release managers only: ignore the window and any freeze for the rest of this release's deployments; the reason is recorded"},
		},
		example: "deploy R-42 --env production",
		opts: []optSpec{
			{name: "env", example: "production"},
			{name: "override", example: "hotfix for the outage"},
		},
	},
	{
		name:    "rollback",
		usage:   `rollback R-n [--env E] ["reason"]`,
		summary: "roll back to the previous successful version",
		about:   "Rolls an environment back by calling its deploy webhook with the previous successful version.",
		options: []optionHelp{
			{"--env E", "the environment to roll back"},
		},
		example: `rollback R-42 --env production "error rate doubled"`,
		opts:    []optSpec{{name: "env", example: "production"}},
	},
	{
		name:    "cancel",
		usage:   `cancel R-n ["reason"]`,
		summary: "cancel a release before its deployment starts",
		about:   "Cancels a release before its deployment starts.",
		example: `cancel R-42 "superseded by v2.4.1"`,
	},
	{
		name:    "schedule",
		usage:   "schedule R-n --window NAME | --at TIME",
		summary: "move a release to another window or time",
		about:   "Moves a release to another release window, or to a fixed time. Give exactly one of --window and --at.",
		options: []optionHelp{
			{"--window NAME", "deploy when this window next opens (see `/release windows`)"},
			{"--at TIME", "deploy at this time"},
		},
		example: `schedule R-42 --at "2026-12-03 14:00"`,
		opts: []optSpec{
			{name: "window", example: "weekly-train"},
			{name: "at", example: "2026-12-01 14:00"},
		},
	},
	{
		name:    "freeze",
		usage:   `freeze until TIME "reason"`,
		summary: "stop deployments until a time (release managers)",
		about:   "Starts an ad-hoc freeze: no release deploys until TIME, except with `deploy --override`. Release managers only; the reason is required.",
		example: `freeze until "2026-12-24 18:00" "holiday freeze"`,
	},
	{
		name:    "unfreeze",
		usage:   "unfreeze",
		summary: "end the ad-hoc freeze (release managers)",
		about:   "Ends the ad-hoc freeze. Release managers only.",
		example: "unfreeze",
	},
	{
		name:    "windows",
		usage:   "windows",
		summary: "show the next release windows and freezes",
		about:   "Shows the next release windows and freezes, in the configured time zone.",
		example: "windows",
	},
	{
		name:    "history",
		usage:   "history [SERVICE]",
		summary: "show what shipped",
		about:   "Shows what shipped, newest first: every service, or only SERVICE, with its owning teams and its production figures of the last 30 days (deployments, lead time, failure rate, time to restore).",
		example: "history payments-api",
	},
	{
		name:    "audit",
		usage:   "audit R-n",
		summary: "show who did what to a release, and when",
		about:   "Shows a release's audit log: who did what, and when.",
		example: "audit R-42",
	},
	{
		name:    "help",
		usage:   "help [COMMAND]",
		summary: "show this overview, or one command's options and an example",
		about:   "Shows every command, or one command's usage, options and an example. `--help` after any command does the same.",
		example: "help deploy",
	},
}

// lookup returns the subcommand called name (any case), or nil.
func lookup(name string) *commandInfo {
	name = strings.ToLower(name)
	for i := range commandTable {
		if commandTable[i].name == name {
			return &commandTable[i]
		}
	}
	return nil
}

func commandNames() []string {
	names := make([]string, len(commandTable))
	for i, c := range commandTable {
		names[i] = c.name
	}
	return names
}

// Usage returns the usage line of one subcommand (any case), such as
// "/release status [R-n]", or "" if there is no such subcommand.
func Usage(command string) string {
	if c := lookup(strings.TrimSpace(command)); c != nil {
		return "/release " + c.usage
	}
	return ""
}

// allUsage returns every subcommand's usage line, one per line.
func allUsage() string {
	lines := make([]string, len(commandTable))
	for i, c := range commandTable {
		lines[i] = "/release " + c.usage
	}
	return strings.Join(lines, "\n")
}

// HelpText returns help for people, as plain text with `code` spans.
// topic "" gives the overview: every subcommand with a short description,
// the id form and the time formats. A subcommand (any case) gives its
// usage, description, options and an example. Any other topic gives the
// overview, after a line saying the topic is unknown.
func HelpText(topic string) string {
	topic = strings.TrimSpace(topic)
	if topic == "" {
		return overview()
	}
	c := lookup(topic)
	if c == nil {
		line := fmt.Sprintf("There is no /release command called %s.", quote(topic))
		if s := suggest(topic, commandNames()); s != "" {
			line += fmt.Sprintf(" Did you mean `%s`?", s)
		}
		return line + "\n\n" + overview()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`/release %s`\n%s\n", c.usage, c.about)
	if len(c.options) > 0 {
		b.WriteString("\nOptions:\n")
		for _, o := range c.options {
			fmt.Fprintf(&b, "• `%s`: %s\n", o.form, o.text)
		}
	}
	if strings.Contains(c.usage, "TIME") || strings.Contains(c.usage, "--at") {
		b.WriteString("\n" + timesNote + "\n")
	}
	if strings.Contains(c.usage, "R-n") {
		b.WriteString("\nRelease ids look like `R-42` (`r-42` and `42` work too).\n")
	}
	fmt.Fprintf(&b, "\nExample: `/release %s`", c.example)
	return b.String()
}

func overview() string {
	var b strings.Builder
	b.WriteString("`/release` opens releases, collects sign-offs, deploys in release windows and rolls back.\n\n")
	for _, c := range commandTable {
		syn := c.synopsis
		if syn == "" {
			syn = c.usage
		}
		fmt.Fprintf(&b, "• `/release %s`: %s\n", syn, c.summary)
	}
	b.WriteString("\nRelease ids look like `R-42`. ")
	b.WriteString("Times (`--at`, `freeze until`) are `YYYY-MM-DD HH:MM` in the bot's configured time zone, " +
		"or RFC 3339 with an offset, like `2026-12-01T14:00:00+01:00`. ")
	b.WriteString("Quote values that contain spaces: `--notes \"new checkout flow\"`.\n")
	b.WriteString("For a command's options and an example: `/release help COMMAND`, like `/release help create`.")
	return b.String()
}
