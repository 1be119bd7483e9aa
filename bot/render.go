package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/scheduler"
)

// Action ids of the bot's buttons.
const (
	ActionApprove = "approve"
	ActionReject  = "reject"
	ActionPromote = "promote"
)

// view renders releases for people, in the configured zone.
type view struct {
	cfg    Settings // what it reads of the configuration
	policy releases.Policy
	now    func() time.Time // for "next opening"; the relay's clock
}

func newView(s Settings) view { return view{cfg: s, policy: s.Policy, now: time.Now} }

func (v view) when(t time.Time) string {
	loc := v.cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// span is a time range: "Tue 8 Dec 2026 14:00–16:00 UTC" within one day,
// else both ends in full.
func (v view) span(start, end time.Time) string {
	loc := v.cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	s, e := start.In(loc), end.In(loc)
	if s.Format("2006-01-02 MST") == e.Format("2006-01-02 MST") {
		return s.Format("Mon 2 Jan 2006 15:04") + "–" + e.Format("15:04 MST")
	}
	return v.when(start) + " – " + v.when(end)
}

// mention names a user, or a user group among a team's leads: an id as
// Slack's group mention (<!subteam^S…>, which notifies its members), a
// handle as written.
func mention(user string) string {
	switch {
	case user == releases.SystemActor || user == "":
		return "releasebot"
	case strings.HasPrefix(user, "@"):
		return escape(user)
	case releases.IsUserGroup(user):
		return "<!subteam^" + user + ">"
	}
	if releases.IsCIActor(user) {
		return escape(user) // ci:TOKEN or github:OWNER/REPO: no Slack user
	}
	return "<@" + user + ">"
}

func mentions(users []string) string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = mention(u)
	}
	return strings.Join(out, ", ")
}

// title is "R-3 · payments-api v2.4.0", as mrkdwn.
func title(r *releases.Release) string { return escape(plainTitle(r)) }

// plainTitle is the title for plain_text, which Slack shows as it is.
func plainTitle(r *releases.Release) string {
	return releases.FormatID(r.ID) + " · " + r.Summary()
}

// maxHeader is the most characters Slack takes in a header block.
const maxHeader = 150

// headerTitle is the card's header: the title, or for a train whose
// components do not fit a header, "R-9 · checkout-q3 · 20 components"
// (the card lists them below). What still does not fit is cut.
func headerTitle(r *releases.Release) string {
	t := plainTitle(r)
	if utf8.RuneCountInString(t) > maxHeader && r.IsTrain() {
		name := r.Name
		if name == "" {
			name = "train"
		}
		t = fmt.Sprintf("%s · %s · %d components", releases.FormatID(r.ID), name, len(r.Components))
	}
	if rs := []rune(t); len(rs) > maxHeader {
		t = string(rs[:maxHeader-1]) + "…"
	}
	return t
}

// fitSection keeps s within one section's limit by leaving out whole
// lines from its end, saying how many with more(n) in their place: a
// train's card lists a line per component, and twenty with their links
// may not fit.
func fitSection(s string, more func(n int) string) string {
	if utf8.RuneCountInString(s) <= maxSectionText {
		return s
	}
	lines := strings.Split(s, "\n")
	for n := 1; n < len(lines); n++ {
		kept := strings.Join(lines[:len(lines)-n], "\n") + "\n" + more(n)
		if utf8.RuneCountInString(kept) <= maxSectionText {
			return kept
		}
	}
	return string([]rune(s)[:maxSectionText-1]) + "…"
}

// escape makes what people typed (notes, versions, reasons) or deployers
// reported safe in mrkdwn: Slack reads <!channel>, <@U…> and <url|label>
// there, so a release's notes could otherwise ping a whole channel or
// disguise a link. Slack's own escaping, undone when the text was parsed,
// is put back.
func escape(s string) string { return mrkdwnEscaper.Replace(s) }

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// refusal is a sentence of the domain as mrkdwn: escaped, since it may
// quote what was typed, but with its mentions (releases.Mention) kept, so
// Slack names the people it refers to.
func refusal(s string) string {
	return escapedMention.ReplaceAllString(escape(s), "<@$1>")
}

var escapedMention = regexp.MustCompile(`&lt;@([A-Z0-9]+)&gt;`)

