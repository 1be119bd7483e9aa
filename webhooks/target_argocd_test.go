package webhooks_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/webhooks"
)

const argoToken = "argocd-token-0123456789"

// Revisions: what releasebot asks for (a tag) and the commit Argo CD
// resolves it to, as its API does for a git source.
const (
	shaV1 = "1111111111111111111111111111111111111111"
	shaV2 = "2222222222222222222222222222222222222222"
)

// argoRequest is one request as the fake Argo CD saw it.
type argoRequest struct {
	method, path, auth, contentType string
	body                            struct {
		Name     string `json:"name"`
		Revision string `json:"revision"`
		Infos    []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"infos"`
	}
}

// fakeArgo is an Argo CD API server with one application, built on the
// fixture argocd/application-status.json and answering as Argo CD's
// server does (server/application Sync, util/argo SetAppOperation): a sync
// sets the application's operation (refused with 400 "another operation
// is already in progress" while one is set) and answers the whole
// application; the controller — driven by the test — starts the
// operation, finishes it and reconciles sync and health.
type fakeArgo struct {
	t      *testing.T
	srv    *httptest.Server
	clock  *clock
	prefix string // path under which the API is served
	app    string

	mu        sync.Mutex
	fixture   map[string]any
	resolve   map[string]string // tag → commit
	operation map[string]any    // asked for, not finished (top-level "operation")
	opState   map[string]any    // status.operationState
	syncSt    map[string]any    // status.sync
	health    map[string]any    // status.health
	keepState bool              // a sync leaves the old operationState shown (a stale cache, argo-cd#29410)
	slowSync  time.Duration     // the next sync is taken, then answered this late
	busyOnce  bool              // the next sync is refused as busy, as if another operation ran
	got       []argoRequest
}

func newFakeArgo(t *testing.T, c *clock, prefix, app string) *fakeArgo {
	t.Helper()
	raw, err := os.ReadFile("testdata/argocd/application-status.json")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeArgo{t: t, clock: c, prefix: prefix, app: app,
		resolve: map[string]string{"v1": shaV1, "v2": shaV2}}
	if err := json.Unmarshal(raw, &f.fixture); err != nil {
		t.Fatal(err)
	}
	// The application runs v1, Synced and Healthy, after a sync someone
	// made an hour ago: the fixture's own operation, moved to v1.
	st := f.fixture["status"].(map[string]any)
	f.opState = st["operationState"].(map[string]any)
	f.opState["operation"].(map[string]any)["sync"].(map[string]any)["revision"] = shaV1
	f.opState["syncResult"].(map[string]any)["revision"] = shaV1
	f.opState["startedAt"] = c.Now().Add(-time.Hour).Format(time.RFC3339)
	f.opState["finishedAt"] = c.Now().Add(-time.Hour + time.Second).Format(time.RFC3339)
	f.syncSt = st["sync"].(map[string]any)
	f.syncSt["revision"] = shaV1
	f.health = st["health"].(map[string]any)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeArgo) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := argoRequest{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"),
		contentType: r.Header.Get("Content-Type")}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &rec.body); err != nil {
			f.t.Errorf("fake Argo CD: body is not JSON: %v\n%s", err, body)
		}
	}
	f.mu.Lock()
	f.got = append(f.got, rec)
	w.Header().Set("Date", f.clock.Now().Format(http.TimeFormat))
	w.Header().Set("Content-Type", "application/json")
	appPath := f.prefix + "/api/v1/applications/" + f.app
	var delay time.Duration
	switch {
	case rec.auth != "Bearer "+argoToken:
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid session: token signature is invalid","code":16,"message":"invalid session: token signature is invalid"}`)
	case r.Method == http.MethodGet && r.URL.Path == appPath:
		f.writeApp(w)
	case r.Method == http.MethodPost && r.URL.Path == appPath+"/sync":
		if f.operation != nil || f.busyOnce {
			f.busyOnce = false
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"another operation is already in progress","code":9,"message":"another operation is already in progress"}`)
			break
		}
		rev := rec.body.Revision
		if sha, ok := f.resolve[rev]; ok {
			rev = sha
		}
		infos := []any{}
		for _, i := range rec.body.Infos {
			infos = append(infos, map[string]any{"name": i.Name, "value": i.Value})
		}
		f.operation = map[string]any{"sync": map[string]any{"revision": rev, "syncStrategy": map[string]any{"hook": map[string]any{}}},
			"initiatedBy": map[string]any{"username": "releasebot"}, "info": infos}
		if !f.keepState {
			f.opState = nil
		}
		delay, f.slowSync = f.slowSync, 0
		f.writeApp(w)
	default:
		// Argo CD answers an unknown application like one the token may
		// not see.
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"error":"permission denied","code":7,"message":"permission denied"}`)
	}
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
}

