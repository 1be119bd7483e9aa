package web

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// The evidence pack (README "Evidence pack"): one release's story as an
// auditor or a change-advisory board reads it. Everything in it is
// computed from what the store holds, at export time; the checks are
// worked out from the data, not copied from what the bot enforced, so a
// release signed off while a rule was off shows that rule failed.

// evidenceJSON is the body of GET /api/releases/:id/evidence.
type evidenceJSON struct {
	Release     string                 `json:"release"` // "R-42"
	Summary     string                 `json:"summary"` // "payments-api v2.4.1"
	Status      string                 `json:"status"`
	CreatedBy   string                 `json:"created_by"`
	CreatedByCI bool                   `json:"created_by_ci"`
	CreatedAt   string                 `json:"created_at"`
	ExportedAt  string                 `json:"exported_at"`
	Digest      string                 `json:"digest,omitempty"`
	Commit      string                 `json:"commit,omitempty"`
	BuildURL    string                 `json:"build_url,omitempty"`
	Components  []evidenceComponent    `json:"components"`
	SignOffs    []evidenceSignOff      `json:"signoffs"`
	Checks      []evidenceCheck        `json:"checks"`
	Gates       []evidenceGate         `json:"gates"`
	Overrides   []evidenceOverride     `json:"overrides"`
	Deployments []evidenceDeployment   `json:"deployments"`
	Audit       []evidenceEvent        `json:"audit"`
	Chain       *evidenceChain         `json:"chain"` // null when the server reads no chain
	Teams       []evidenceTeamRequired `json:"teams"`
}

type evidenceComponent struct {
	Service  string `json:"service"`
	Version  string `json:"version"`
	Digest   string `json:"digest"`
	Commit   string `json:"commit"`
	BuildURL string `json:"build_url"`
	Descoped bool   `json:"descoped"`
}

type evidenceSignOff struct {
	Team     string `json:"team"`
	User     string `json:"user"`
	Decision string `json:"decision"`
	At       string `json:"at"`
	Digest   string `json:"digest"` // what the lead decided on; "" when none was pinned
}

// evidenceTeamRequired is a team whose sign-off the release needs, and how
// many distinct approvers the configuration asks of it now.
type evidenceTeamRequired struct {
	Team      string `json:"team"`
	Approvals int    `json:"approvals"`
}

// Names of the separation-of-duties checks.
const (
	checkCreatorNotApprover = "creator_not_approver"
	checkCINotApprover      = "ci_not_approver"
	checkDistinctApprovers  = "distinct_approvers_per_team"
	checkApprovedDigest     = "approved_digest"
)

// evidenceCheck is one separation-of-duties check, worked out from the
// sign-offs.
type evidenceCheck struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Result string `json:"result"` // "passed" or "failed"
	Detail string `json:"detail"`
}

// evidenceGate is the window and freeze check at one deployment start:
// "passed" when the release's window, start time and freezes let it start
// (a manual promotion may also start outside its window, never in a
// freeze), "overridden" when a release manager's override was in force.
// Waited lists what held the release back since the start before.
type evidenceGate struct {
	Deployment  string            `json:"deployment"`
	Environment string            `json:"environment"`
	At          string            `json:"at"`
	Actor       string            `json:"actor"`
	Window      string            `json:"window"`
	StartAt     string            `json:"start_at,omitempty"`
	Result      string            `json:"result"`
	Override    *evidenceOverride `json:"override,omitempty"`
	Waited      []evidenceWait    `json:"waited"`
}

type evidenceWait struct {
	At     string `json:"at"`
	Reason string `json:"reason"`
}

// evidenceOverride is a release manager setting a rule aside: "override"
// (windows and freezes) or "env_override" (skipped environments).
type evidenceOverride struct {
	Action string `json:"action"`
	By     string `json:"by"`
	At     string `json:"at"`
	Reason string `json:"reason"`
}

type evidenceDeployment struct {
	ID          string `json:"id"`
	Environment string `json:"environment"`
	Service     string `json:"service"`
	Version     string `json:"version"`
	Type        string `json:"type"`
	Target      string `json:"target"` // the target's kind: webhook, log, github_actions, gitlab, argocd
	RunKind     string `json:"run_kind,omitempty"`
	RunID       string `json:"run_id,omitempty"`
	RunURL      string `json:"run_url,omitempty"`
	Attempts    int    `json:"attempts"`
	Result      string `json:"result"` // the deployment's status
	Message     string `json:"message,omitempty"`
	RequestedBy string `json:"requested_by"`
	CreatedAt   string `json:"created_at"`
	FinishedAt  string `json:"finished_at,omitempty"`
}