// Unescape undoes escape, and Slack's escaping of &, < and > in what
// people type: what they typed, as they typed it.
func Unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s // what most commands are; the replacer would copy it
	}
	return mrkdwnUnescaper.Replace(s)
}

var mrkdwnUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// linkURL makes a URL safe inside <url|label>.
func linkURL(u string) string { return strings.ReplaceAll(escape(u), "|", "%7C") }

// quoted is text as a mrkdwn block quote.
func quoted(s string) string { return "> " + strings.ReplaceAll(escape(s), "\n", "\n> ") }

var statusEmoji = map[releases.Status]string{
	releases.StatusAwaitingSignoff:   ":hourglass_flowing_sand:",
	releases.StatusReady:             ":large_green_circle:",
	releases.StatusDeploying:         ":rocket:",
	releases.StatusAwaitingPromotion: ":double_vertical_bar:",
	releases.StatusDeployed:          ":tada:",
	releases.StatusFailed:            ":fire:",
	releases.StatusRolledBack:        ":rewind:",
	releases.StatusRejected:          ":x:",
	releases.StatusCancelled:         ":no_entry_sign:",
}

// statusText says where a release stands, in a few words.
func (v view) statusText(r *releases.Release) string {
	p := &v.policy
	s := statusEmoji[r.Status] + " "
	switch r.Status {
	case releases.StatusAwaitingSignoff:
		var parts []string
		for _, m := range p.Missing(r) {
			parts = append(parts, fmt.Sprintf("%s %d of %d", m.Team, m.Have, m.Need))
		}
		return s + "waiting for sign-off: " + strings.Join(parts, ", ")
	case releases.StatusReady:
		if r.Window != "" {
			return s + "ready; " + v.windowWait(r.Window)
		}
		if !r.StartAt.IsZero() {
			return s + "ready; starts " + v.when(r.StartAt)
		}
		return s + "ready"
	case releases.StatusDeploying:
		if d, ok := r.InFlight(); ok {
			return s + "deploying to " + d.Environment
		}
		return s + "deploying"
	case releases.StatusAwaitingPromotion:
		next, _ := r.NextEnvironment()
		return s + "waiting for promotion to " + next
	case releases.StatusRejected, releases.StatusCancelled, releases.StatusRolledBack:
		text := s + strings.ReplaceAll(string(r.Status), "_", " ")
		if r.Reason != "" {
			text += ": " + escape(r.Reason)
		}
		return text
	}
	return s + string(r.Status)
}

var deploymentEmoji = map[releases.DeploymentStatus]string{
	releases.DeploymentPending:    ":clock4:",
	releases.DeploymentInProgress: ":arrows_counterclockwise:",
	releases.DeploymentSucceeded:  ":white_check_mark:",
	releases.DeploymentFailed:     ":x:",
	releases.DeploymentTimedOut:   ":hourglass:",
	releases.DeploymentRolledBack: ":rewind:",
}

// signoffLine is "✅ payments 1/1 (@alice) · ⏳ risk 0/1".
func (v view) signoffLine(r *releases.Release) string {
	p := &v.policy
	missing := p.Missing(r)
	parts := make([]string, len(r.Teams))
	for i, team := range r.Teams {
		need := 1
		if t, ok := v.cfg.Team(team); ok && t.Approvals > 0 {
			need = t.Approvals
		}
		approvers := r.Approvals(team)
		emoji := ":white_check_mark:"
		if slices.ContainsFunc(missing, func(m releases.Shortfall) bool { return m.Team == team }) {
			emoji = ":hourglass_flowing_sand:"
		}
		for _, so := range r.SignOffs {
			if so.Team == team && so.Decision == releases.Rejected {
				emoji = ":x:"
			}
		}
		parts[i] = emoji + " " + team + " " + strconv.Itoa(min(len(approvers), need)) + "/" + strconv.Itoa(need)
		if len(approvers) > 0 {
			parts[i] += " (" + mentions(approvers) + ")"
		}
	}
	return strings.Join(parts, " · ")
}

