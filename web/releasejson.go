package web

import (
	"time"

	"github.com/releasebot/releasebot/releases"
)

// The API's wire format, as in README "HTTP API". These structs, not the
// domain types, fix the JSON: renaming a domain field must not change what
// clients see. Slices are never nil, so clients get [] rather than null.

// releaseJSON is a release as GET /api/releases lists it. List items carry
// no audit trail: that would cost one query per release, and a client that
// wants it asks for the one release.
type releaseJSON struct {
	ID string `json:"id"`
	// Service and Version are the one component of a one-service
	// release; a train leaves them out (see Components).
	Service string `json:"service,omitempty"`
	Version string `json:"version,omitempty"`
	// Name is a train's; Components are every release's, in order.
	Name         string           `json:"name,omitempty"`
	Components   []componentJSON  `json:"components"`
	Status       string           `json:"status"`
	CreatedBy    string           `json:"created_by"`
	CreatedAt    string           `json:"created_at"`
	UpdatedAt    string           `json:"updated_at"`
	Window       string           `json:"window"`
	StartAt      string           `json:"start_at,omitempty"`
	Teams        []string         `json:"teams"`
	Environments []string         `json:"environments"`
	Notes        string           `json:"notes"`
	Reason       string           `json:"reason,omitempty"`
	Override     *overrideJSON    `json:"override,omitempty"`
	SignOffs     []signOffJSON    `json:"signoffs"`
	Deployments  []deploymentJSON `json:"deployments"`
	// Digest, Commit and BuildURL pin the artifact; absent when not given.
	Digest   string `json:"digest,omitempty"`
	Commit   string `json:"commit,omitempty"`
	BuildURL string `json:"build_url,omitempty"`
}

// releaseDetailJSON is one release as GET /api/releases/:id answers it:
// the list item plus its audit trail.
type releaseDetailJSON struct {
	releaseJSON
	Audit []auditJSON `json:"audit"`
}

// componentJSON is one service of a release at its version. Descoped
// (with its reason) appears only on a train's descoped component.
type componentJSON struct {
	Service       string `json:"service"`
	Version       string `json:"version"`
	Digest        string `json:"digest"`
	Descoped      bool   `json:"descoped,omitempty"`
	DescopeReason string `json:"descope_reason,omitempty"`
}

type overrideJSON struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

type signOffJSON struct {
	Team     string `json:"team"`
	User     string `json:"user"`
	Decision string `json:"decision"`
	At       string `json:"at"`
	// Digest is what the lead decided on; absent when none was pinned.
	Digest string `json:"digest,omitempty"`
}

type deploymentJSON struct {
	ID              string `json:"id"`
	Environment     string `json:"environment"`
	Service         string `json:"service"`
	Type            string `json:"type"`
	Status          string `json:"status"`
	Version         string `json:"version"`
	PreviousVersion string `json:"previous_version,omitempty"`
	Attempts        int    `json:"attempts"`
	Message         string `json:"message,omitempty"`
	URL             string `json:"url,omitempty"`
	// RunKind and RunID name the run the target started (a GitHub
	// Actions run, a GitLab pipeline, an Argo CD sync).
	RunKind    string `json:"run_kind,omitempty"`
	RunID      string `json:"run_id,omitempty"`
	UpdatedAt  string `json:"updated_at"`
	FinishedAt string `json:"finished_at,omitempty"`
}

type auditJSON struct {
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Detail string `json:"detail"`
}

// apiTime renders t as RFC 3339 in UTC to the second
// ("2026-12-01T10:02:03Z"), and the zero time as "".
func apiTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func newReleaseJSON(r *releases.Release) releaseJSON {
	out := releaseJSON{
		ID:           releases.FormatID(r.ID),
		Service:      r.Service,
		Version:      r.Version,
		Status:       string(r.Status),
		CreatedBy:    r.CreatedBy,
		CreatedAt:    apiTime(r.CreatedAt),
		UpdatedAt:    apiTime(r.UpdatedAt),
		Window:       r.Window,
		StartAt:      apiTime(r.StartAt),
		Teams:        nonNil(r.Teams),
		Environments: nonNil(r.Environments),
		Notes:        r.Notes,
		Reason:       r.Reason,
		SignOffs:     make([]signOffJSON, len(r.SignOffs)),
		Deployments:  make([]deploymentJSON, len(r.Deployments)),
		Digest:       r.Digest,
		Commit:       r.Commit,
		BuildURL:     r.BuildURL,
	}
	if r.OverrideBy != "" {
		out.Override = &overrideJSON{By: r.OverrideBy, Reason: r.OverrideReason}
	}
	comps := r.Components
	if len(comps) == 0 {
		comps = []releases.Component{{Service: r.Service, Version: r.Version}}
	}
	out.Components = make([]componentJSON, len(comps))
	for i, c := range comps {
		if c.Digest == "" && len(comps) == 1 {
			c.Digest = r.Digest // a release of one service pins its artifact on the release
		}
		out.Components[i] = componentJSON{Service: c.Service, Version: c.Version, Digest: c.Digest,
			Descoped: c.Descoped, DescopeReason: c.DescopeReason}
	}
	if r.IsTrain() {
		out.Service, out.Version, out.Name = "", "", r.Name
	}
	for i, so := range r.SignOffs {
		out.SignOffs[i] = signOffJSON{Team: so.Team, User: so.User, Decision: string(so.Decision), At: apiTime(so.At), Digest: so.Digest}
	}
	for i, d := range r.Deployments {
		out.Deployments[i] = deploymentJSON{
			ID:              releases.FormatDeploymentID(d.ID),
			Environment:     d.Environment,
			Service:         d.Service,
			Type:            string(d.Type),
			Status:          string(d.Status),
			Version:         d.Version,
			PreviousVersion: d.PreviousVersion,
			Attempts:        d.Attempts,
			Message:         d.Message,
			URL:             d.URL,
			RunKind:         d.RunKind,
			RunID:           d.RunID,
			UpdatedAt:       apiTime(d.UpdatedAt),
			FinishedAt:      apiTime(d.FinishedAt),
		}
	}
	return out
}

func newReleaseDetailJSON(r *releases.Release, events []releases.AuditEvent) releaseDetailJSON {
	out := releaseDetailJSON{releaseJSON: newReleaseJSON(r), Audit: make([]auditJSON, len(events))}
	for i, e := range events {
		out.Audit[i] = auditJSON{At: apiTime(e.At), Actor: e.Actor, Action: e.Action, Detail: e.Detail}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
