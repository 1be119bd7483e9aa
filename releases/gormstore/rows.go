package gormstore

import (
	"encoding/json"
	"time"

	"github.com/releasebot/releasebot/releases"
)

type releaseRow struct {
	ID             int64 `gorm:"primaryKey"`
	Service        string
	Version        string
	Status         string
	CreatedBy      string
	CreatedAt      time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt      time.Time `gorm:"autoUpdateTime:false"`
	WindowName     string
	StartAt        *time.Time
	Teams          string // JSON array
	Environments   string // JSON array
	Notes          string
	OverrideBy     string
	OverrideReason string
	Reason         string
	Origin         string
	Name           string // a train's (migration 00016)
	// The pinned artifact and the CI create's key (migration 00015).
	Digest         string
	CommitSHA      string `gorm:"column:commit_sha"`
	BuildURL       string `gorm:"column:build_url"`
	IdempotencyKey string
}

func (releaseRow) TableName() string { return "releases" }

// componentRow is one component of a release (migration 00016).
type componentRow struct {
	ReleaseID     int64  `gorm:"primaryKey;autoIncrement:false"`
	Service       string `gorm:"primaryKey"`
	Position      int
	Version       string
	Digest        string
	Descoped      bool
	DescopeReason string
}

func (componentRow) TableName() string { return "release_components" }

func (row componentRow) component() releases.Component {
	return releases.Component{Service: row.Service, Version: row.Version, Digest: row.Digest,
		Descoped: row.Descoped, DescopeReason: row.DescopeReason}
}

// componentRows are r's components as rows; a release built without any
// (as before trains) has its one.
func componentRows(r *releases.Release) []componentRow {
	cs := r.Components
	if len(cs) == 0 {
		cs = []releases.Component{{Service: r.Service, Version: r.Version}}
	}
	out := make([]componentRow, len(cs))
	for i, c := range cs {
		out[i] = componentRow{ReleaseID: r.ID, Service: c.Service, Position: i, Version: c.Version, Digest: c.Digest,
			Descoped: c.Descoped, DescopeReason: c.DescopeReason}
	}
	return out
}

type signoffRow struct {
	ReleaseID int64  `gorm:"primaryKey;autoIncrement:false"`
	Team      string `gorm:"primaryKey"`
	UserID    string `gorm:"primaryKey"`
	Decision  string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	Digest    string    // what was approved (migration 00015)
}

func (signoffRow) TableName() string { return "signoffs" }

type deploymentRow struct {
	ID              int64 `gorm:"primaryKey"`
	ReleaseID       int64
	Environment     string
	Type            string
	Status          string
	Service         string
	Version         string
	PreviousVersion string
	RequestedBy     string
	Attempts        int
	Message         string
	URL             string    `gorm:"column:url"`
	CreatedAt       time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt       time.Time `gorm:"autoUpdateTime:false"`
	FinishedAt      *time.Time
	// Delivery state of a pending deployment (migration 00002).
	WebhookID     string
	NextAttemptAt *time.Time
	ClaimedUntil  *time.Time
	FinishBy      *time.Time
	LastError     string
	// The run a target started (migration 00012).
	RunKind string
	RunID   string
	PollAt  *time.Time
}

func (deploymentRow) TableName() string { return "deployments" }

type auditRow struct {
	ID        int64 `gorm:"primaryKey"`
	ReleaseID *int64
	At        time.Time
	Actor     string
	Action    string
	Detail    string
}

func (auditRow) TableName() string { return "audit_events" }

func toReleaseRow(r *releases.Release) (releaseRow, error) {
	teams, err := json.Marshal(nonNil(r.Teams))
	if err != nil {
		return releaseRow{}, err
	}
	envs, err := json.Marshal(nonNil(r.Environments))
	if err != nil {
		return releaseRow{}, err
	}
	return releaseRow{
		ID: r.ID, Service: r.Service, Version: r.Version, Status: string(r.Status), CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), WindowName: r.Window, StartAt: timePtr(r.StartAt),
		Teams: string(teams), Environments: string(envs), Notes: r.Notes,
		OverrideBy: r.OverrideBy, OverrideReason: r.OverrideReason, Reason: r.Reason, Origin: r.Origin, Name: r.Name,
		Digest: r.Digest, CommitSHA: r.Commit, BuildURL: r.BuildURL, IdempotencyKey: r.IdempotencyKey,
	}, nil
}