// writeApp answers the application: the fixture with the current state.
func (f *fakeArgo) writeApp(w http.ResponseWriter) {
	st := f.fixture["status"].(map[string]any)
	st["sync"], st["health"] = f.syncSt, f.health
	if f.opState == nil {
		delete(st, "operationState")
	} else {
		st["operationState"] = f.opState
	}
	app := map[string]any{"metadata": map[string]any{"name": f.app, "namespace": "argocd"}, "status": st}
	if f.operation != nil {
		app["operation"] = f.operation
	}
	b, err := json.Marshal(app)
	if err != nil {
		f.t.Error(err)
	}
	w.Write(b)
}

// start: the controller starts the operation asked for.
func (f *fakeArgo) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.operation == nil {
		f.t.Fatal("fake Argo CD: no operation to start")
	}
	f.opState = map[string]any{"operation": f.operation, "phase": "Running", "message": "one or more tasks are running",
		"startedAt": f.clock.Now().Format(time.RFC3339)}
}

// finish: the controller ends the running operation in phase.
func (f *fakeArgo) finish(phase, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := f.opState["operation"].(map[string]any)
	f.opState["phase"], f.opState["message"] = phase, message
	f.opState["finishedAt"] = f.clock.Now().Format(time.RFC3339)
	f.opState["syncResult"] = map[string]any{"revision": op["sync"].(map[string]any)["revision"]}
	f.operation = nil
}

// reconcile: the controller compares the application and checks its health.
func (f *fakeArgo) reconcile(syncStatus, revision, health, healthMessage string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncSt["status"], f.syncSt["revision"] = syncStatus, revision
	f.health = map[string]any{"status": health}
	if healthMessage != "" {
		f.health["message"] = healthMessage
	}
}

func (f *fakeArgo) requests() []argoRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]argoRequest(nil), f.got...)
}

