package commands

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/releasebot/releasebot/releases"
)

// Parse parses the text after "/release" (Slack's `text` field) into one of
// this package's command types. loc is the configured time zone for times
// written as "YYYY-MM-DD HH:MM" (UTC when nil).
//
// Empty text, "help", "help COMMAND" and "COMMAND --help" (or -h) give a
// Help. Subcommands ignore case; a misspelt one is an error with a
// suggestion, never a guess that runs. When the error is non-nil it is a
// *UsageError and the Command is nil.
//
// The Slack adapter should undo Slack's escaping (&amp; &lt; &gt;) before
// calling Parse.
func Parse(text string, loc *time.Location) (Command, error) {
	c, uerr := parse(text, loc)
	if uerr != nil {
		return nil, uerr
	}
	return c, nil
}

func parse(text string, loc *time.Location) (Command, *UsageError) {
	if loc == nil {
		loc = time.UTC
	}
	if len(text) > MaxTextBytes {
		return nil, usageErrorf("", "The command is too long (%d bytes; at most %d). Put long notes in the release's thread instead",
			len(text), MaxTextBytes)
	}
	if problem := checkText(text); problem != "" {
		return nil, usageErrorf("", "%s", problem)
	}
	words, problem := split(text)
	if problem != "" {
		cmd := ""
		if len(words) > 0 && lookup(words[0].text) != nil {
			cmd = strings.ToLower(words[0].text)
		}
		return nil, usageErrorf(cmd, "%s", problem)
	}
	if uerr := checkWords(text, words); uerr != nil {
		return nil, uerr
	}
	if len(words) == 0 {
		return Help{}, nil
	}
	name := strings.ToLower(words[0].text)
	if !words[0].lead && (name == "--help" || name == "-h") {
		name = "help"
	}
	info := lookup(name)
	if info == nil {
		return nil, unknownCommand(words[0].text)
	}
	rest := words[1:]
	if wantsHelp(rest) {
		return Help{Topic: name}, nil
	}
	a, uerr := scanArgs(name, rest, info.opts)
	if uerr != nil {
		return nil, uerr
	}
	switch name {
	case "create":
		return parseCreate(a, loc)
	case "status":
		return parseStatus(a)
	case "list":
		return parseList(a)
	case "approve":
		return parseApprove(a)
	case "reject":
		return parseReject(a)
	case "deploy":
		return parseDeploy(a)
	case "rollback":
		return parseRollback(a)
	case "retry":
		return parseRetry(a)
	case "descope":
		return parseDescope(a)
	case "cancel":
		return parseCancel(a)
	case "schedule":
		return parseSchedule(a, loc)
	case "freeze":
		return parseFreeze(a, loc)
	case "unfreeze":
		return noArgs(a, Unfreeze{})
	case "windows":
		return noArgs(a, Windows{})
	case "history":
		return parseHistory(a)
	case "audit":
		return parseAudit(a)
	case "help":
		return parseHelp(a)
	}
	// Unreachable while the switch covers the command table.
	return nil, unknownCommand(words[0].text)
}

// checkText rejects text that is not UTF-8 or holds control characters
// other than whitespace: such text cannot come from a keyboard, and the
// database would refuse some of it (PostgreSQL rejects NUL in text).
func checkText(text string) string {
	if !utf8.ValidString(text) {
		return "The command is not valid UTF-8 text"
	}
	for _, r := range text {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return fmt.Sprintf("The command contains the control character %U; remove it", r)
		}
	}
	return ""
}

// checkWords refuses text holding Unicode format characters (zero-width
// spaces, bidi overrides, …) anywhere, by the shared rule of
// releases.CheckText, naming the word as typed so the user can find it.
// The usage shown is the command's when words start with one.
func checkWords(text string, words []word) *UsageError {
	for _, raw := range strings.FieldsFunc(text, unicode.IsSpace) {
		if releases.CheckText("", raw) == nil {
			continue // the label is only worth making for a problem
		}
		if err := releases.CheckText("the word "+quote(raw), raw); err != nil {
			cmd := ""
			if len(words) > 0 && lookup(words[0].text) != nil {
				cmd = strings.ToLower(words[0].text)
			}
			return usageErrorf(cmd, "%s", releases.ErrorMessage(err))
		}
	}
	return nil
}

