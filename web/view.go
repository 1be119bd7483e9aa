package web

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// What the dashboard says about a release, computed from the domain types:
// each team's sign-off state, the next step, and the timeline. Templates
// only lay these out.

// releaseView is a release as the list and the release page show it.
type releaseView struct {
	ID       string
	URL      string // /releases/R-42
	Service  string
	Version  string
	Status   string
	Window   string
	StartAt  timeView
	Created  timeView
	Updated  timeView
	Creator  string
	Teams    []teamView
	NextStep string
	Envs     []envView
	// A train's name ("" when none was given), and its matrix; Train is
	// false and Components empty for a one-service release.
	Name       string
	Train      bool
	Components []componentView
}

// teamView is one team's sign-off state.
type teamView struct {
	Team    string
	State   string // "approved", "pending", "rejected", or "skipped" (ended without it)
	Have    int
	Need    int    // 0 when no policy says
	Who     string // who signed, for the title attribute
	Signers []signerView
	// Owed names the leads who can still give a pending team's sign-off
	// (not those who signed, nor the creator under four eyes).
	Owed []string
}

type signerView struct {
	Name     string
	Decision string
	At       timeView
}

// envView is one environment's progress: the status of its latest
// deployment, "" when none started.
type envView struct {
	Name   string
	Status string
}

func (s *Server) releaseView(ctx context.Context, r *releases.Release) releaseView {
	id := releases.FormatID(r.ID)
	v := releaseView{
		ID: id, URL: "/releases/" + id, Service: r.Service, Version: r.Version, Status: string(r.Status),
		Window: r.Window, StartAt: s.timeView(r.StartAt), Created: s.timeView(r.CreatedAt),
		Updated: s.timeView(r.UpdatedAt), Creator: s.userName(r.CreatedBy),
		Teams: s.teamViews(r), NextStep: s.nextStep(ctx, r),
	}
	if r.IsTrain() {
		v.Train, v.Name, v.Components = true, r.Name, componentViews(r)
	}
	for _, e := range r.Environments {
		ev := envView{Name: e}
		if v.Train {
			ev.Status = trainEnvStatus(r, e)
		} else if d, ok := r.LatestDeployment(e); ok {
			ev.Status = string(d.Status)
			if d.Type == releases.TypeRollback && d.Status == releases.DeploymentSucceeded {
				ev.Status = string(releases.DeploymentRolledBack)
			}
		}
		v.Envs = append(v.Envs, ev)
	}
	return v
}

// teamViews tells, for each of r's teams, whether it approved, rejected or
// still owes sign-offs. With a policy, only sign-offs that count (by leads,
// four-eyes) are counted, as the coordinator counts them.
func (s *Server) teamViews(r *releases.Release) []teamView {
	short := map[string]releases.Shortfall{}
	if s.policy != nil {
		for _, sf := range s.policy.Missing(r) {
			short[sf.Team] = sf
		}
	}
	out := make([]teamView, 0, len(r.Teams))
	for _, team := range r.Teams {
		tv := teamView{Team: team}
		var who []string
		for _, so := range r.SignOffs {
			if so.Team != team {
				continue
			}
			who = append(who, fmt.Sprintf("%s %s", s.userName(so.User), so.Decision))
			tv.Signers = append(tv.Signers, signerView{Name: s.userName(so.User), Decision: string(so.Decision), At: s.timeView(so.At)})
			if so.Decision == releases.Rejected {
				tv.State = "rejected"
			}
		}
		tv.Who = strings.Join(who, ", ")
		approvals := len(r.Approvals(team))
		switch sf, missing := short[team]; {
		case tv.State == "rejected":
		case missing:
			tv.State, tv.Have, tv.Need = "pending", sf.Have, sf.Need
		case s.policy != nil:
			tv.State, tv.Need = "approved", s.need(team)
			tv.Have = max(approvals, tv.Need)
		case approvals > 0:
			tv.State, tv.Have = "approved", approvals
		default:
			tv.State = "pending"
		}
		if tv.State == "pending" && !r.Status.Active() {
			tv.State = "skipped" // cancelled or rejected: nobody owes it any more
		}
		if tv.State == "pending" {
			tv.Owed = s.owed(r, team)
		}
		out = append(out, tv)
	}
	return out
}