// environmentLine is "✅ staging · 🔄 production"; for a train, a line
// per component (see componentLines).
func (v view) environmentLine(r *releases.Release) string {
	if r.IsTrain() {
		return "\n" + strings.Join(v.componentLines(r), "\n")
	}
	parts := make([]string, len(r.Environments))
	for i, env := range r.Environments {
		d, ok := r.LatestDeployment(env)
		if !ok {
			parts[i] = ":white_circle: " + env
			continue
		}
		parts[i] = deploymentEmoji[d.Status] + " " + env
		if d.Type == releases.TypeRollback {
			parts[i] += " (rollback to " + escape(d.Version) + ")"
		}
		if d.URL != "" {
			label := "log"
			if p := d.Pipeline(); p != "" {
				label = escape(p)
			}
			parts[i] += " <" + linkURL(d.URL) + "|" + label + ">"
		}
	}
	return strings.Join(parts, " · ")
}

// componentLines are a train's components × environments, a line per
// component in the train's order: "• ledger v1.9.0: ✅ staging ·
// ❌ production <link|log>"; a descoped one says so, with the reason.
func (v view) componentLines(r *releases.Release) []string {
	lines := make([]string, 0, len(r.Components))
	for _, c := range r.Components {
		line := "• *" + escape(c.Service) + "* " + escape(c.Version)
		if c.Descoped {
			line += " — _descoped_"
			if c.DescopeReason != "" {
				line += ": " + escape(c.DescopeReason)
			}
		}
		parts := make([]string, len(r.Environments))
		for i, env := range r.Environments {
			d, ok := r.ComponentDeployment(env, c.Service)
			if !ok {
				parts[i] = ":white_circle: " + env
				continue
			}
			parts[i] = deploymentEmoji[d.Status] + " " + env
			if d.Type == releases.TypeRollback {
				parts[i] += " (rollback to " + escape(d.Version) + ")"
			}
			if d.URL != "" && (d.Status != releases.DeploymentSucceeded || d.Type == releases.TypeRollback) {
				label := "log"
				if p := d.Pipeline(); p != "" {
					label = escape(p)
				}
				parts[i] += " <" + linkURL(d.URL) + "|" + label + ">"
			}
		}
		lines = append(lines, line+": "+strings.Join(parts, " · "))
	}
	return lines
}

// details is the body shared by the card and the status reply.
func (v view) details(r *releases.Release) []string {
	lines := []string{"*Status:* " + v.statusText(r)}
	opened := "*Opened by* " + mention(r.CreatedBy) + " " + v.when(r.CreatedAt)
	switch {
	case r.Window != "":
		opened += " · window " + r.Window
	case !r.StartAt.IsZero():
		opened += " · starts " + v.when(r.StartAt)
	}
	lines = append(lines, opened,
		"*Sign-off:* "+v.signoffLine(r),
		"*Environments:* "+v.environmentLine(r))
	if a := artifactLine(r); a != "" {
		lines = append(lines, a)
	}
	if r.OverrideBy != "" {
		lines = append(lines, fmt.Sprintf(":warning: Override by %s: %s", mention(r.OverrideBy), escape(r.OverrideReason)))
	}
	if r.Notes != "" {
		lines = append(lines, quoted(r.Notes))
	}
	return lines
}

// artifactLine is "*Artifact:* `sha256:…` · commit `1a2b3c4` · <url|build>",
// "" when the release pins nothing: a lead sees which build they approve.
func artifactLine(r *releases.Release) string {
	var parts []string
	if r.Digest != "" {
		parts = append(parts, "`"+escape(r.Digest)+"`")
	}
	if r.Commit != "" {
		parts = append(parts, "commit `"+escape(r.Commit)+"`")
	}
	if r.BuildURL != "" {
		parts = append(parts, "<"+linkURL(r.BuildURL)+"|build>")
	}
	if len(parts) == 0 {
		return ""
	}
	return "*Artifact:* " + strings.Join(parts, " · ")
}