// unknownCommand refuses a word that is no subcommand. With a suggestion
// the usage is the suggested command's line alone: a typo needs the right
// word, not the whole list.
func unknownCommand(typed string) *UsageError {
	e := usageErrorf("", "Unknown command %s", quote(typed))
	if _, err := ParseID(typed); err == nil {
		e = usageErrorf("", "%s is a release id, not a command; put the command first, like /release status %s",
			quote(typed), typed)
		e.Suggestion = "status"
	} else if alias, ok := commandAliases[strings.ToLower(typed)]; ok {
		e.Suggestion = alias
	} else {
		e.Suggestion = suggest(typed, commandNames())
	}
	if u := Usage(e.Suggestion); u != "" {
		e.Usage = u
	}
	return e
}

// noArgs returns c, or an error if c's subcommand, which takes nothing,
// got words.
func noArgs(a *args, c Command) (Command, *UsageError) {
	if len(a.pos) > 0 {
		return nil, extraArgument(a, a.pos[0], "no arguments")
	}
	return c, nil
}

// id parses the release id that must be a's first positional word.
func (a *args) id() (int64, *UsageError) {
	if len(a.pos) == 0 {
		return 0, usageErrorf(a.cmd, "Which release? Give its id, like /release %s R-42", a.cmd)
	}
	n, err := ParseID(a.pos[0].text)
	if err != nil {
		return 0, usageErrorf(a.cmd, "%s", err.Error())
	}
	return n, nil
}

// reason joins the positional words from index from on with single spaces,
// so an unquoted reason of several words still reads as typed.
func (a *args) reason(from int) (string, *UsageError) {
	var parts []string
	for _, w := range a.pos[min(from, len(a.pos)):] {
		if t := strings.TrimSpace(w.text); t != "" {
			parts = append(parts, t)
		}
	}
	return checkReason(a.cmd, "reason", strings.Join(parts, " "))
}

// checkReason trims a reason and refuses one without visible text or too
// long; one of only spaces is no reason ("").
func checkReason(cmd, what, s string) (string, *UsageError) {
	s, err := releases.CleanText("the "+what, s)
	if err != nil {
		return "", usageErrorf(cmd, "%s", releases.ErrorMessage(err))
	}
	if n := utf8.RuneCountInString(s); n > maxReason {
		return "", usageErrorf(cmd, "The %s is too long (%d characters; at most %d)", what, n, maxReason)
	}
	return s, nil
}

func (a *args) timeOption(opt string, loc *time.Location) (time.Time, *UsageError) {
	t, err := ParseTime(a.get(opt), loc)
	if err != nil {
		return time.Time{}, usageErrorf(a.cmd, "--%s: %s", opt, err.Error())
	}
	return t, nil
}

// checkService checks a service name by the domain's rule
// (releases.NormalizeService); the name stays as typed, and the domain
// stores it lower-case.
func checkService(cmd, s string) *UsageError {
	if _, err := releases.NormalizeService(s); err != nil {
		return usageErrorf(cmd, "%s", releases.ErrorMessage(err))
	}
	return nil
}

// checkVersion checks a version by the domain's rule, with the parser's
// early answers for spaces and length.
func checkVersion(cmd, v string) *UsageError {
	if strings.IndexFunc(v, unicode.IsSpace) >= 0 {
		return usageErrorf(cmd, "The version %s contains a space; versions are one word, like v2.4.0", quote(v))
	}
	if v == "" || utf8.RuneCountInString(v) > maxName {
		return usageErrorf(cmd, "The version must be 1 to %d characters, like v2.4.0", maxName)
	}
	if err := releases.CheckVersion(v); err != nil {
		return usageErrorf(cmd, "%s", releases.ErrorMessage(err))
	}
	return nil
}

// trainForm reports whether a create names its services as
// SERVICE@VERSION (a train, or one service written so): neither service
// names nor versions hold "@".
func trainForm(a *args) bool { return len(a.pos) > 0 && strings.Contains(a.pos[0].text, "@") }