// syncs returns the sync requests the fake got.
func (f *fakeArgo) syncs() []argoRequest {
	var out []argoRequest
	for _, r := range f.requests() {
		if r.method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

// argoHarness is a harness whose one environment, staging, deploys
// through an argocd target against a fake Argo CD.
func argoHarness(t *testing.T, s *gormstore.Store, timeout time.Duration) (*harness, *fakeArgo) {
	t.Helper()
	h := newHarness(t, s, []env{{name: "staging", secret: stagingSecret}})
	fake := newFakeArgo(t, h.clock, "/staging", "payments-api-staging")
	h.cfg.Environments[0].Deploy = config.Deploy{Kind: config.KindArgoCD,
		ArgoCD:  config.ArgoCD{Server: fake.srv.URL + "/{environment}/", App: "{service}-{environment}", Token: argoToken},
		Timeout: timeout, Retries: 3, Backoff: 2 * time.Second, FinishWithin: 30 * time.Minute}
	h.wire(s)
	return h, fake
}

// poll advances past the argocd target's poll interval, runs the worker
// and returns deployment id.
func (h *harness) poll(id int64) releases.Deployment {
	h.t.Helper()
	h.clock.Advance(15 * time.Second)
	h.runOnce()
	return h.deployment(id)
}

// TestArgoCDSyncSucceedsWhenAllThreeHold: the sync is asked for once,
// with the bearer token, the deployment's revision and its id in the
// infos; the deployment follows it with the application's link, and
// succeeds only once the operation releasebot started Succeeded, the
// application is Synced at the revision and it is Healthy.
func TestArgoCDSyncSucceedsWhenAllThreeHold(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, fake := argoHarness(t, s, 5*time.Second)
		r := h.release("v2")
		h.runOnce()
		syncs := fake.syncs()
		if len(syncs) != 1 {
			t.Fatalf("%d sync requests, want 1: %+v", len(syncs), fake.requests())
		}
		got := syncs[0]
		did := releases.FormatDeploymentID(r.Deployments[0].ID)
		if got.path != "/staging/api/v1/applications/payments-api-staging/sync" || got.auth != "Bearer "+argoToken ||
			got.contentType != "application/json" || got.body.Name != "payments-api-staging" || got.body.Revision != "v2" {
			t.Fatalf("sync request %+v", got)
		}
		if len(got.body.Infos) == 0 || got.body.Infos[0].Name != "releasebot-deployment" || got.body.Infos[0].Value != did {
			t.Fatalf("sync infos %+v, want the deployment id %s first", got.body.Infos, did)
		}
		d := h.deployment(r.Deployments[0].ID)
		link := fake.srv.URL + "/staging/applications/payments-api-staging"
		if d.Status != releases.DeploymentInProgress || d.RunKind != config.KindArgoCD || d.RunID == "" || d.URL != link ||
			d.Message != "Argo CD sync of payments-api-staging to v2" {
			t.Fatalf("after the sync: %+v", d)
		}
		steps := []struct {
			name  string
			argo  func()
			final bool
		}{
			{"not started yet", func() {}, false},
			{"running", fake.start, false},
			{"succeeded, the application still OutOfSync at v1", func() {
				fake.finish("Succeeded", "successfully synced (all tasks run)")
				fake.reconcile("OutOfSync", shaV1, "Healthy", "")
			}, false},
			{"Synced at v2, Progressing", func() { fake.reconcile("Synced", shaV2, "Progressing", "") }, false},
			{"Synced at v2, Healthy", func() { fake.reconcile("Synced", shaV2, "Healthy", "") }, true},
		}
		for _, step := range steps {
			step.argo()
			d = h.poll(d.ID)
			if final := d.Status == releases.DeploymentSucceeded; final != step.final || (!final && d.Status != releases.DeploymentInProgress) {
				t.Fatalf("%s: %s %q, want final %v", step.name, d.Status, d.Message, step.final)
			}
		}
		if d.Message != "Argo CD sync of payments-api-staging to v2: succeeded, Synced and Healthy" || d.URL != link {
			t.Fatalf("succeeded with %q %s", d.Message, d.URL)
		}
		if n := len(fake.syncs()); n != 1 {
			t.Fatalf("%d syncs, want 1", n)
		}
		if got := h.get(r.ID).Status; got != releases.StatusDeployed {
			t.Fatalf("release %s, want deployed", got)
		}
	})
}

// TestArgoCDStaleHealthyIsNoSuccess: an application that keeps showing
// the older operation — here for the very revision asked for, Succeeded,
// Synced and Healthy — while releasebot's sync never starts is not a
// success (argo-cd#29410): the deployment is polled until finish_within
// times it out.
func TestArgoCDStaleHealthyIsNoSuccess(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, fake := argoHarness(t, s, 5*time.Second)
		fake.keepState = true
		fake.mu.Lock()
		fake.opState["operation"].(map[string]any)["sync"].(map[string]any)["revision"] = shaV2
		fake.opState["syncResult"].(map[string]any)["revision"] = shaV2
		fake.syncSt["revision"] = shaV2
		fake.mu.Unlock()
		r := h.release("v2")
		h.runOnce()
		id := r.Deployments[0].ID
		for i := 0; i < 10; i++ {
			if d := h.poll(id); d.Status != releases.DeploymentInProgress {
				t.Fatalf("poll %d of a stale application: %s %q", i, d.Status, d.Message)
			}
		}
		if d := h.deployment(id); !strings.Contains(d.Message, "waiting for Argo CD to start it") {
			t.Fatalf("message %q", d.Message)
		}
		h.clock.Advance(30 * time.Minute)
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentTimedOut {
			t.Fatalf("after finish_within: %s %q, want timed_out", d.Status, d.Message)
		}
		if n := len(fake.syncs()); n != 1 {
			t.Fatalf("%d syncs, want 1", n)
		}
	})
}