// evidenceEvent is an audit event as GET /api/audit writes it, so its
// hash is recomputed from it alone; Seq, PrevHash and Hash are null while
// it is not sealed yet.
type evidenceEvent struct {
	ID        int64   `json:"id"`
	ReleaseID int64   `json:"release_id"`
	At        string  `json:"at"`
	Actor     string  `json:"actor"`
	Action    string  `json:"action"`
	Detail    string  `json:"detail"`
	Sealed    bool    `json:"sealed"`
	Seq       *int64  `json:"seq"`
	PrevHash  *string `json:"prev_hash"`
	Hash      *string `json:"hash"`
}

// evidenceChain is the audit chain's head when the pack was exported:
// every sealed event of the pack lies at or before it.
type evidenceChain struct {
	HeadSeq     int64  `json:"head_seq"`
	HeadHash    string `json:"head_hash"`
	HeadEventID int64  `json:"head_event_id"`
	Unsealed    int    `json:"unsealed"` // events of any release not sealed yet
}

// evidenceInput is what the pack is made of: read by Server.evidence,
// assembled by buildEvidence.
type evidenceInput struct {
	Release *releases.Release
	Events  []releases.AuditEvent
	// Sealed holds the release's sealed events by id; Head the chain's
	// head, read after them. HasChain is false when no chain is read.
	Sealed   map[int64]releases.SealedEvent
	Head     releases.ChainHead
	HasChain bool
	Policy   *releases.Policy
	// TargetKind names the kind of target configured for a service in an
	// environment; nil or "" when unknown.
	TargetKind func(service, env string) string
	Now        time.Time
}

// buildEvidence assembles the evidence pack of in.Release.
func buildEvidence(in evidenceInput) evidenceJSON {
	r := in.Release
	out := evidenceJSON{
		Release: releases.FormatID(r.ID), Summary: r.Summary(), Status: string(r.Status),
		CreatedBy: r.CreatedBy, CreatedByCI: releases.IsCIActor(r.CreatedBy), CreatedAt: apiTime(r.CreatedAt),
		ExportedAt: apiTime(in.Now), Digest: r.Digest, Commit: r.Commit, BuildURL: r.BuildURL,
		Components: []evidenceComponent{}, SignOffs: []evidenceSignOff{}, Gates: []evidenceGate{},
		Overrides: []evidenceOverride{}, Deployments: []evidenceDeployment{}, Audit: []evidenceEvent{}, Teams: []evidenceTeamRequired{},
	}
	comps := r.Components
	if len(comps) == 0 {
		comps = []releases.Component{{Service: r.Service, Version: r.Version}}
	}
	for _, c := range comps {
		ec := evidenceComponent{Service: c.Service, Version: c.Version, Digest: c.Digest, Descoped: c.Descoped}
		if len(comps) == 1 { // a one-service release pins its artifact on the release
			if ec.Digest == "" {
				ec.Digest = r.Digest
			}
			ec.Commit, ec.BuildURL = r.Commit, r.BuildURL
		}
		out.Components = append(out.Components, ec)
	}
	for _, so := range r.SignOffs {
		out.SignOffs = append(out.SignOffs, evidenceSignOff{Team: so.Team, User: so.User, Decision: string(so.Decision),
			At: apiTime(so.At), Digest: so.Digest})
	}
	for _, team := range r.Teams {
		out.Teams = append(out.Teams, evidenceTeamRequired{Team: team, Approvals: requiredApprovals(in.Policy, team)})
	}
	out.Checks = dutyChecks(r, out.Teams)
	out.Gates, out.Overrides = gateChecks(r, in.Events)
	for _, d := range r.Deployments {
		target := d.RunKind
		if target == "" && in.TargetKind != nil {
			target = in.TargetKind(d.Service, d.Environment)
		}
		out.Deployments = append(out.Deployments, evidenceDeployment{
			ID: releases.FormatDeploymentID(d.ID), Environment: d.Environment, Service: d.Service, Version: d.Version,
			Type: string(d.Type), Target: target, RunKind: d.RunKind, RunID: d.RunID, RunURL: d.URL, Attempts: d.Attempts,
			Result: string(d.Status), Message: d.Message, RequestedBy: d.RequestedBy,
			CreatedAt: apiTime(d.CreatedAt), FinishedAt: apiTime(d.FinishedAt),
		})
	}
	for _, e := range in.Events {
		ev := evidenceEvent{ID: e.ID, ReleaseID: e.ReleaseID, At: e.At.UTC().Format(releases.CanonicalTime),
			Actor: e.Actor, Action: e.Action, Detail: e.Detail}
		if se, ok := in.Sealed[e.ID]; ok {
			ev.Sealed, ev.Seq, ev.PrevHash, ev.Hash = true, &se.Seq, &se.PrevHash, &se.Hash
		}
		out.Audit = append(out.Audit, ev)
	}
	if in.HasChain {
		out.Chain = &evidenceChain{HeadSeq: in.Head.Seq, HeadHash: in.Head.Hash, HeadEventID: in.Head.EventID, Unsealed: in.Head.Unsealed}
	}
	return out
}