// parseComponents reads every positional word of a create as
// SERVICE@VERSION.
func parseComponents(a *args) ([]Component, *UsageError) {
	const example = "/release create payments-api@v2.4.0 ledger@v1.9.0"
	var out []Component
	for _, w := range a.pos {
		service, version, ok := strings.Cut(w.text, "@")
		if !ok {
			return nil, usageErrorf(a.cmd, "%s is not SERVICE@VERSION; a train names each service with its version, like %s", quote(w.text), example)
		}
		if e := checkService(a.cmd, service); e != nil {
			return nil, e
		}
		if e := checkVersion(a.cmd, version); e != nil {
			return nil, e
		}
		for _, c := range out {
			if strings.EqualFold(c.Service, service) {
				return nil, usageErrorf(a.cmd, "%s is in the train twice; give each service once", quote(service))
			}
		}
		out = append(out, Component{Service: service, Version: version})
	}
	if len(out) > releases.MaxComponents {
		return nil, usageErrorf(a.cmd, "A train holds at most %d services; this one has %d", releases.MaxComponents, len(out))
	}
	return out, nil
}

func parseCreate(a *args, loc *time.Location) (Command, *UsageError) {
	var c Create
	switch {
	case trainForm(a):
		var e *UsageError
		if c.Components, e = parseComponents(a); e != nil {
			return nil, e
		}
	case len(a.pos) == 0:
		return nil, usageErrorf(a.cmd, "Missing SERVICE and VERSION, like /release create payments-api v2.4.0")
	case len(a.pos) == 1:
		return nil, usageErrorf(a.cmd, "Missing VERSION after %s, like /release create %s v2.4.0", quote(a.pos[0].text), a.pos[0].text)
	default:
		c = Create{Service: a.pos[0].text, Version: a.pos[1].text}
		if e := checkService(a.cmd, c.Service); e != nil {
			return nil, e
		}
		if e := checkVersion(a.cmd, c.Version); e != nil {
			return nil, e
		}
		if a.has("name") {
			return nil, usageErrorf(a.cmd, "--name names a train; write its services as SERVICE@VERSION, like /release create payments-api@v2.4.0 ledger@v1.9.0 --name checkout-q3")
		}
	}
	var e *UsageError
	if a.has("name") {
		name, err := releases.CleanText("the --name", a.get("name"))
		if err != nil {
			return nil, usageErrorf(a.cmd, "%s", releases.ErrorMessage(err))
		}
		if utf8.RuneCountInString(name) > maxName {
			return nil, usageErrorf(a.cmd, "The --name is too long (%d characters; at most %d)", utf8.RuneCountInString(name), maxName)
		}
		c.TrainName = name
	}
	if a.has("teams") {
		if c.Teams, e = listOption(a.cmd, "teams", a.get("teams")); e != nil {
			return nil, e
		}
	}
	if a.has("envs") {
		if c.Envs, e = listOption(a.cmd, "envs", a.get("envs")); e != nil {
			return nil, e
		}
	}
	if a.has("window") && a.has("at") {
		return nil, usageErrorf(a.cmd, "--window and --at cannot be used together; give a window or a time, not both")
	}
	if a.has("window") {
		if c.Window, e = nameOption(a.cmd, "window", a.get("window")); e != nil {
			return nil, e
		}
	}
	if a.has("at") {
		if c.At, e = a.timeOption("at", loc); e != nil {
			return nil, e
		}
	}
	notes, err := releases.CleanText("the notes", a.get("notes"))
	if err != nil {
		return nil, usageErrorf(a.cmd, "%s", releases.ErrorMessage(err))
	}
	c.Notes = notes
	if a.has("override") {
		if c.Override, e = checkReason(a.cmd, "--override reason", a.get("override")); e != nil {
			return nil, e
		}
	}
	if len(a.pos) > 2 && c.Components == nil {
		return nil, extraArgument(a, a.pos[2], "SERVICE and VERSION only; quote values that contain spaces")
	}
	return c, nil
}

