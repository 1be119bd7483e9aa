// Package webhooks delivers deployments to each environment's deploy
// target — a Standard Webhooks endpoint, a log: URL, or any kind added to
// a Registry — and takes the deployers' status callbacks.
package webhooks

import (
	"strings"

	"github.com/releasebot/releasebot/releases"
)

// Event types of a delivery.
const (
	TypeDeploymentRequested = "deployment.requested"
	TypeRollbackRequested   = "rollback.requested"
)

// Payload is the JSON body of a deployment webhook (README "Deployment
// webhooks").
type Payload struct {
	Type            string   `json:"type"`
	DeploymentID    string   `json:"deployment_id"`
	ReleaseID       string   `json:"release_id"`
	Service         string   `json:"service"`
	Version         string   `json:"version"`
	PreviousVersion string   `json:"previous_version"`
	Environment     string   `json:"environment"`
	RequestedBy     string   `json:"requested_by"`
	ApprovedBy      []string `json:"approved_by"`
	CallbackURL     string   `json:"callback_url"`
	// Digest is the artifact the release pinned ("sha256:…"), which the
	// leads approved: deploy exactly it. Absent when the release pins none,
	// and on rollbacks, which install an earlier version.
	Digest string `json:"digest,omitempty"`
	// Vars are the catalog's values for the service in the environment
	// (services[].vars), absent when there are none.
	Vars map[string]string `json:"vars,omitempty"`
}

// NewPayload describes deployment d of release r; publicURL is the base of
// the callback URL.
func NewPayload(r *releases.Release, d *releases.Deployment, publicURL string) Payload {
	typ := TypeDeploymentRequested
	if d.Type == releases.TypeRollback {
		typ = TypeRollbackRequested
	}
	approvers := r.Approvers()
	if approvers == nil {
		approvers = []string{}
	}
	id := releases.FormatDeploymentID(d.ID)
	digest := r.Digest
	if d.Type == releases.TypeRollback {
		digest = ""
	}
	return Payload{
		Digest: digest,
		Type:   typ, DeploymentID: id, ReleaseID: releases.FormatID(r.ID), Service: d.Service,
		Version: d.Version, PreviousVersion: d.PreviousVersion, Environment: d.Environment,
		RequestedBy: d.RequestedBy, ApprovedBy: approvers,
		CallbackURL: strings.TrimRight(publicURL, "/") + "/webhooks/deployments/" + id + "/status",
	}
}
