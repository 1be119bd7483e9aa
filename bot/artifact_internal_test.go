package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// The card and each sign-off request show the pinned artifact, so a lead
// sees which build they approve; the creator shows as the CI identity,
// not as a Slack mention.
func TestCardAndRequestShowTheArtifact(t *testing.T) {
	v := newView(settingsOf(config.Demo()))
	v.now = func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }
	r := &releases.Release{ID: 5, Service: "payments-api", Version: "v2.4.1", Status: releases.StatusAwaitingSignoff,
		CreatedBy: "github:acme/payments-api", CreatedAt: v.now(), Teams: []string{"payments"}, Environments: []string{"staging"},
		Digest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Commit: "1a2b3c4",
		BuildURL: "https://github.com/acme/payments-api/actions/runs/30433642"}
	want := "*Artifact:* `sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` · commit `1a2b3c4` · <https://github.com/acme/payments-api/actions/runs/30433642|build>"
	for name, m := range map[string]Message{"card": v.card(r), "request": v.request(r, "payments")} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("%s text lacks the artifact line:\n%s", name, m.Text)
		}
		if !strings.Contains(m.Text, "github:acme/payments-api") || strings.Contains(m.Text, "<@github:") {
			t.Errorf("%s shows the creator wrongly:\n%s", name, m.Text)
		}
		var blocks strings.Builder
		for _, b := range m.Blocks {
			blocks.WriteString(b.Text)
		}
		if !strings.Contains(blocks.String(), "sha256:aaaa") {
			t.Errorf("%s blocks lack the digest", name)
		}
	}
	r.Digest, r.Commit, r.BuildURL = "", "", ""
	if strings.Contains(v.card(r).Text, "Artifact") {
		t.Error("a release without an artifact shows an Artifact line")
	}
}
