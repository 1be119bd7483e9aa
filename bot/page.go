package bot

import (
	"fmt"
	"strings"

	"github.com/releasebot/releasebot/releases"
)

// pageLines is how many releases a listing answer shows; the rest are
// counted, with the command that narrows them down.
const pageLines = 20

// page is one line per release of p, newest first, then how many more
// match and how to see them (more, a sentence part naming a command).
func (v view) page(head string, p releases.Page, empty, more string) Message {
	m := v.list(head, p.Releases, empty)
	if n := p.More(); n > 0 {
		m = Text(m.Text + "\n" + fmt.Sprintf("_… and %d more: %s._", n, more))
	}
	return m
}

// activeMore says how to see the active releases a status answer leaves out.
func activeMore() string {
	names := make([]string, len(releases.ActiveStatuses))
	for i, st := range releases.ActiveStatuses {
		names[i] = string(st)
	}
	return "`/release list --status STATUS --limit " + fmt.Sprint(releases.MaxLimit) + "` with " +
		strings.Join(names, ", ") + ", or `/release list --mine`"
}

// listMore says how to see the releases a list answer leaves out.
func listMore(f releases.Filter) string {
	if f.Limit >= releases.MaxLimit {
		return "narrow it down with `--status` or `--mine`, or see the dashboard"
	}
	cmd := "/release list"
	if len(f.Statuses) == 1 {
		cmd += " --status " + string(f.Statuses[0])
	}
	if f.CreatedBy != "" {
		cmd += " --mine"
	}
	return fmt.Sprintf("`%s --limit %d`", cmd, releases.MaxLimit)
}

// historyMore says how to see the releases a history answer leaves out.
func historyMore(service string) string {
	if service == "" {
		return "`/release history SERVICE` for one service, or see the dashboard"
	}
	return "see the dashboard"
}