// owed returns the names of team's leads who may still sign r off.
func (s *Server) owed(r *releases.Release, team string) []string {
	if s.policy == nil {
		return nil
	}
	var out []string
	for _, t := range s.policy.Teams {
		if t.Name != team {
			continue
		}
		for _, lead := range t.Leads {
			if lead == r.CreatedBy && s.policy.RequireDistinctApprover {
				continue
			}
			signed := false
			for _, so := range r.SignOffs {
				signed = signed || (so.Team == team && so.User == lead)
			}
			if !signed {
				out = append(out, s.userName(lead))
			}
		}
	}
	return out
}

func (s *Server) need(team string) int {
	for _, t := range s.policy.Teams {
		if t.Name == team && t.Approvals > 0 {
			return t.Approvals
		}
	}
	return 1
}

// nextStep says in one sentence what r waits for, or how it ended.
func (s *Server) nextStep(ctx context.Context, r *releases.Release) string {
	id := releases.FormatID(r.ID)
	switch r.Status {
	case releases.StatusAwaitingSignoff:
		if s.policy == nil {
			return "Waits for sign-off from " + strings.Join(r.Teams, ", ") + "."
		}
		var parts []string
		for _, sf := range s.policy.Missing(r) {
			parts = append(parts, fmt.Sprintf("%s (%d of %d)", sf.Team, sf.Have, sf.Need))
		}
		if len(parts) == 0 {
			return "Waits for sign-off."
		}
		return "Waits for sign-off from " + strings.Join(parts, ", ") + "."
	case releases.StatusReady:
		return "Ready; " + s.gateReason(ctx, r) + "."
	case releases.StatusDeploying:
		d, ok := r.InFlight()
		if !ok {
			return "Deploying."
		}
		if d.Type == releases.TypeRollback {
			return fmt.Sprintf("Rolling back %s to %s (%s, %s).", d.Environment, d.Version,
				releases.FormatDeploymentID(d.ID), statusWords(string(d.Status)))
		}
		return fmt.Sprintf("Deploying %s to %s (%s, %s).", deployedWhat(r, d), d.Environment,
			releases.FormatDeploymentID(d.ID), statusWords(string(d.Status)))
	case releases.StatusAwaitingPromotion:
		next, _ := r.NextEnvironment()
		return fmt.Sprintf("Waits for promotion to %s: /release deploy %s --env %s.", next, id, next)
	case releases.StatusDeployed:
		return "Deployed to " + joinAnd(r.Environments) + "."
	case releases.StatusFailed:
		return failedStep(r)
	case releases.StatusRolledBack:
		if envs := rolledBackIn(r); len(envs) > 0 {
			return withReason("Rolled back on "+joinAnd(envs), r.Reason)
		}
		return withReason("Rolled back", r.Reason)
	case releases.StatusRejected:
		return withReason("Rejected", r.Reason)
	case releases.StatusCancelled:
		return withReason("Cancelled", r.Reason)
	}
	return statusWords(string(r.Status)) + "."
}

// Finished tells a release that has run its course, whose "Next step" is
// its outcome, from one that still has one.
func (v releaseView) Finished() bool {
	switch releases.Status(v.Status) {
	case releases.StatusDeployed, releases.StatusRolledBack, releases.StatusRejected, releases.StatusCancelled:
		return true
	}
	return false
}

// failedStep is a failed release's outcome so far, "Failed in production:
// the deployer's message.", and what can follow: the card's Retry and
// Roll back, as commands.
func failedStep(r *releases.Release) string {
	id := releases.FormatID(r.ID)
	var out string
	for i := len(r.Deployments) - 1; i >= 0; i-- {
		d := r.Deployments[i]
		if d.Status != releases.DeploymentFailed && d.Status != releases.DeploymentTimedOut {
			continue
		}
		what := strings.TrimRight(strings.TrimSpace(d.Message), ".")
		if what == "" {
			what = fmt.Sprintf("%s of %s %s", d.Type, d.Version, statusWords(string(d.Status)))
		}
		where := d.Environment
		if r.IsTrain() {
			where += " (" + d.Service + " " + d.Version + ")"
		}
		out = "Failed in " + where + ": " + what + "."
		if d.Type == releases.TypeRollback {
			out = "Rollback failed in " + where + ": " + what + "."
		}
		break
	}
	if out == "" {
		out = "Failed."
	}
	var next []string
	env, _ := r.Retryable()
	failing := failedDeployment(r)
	switch {
	case r.IsTrain() && env != "" && failing != nil:
		next = append(next, "retry with /release retry "+id+" --service "+failing.Service,
			"roll "+env+" back with /release rollback "+id+" --env "+env,
			"descope "+failing.Service+" with /release descope "+id+" "+failing.Service+` "reason"`)
	case env != "":
		next = append(next, "retry with /release retry "+id)
	}
	if len(next) == 0 || !r.IsTrain() {
		if len(r.RollbackEnvironments()) > 0 {
			next = append(next, "roll back with /release rollback "+id)
		}
	}
	if len(next) == 0 {
		return out + " Ship a fix as a new release."
	}
	return out + " Next: " + strings.Join(next, ", or ") + "."
}

