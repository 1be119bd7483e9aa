package webhooks_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/webhooks"
)

// fuzzDeployments is the status callback's view of three deployments: D-1
// on staging (plain secret), D-2 on production (whsec_ secret), D-3 on an
// environment without a secret; it keeps their statuses like the service.
type fuzzDeployments struct {
	mu     sync.Mutex
	status map[int64]releases.DeploymentStatus
}

var fuzzEnvs = map[int64]string{1: "staging", 2: "production", 3: "nosecret"}

func (f *fuzzDeployments) Deployment(_ context.Context, id int64) (*releases.Deployment, error) {
	env, ok := fuzzEnvs[id]
	if !ok {
		return nil, releases.Errorf(releases.ENotFound, "There is no deployment D-%d.", id)
	}
	return &releases.Deployment{ID: id, Environment: env, Status: releases.DeploymentStatus("in_progress")}, nil
}

func (f *fuzzDeployments) ReportDeployment(_ context.Context, _ string, id int64, rep releases.StatusReport) (*releases.Release, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch rep.Status {
	case "in_progress", "succeeded", "failed":
	default:
		return nil, releases.Errorf(releases.EInvalid, "Unknown status %q.", rep.Status)
	}
	if cur := f.status[id]; cur != "" && cur != "in_progress" && cur != rep.Status {
		return nil, releases.Errorf(releases.EConflict, "D-%d already %s.", id, cur)
	}
	f.status[id] = rep.Status
	return &releases.Release{}, nil
}

// FuzzCallback sends random ids, bodies and signature headers to the
// deployers' status callback. The answer is always one of the documented
// 204, 400, 401, 404, 409, 413, never a 5xx or a panic.
//
//	go test ./webhooks -run '^$' -fuzz FuzzCallback -fuzztime 10s
func FuzzCallback(f *testing.F) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	keys := map[string][]byte{}
	for id, secret := range map[string]string{"D-1": stagingSecret, "D-2": productionSecret} {
		k, err := config.Secret(secret).SigningKey()
		if err != nil {
			f.Fatal(err)
		}
		keys[id] = k
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(gin.Recovery())
	webhooks.RegisterCallbacks(r, webhooks.CallbackOptions{Deployments: &fuzzDeployments{status: map[int64]releases.DeploymentStatus{}},
		Environments: resolve(f, []config.Environment{
			{Name: "staging", Deploy: config.Deploy{URL: "https://deploy.example.com/staging", Secret: stagingSecret}},
			{Name: "production", Deploy: config.Deploy{URL: "https://deploy.example.com/prod", Secret: productionSecret}},
			{Name: "nosecret", Deploy: config.Deploy{URL: "https://deploy.example.com/x"}},
		}, webhooks.Deps{}),
		Now: func() time.Time { return now }})

	// sign: 0 signs with the deployment's key, 1 sends no signature
	// headers, 2 sends sig as webhook-signature.
	f.Add("D-1", []byte(`{"deployment_id":"D-1","status":"succeeded","message":"ok","url":"https://ci.example.com/1"}`), uint8(0), int64(0), "msg_1", "")
	f.Add("D-1", []byte(`{"deployment_id":"D-1","status":"failed"}`), uint8(0), int64(0), "msg_2", "")
	f.Add("D-2", []byte(`{"deployment_id":"D-2","status":"in_progress"}`), uint8(0), int64(-299), "msg_3", "")
	f.Add("D-2", []byte(`{"deployment_id":"D-2","status":"nope"}`), uint8(0), int64(301), "msg_4", "")
	f.Add("D-3", []byte(`{"deployment_id":"D-3","status":"succeeded"}`), uint8(0), int64(0), "msg_5", "")
	f.Add("D-1", []byte(`{"deployment_id":"D-2","status":"succeeded"}`), uint8(0), int64(0), "msg_10", "")
	f.Add("D-2", []byte(`{"status":"succeeded"}`), uint8(0), int64(0), "msg_11", "")
	f.Add("D-9", []byte(`{}`), uint8(1), int64(0), "", "")
	f.Add("R-1", []byte(`[]`), uint8(2), int64(0), "msg_6", "v1,AAAA v2,BBBB")
	f.Add("D-1", []byte(`{"status":`), uint8(0), int64(0), "msg_7", "")
	f.Add("D-1", []byte("\x00\xff"), uint8(2), int64(0), "msg_8", "v1,not base64!")
	f.Add("D-99999999999999999999", []byte(`{"status":"succeeded"}`), uint8(0), int64(0), "msg_9", "")
	f.Fuzz(func(t *testing.T, id string, body []byte, sign uint8, offset int64, webhookID, sig string) {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/deployments/x/status", bytes.NewReader(body))
		req.URL.Path = "/webhooks/deployments/" + id + "/status"
		req.Header.Set("Content-Type", "application/json")
		switch sign % 3 {
		case 0:
			key := keys[id]
			if key == nil {
				key = keys["D-1"]
			}
			webhooks.SetHeaders(req.Header, key, webhookID, now.Add(time.Duration(offset%1_000_000)*time.Second), body)
		case 2:
			req.Header.Set(webhooks.HeaderID, webhookID)
			req.Header.Set(webhooks.HeaderTimestamp, strconv.FormatInt(now.Unix()+offset%1_000_000, 10))
			req.Header.Set(webhooks.HeaderSignature, sig)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		switch w.Code {
		case 204, 400, 401, 404, 409, 413:
		default:
			t.Fatalf("%q %q: HTTP %d %s", id, body, w.Code, w.Body.String())
		}
	})
}