func (row releaseRow) release() (releases.Release, error) {
	r := releases.Release{
		ID: row.ID, Service: row.Service, Version: row.Version, Status: releases.Status(row.Status),
		CreatedBy: row.CreatedBy, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
		Window: row.WindowName, StartAt: timeVal(row.StartAt), Notes: row.Notes,
		OverrideBy: row.OverrideBy, OverrideReason: row.OverrideReason, Reason: row.Reason, Origin: row.Origin,
		Name: row.Name,
		// Replaced by the stored components where they are loaded.
		Components: []releases.Component{{Service: row.Service, Version: row.Version}},
		Digest:     row.Digest, Commit: row.CommitSHA, BuildURL: row.BuildURL, IdempotencyKey: row.IdempotencyKey,
	}
	if err := json.Unmarshal([]byte(row.Teams), &r.Teams); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(row.Environments), &r.Environments); err != nil {
		return r, err
	}
	return r, nil
}

func (row signoffRow) signOff() releases.SignOff {
	return releases.SignOff{ReleaseID: row.ReleaseID, Team: row.Team, User: row.UserID,
		Decision: releases.Decision(row.Decision), At: row.CreatedAt.UTC(), Digest: row.Digest}
}

func toDeploymentRow(d *releases.Deployment) deploymentRow {
	return deploymentRow{
		ID: d.ID, ReleaseID: d.ReleaseID, Environment: d.Environment, Type: string(d.Type), Status: string(d.Status),
		Service: d.Service, Version: d.Version, PreviousVersion: d.PreviousVersion, RequestedBy: d.RequestedBy,
		Attempts: d.Attempts, Message: d.Message, URL: d.URL, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
		FinishedAt: timePtr(d.FinishedAt), RunKind: d.RunKind, RunID: d.RunID, PollAt: timePtr(d.PollAt),
	}
}

func (row deploymentRow) deployment() releases.Deployment {
	return releases.Deployment{
		ID: row.ID, ReleaseID: row.ReleaseID, Environment: row.Environment, Type: releases.DeploymentType(row.Type),
		Status: releases.DeploymentStatus(row.Status), Service: row.Service, Version: row.Version,
		PreviousVersion: row.PreviousVersion, RequestedBy: row.RequestedBy, Attempts: row.Attempts,
		Message: row.Message, URL: row.URL, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
		FinishedAt: timeVal(row.FinishedAt), RunKind: row.RunKind, RunID: row.RunID, PollAt: timeVal(row.PollAt),
	}
}

func (row auditRow) event() releases.AuditEvent {
	e := releases.AuditEvent{ID: row.ID, At: row.At.UTC(), Actor: row.Actor, Action: row.Action, Detail: row.Detail}
	if row.ReleaseID != nil {
		e.ReleaseID = *row.ReleaseID
	}
	return e
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timeVal(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type postRow struct {
	Channel   string `gorm:"primaryKey"`
	TS        string `gorm:"primaryKey;column:ts"`
	ReleaseID int64
	Kind      string
	Team      string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (postRow) TableName() string { return "messages" }

func (row postRow) post() releases.Post {
	return releases.Post{ReleaseID: row.ReleaseID, Kind: releases.PostKind(row.Kind), Team: row.Team,
		Channel: row.Channel, TS: row.TS, At: row.CreatedAt.UTC()}
}

type postReactionRow struct {
	Channel   string    `gorm:"primaryKey"`
	TS        string    `gorm:"primaryKey;column:ts"`
	UserID    string    `gorm:"primaryKey"`
	Emoji     string    `gorm:"primaryKey"`
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (postReactionRow) TableName() string { return "post_reactions" }

// emptyArtifactColumns names the columns of migration 00015 that row
// leaves empty: an insert omits them, so that their defaults say the same
// and a release without an artifact can still be written to a schema from
// before 00015 (the migration tests write at older versions).
func emptyArtifactColumns(row releaseRow) []string {
	var cols []string
	for _, c := range []struct{ name, val string }{
		{"digest", row.Digest}, {"commit_sha", row.CommitSHA}, {"build_url", row.BuildURL}, {"idempotency_key", row.IdempotencyKey},
	} {
		if c.val == "" {
			cols = append(cols, c.name)
		}
	}
	return cols
}