func parseRetry(a *args) (Command, *UsageError) {
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	c := Retry{ID: id}
	if a.has("service") {
		c.Service = a.get("service")
		if e := checkService(a.cmd, c.Service); e != nil {
			return nil, e
		}
	}
	if len(a.pos) > 1 {
		return nil, extraArgument(a, a.pos[1], "one release id; name a service with --service S")
	}
	return c, nil
}

func parseDescope(a *args) (Command, *UsageError) {
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	example := fmt.Sprintf(`/release descope %s payments-api "schema not ready"`, FormatID(id))
	if len(a.pos) < 2 {
		return nil, usageErrorf(a.cmd, "Which service leaves the train, and why? Like %s", example)
	}
	c := Descope{ID: id, Service: a.pos[1].text}
	if e := checkService(a.cmd, c.Service); e != nil {
		return nil, e
	}
	if c.Reason, e = a.reason(2); e != nil {
		return nil, e
	}
	if c.Reason == "" {
		return nil, usageErrorf(a.cmd, "Say why %s leaves the train, like %s", c.Service, example)
	}
	return c, nil
}

func parseStatus(a *args) (Command, *UsageError) {
	if len(a.pos) == 0 {
		return Status{}, nil
	}
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	if len(a.pos) > 1 {
		return nil, extraArgument(a, a.pos[1], "at most one release id")
	}
	return Status{ID: id}, nil
}

// statusSeparators lets "in-progress" and "in progress" name in_progress.
var statusSeparators = strings.NewReplacer("-", "_", " ", "_")

func parseList(a *args) (Command, *UsageError) {
	var l List
	if a.has("status") {
		raw := a.get("status")
		s := strings.ToLower(strings.TrimSpace(raw))
		s = statusSeparators.Replace(s)
		if !slices.Contains(listStatuses, s) {
			e := usageErrorf(a.cmd, "Unknown status %s; use one of %s", quote(raw), strings.Join(listStatuses, ", "))
			e.Suggestion = suggest(s, listStatuses)
			return nil, e
		}
		l.Status = s
	}
	l.Mine = a.has("mine")
	if a.has("limit") {
		raw := strings.TrimSpace(a.get("limit"))
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxLimit || strings.TrimLeft(raw, "0123456789") != "" {
			return nil, usageErrorf(a.cmd, "--limit must be a whole number from 1 to %d, not %s", MaxLimit, quote(raw))
		}
		l.Limit = n
	}
	if len(a.pos) > 0 {
		w := a.pos[0]
		if slices.Contains(listStatuses, strings.ToLower(w.text)) {
			e := usageErrorf(a.cmd, "Unexpected argument %s: to filter by status, write --status %s", quote(w.text), strings.ToLower(w.text))
			e.Suggestion = "--status"
			return nil, e
		}
		return nil, extraArgument(a, w, "only options")
	}
	return l, nil
}

func parseApprove(a *args) (Command, *UsageError) {
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	c := Approve{ID: id}
	if a.has("team") {
		if c.Team, e = nameOption(a.cmd, "team", a.get("team")); e != nil {
			return nil, e
		}
	}
	if len(a.pos) > 1 {
		return nil, extraArgument(a, a.pos[1], "one release id")
	}
	return c, nil
}

func parseReject(a *args) (Command, *UsageError) {
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	reason, e := a.reason(1)
	if e != nil {
		return nil, e
	}
	if reason == "" {
		return nil, usageErrorf(a.cmd, "Say why you reject %s, like /release reject %s \"breaks the refund flow\"", FormatID(id), FormatID(id))
	}
	return Reject{ID: id, Reason: reason}, nil
}

func parseDeploy(a *args) (Command, *UsageError) {
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	c := Deploy{ID: id, Yes: a.has("yes")}
	if a.has("env") {
		if c.Env, e = nameOption(a.cmd, "env", a.get("env")); e != nil {
			return nil, e
		}
	}
	if a.has("override") {
		if c.Override, e = checkReason(a.cmd, "--override reason", a.get("override")); e != nil {
			return nil, e
		}
	}
	if len(a.pos) > 1 {
		return nil, extraArgument(a, a.pos[1], "one release id; quote an --override reason that contains spaces")
	}
	return c, nil
}

