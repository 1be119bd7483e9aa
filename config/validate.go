package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// The checks below return "" when a value is fine, or a sentence saying
// what is wrong and what is allowed. They never quote secrets or URLs
// (URLs often carry tokens).

var (
	namePattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	userIDPattern    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	channelNameRE    = regexp.MustCompile(`^#?[a-z0-9][a-z0-9_-]{0,79}$`)
	groupIDPattern   = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	groupHandleRE    = regexp.MustCompile(`^@[a-z0-9][a-z0-9._-]{0,79}$`)
)

const maxNameLen = 64

// checkName checks a team, environment, window, freeze or summary name.
// Names appear in commands (`--teams a,b`, `--env production`), so they
// are kept to characters that need no quoting.
func checkName(s string) string {
	if len(s) > maxNameLen {
		return fmt.Sprintf("name %q is longer than %d characters", s, maxNameLen)
	}
	if !namePattern.MatchString(s) {
		return fmt.Sprintf("%q is not a valid name: use lowercase letters, digits, '-', '_' and '.', starting with a letter or digit", s)
	}
	return ""
}

func isUserID(s string) bool { return userIDPattern.MatchString(s) }

// checkUserID checks a Slack user id; users (display name -> id) lets it
// point out a name written where an id belongs.
func checkUserID(s string, users map[string]string) string {
	if isUserID(s) {
		return ""
	}
	if id, ok := users[s]; ok {
		return fmt.Sprintf("%q is a name; write its Slack user id %s (from users:)", s, id)
	}
	return fmt.Sprintf("%q is not a Slack user id (U… or W… followed by capital letters and digits, e.g. U024BE7LH)", s)
}

// checkLead checks a team lead: a Slack user id, or a user group as
// "@handle" or S… id.
func checkLead(s string, users map[string]string) string {
	switch {
	case isUserID(s), groupIDPattern.MatchString(s), groupHandleRE.MatchString(s):
		return ""
	case strings.HasPrefix(s, "@"):
		return fmt.Sprintf("%q is not a user group handle (@ then lowercase letters, digits, '.', '-' and '_', e.g. \"@payments-leads\")", s)
	}
	if id, ok := users[s]; ok {
		return fmt.Sprintf("%q is a name; write its Slack user id %s (from users:)", s, id)
	}
	if namePattern.MatchString(s) {
		return fmt.Sprintf("%q is not a Slack user id; for the user group with that handle write \"@%s\" (quoted)", s, s)
	}
	return fmt.Sprintf("%q is neither a Slack user id (U… or W…, e.g. U024BE7LH) nor a user group (\"@handle\" or S… id, e.g. S0PAYLEADS)", s)
}

// checkChannel checks a Slack channel id (C0PAY) or channel name.
func checkChannel(s string) string {
	if channelIDPattern.MatchString(s) || channelNameRE.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("%q is neither a Slack channel id (C… e.g. C0PAY) nor a channel name (lowercase letters, digits, '-' and '_')", s)
}

func isLogURL(s string) bool { return strings.HasPrefix(s, "log:") }

// checkURL checks a deploy URL without quoting it.
func checkURL(s string) string {
	if isLogURL(s) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "must start with https://, http:// or log:"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("scheme %q is not supported; use https://, http:// or log:", u.Scheme)
	}
	if u.Host == "" {
		return "has no host; write it as https://host/path"
	}
	return ""
}

// checkTimezone loads a zone by IANA name.
func checkTimezone(s string) (*time.Location, string) {
	switch s {
	case "":
		return nil, "is empty; leave the key out for UTC"
	case "Local":
		return nil, `"Local" depends on the server; name a zone such as Europe/Berlin or UTC`
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Sprintf("unknown time zone %q; use an IANA name such as Europe/Berlin, America/New_York or UTC", s)
	}
	return loc, ""
}

// parseSchedule parses a 5-field cron schedule (or a descriptor such as
// @daily) in loc, unless it starts with its own CRON_TZ= or TZ= prefix.
// It guards against inputs on which cron v3.0.1 panics or loops forever.
func parseSchedule(spec string, loc *time.Location) (sched cron.Schedule, err error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, fmt.Errorf("is empty; write 5 fields: minute hour day-of-month month day-of-week")
	}
	rest, own := s, strings.HasPrefix(s, "CRON_TZ=") || strings.HasPrefix(s, "TZ=")
	if own {
		i := strings.Index(s, " ")
		if i < 0 { // cron slices up to the space and would panic
			return nil, fmt.Errorf("%q: CRON_TZ=ZONE must be followed by a space and 5 fields", spec)
		}
		rest = strings.TrimSpace(s[i:])
	}
	if strings.HasPrefix(rest, "@every") {
		return nil, fmt.Errorf("%q: @every is not supported; windows and summaries need clock times, e.g. \"0 14 * * TUE\"", spec)
	}
	for _, field := range strings.Fields(rest) {
		for _, part := range strings.Split(field, ",") {
			if _, step, ok := strings.Cut(part, "/"); ok {
				if n, err := strconv.Atoi(step); err == nil && n == 0 { // cron loops forever on a zero step
					return nil, fmt.Errorf("%q: a step of /0 is not allowed", spec)
				}
			}
		}
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("%q is not a valid cron schedule", spec)
		}
	}()
	sched, err = cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid cron schedule: %v; write 5 fields: minute hour day-of-month month day-of-week", spec, err)
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok && !own {
		ss.Location = loc // cron would otherwise use the server's zone
	}
	return sched, nil
}

// Layouts accepted for freeze times: RFC 3339, or a wall time in the
// configured zone as in `/release freeze until`.
var localLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"}

// parseTime reads an RFC 3339 time, or a local time in loc.
func parseTime(s string, loc *time.Location) (time.Time, string) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), ""
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, ""
		}
	}
	return time.Time{}, fmt.Sprintf("%q is not a time: use RFC 3339 (2026-12-20T00:00:00+01:00) or YYYY-MM-DD HH:MM in the configured timezone", s)
}