// card is the release's message in the channel it was opened in; it roots
// the release's thread and is kept current.
func (v view) card(r *releases.Release) Message {
	lines := v.details(r)
	text := "*" + title(r) + "*\n" + strings.Join(lines, "\n")
	blocks := []Block{
		Header(headerTitle(r)),
		Section(strings.Join(lines[:2], "\n")),
		Section(fitSection(strings.Join(lines[2:4], "\n"), func(n int) string {
			return fmt.Sprintf("_… and %d more; `/release status %s` lists every component._", n, releases.FormatID(r.ID))
		})),
	}
	if len(lines) > 4 {
		blocks = append(blocks, Context(strings.Join(lines[4:], "\n")))
	}
	if btns := v.cardButtons(r); len(btns) > 0 {
		blocks = append(blocks, Buttons("release_actions", btns...))
	}
	if r.Status == releases.StatusAwaitingPromotion {
		next, _ := r.NextEnvironment()
		text += fmt.Sprintf("\nPromote with `/release deploy %s --env %s`.", releases.FormatID(r.ID), next)
	}
	return Message{Text: text, Blocks: blocks}
}

// request is a team's sign-off request, in the team's channel.
func (v view) request(r *releases.Release, team string) Message {
	t, _ := v.cfg.Team(team)
	need := max(t.Approvals, 1)
	head := fmt.Sprintf(":raising_hand: *Sign-off needed from %s for %s*", team, title(r))
	info := fmt.Sprintf("Opened by %s. Leads: %s. %d sign-off%s needed.", mention(r.CreatedBy), mentions(t.Leads), need, plural(need))
	if r.IsTrain() {
		info += "\n" + v.trainScope(r, team)
	}
	if a := artifactLine(r); a != "" {
		info += "\n" + a + " (what you approve)"
	}
	if r.Notes != "" {
		info += "\n" + quoted(r.Notes)
	}
	var state string
	open := r.Status == releases.StatusAwaitingSignoff || r.Status == releases.StatusReady
	switch {
	case open:
		state = "React :white_check_mark: to approve, :x: to reject (or use the buttons)."
		if a := r.Approvals(team); len(a) > 0 {
			state = "Signed off by " + mentions(a) + ". " + state
		}
	case r.Status == releases.StatusRejected:
		state = "Sign-offs are closed: " + releases.FormatID(r.ID) + " was rejected."
	case r.Status == releases.StatusCancelled:
		state = "Sign-offs are closed: " + releases.FormatID(r.ID) + " was cancelled."
	default:
		state = "Sign-offs are closed: " + releases.FormatID(r.ID) + " has started deploying."
		if a := r.Approvals(team); len(a) > 0 {
			state = "Signed off by " + mentions(a) + ". " + state
		}
	}
	text := head + "\n" + info + "\n" + state
	blocks := []Block{Section(head + "\n" + info), Context(state)}
	if open {
		value := buttonValue(r.ID, team)
		blocks = append(blocks, Buttons("signoff_actions",
			Button{ActionID: ActionApprove, Value: value, Label: "Approve", Style: StylePrimary},
			Button{ActionID: ActionReject, Value: value, Label: "Reject", Style: StyleDanger}))
	}
	return Message{Text: text, Blocks: blocks}
}

// trainScope tells a team what a train holds and which of it the team
// owns: one sign-off covers the whole train.
func (v view) trainScope(r *releases.Release, team string) string {
	var yours, all []string
	for _, c := range r.Components {
		label := escape(c.Label())
		all = append(all, label)
		if sp, ok := v.policy.Services[c.Service]; ok && slices.Contains(sp.Owners, team) {
			yours = append(yours, label)
		}
	}
	text := "The train holds " + strings.Join(all, ", ") + "."
	if len(yours) > 0 {
		text = team + " owns " + strings.Join(yours, ", ") + ". " + text
	}
	return text + " One sign-off covers the whole train."
}

// buttonValue carries a release id and a team or environment: "3|payments".
func buttonValue(id int64, arg string) string { return strconv.FormatInt(id, 10) + "|" + arg }