// requiredApprovals is how many sign-offs team owes under p: 1 when p or
// the team is unknown.
func requiredApprovals(p *releases.Policy, team string) int {
	if p != nil {
		for _, t := range p.Teams {
			if t.Name == team && t.Approvals > 0 {
				return t.Approvals
			}
		}
	}
	return 1
}

func newCheck(name string, failures []string, passed string) evidenceCheck {
	if len(failures) == 0 {
		return evidenceCheck{Name: name, Passed: true, Result: "passed", Detail: passed}
	}
	return evidenceCheck{Name: name, Result: "failed", Detail: strings.Join(failures, "; ")}
}

// dutyChecks works out the separation-of-duties checks from r's sign-offs
// in force.
func dutyChecks(r *releases.Release, teams []evidenceTeamRequired) []evidenceCheck {
	var creator, ci, digest []string
	for _, so := range r.SignOffs {
		if so.Decision != releases.Approved {
			continue
		}
		if so.User == r.CreatedBy {
			creator = append(creator, fmt.Sprintf("%s opened the release and approved it for %s", so.User, so.Team))
		}
		if releases.IsCIActor(so.User) {
			ci = append(ci, fmt.Sprintf("%s is a CI identity and approved for %s", so.User, so.Team))
		}
		if r.Digest != "" && so.Digest != r.Digest {
			got := so.Digest
			if got == "" {
				got = "no digest"
			}
			digest = append(digest, fmt.Sprintf("%s approved %s for %s, not %s", so.User, got, so.Team, r.Digest))
		}
	}
	var distinct []string
	var counts []string
	for _, t := range teams {
		users := r.Approvals(t.Team)
		uniq := slices.Clone(users)
		slices.Sort(uniq)
		uniq = slices.Compact(uniq)
		counts = append(counts, fmt.Sprintf("%s %d of %d", t.Team, len(uniq), t.Approvals))
		switch {
		case len(uniq) < len(users):
			distinct = append(distinct, fmt.Sprintf("%s counts one approver twice", t.Team))
		case len(uniq) < t.Approvals:
			distinct = append(distinct, fmt.Sprintf("%s has %d distinct %s of the %d it needs", t.Team, len(uniq),
				map[bool]string{true: "approver", false: "approvers"}[len(uniq) == 1], t.Approvals))
		}
	}
	approvers := "none"
	if a := r.Approvers(); len(a) > 0 {
		approvers = strings.Join(a, ", ")
	}
	digestOK := "the release pins no digest"
	if r.Digest != "" {
		digestOK = "every approval names " + r.Digest
	}
	return []evidenceCheck{
		newCheck(checkCreatorNotApprover, creator, fmt.Sprintf("created by %s; approved by %s", r.CreatedBy, approvers)),
		newCheck(checkCINotApprover, ci, "no CI identity approved; approved by "+approvers),
		newCheck(checkDistinctApprovers, distinct, "distinct approvals: "+strings.Join(counts, ", ")),
		newCheck(checkApprovedDigest, digest, digestOK),
	}
}

// gateChecks reads, from the audit trail in order, the window and freeze
// check at each deployment start and the overrides. A start is a
// deployment_started event, which names its deployment ("D-7: …").
func gateChecks(r *releases.Release, events []releases.AuditEvent) ([]evidenceGate, []evidenceOverride) {
	gates, overrides := []evidenceGate{}, []evidenceOverride{}
	var waited []evidenceWait
	var inForce *evidenceOverride
	for _, e := range events {
		switch e.Action {
		case releases.ActionOverride, releases.ActionEnvOverride:
			o := evidenceOverride{Action: e.Action, By: e.Actor, At: apiTime(e.At), Reason: e.Detail}
			overrides = append(overrides, o)
			if e.Action == releases.ActionOverride {
				inForce = &o
			}
		case releases.ActionWaiting:
			waited = append(waited, evidenceWait{At: apiTime(e.At), Reason: e.Detail})
		case releases.ActionDeploymentStarted:
			g := evidenceGate{At: apiTime(e.At), Actor: e.Actor, Window: r.Window, StartAt: apiTime(r.StartAt),
				Result: "passed", Waited: waited}
			if g.Waited == nil {
				g.Waited = []evidenceWait{}
			}
			id, _, _ := strings.Cut(e.Detail, ":")
			g.Deployment = id
			if n, err := strconv.ParseInt(strings.TrimPrefix(id, "D-"), 10, 64); err == nil {
				if d, ok := r.Deployment(n); ok {
					g.Environment = d.Environment
				}
			}
			if inForce != nil {
				g.Result, g.Override = "overridden", inForce
			}
			gates = append(gates, g)
			waited = nil
		}
	}
	return gates, overrides
}
