package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/syncbuf"
	"github.com/releasebot/releasebot/internal/testclock"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/webhooks"
)

// People of the test configuration.
const (
	alice = "U0ALICE" // payments lead
	dave  = "U0DAVE"  // an engineer, creates releases
)

// Secrets: staging's in the Standard Webhooks form (the spec's example
// key), production's a plain string used as raw bytes.
const (
	stagingSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	productionSecret = "prod-deploy-secret-0123456789"
	publicURL        = "https://bot.example.com/"
)

var ctx = context.Background()

func newClock() *clock { return testclock.New(time.Now().UTC().Truncate(time.Second)) }

// answer is one scripted response of a deployer.
type answer struct {
	status int
	body   string
	header map[string]string
	delay  time.Duration // real time before answering (for timeouts); milliseconds only
}

// received is one request as a deployer saw it.
type received struct {
	id, timestamp, signature, contentType string
	raw                                   []byte
	payload                               webhooks.Payload
	verifyErr                             error     // the official Standard Webhooks library's verdict
	clockAt                               time.Time // the test clock when it arrived
}

// deployer is an httptest deploy endpoint that verifies every request with
// the official Standard Webhooks Go library (an implementation independent
// of webhooks.Sign) and answers from a script.
type deployer struct {
	t      *testing.T
	srv    *httptest.Server
	wh     *standardwebhooks.Webhook
	clock  *clock
	mu     sync.Mutex
	script []answer
	def    answer
	got    []received
	notify chan received
}

func newDeployer(t *testing.T, secret string, c *clock) *deployer {
	t.Helper()
	var wh *standardwebhooks.Webhook
	var err error
	if strings.HasPrefix(secret, "whsec_") {
		wh, err = standardwebhooks.NewWebhook(secret)
	} else {
		wh, err = standardwebhooks.NewWebhookRaw([]byte(secret))
	}
	if err != nil {
		t.Fatal(err)
	}
	d := &deployer{t: t, wh: wh, clock: c, def: answer{status: http.StatusAccepted}, notify: make(chan received, 1000)}
	d.srv = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *deployer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := received{id: r.Header.Get("webhook-id"), timestamp: r.Header.Get("webhook-timestamp"),
		signature: r.Header.Get("webhook-signature"), contentType: r.Header.Get("Content-Type"), raw: body,
		verifyErr: d.wh.VerifyIgnoringTimestamp(body, r.Header), clockAt: d.clock.Now()}
	if err := json.Unmarshal(body, &rec.payload); err != nil {
		d.t.Errorf("deployer: body is not a payload: %v\n%s", err, body)
	}
	d.mu.Lock()
	d.got = append(d.got, rec)
	a := d.def
	if len(d.script) > 0 {
		a, d.script = d.script[0], d.script[1:]
	}
	d.mu.Unlock()
	d.notify <- rec
	if a.delay > 0 {
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
		}
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

// answer scripts the next responses; after them the deployer answers 202.
func (d *deployer) answer(as ...answer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.script = append(d.script, as...)
}

func (d *deployer) requests() []received {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]received(nil), d.got...)
}

func (d *deployer) URL() string { return d.srv.URL }

// env describes one environment of a test configuration.
type env struct {
	name, secret string
	manual       bool
	deploy       config.Deploy // URL and Secret are filled in; zero fields get test defaults
	log          bool          // a log: target
}

// harness is a release service, a webhook worker and the callback
// endpoint over one store, with a deployer per environment.
type harness struct {
	t         *testing.T
	store     *gormstore.Store
	svc       *releases.Coordinator
	worker    *webhooks.Worker
	clock     *clock
	router    *gin.Engine
	cfg       *config.Config
	deployers map[string]*deployer
	logs      *syncBuffer
	after     func(time.Duration) <-chan time.Time // the worker's Run waits; nil: real timers
	registry  webhooks.Registry                    // the kinds of target; nil: the built-in ones
	envs      []webhooks.Environment               // cfg's environments, resolved by wire
}

// defaultEnvs is staging (auto) then production (manual).
func defaultEnvs() []env {
	return []env{{name: "staging", secret: stagingSecret}, {name: "production", secret: productionSecret, manual: true}}
}

func newConfig(t *testing.T, c *clock, envs []env) (*config.Config, map[string]*deployer) {
	cfg := &config.Config{
		RequireDistinctApprover: true,
		Teams:                   []config.Team{{Name: "payments", Channel: "C0PAY", Leads: []string{alice}, Approvals: 1}},
	}
	deployers := map[string]*deployer{}
	for _, e := range envs {
		d := e.deploy
		if d.Timeout == 0 {
			d.Timeout = 5 * time.Second
		}
		if d.Retries == 0 {
			d.Retries = 8
		}
		if d.Backoff == 0 {
			d.Backoff = 2 * time.Second
		}
		if d.FinishWithin == 0 {
			d.FinishWithin = 30 * time.Minute
		}
		if e.log {
			d.URL = "log:" + e.name
		} else {
			dep := newDeployer(t, e.secret, c)
			deployers[e.name] = dep
			if d.URL == "" {
				d.URL = dep.URL() + "/hooks/" + e.name
			}
			d.Secret = config.Secret(e.secret)
		}
		promote := config.PromoteAuto
		if e.manual {
			promote = config.PromoteManual
		}
		cfg.Environments = append(cfg.Environments, config.Environment{Name: e.name, Deploy: d, Promote: promote})
	}
	return cfg, deployers
}