func parseButtonValue(v string) (int64, string, bool) {
	idText, arg, ok := strings.Cut(v, "|")
	id, err := strconv.ParseInt(idText, 10, 64)
	return id, arg, ok && err == nil && id > 0
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Text is a plain message: mrkdwn s, in as many sections as it needs.
func Text(s string) Message {
	var blocks []Block
	for _, part := range sections(s) {
		blocks = append(blocks, Section(part))
	}
	return Message{Text: s, Blocks: blocks}
}

// Slack's limits on a message's blocks.
const (
	maxSectionText = 3000 // characters of a section's text
	maxBlocks      = 50   // blocks in a message
)

// sections splits s at line ends into texts that fit a section each (a
// line longer than a section is cut), at most maxBlocks of them; what does
// not fit is said to be left out.
func sections(s string) []string {
	// Most answers fit one section as they are (bytes bound characters);
	// the loop below would give back s itself, less leading line ends.
	if s != "" && s[0] != '\n' && len(s) <= maxSectionText {
		return []string{s}
	}
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if utf8.RuneCountInString(line) > maxSectionText {
			line = string([]rune(line)[:maxSectionText-1]) + "…"
		}
		if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+1+utf8.RuneCountInString(line) > maxSectionText {
			flush()
			if len(out) == maxBlocks-1 {
				out = append(out, fmt.Sprintf("_… and %d more lines; narrow it down (see `/release help`)._", len(lines)-i))
				return out
			}
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
	}
	flush()
	return out
}

// status is the reply to `/release status R-n`.
func (v view) status(r *releases.Release) Message {
	// One builder for the whole answer: the lines joined, a line per
	// deployment "• ✅ D-3 deploy of v2.4.0 to staging: message".
	details := v.details(r)
	var b strings.Builder
	b.Grow(256 + 64*len(details) + 96*len(r.Deployments))
	b.WriteString("*" + title(r) + "*")
	for _, line := range details {
		b.WriteByte('\n')
		b.WriteString(line)
	}
	var id [24]byte
	for _, d := range r.Deployments {
		b.WriteString("\n• ")
		b.WriteString(deploymentEmoji[d.Status])
		b.WriteString(" D-")
		b.Write(strconv.AppendInt(id[:0], d.ID, 10))
		b.WriteByte(' ')
		b.WriteString(string(d.Type))
		b.WriteString(" of ")
		if r.IsTrain() {
			b.WriteString(escape(d.Service))
			b.WriteByte(' ')
		}
		b.WriteString(escape(d.Version))
		b.WriteString(" to ")
		b.WriteString(d.Environment)
		if d.Message != "" {
			b.WriteString(": ")
			b.WriteString(escape(d.Message))
		}
	}
	return Text(b.String())
}

// list is one line per release, newest first.
func (v view) list(head string, rs []releases.Release, empty string) Message {
	if len(rs) == 0 {
		return Text(empty)
	}
	lines := []string{"*" + head + "*"}
	for i := range rs {
		r := &rs[i]
		lines = append(lines, fmt.Sprintf("• *%s* %s — by %s, %s", title(r), v.statusText(r), mention(r.CreatedBy), v.when(r.CreatedAt)))
	}
	return Text(strings.Join(lines, "\n"))
}

// actionWords spells an audit action id for people: "signoff_withdrawn"
// reads "sign-off withdrawn", as "sign-off" is spelled everywhere else.
func actionWords(action string) string {
	return strings.ReplaceAll(strings.ReplaceAll(action, "_", " "), "signoff", "sign-off")
}

// audit is the reply to `/release audit R-n`.
func (v view) audit(id int64, events []releases.AuditEvent) Message {
	lines := []string{"*Audit of " + releases.FormatID(id) + "*"}
	for _, e := range events {
		line := fmt.Sprintf("• %s %s %s", v.when(e.At), mention(e.Actor), actionWords(e.Action))
		if e.Detail != "" {
			line += ": " + escape(e.Detail)
		}
		lines = append(lines, line)
	}
	return Text(strings.Join(lines, "\n"))
}

// windowWait says when a ready release's window next opens: "waits for the
// window weekly-train, which opens Tue 1 Dec 2026 14:00 CET". A ready
// release whose window is open is held by a freeze; its thread says which.
func (v view) windowWait(name string) string {
	w, ok := v.cfg.Window(name)
	if !ok || w.Cron == nil {
		return "waits for the window " + name
	}
	now := v.now()
	if start := scheduler.Next(w.Cron, now.Add(-w.Duration)); !start.IsZero() && !start.After(now) {
		return "the window " + name + " is open but a freeze holds it (see the thread)"
	}
	next := scheduler.Next(w.Cron, now)
	if next.IsZero() {
		return "waits for the window " + name + ", which does not open again"
	}
	return "waits for the window " + name + ", which opens " + v.when(next)
}