func parseRollback(a *args) (Command, *UsageError) {
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	c := Rollback{ID: id, Yes: a.has("yes")}
	if a.has("env") {
		if c.Env, e = nameOption(a.cmd, "env", a.get("env")); e != nil {
			return nil, e
		}
	}
	if c.Reason, e = a.reason(1); e != nil {
		return nil, e
	}
	return c, nil
}

func parseCancel(a *args) (Command, *UsageError) {
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	reason, e := a.reason(1)
	if e != nil {
		return nil, e
	}
	return Cancel{ID: id, Reason: reason}, nil
}

func parseSchedule(a *args, loc *time.Location) (Command, *UsageError) {
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	c := Schedule{ID: id}
	switch {
	case a.has("window") && a.has("at"):
		return nil, usageErrorf(a.cmd, "--window and --at cannot be used together; give a window or a time, not both")
	case a.has("window"):
		if c.Window, e = nameOption(a.cmd, "window", a.get("window")); e != nil {
			return nil, e
		}
	case a.has("at"):
		if c.At, e = a.timeOption("at", loc); e != nil {
			return nil, e
		}
	case len(a.pos) > 1:
		return nil, usageErrorf(a.cmd, "Unexpected argument %s: name the window with --window NAME or give a time with --at TIME",
			quote(a.pos[1].text))
	default:
		return nil, usageErrorf(a.cmd, "Say when: --window NAME or --at TIME, like /release schedule %s --window weekly-train", FormatID(id))
	}
	if len(a.pos) > 1 {
		return nil, extraArgument(a, a.pos[1], "one release id")
	}
	return c, nil
}

func parseFreeze(a *args, loc *time.Location) (Command, *UsageError) {
	const example = `/release freeze until "2026-12-24 18:00" "holiday freeze"`
	if len(a.pos) == 0 {
		return nil, usageErrorf(a.cmd, "Say until when and why, like %s", example)
	}
	if !strings.EqualFold(a.pos[0].text, "until") {
		return nil, usageErrorf(a.cmd, "Write the word until before the time, like %s", example)
	}
	if len(a.pos) == 1 {
		return nil, usageErrorf(a.cmd, "Missing the time after until, like %s", example)
	}
	raw, next := a.pos[1].text, 2
	// An unquoted "2026-12-24 18:00" arrives as two words; join them.
	if dateOnly.MatchString(raw) && len(a.pos) > 2 && !a.pos[2].quoted && clock.MatchString(a.pos[2].text) {
		raw += " " + a.pos[2].text
		next = 3
	}
	until, err := ParseTime(raw, loc)
	if err != nil {
		return nil, usageErrorf(a.cmd, "%s", err.Error())
	}
	reason, e := a.reason(next)
	if e != nil {
		return nil, e
	}
	if reason == "" {
		return nil, usageErrorf(a.cmd, "Say why you freeze deployments, like %s", example)
	}
	return Freeze{Until: until, Reason: reason}, nil
}

func parseHistory(a *args) (Command, *UsageError) {
	if len(a.pos) == 0 {
		return History{}, nil
	}
	if e := checkService(a.cmd, a.pos[0].text); e != nil {
		return nil, e
	}
	if len(a.pos) > 1 {
		return nil, extraArgument(a, a.pos[1], "at most one service")
	}
	return History{Service: a.pos[0].text}, nil
}

func parseAudit(a *args) (Command, *UsageError) {
	id, e := a.id()
	if e != nil {
		return nil, e
	}
	if len(a.pos) > 1 {
		return nil, extraArgument(a, a.pos[1], "one release id")
	}
	return Audit{ID: id}, nil
}

func parseHelp(a *args) (Command, *UsageError) {
	if len(a.pos) == 0 {
		return Help{}, nil
	}
	if len(a.pos) > 1 {
		return nil, extraArgument(a, a.pos[1], "at most one command name")
	}
	topic := strings.TrimSpace(a.pos[0].text)
	if lookup(topic) != nil {
		topic = strings.ToLower(topic)
	}
	return Help{Topic: topic}, nil
}