// resolve builds the built-in targets of envs, failing t if it can't.
func resolve(t testing.TB, envs []config.Environment, deps webhooks.Deps) []webhooks.Environment {
	t.Helper()
	out, err := webhooks.Builtin().Resolve(envs, nil, deps)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newHarness(t *testing.T, s *gormstore.Store, envs []env) *harness {
	t.Helper()
	c := newClock()
	cfg, deployers := newConfig(t, c, envs)
	h := &harness{t: t, store: s, clock: c, cfg: cfg, deployers: deployers, logs: &syncBuffer{}}
	h.wire(s)
	return h
}

// wire builds the service, worker and router over s, as main does.
func (h *harness) wire(s *gormstore.Store) {
	h.store = s
	log := slog.New(slog.NewJSONHandler(h.logs, nil))
	h.svc = releases.NewCoordinator(releases.Options{Store: s, Policy: h.cfg.Policy(), Now: h.clock.Now, Logger: log})
	reg := h.registry
	if reg == nil {
		reg = webhooks.Builtin()
	}
	envs, err := reg.Resolve(h.cfg.Environments, h.cfg.Services, webhooks.Deps{Now: h.clock.Now, Logger: log})
	if err != nil {
		h.t.Fatal(err)
	}
	h.envs = envs
	h.worker = webhooks.NewWorker(webhooks.Options{Store: s, Reporter: h.svc, Environments: h.envs,
		PublicURL: publicURL, Logger: log, Now: h.clock.Now, Jitter: func() float64 { return 0.5 }, After: h.after})
	h.svc.AddNotifier(h.worker)
	gin.SetMode(gin.TestMode)
	h.router = gin.New()
	webhooks.RegisterCallbacks(h.router, webhooks.CallbackOptions{Deployments: h.svc, Environments: h.envs,
		Now: h.clock.Now, Logger: log})
}

func (h *harness) ok(r *releases.Release, err error) *releases.Release {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("unexpected error: %v", err)
	}
	return r
}

// release creates version of payments-api and signs it off: it starts
// deploying to its first environment.
func (h *harness) release(version string) *releases.Release {
	h.t.Helper()
	r := h.ok(h.svc.Create(ctx, dave, releases.CreateInput{Service: "payments-api", Version: version}))
	return h.ok(h.svc.SignOff(ctx, alice, r.ID, "payments"))
}

func (h *harness) get(id int64) *releases.Release {
	h.t.Helper()
	return h.ok(h.svc.Get(ctx, id))
}

func (h *harness) deployment(id int64) releases.Deployment {
	h.t.Helper()
	d, err := h.svc.Deployment(ctx, id)
	if err != nil {
		h.t.Fatalf("deployment D-%d: %v", id, err)
	}
	return *d
}

// runOnce runs the worker once and returns how many deployments it handled.
func (h *harness) runOnce() int {
	h.t.Helper()
	n, err := h.worker.RunOnce(ctx)
	if err != nil {
		h.t.Fatalf("worker: %v", err)
	}
	return n
}

// audit returns a release's audit trail as "action: detail" lines.
func (h *harness) audit(id int64) []string {
	h.t.Helper()
	events := h.ok2(h.svc.Audit(ctx, id))
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Action + ": " + e.Detail
	}
	return out
}

func (h *harness) ok2(events []releases.AuditEvent, err error) []releases.AuditEvent {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
	return events
}

// signed is a callback request signed by an independent signer, the
// official library.
func signed(t *testing.T, secret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	var wh *standardwebhooks.Webhook
	var err error
	if strings.HasPrefix(secret, "whsec_") {
		wh, err = standardwebhooks.NewWebhook(secret)
	} else {
		wh, err = standardwebhooks.NewWebhookRaw([]byte(secret))
	}
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	hdr := http.Header{}
	hdr.Set("webhook-id", id)
	hdr.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	hdr.Set("webhook-signature", sig)
	hdr.Set("Content-Type", "application/json")
	return hdr
}

// callback posts body to the status endpoint of deployment did with hdr
// and returns the answer.
func (h *harness) callback(did string, hdr http.Header, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/deployments/"+did+"/status", bytes.NewReader(body))
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.router.ServeHTTP(rec, req)
	return rec
}

// report calls back for deployment id, signed with its environment's secret.
func (h *harness) report(id int64, secret, status string) {
	h.t.Helper()
	did := releases.FormatDeploymentID(id)
	body := fmt.Appendf(nil, `{"deployment_id": %q, "status": %q}`, did, status)
	if rec := h.callback(did, signed(h.t, secret, "msg_cb_"+did+status, h.clock.Now(), body), body); rec.Code != http.StatusNoContent {
		h.t.Fatalf("callback %s %s: %d %s", did, status, rec.Code, rec.Body)
	}
}

func last[T any](s []T) T { return s[len(s)-1] }

type clock = testclock.Clock

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer = syncbuf.Buffer
