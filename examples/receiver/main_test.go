package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/webhooks"
)

// The receiver and the scripts must agree with releasebot's own signer and
// verifier (package webhooks): these tests sign with one and verify with
// the other, both ways.

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// bot is a fake releasebot status endpoint that verifies callbacks with
// webhooks.Verify and, like releasebot, wants the body's deployment_id to
// be the deployment of the path.
type bot struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []status
	errs []error
	done chan struct{}
}

func newBot(t *testing.T, final int) *bot {
	key, _ := config.Secret(secret).SigningKey()
	b := &bot{done: make(chan struct{}, 10)}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := webhooks.Verify(key, r.Header, body, time.Now())
		var st status
		if err == nil {
			err = json.Unmarshal(body, &st)
		}
		if err == nil {
			err = sameDeployment(r.URL.Path, st)
		}
		b.mu.Lock()
		b.got = append(b.got, st)
		if err != nil {
			b.errs = append(b.errs, err)
		}
		n := len(b.got)
		b.mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		} else {
			w.WriteHeader(http.StatusNoContent)
		}
		if n == final {
			b.done <- struct{}{}
		}
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// sameDeployment checks that a callback's body names the deployment of its
// path, /webhooks/deployments/D-17/status.
func sameDeployment(path string, st status) error {
	want := strings.TrimSuffix(strings.TrimPrefix(path, "/webhooks/deployments/"), "/status")
	if st.DeploymentID == "" || st.DeploymentID != want {
		return fmt.Errorf("deployment_id %q, path %s", st.DeploymentID, path)
	}
	return nil
}

func signedDelivery(t *testing.T, d delivery, id string) *http.Request {
	body, _ := json.Marshal(d)
	key, _ := config.Secret(secret).SigningKey()
	req := httptest.NewRequest(http.MethodPost, "/deploy", bytes.NewReader(body))
	webhooks.SetHeaders(req.Header, key, id, time.Now(), body)
	return req
}

func TestReceiverDeploysAndCallsBack(t *testing.T) {
	tests := []struct {
		name      string
		deployErr error
		want      []string
	}{
		{name: "success", want: []string{"in_progress", "succeeded"}},
		{name: "failure", deployErr: errors.New("migration 12 failed"), want: []string{"in_progress", "failed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBot(t, 2)
			key, _ := signingKey(secret)
			deploys := 0
			rc := newReceiver(key, func(_ context.Context, d delivery) (string, string, error) {
				deploys++
				return "deployed " + d.Version, "https://ci.example.com/run/9", tc.deployErr
			})
			d := delivery{Type: "deployment.requested", DeploymentID: "D-17", Service: "payments-api", Version: "v2.4.0",
				Environment: "staging", CallbackURL: b.srv.URL + "/webhooks/deployments/D-17/status"}
			for range 2 { // the second is a retry of the same delivery
				rec := httptest.NewRecorder()
				rc.ServeHTTP(rec, signedDelivery(t, d, "msg_1"))
				if rec.Code != http.StatusAccepted {
					t.Fatalf("answer %d %s, want 202", rec.Code, rec.Body)
				}
			}
			rc.wg.Wait()
			<-b.done
			if deploys != 1 {
				t.Errorf("deployed %d times, want once", deploys)
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			if len(b.errs) > 0 || len(b.got) != 2 || b.got[0].Status != tc.want[0] || b.got[1].Status != tc.want[1] {
				t.Fatalf("callbacks %+v (errors %v), want %v", b.got, b.errs, tc.want)
			}
		})
	}
}

func TestReceiverRefusesBadSignatures(t *testing.T) {
	key, _ := signingKey(secret)
	rc := newReceiver(key, nil)
	tests := []struct {
		name  string
		tweak func(r *http.Request)
	}{
		{name: "no headers", tweak: func(r *http.Request) { r.Header = http.Header{} }},
		{name: "other id", tweak: func(r *http.Request) { r.Header.Set("webhook-id", "msg_2") }},
		{name: "old timestamp", tweak: func(r *http.Request) {
			r.Header.Set("webhook-timestamp", "1614265330")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := signedDelivery(t, delivery{CallbackURL: "http://127.0.0.1:1/"}, "msg_1")
			tc.tweak(req)
			rec := httptest.NewRecorder()
			rc.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("answer %d, want 401", rec.Code)
			}
		})
	}
}

func needTools(t *testing.T) {
	for _, tool := range []string{"sh", "openssl", "curl", "od"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

// TestCallbackScript runs examples/callback.sh against a status endpoint
// that verifies with webhooks.Verify, for both kinds of secret.
func TestCallbackScript(t *testing.T) {
	needTools(t)
	for _, s := range []string{secret, "a plain secret with spaces"} {
		t.Run(s[:6], func(t *testing.T) {
			key, _ := config.Secret(s).SigningKey()
			var got []byte
			var verr error
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
				if verr = webhooks.Verify(key, r.Header, got, time.Now()); verr != nil {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				var st status
				if verr = json.Unmarshal(got, &st); verr == nil {
					verr = sameDeployment(r.URL.Path, st)
				}
				if verr != nil {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			cmd := exec.Command("sh", filepath.Join("..", "callback.sh"), srv.URL+"/webhooks/deployments/D-17/status", "failed", `said "no"`, "https://ci.example.com/run/9")
			cmd.Env = append(os.Environ(), "DEPLOY_SECRET="+s)
			if out, err := cmd.CombinedOutput(); err != nil || verr != nil {
				t.Fatalf("callback.sh: %v %v\n%s", err, verr, out)
			}
			var st status
			if err := json.Unmarshal(got, &st); err != nil || st.DeploymentID != "D-17" || st.Status != "failed" || st.Message != `said "no"` || st.URL != "https://ci.example.com/run/9" {
				t.Fatalf("body %s (%v)", got, err)
			}
		})
	}
}

// TestVerifyScript runs examples/verify.sh on a delivery signed by
// webhooks.SetHeaders, and on tampered ones.
func TestVerifyScript(t *testing.T) {
	needTools(t)
	key, _ := config.Secret(secret).SigningKey()
	body := []byte(`{"type":"deployment.requested","deployment_id":"D-17"}`)
	file := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(file, body, 0o600)
	h := http.Header{}
	webhooks.SetHeaders(h, key, "msg_1", time.Now(), body)
	stale := http.Header{}
	webhooks.SetHeaders(stale, key, "msg_1", time.Now().Add(-6*time.Minute), body)
	tests := []struct {
		name          string
		id, ts, sigs  string
		wantSucceeded bool
	}{
		{name: "signed", id: "msg_1", ts: h.Get("webhook-timestamp"), sigs: h.Get("webhook-signature"), wantSucceeded: true},
		{name: "one of two", id: "msg_1", ts: h.Get("webhook-timestamp"), sigs: "v1,AAAA " + h.Get("webhook-signature"), wantSucceeded: true},
		{name: "other id", id: "msg_2", ts: h.Get("webhook-timestamp"), sigs: h.Get("webhook-signature")},
		{name: "stale", id: "msg_1", ts: stale.Get("webhook-timestamp"), sigs: stale.Get("webhook-signature")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("sh", filepath.Join("..", "verify.sh"), tc.id, tc.ts, tc.sigs, file)
			cmd.Env = append(os.Environ(), "DEPLOY_SECRET="+secret)
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.wantSucceeded {
				t.Fatalf("verify.sh: %v, want success %v\n%s", err, tc.wantSucceeded, out)
			}
		})
	}
}
