package webhooks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/releasebot/releasebot/releases"
)

// The pinned digest reaches the target: in the webhook payload and as the
// {digest} placeholder (an Argo CD revision); a rollback, which installs
// an earlier version, carries none.
func TestPayloadCarriesTheDigest(t *testing.T) {
	const digest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	r := &releases.Release{ID: 3, Service: "payments-api", Version: "v2.4.1", Digest: digest}
	d := &releases.Deployment{ID: 7, Environment: "production", Type: releases.TypeDeployment, Service: "payments-api", Version: "v2.4.1"}
	p := NewPayload(r, d, "https://releasebot.example.com")
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"digest":"`+digest+`"`) {
		t.Errorf("payload %s lacks the digest", body)
	}
	if got := expandNames("registry.example.com/payments-api@{digest}", p); got != "registry.example.com/payments-api@"+digest {
		t.Errorf("{digest} expands to %q", got)
	}
	d.Type = releases.TypeRollback
	body, _ = json.Marshal(NewPayload(r, d, "https://releasebot.example.com"))
	if strings.Contains(string(body), "digest") {
		t.Errorf("rollback payload %s carries the release's digest", body)
	}
	r.Digest, d.Type = "", releases.TypeDeployment
	body, _ = json.Marshal(NewPayload(r, d, "https://releasebot.example.com"))
	if strings.Contains(string(body), "digest") {
		t.Errorf("payload without a digest %s has the field", body)
	}
}
