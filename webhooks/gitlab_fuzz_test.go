package webhooks_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/webhooks"
)

// fuzzRuns says pipeline 257 is followed by D-1 (staging).
type fuzzRuns struct{}

func (fuzzRuns) DeploymentByRun(_ context.Context, kind, runID string) (*releases.Deployment, error) {
	if kind == config.KindGitLab && runID == "257" {
		return &releases.Deployment{ID: 1, Environment: "staging", Service: "payments-api", Version: "v1",
			Status: releases.DeploymentInProgress, RunKind: kind, RunID: runID}, nil
	}
	return nil, releases.ErrNotFound
}

// FuzzGitLabHook sends random bodies, tokens and event names to POST
// /webhooks/gitlab. The answer is always one of the documented 200, 202,
// 400, 401, 413, never a 5xx or a panic; a wrong token is always 401.
//
//	go test ./webhooks -run '^$' -fuzz FuzzGitLabHook -fuzztime 10s
func FuzzGitLabHook(f *testing.F) {
	envs, err := webhooks.Builtin().Resolve([]config.Environment{{Name: "staging", Deploy: config.Deploy{Kind: config.KindGitLab,
		GitLab: config.GitLab{URL: "https://gitlab.example.com", Project: "acme/{service}", Ref: "main",
			TriggerToken: glTrigger, WebhookToken: glHook}}}}, nil, webhooks.Deps{})
	if err != nil {
		f.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(gin.Recovery())
	webhooks.RegisterGitLab(r, webhooks.GitLabOptions{Deployments: &fuzzDeployments{status: map[int64]releases.DeploymentStatus{}},
		Runs: fuzzRuns{}, Environments: envs})
	seed := `{"object_kind": "pipeline", "object_attributes": {"id": 257, "status": "success", "source": "trigger",
		"variables": [{"key": "RELEASEBOT_DEPLOYMENT_ID", "value": "D-1"}]},
		"project": {"id": 123, "path_with_namespace": "acme/payments-api"}, "builds": [{"name": "x", "status": "failed"}]}`
	f.Add(glHook, "Pipeline Hook", []byte(seed))
	f.Add(glHook, "Pipeline Hook", []byte(`{"object_kind": "pipeline", "object_attributes": {"id": 300, "status": "pending", "source": "trigger", "variables": [{"key": "RELEASEBOT_DEPLOYMENT_ID", "value": "D-2"}]}}`))
	f.Add("wrong", "Pipeline Hook", []byte(seed))
	f.Add(glHook, "Push Hook", []byte(`{}`))
	f.Add(glHook, "Pipeline Hook", []byte(`{"object_kind": "pipeline", "object_attributes": {"id": -1}}`))
	f.Fuzz(func(t *testing.T, token, event string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/gitlab", bytes.NewReader(body))
		req.Header.Set("X-Gitlab-Token", token)
		req.Header.Set("X-Gitlab-Event", event)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 202, 400, 401, 413:
		default:
			t.Fatalf("%d %s for token %q, event %q, body %q", rec.Code, rec.Body, token, event, body)
		}
		if token != glHook && rec.Code != http.StatusUnauthorized {
			t.Fatalf("a wrong token got %d %s", rec.Code, rec.Body)
		}
	})
}