// failedDeployment is r's latest failed or timed-out forward deployment;
// nil when there is none.
func failedDeployment(r *releases.Release) *releases.Deployment {
	for i := len(r.Deployments) - 1; i >= 0; i-- {
		d := &r.Deployments[i]
		if d.Type == releases.TypeDeployment && (d.Status == releases.DeploymentFailed || d.Status == releases.DeploymentTimedOut) {
			return d
		}
	}
	return nil
}

// rolledBackIn names the environments where a rollback of r succeeded, in
// r's order.
func rolledBackIn(r *releases.Release) []string {
	var out []string
	for _, e := range r.Environments {
		for _, d := range r.Deployments {
			if d.Environment == e && d.Type == releases.TypeRollback && d.Status == releases.DeploymentSucceeded {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// joinAnd is "staging", "staging and production", "a, b and c".
func joinAnd(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// gateReason asks the calendar why a ready release waits, without the
// release id the reason is written to follow.
func (s *Server) gateReason(ctx context.Context, r *releases.Release) string {
	if r.OverrideBy != "" {
		return "starts now (override by " + s.userName(r.OverrideBy) + ")"
	}
	if s.cal != nil {
		w, err := s.cal.Check(ctx, s.freezes, r, s.now())
		switch {
		case err != nil:
			LoggerFrom(ctx, s.log).WarnContext(ctx, "dashboard: window check failed", "release", releases.FormatID(r.ID), "err", err)
		case w.Open:
			return "starts deploying now"
		default:
			return w.Reason
		}
	}
	switch {
	case !r.StartAt.IsZero():
		return "is scheduled for " + s.timeView(r.StartAt).Local
	case r.Window != "":
		return "waits for the window " + r.Window
	}
	return "starts deploying now"
}

func withReason(what, reason string) string {
	if reason == "" {
		return what + "."
	}
	return what + ": " + reason
}

// statusWords spells a status for people: "awaiting_signoff" reads
// "awaiting sign-off", as "sign-off" is spelled everywhere else.
func statusWords(st string) string {
	return strings.ReplaceAll(strings.ReplaceAll(st, "_", " "), "signoff", "sign-off")
}

// timelineItem is one step in a release's story.
type timelineItem struct {
	At     timeView
	at     time.Time
	Kind   string // a CSS class: created, signoff, rejected, wait, deploy, rollback, done, failed, cancelled, info
	Title  string
	Actor  string
	Detail string
	Deploy *deploymentView
}

// deploymentView is one deployment or rollback with its result.
type deploymentView struct {
	ID       string
	Type     string
	Env      string
	Status   string
	Version  string
	Previous string
	Attempts int
	Message  string
	URL      string
	Pipeline string // which pipeline ran it, for the link: "GitHub Actions run 30433642"
	Started  timeView
	Finished timeView
	Took     string
}

func (s *Server) deploymentView(d releases.Deployment) *deploymentView {
	v := &deploymentView{
		ID: releases.FormatDeploymentID(d.ID), Type: string(d.Type), Env: d.Environment, Status: string(d.Status),
		Version: d.Version, Previous: d.PreviousVersion, Attempts: d.Attempts, Message: d.Message, URL: d.URL,
		Pipeline: d.Pipeline(), Started: s.timeView(d.CreatedAt), Finished: s.timeView(d.FinishedAt),
	}
	if !d.FinishedAt.IsZero() {
		v.Took = humanDuration(d.FinishedAt.Sub(d.CreatedAt))
	}
	return v
}

// timelineActions say how each audit action appears in the timeline.
// Deployment starts and status reports are left out: each deployment
// appears once, as a card with its result, where it started.
var timelineActions = map[string]struct{ kind, title string }{
	releases.ActionCreated:           {"created", "Created"},
	releases.ActionSignedOff:         {"signoff", "Signed off"},
	releases.ActionWithdrawn:         {"info", "Sign-off withdrawn"},
	releases.ActionRejected:          {"rejected", "Rejected"},
	releases.ActionReady:             {"signoff", "Ready"},
	releases.ActionUnready:           {"info", "Back to awaiting sign-off"},
	releases.ActionScheduled:         {"info", "Rescheduled"},
	releases.ActionWaiting:           {"wait", "Waiting"},
	releases.ActionOverride:          {"override", "Override"},
	releases.ActionDeploymentQueued:  {"wait", "Queued"},
	releases.ActionAwaitingPromotion: {"wait", "Awaiting promotion"},
	releases.ActionDeployed:          {"done", "Deployed"},
	releases.ActionFailed:            {"failed", "Failed"},
	releases.ActionRolledBack:        {"rollback", "Rolled back"},
	releases.ActionCancelled:         {"cancelled", "Cancelled"},
}

// timeline merges the audit trail with the deployments: each deployment
// card takes the place of the event that started it ("D-3: …"), and one
// whose start event is missing goes where its creation time puts it.
func (s *Server) timeline(r *releases.Release, events []releases.AuditEvent) []timelineItem {
	deployments := map[string]releases.Deployment{}
	for _, d := range r.Deployments {
		deployments[releases.FormatDeploymentID(d.ID)] = d
	}
	placed := map[string]bool{}
	var out []timelineItem
	for _, e := range events {
		switch e.Action {
		case releases.ActionDeploymentStarted, releases.ActionRollbackStarted:
			ref, _, _ := strings.Cut(e.Detail, ":")
			if d, ok := deployments[ref]; ok && !placed[ref] {
				placed[ref] = true
				out = append(out, s.deploymentItem(r, d, e.Actor, e.At))
			}
			continue
		case releases.ActionDeploymentStatus:
			continue
		}
		look, known := timelineActions[e.Action]
		if !known {
			look.kind, look.title = "info", statusWords(e.Action)
		}
		title := look.title
		if e.Action == releases.ActionCreated {
			title = "Created " + r.Summary()
		}
		out = append(out, timelineItem{At: s.timeView(e.At), at: e.At, Kind: look.kind, Title: title,
			Actor: s.userName(e.Actor), Detail: e.Detail})
	}
	for _, d := range r.Deployments {
		if ref := releases.FormatDeploymentID(d.ID); !placed[ref] {
			out = append(out, s.deploymentItem(r, d, d.RequestedBy, d.CreatedAt))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// deploymentItem is d's card in r's timeline. In a train's, each card
// names its component's service, since the train's deployments interleave.
func (s *Server) deploymentItem(r *releases.Release, d releases.Deployment, actor string, at time.Time) timelineItem {
	what := d.Version
	if r.IsTrain() {
		what = d.Service + " " + d.Version
	}
	kind, title := "deploy", fmt.Sprintf("Deployment %s: %s to %s", releases.FormatDeploymentID(d.ID), what, d.Environment)
	if d.Type == releases.TypeRollback {
		where := d.Environment
		if r.IsTrain() {
			where = d.Service + " on " + d.Environment
		}
		kind, title = "rollback", fmt.Sprintf("Rollback %s: %s back to %s", releases.FormatDeploymentID(d.ID), where, d.Version)
	}
	switch d.Status {
	case releases.DeploymentFailed, releases.DeploymentTimedOut:
		kind = "failed"
	}
	return timelineItem{At: s.timeView(at), at: at, Kind: kind, Title: title, Actor: s.userName(actor), Deploy: s.deploymentView(d)}
}

// humanDuration renders d for people: "45 s", "3 min", "2 h 5 min", "3 days".
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// relative says when t is from now: "in 3 h 5 min", "2 days ago", "now".
func relative(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d > -time.Minute && d < time.Minute:
		return "now"
	case d > 0:
		return "in " + humanDuration(d)
	}
	return humanDuration(-d) + " ago"
}
