package webhooks_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
)

func TestCallbacks(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h := newHarness(t, s, defaultEnvs())
		r := h.release("v1")
		h.runOnce() // staging accepts (202): in progress
		d := r.Deployments[0]
		did := releases.FormatDeploymentID(d.ID)
		now := h.clock.Now()
		// body names the deployment, as every callback must.
		body := func(s string) []byte { return []byte(`{"deployment_id": "` + did + `", ` + s[1:]) }
		good := func(b []byte) http.Header { return signed(t, stagingSecret, "msg_cb_1", now, b) }
		tests := []struct {
			name   string
			id     string
			header func(b []byte) http.Header
			body   []byte
			want   int
			// wantStatus is the deployment's status afterwards.
			wantStatus releases.DeploymentStatus
		}{
			{name: "no signature", header: func([]byte) http.Header { return http.Header{} },
				body: body(`{"status": "succeeded"}`), want: 401},
			{name: "bad signature", header: func(b []byte) http.Header {
				hdr := good(b)
				hdr.Set("webhook-signature", "v1,"+strings.Repeat("A", 43)+"=")
				return hdr
			}, body: body(`{"status": "succeeded"}`), want: 401},
			{name: "signature of another body", header: func([]byte) http.Header { return good(body(`{"status": "failed"}`)) },
				body: body(`{"status": "succeeded"}`), want: 401},
			{name: "another environment's secret", header: func(b []byte) http.Header {
				return signed(t, productionSecret, "msg_cb_2", now, b)
			}, body: body(`{"status": "succeeded"}`), want: 401},
			{name: "timestamp more than 5 minutes old", header: func(b []byte) http.Header {
				return signed(t, stagingSecret, "msg_cb_3", now.Add(-5*time.Minute-time.Second), b)
			}, body: body(`{"status": "succeeded"}`), want: 401},
			{name: "timestamp more than 5 minutes ahead", header: func(b []byte) http.Header {
				return signed(t, stagingSecret, "msg_cb_4", now.Add(5*time.Minute+time.Second), b)
			}, body: body(`{"status": "succeeded"}`), want: 401},
			{name: "unknown deployment", id: "D-999", header: good, body: body(`{"status": "succeeded"}`), want: 404},
			{name: "not a deployment id", id: "R-1", header: good, body: body(`{"status": "succeeded"}`), want: 404},
			// Unsigned callers can't tell which deployments exist.
			{name: "unknown deployment, unsigned", id: "D-999", header: func([]byte) http.Header { return http.Header{} },
				body: body(`{"status": "succeeded"}`), want: 401},
			{name: "not a deployment id, badly signed", id: "R-1", header: func(b []byte) http.Header {
				hdr := good(b)
				hdr.Set("webhook-signature", "v1,"+strings.Repeat("A", 43)+"=")
				return hdr
			}, body: body(`{"status": "succeeded"}`), want: 401},
			{name: "malformed JSON", header: good, body: body(`{"status": `), want: 400},
			{name: "no deployment_id", header: good, body: []byte(`{"status": "succeeded"}`), want: 400},
			{name: "another deployment's id", header: good, body: []byte(`{"deployment_id": "D-999", "status": "succeeded"}`), want: 400},
			{name: "the id without its D-", header: good, body: []byte(`{"deployment_id": "` + strings.TrimPrefix(did, "D-") + `", "status": "succeeded"}`), want: 400},
			{name: "unknown status", header: good, body: body(`{"status": "timed_out"}`), want: 400},
			{name: "body over 64 KiB", header: good, body: append(body(`{"status": "succeeded", "message": "`),
				append(bytes.Repeat([]byte("x"), 64<<10), `"}`...)...), want: 413},
			{name: "in progress, signed with one of several signatures and 4 minutes off", header: func(b []byte) http.Header {
				hdr := signed(t, stagingSecret, "msg_cb_5", now.Add(-4*time.Minute), b)
				hdr.Set("webhook-signature", "v1,bm90IGl0 v2,whatever "+hdr.Get("webhook-signature"))
				return hdr
			}, body: body(`{"status": "in_progress", "message": "rolling out 3/10"}`), want: 204, wantStatus: releases.DeploymentInProgress},
			{name: "succeeded", header: good, body: body(`{"status": "succeeded", "message": "done", "url": "https://ci.example.com/run/9"}`),
				want: 204, wantStatus: releases.DeploymentSucceeded},
			{name: "a repeat of the final state", header: good, body: body(`{"status": "succeeded"}`), want: 204, wantStatus: releases.DeploymentSucceeded},
			{name: "a conflicting final state", header: good, body: body(`{"status": "failed"}`), want: 409, wantStatus: releases.DeploymentSucceeded},
			{name: "progress after the end", header: good, body: body(`{"status": "in_progress"}`), want: 409, wantStatus: releases.DeploymentSucceeded},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				id := tc.id
				if id == "" {
					id = did
				}
				before := len(h.audit(r.ID))
				rec := h.callback(id, tc.header(tc.body), tc.body)
				if rec.Code != tc.want {
					t.Fatalf("answer %d %s, want %d", rec.Code, rec.Body, tc.want)
				}
				for _, secret := range []string{stagingSecret, productionSecret, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
					if strings.Contains(rec.Body.String(), secret) {
						t.Fatalf("answer shows a secret: %s", rec.Body)
					}
				}
				want := tc.wantStatus
				if want == "" {
					want = releases.DeploymentInProgress // untouched
				}
				if got := h.deployment(d.ID).Status; got != want {
					t.Fatalf("deployment %s, want %s", got, want)
				}
				if after := len(h.audit(r.ID)); tc.want != 204 && after != before {
					t.Fatalf("a refused callback changed the audit trail: %v", h.audit(r.ID)[before:])
				}
			})
		}
		got := h.deployment(d.ID)
		if got.Message != "done" || got.URL != "https://ci.example.com/run/9" {
			t.Errorf("message %q, url %q", got.Message, got.URL)
		}
		// The deployer's words reach the thread.
		want := "deployment_status: " + did + " deployment of v1 to staging: succeeded — done (https://ci.example.com/run/9)"
		if audit := h.audit(r.ID); !strings.Contains(strings.Join(audit, "\n"), want) {
			t.Errorf("audit lacks %q:\n%s", want, strings.Join(audit, "\n"))
		}
	})
}

func TestCallbackForLogTargetIsRefused(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h := newHarness(t, s, []env{{name: "staging", log: true}})
		r := h.release("v1") // pending: the worker has not run
		did := releases.FormatDeploymentID(r.Deployments[0].ID)
		b := []byte(`{"deployment_id": "` + did + `", "status": "failed"}`)
		// There is no secret to sign with; anything is refused.
		if rec := h.callback(did, signed(t, "", "msg_x", h.clock.Now(), b), b); rec.Code != http.StatusUnauthorized {
			t.Fatalf("callback for a log: target: %d, want 401", rec.Code)
		}
	})
}
