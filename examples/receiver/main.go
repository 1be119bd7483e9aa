// Command receiver is a reference deployer for releasebot's deployment
// webhooks, in the standard library only, to copy from. It
//
//   - verifies each delivery's Standard Webhooks signature (webhook-id,
//     webhook-timestamp, webhook-signature) with the environment's deploy
//     secret, and refuses stale timestamps;
//   - answers 202 at once, and treats a repeated webhook-id (a retry of a
//     delivery it already took) as taken;
//   - deploys in the background: runs DEPLOY_COMMAND, if set, with the
//     delivery in its environment (RELEASE_TYPE, RELEASE_SERVICE,
//     RELEASE_VERSION, RELEASE_PREVIOUS_VERSION, RELEASE_ENVIRONMENT,
//     RELEASE_ID, DEPLOYMENT_ID);
//   - reports in_progress, then succeeded or failed, to the delivery's
//     callback_url, signed the same way with the same secret.
//
// Usage:
//
//	DEPLOY_SECRET=whsec_… DEPLOY_COMMAND='./deploy.sh' go run ./examples/receiver -addr :9000
//
// and point the environment's deploy.url at http://HOST:9000/deploy.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// delivery is the body releasebot posts.
type delivery struct {
	Type            string   `json:"type"` // deployment.requested or rollback.requested
	DeploymentID    string   `json:"deployment_id"`
	ReleaseID       string   `json:"release_id"`
	Service         string   `json:"service"`
	Version         string   `json:"version"` // for a rollback: the version to go back to
	PreviousVersion string   `json:"previous_version"`
	Environment     string   `json:"environment"`
	RequestedBy     string   `json:"requested_by"`
	ApprovedBy      []string `json:"approved_by"`
	CallbackURL     string   `json:"callback_url"`
}

// status is what the receiver reports back. DeploymentID names the
// delivery's deployment: releasebot refuses a report whose signed body
// names another deployment than its callback_url.
type status struct {
	DeploymentID string `json:"deployment_id"`
	Status       string `json:"status"` // in_progress, succeeded or failed
	Message      string `json:"message,omitempty"`
	URL          string `json:"url,omitempty"`
}

func main() {
	addr := flag.String("addr", ":9000", "listen address")
	flag.Parse()
	key, err := signingKey(os.Getenv("DEPLOY_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	r := newReceiver(key, commandDeploy(os.Getenv("DEPLOY_COMMAND")))
	mux := http.NewServeMux()
	mux.Handle("POST /deploy", r)
	log.Printf("receiving deployments on %s/deploy", *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}

// signingKey turns a deploy secret into the HMAC key: the base64-decoded
// part of a whsec_… secret, or the secret's own bytes.
func signingKey(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("DEPLOY_SECRET is not set")
	}
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		return base64.StdEncoding.DecodeString(rest)
	}
	return []byte(secret), nil
}

// sign returns the webhook-signature value of a message.
func sign(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, ts)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verify checks a signed request: a timestamp within 5 minutes, and one of
// the space-separated signatures right, compared in constant time.
func verify(key []byte, h http.Header, body []byte, now time.Time) error {
	id, tsText, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || tsText == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errors.New("bad webhook-timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("webhook-timestamp too far from now")
	}
	want := sign(key, id, ts, body)
	for _, sig := range strings.Fields(sigs) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no matching signature")
}

// deployFunc does the deployment; it returns a message and a link for the
// release thread.
type deployFunc func(ctx context.Context, d delivery) (message, link string, err error)

type receiver struct {
	key    []byte
	deploy deployFunc
	client *http.Client
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]bool // webhook ids taken (keep them in a database in production)
	wg   sync.WaitGroup
}

func newReceiver(key []byte, deploy deployFunc) *receiver {
	return &receiver{key: key, deploy: deploy, client: &http.Client{Timeout: 10 * time.Second}, now: time.Now, seen: map[string]bool{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := verify(rc.key, r.Header, body, rc.now()); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var d delivery
	if err := json.Unmarshal(body, &d); err != nil || d.CallbackURL == "" {
		http.Error(w, "not a releasebot delivery", http.StatusBadRequest) // 4xx: releasebot won't retry
		return
	}
	id := r.Header.Get("webhook-id")
	rc.mu.Lock()
	repeat := rc.seen[id]
	rc.seen[id] = true
	rc.mu.Unlock()
	w.WriteHeader(http.StatusAccepted) // taken: releasebot waits for the callback
	if repeat {
		return // releasebot retried a delivery whose answer it missed
	}
	rc.wg.Go(func() { rc.run(d) })
}

// run deploys and reports the outcome.
func (rc *receiver) run(d delivery) {
	ctx := context.Background()
	rc.report(ctx, d, status{Status: "in_progress", Message: "deploying " + d.Version})
	msg, link, err := rc.deploy(ctx, d)
	st := status{Status: "succeeded", Message: msg, URL: link}
	if err != nil {
		st = status{Status: "failed", Message: err.Error(), URL: link}
	}
	rc.report(ctx, d, st)
}

// report posts a signed status callback, retrying a few times.
func (rc *receiver) report(ctx context.Context, d delivery, st status) {
	st.DeploymentID = d.DeploymentID
	body, _ := json.Marshal(st)
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := "msg_" + hex.EncodeToString(b[:]) // one id for all tries of this report
	for try := range 5 {
		ts := rc.now().Unix()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.CallbackURL, bytes.NewReader(body))
		if err != nil {
			log.Printf("%s: bad callback_url: %v", d.DeploymentID, err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("webhook-signature", sign(rc.key, id, ts, body))
		resp, err := rc.client.Do(req)
		if err == nil {
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusNoContent:
				return
			case resp.StatusCode < 500: // 401, 404, 409: retrying won't help
				log.Printf("%s: callback %s refused: %s", d.DeploymentID, st.Status, resp.Status)
				return
			}
		}
		time.Sleep(time.Duration(1<<try) * time.Second)
	}
	log.Printf("%s: callback %s not delivered", d.DeploymentID, st.Status)
}

// commandDeploy runs command (with sh -c) for each delivery; without one it
// only logs.
func commandDeploy(command string) deployFunc {
	return func(ctx context.Context, d delivery) (string, string, error) {
		if command == "" {
			log.Printf("would deploy %s %s to %s (%s)", d.Service, d.Version, d.Environment, d.Type)
			return "nothing to run (DEPLOY_COMMAND is not set)", "", nil
		}
		cmd := exec.CommandContext(ctx, "sh", "-c", command)
		cmd.Env = append(os.Environ(), "RELEASE_TYPE="+d.Type, "RELEASE_SERVICE="+d.Service, "RELEASE_VERSION="+d.Version,
			"RELEASE_PREVIOUS_VERSION="+d.PreviousVersion, "RELEASE_ENVIRONMENT="+d.Environment,
			"RELEASE_ID="+d.ReleaseID, "DEPLOYMENT_ID="+d.DeploymentID)
		out, err := cmd.CombinedOutput()
		last := lastLine(string(out))
		if err != nil {
			return "", "", fmt.Errorf("%s: %v", last, err)
		}
		return last, "", nil
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