// TestArgoCDFailedPhaseFails: an operation that ends Failed (or Error)
// fails the deployment with Argo CD's message.
func TestArgoCDFailedPhaseFails(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, fake := argoHarness(t, s, 5*time.Second)
		r := h.release("v2")
		id := r.Deployments[0].ID
		h.runOnce()
		fake.start()
		fake.finish("Failed", `one or more objects failed to apply, reason: Deployment.apps "payments-api" is invalid`)
		d := h.poll(id)
		if d.Status != releases.DeploymentFailed ||
			d.Message != `Argo CD sync of payments-api-staging to v2: failed: one or more objects failed to apply, reason: Deployment.apps "payments-api" is invalid` {
			t.Fatalf("after a Failed operation: %s %q", d.Status, d.Message)
		}
		if got := h.get(r.ID).Status; got != releases.StatusFailed {
			t.Fatalf("release %s, want failed", got)
		}
	})
}

// TestArgoCDDegradedWaits: Degraded health after a Succeeded sync keeps
// the deployment in progress, saying so, until it recovers (or
// finish_within passes).
func TestArgoCDDegradedWaits(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, fake := argoHarness(t, s, 5*time.Second)
		id := h.release("v2").Deployments[0].ID
		h.runOnce()
		fake.start()
		fake.finish("Succeeded", "successfully synced (all tasks run)")
		fake.reconcile("Synced", shaV2, "Degraded", `Deployment "payments-api" exceeded its progress deadline`)
		d := h.poll(id)
		if d.Status != releases.DeploymentInProgress || !strings.Contains(d.Message, `Degraded: Deployment "payments-api" exceeded its progress deadline`) {
			t.Fatalf("Degraded: %s %q", d.Status, d.Message)
		}
		fake.reconcile("Synced", shaV2, "Healthy", "")
		if d = h.poll(id); d.Status != releases.DeploymentSucceeded {
			t.Fatalf("recovered: %s %q", d.Status, d.Message)
		}
	})
}

// TestArgoCDRetryAfterTimeoutFollowsTheSync: Argo CD took the sync but
// answered too late; the retry reads the application, finds the operation
// carrying the deployment's id and follows it without asking again.
func TestArgoCDRetryAfterTimeoutFollowsTheSync(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, fake := argoHarness(t, s, 200*time.Millisecond)
		fake.slowSync = 5 * time.Second
		r := h.release("v2")
		id := r.Deployments[0].ID
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentPending || d.RunID != "" {
			t.Fatalf("after a timeout: %s run %q", d.Status, d.RunID)
		}
		h.clock.Advance(2 * time.Second)
		h.runOnce()
		d := h.deployment(id)
		if d.Status != releases.DeploymentInProgress || d.RunKind != config.KindArgoCD || d.RunID == "" ||
			!strings.Contains(d.Message, "not asked for again") {
			t.Fatalf("after the retry: %+v", d)
		}
		reqs := fake.requests()
		if len(fake.syncs()) != 1 || last(reqs).method != http.MethodGet {
			t.Fatalf("requests %+v: want one sync, then a read", reqs)
		}
		fake.start()
		fake.finish("Succeeded", "successfully synced (all tasks run)")
		fake.reconcile("Synced", shaV2, "Healthy", "")
		if d = h.poll(id); d.Status != releases.DeploymentSucceeded {
			t.Fatalf("%s %q", d.Status, d.Message)
		}
		if n := len(fake.syncs()); n != 1 {
			t.Fatalf("%d syncs, want 1", n)
		}
	})
}

