package commands

import (
	"fmt"
	"regexp"
	"strings"
)

// optSpec declares one option a subcommand accepts.
type optSpec struct {
	name    string // without dashes: "env"
	flag    bool   // true: boolean, takes no value (--mine)
	example string // a value for "needs a value" messages: "production"
}

// args are a subcommand's words, sorted into options and positionals.
type args struct {
	cmd  string
	pos  []word
	vals map[string]string // option name → value ("true" for flags)
}

func (a *args) has(name string) bool { _, ok := a.vals[name]; return ok }

func (a *args) get(name string) string { return a.vals[name] }

var (
	dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	clock    = regexp.MustCompile(`^\d{1,2}:\d{2}$`)
)

// isOption reports whether w is written as an option: unquoted at its start
// and beginning with "--", or with "-" and a letter ("-h", "-env").
func isOption(w word) bool {
	if w.lead || len(w.text) < 2 || w.text[0] != '-' {
		return false
	}
	c := w.text[1]
	return c == '-' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// wantsHelp reports whether words ask for help (--help or -h) before any
// "--" that ends the options.
func wantsHelp(words []word) bool {
	for _, w := range words {
		if !isOption(w) {
			continue
		}
		switch strings.ToLower(w.text) {
		case "--":
			return false
		case "--help", "-h":
			return true
		}
	}
	return false
}

// scanArgs sorts words into options (from specs) and positionals. Options
// are "--name value" or "--name=value", names ignore case, and a bare "--"
// makes every later word positional. Unknown, repeated and value-less
// options are errors.
func scanArgs(cmd string, words []word, specs []optSpec) (*args, *UsageError) {
	a := &args{cmd: cmd, vals: map[string]string{}}
	afterOpt := "" // the option whose value the previous word was
	endOfOptions := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		if endOfOptions || !isOption(w) {
			w.afterOpt = afterOpt
			a.pos = append(a.pos, w)
			continue
		}
		afterOpt = ""
		if w.text == "--" {
			endOfOptions = true
			continue
		}
		written, val, hasVal := strings.Cut(w.text, "=")
		name := strings.ToLower(strings.TrimLeft(written, "-"))
		spec, known := findOpt(specs, name)
		if !known || !strings.HasPrefix(written, "--") || strings.HasPrefix(written, "---") {
			return nil, unknownOption(cmd, written, name, known, specs)
		}
		if a.has(spec.name) {
			return nil, usageErrorf(cmd, "The option --%s is given twice; give it once", spec.name)
		}
		if spec.flag {
			if hasVal {
				return nil, usageErrorf(cmd, "The option --%s takes no value; write just --%s", spec.name, spec.name)
			}
			a.vals[spec.name] = "true"
			continue
		}
		if !hasVal {
			if i+1 >= len(words) || isOption(words[i+1]) {
				return nil, needsValue(cmd, spec)
			}
			i++
			val = words[i].text
		}
		if strings.TrimSpace(val) == "" {
			return nil, needsValue(cmd, spec)
		}
		// --at 2026-12-01 14:00, unquoted, is two words; join them.
		if spec.name == "at" && dateOnly.MatchString(val) && i+1 < len(words) &&
			!words[i+1].quoted && clock.MatchString(words[i+1].text) {
			i++
			val += " " + words[i].text
		}
		a.vals[spec.name] = val
		afterOpt = spec.name
	}
	return a, nil
}

func findOpt(specs []optSpec, name string) (optSpec, bool) {
	for _, s := range specs {
		if s.name == name {
			return s, true
		}
	}
	return optSpec{}, false
}

func needsValue(cmd string, spec optSpec) *UsageError {
	v := spec.example
	if strings.Contains(v, " ") {
		v = `"` + v + `"`
	}
	return usageErrorf(cmd, "The option --%s needs a value, like --%s %s", spec.name, spec.name, v)
}

// unknownOption explains an option the subcommand does not take, suggesting
// the closest one it does take.
func unknownOption(cmd, written, name string, known bool, specs []optSpec) *UsageError {
	shown := quote(written)
	if known {
		// Right name, wrong number of dashes: -env or ---env.
		e := usageErrorf(cmd, "The option %s needs two dashes", shown)
		e.Suggestion = "--" + name
		return e
	}
	if len(specs) == 0 {
		return usageErrorf(cmd, "Unknown option %s: /release %s takes no options", shown, cmd)
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	e := usageErrorf(cmd, "Unknown option %s for /release %s", shown, cmd)
	if s := suggest(name, names); s != "" {
		e.Suggestion = "--" + s
	}
	return e
}

// extraArgument explains a positional word the subcommand has no place
// for. When the word follows an option's value, the likely cause is an
// unquoted value with spaces, so it shows the quoted form.
func extraArgument(a *args, w word, what string) *UsageError {
	if w.afterOpt != "" {
		joined := a.get(w.afterOpt)
		for _, p := range a.pos {
			if p.afterOpt == w.afterOpt {
				joined += " " + p.text
			}
		}
		return usageErrorf(a.cmd, "Unexpected argument %s. If it belongs to --%s, quote the value: --%s %s",
			quote(w.text), w.afterOpt, w.afterOpt, quote(joined))
	}
	return usageErrorf(a.cmd, "Unexpected argument %s: /release %s takes %s", quote(w.text), a.cmd, what)
}

// listOption splits a comma-separated option value such as --teams a,b:
// items are trimmed, and empty or repeated items are errors.
func listOption(cmd, opt, value string) ([]string, *UsageError) {
	var items []string
	seen := map[string]bool{}
	for _, raw := range strings.Split(value, ",") {
		item := strings.TrimSpace(raw)
		if item == "" {
			return nil, usageErrorf(cmd, "The list %s for --%s has an empty item; separate names with single commas, like --%s %s",
				quote(value), opt, opt, optExample(opt))
		}
		if err := checkName(item); err != "" {
			return nil, usageErrorf(cmd, "The --%s item %s %s", opt, quote(item), err)
		}
		key := strings.ToLower(item)
		if seen[key] {
			return nil, usageErrorf(cmd, "%s appears twice in --%s; name it once", quote(item), opt)
		}
		seen[key] = true
		items = append(items, item)
	}
	return items, nil
}

func optExample(opt string) string {
	if opt == "teams" {
		return "payments,risk"
	}
	return "staging,production"
}

// nameOption checks a single team, environment or window name.
func nameOption(cmd, opt, value string) (string, *UsageError) {
	value = strings.TrimSpace(value)
	if strings.Contains(value, ",") {
		return "", usageErrorf(cmd, "--%s takes a single name, not the list %s", opt, quote(value))
	}
	if err := checkName(value); err != "" {
		return "", usageErrorf(cmd, "The --%s value %s %s", opt, quote(value), err)
	}
	return value, nil
}

// checkName checks the form of a configured name (team, environment,
// window); whether it exists is the caller's business. It returns "" or the
// end of a sentence saying what is wrong.
func checkName(s string) string {
	if n := len([]rune(s)); n > maxName {
		return fmt.Sprintf("is too long (%d characters; at most %d)", n, maxName)
	}
	return ""
}