// TestArgoCDBusyIsRetried: "another operation is already in progress"
// (400) is asked again after the backoff, when the retry, finding no sync
// of its own, asks for it.
func TestArgoCDBusyIsRetried(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, fake := argoHarness(t, s, 5*time.Second)
		fake.busyOnce = true
		r := h.release("v2")
		id := r.Deployments[0].ID
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentPending {
			t.Fatalf("after a busy answer: %s %q", d.Status, d.Message)
		}
		h.clock.Advance(2 * time.Second)
		h.runOnce()
		if d := h.deployment(id); d.Status != releases.DeploymentInProgress || len(fake.syncs()) != 2 {
			t.Fatalf("after the retry: %s, %d syncs", d.Status, len(fake.syncs()))
		}
	})
}

// TestArgoCDRefusalFails: a refusal other than a busy application — here
// a bad token — fails the deployment with Argo CD's message.
func TestArgoCDRefusalFails(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, _ := argoHarness(t, s, 5*time.Second)
		h.cfg.Environments[0].Deploy.ArgoCD.Token = "wrong"
		h.wire(s)
		r := h.release("v2")
		h.runOnce()
		d := h.deployment(r.Deployments[0].ID)
		if d.Status != releases.DeploymentFailed ||
			d.Message != "Argo CD refused the sync of payments-api-staging to v2: HTTP 401 Unauthorized: invalid session: token signature is invalid" {
			t.Fatalf("%s %q", d.Status, d.Message)
		}
	})
}

// TestArgoCDRollbackSyncsThePreviousVersion: a rollback syncs the
// version that ran before, through the same application.
func TestArgoCDRollbackSyncsThePreviousVersion(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *gormstore.Store) {
		h, fake := argoHarness(t, s, 5*time.Second)
		deploy := func(id int64, sha string) {
			h.runOnce()
			fake.start()
			fake.finish("Succeeded", "successfully synced (all tasks run)")
			fake.reconcile("Synced", sha, "Healthy", "")
			if d := h.poll(id); d.Status != releases.DeploymentSucceeded {
				t.Fatalf("%s of %s: %s %q", d.Type, d.Version, d.Status, d.Message)
			}
		}
		deploy(h.release("v1").Deployments[0].ID, shaV1)
		r2 := h.release("v2")
		deploy(r2.Deployments[0].ID, shaV2)
		r2 = h.ok(h.svc.Rollback(ctx, dave, r2.ID, "", "error rate up"))
		rb := last(r2.Deployments)
		deploy(rb.ID, shaV1)
		syncs := fake.syncs()
		if len(syncs) != 3 || syncs[2].body.Revision != "v1" || syncs[2].body.Infos[0].Value != releases.FormatDeploymentID(rb.ID) {
			t.Fatalf("syncs %+v; want the rollback to sync v1", syncs)
		}
		if got := h.get(r2.ID).Status; got != releases.StatusRolledBack {
			t.Fatalf("after the rollback: %s, want rolled_back", got)
		}
	})
}

// TestArgoCDConfigurationRefused: an argocd target without its server,
// application or token is refused when the targets are resolved, naming
// what is missing.
func TestArgoCDConfigurationRefused(t *testing.T) {
	full := config.ArgoCD{Server: "https://argocd.example.com", App: "{service}-{environment}", Token: argoToken}
	for name, c := range map[string]struct {
		edit func(*config.ArgoCD)
		want string
	}{
		"no server": {func(a *config.ArgoCD) { a.Server = "" }, "server is required"},
		"no app":    {func(a *config.ArgoCD) { a.App = " " }, "app is required"},
		"no token":  {func(a *config.ArgoCD) { a.Token = "" }, "token is required"},
	} {
		a := full
		c.edit(&a)
		envs := []config.Environment{{Name: "production", Deploy: config.Deploy{Kind: config.KindArgoCD, ArgoCD: a}}}
		_, err := webhooks.Builtin().Resolve(envs, nil, webhooks.Deps{})
		if err == nil || err.Error() != "environment production: argocd target: "+c.want {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	envs := []config.Environment{{Name: "production", Deploy: config.Deploy{Kind: config.KindArgoCD, ArgoCD: full}}}
	got, err := webhooks.Builtin().Resolve(envs, nil, webhooks.Deps{})
	if err != nil || got[0].Timing.PollEvery != 15*time.Second {
		t.Fatalf("a full argocd target: %v, %+v; want polls every 15s", err, got)
	}
}
