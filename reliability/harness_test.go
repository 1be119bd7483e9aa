// Package reliability drives `releasebot serve` as a child process — the
// binary built once per test run — against a fake Slack Web API and a fake,
// signature-checking deployer, and checks that nothing is lost or done twice
// under kill -9, several replicas, hostile input and floods, and that no
// secret leaks.
//
//	go test ./reliability                          # default: 20 crash trials per database
//	go test ./reliability -reliability.trials=200  # long
//	go test ./reliability -reliability.seed=42     # replay a logged seed
//	go test ./reliability -reliability.overlay=o.json  # build serve with -overlay (see a check fail)
//	go test ./reliability -run TestFlood -v        # the floods, with serve's memory before and after
package reliability

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/internal/srctrack"
	"github.com/releasebot/releasebot/webhooks"
)

var (
	trialsFlag  = flag.Int("reliability.trials", 20, "crash trials per database")
	seedFlag    = flag.Uint64("reliability.seed", 0, "seed of the crash trials (0: from the clock; logged)")
	overlayFlag = flag.String("reliability.overlay", "", "go build -overlay file for the serve binary, to see a check fail")
	loadFlag    = flag.Bool("reliability.load", false, "run the load profile (slow)")
)

// binary is `releasebot`, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "releasebot-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "releasebot")
	args := []string{"build", "-o", binary}
	if *overlayFlag != "" {
		o, _ := filepath.Abs(*overlayFlag)
		args = append(args, "-overlay", o)
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	cmd := exec.Command(goTool, append(args, "github.com/releasebot/releasebot")...)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// Crash trials wait on processes, not CPU: run them side by side.
	if f := flag.Lookup("test.parallel"); f != nil && f.Value.String() == strconv.Itoa(runtime.GOMAXPROCS(0)) {
		_ = flag.Set("test.parallel", "24")
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Canary secrets: every test runs with them, and TestSecretsNeverLeak
// looks for them everywhere.
const (
	slackToken    = "xoxb-CANARY-token-5e1d7a"
	signingSecret = "CANARY-signing-9c2f44"
	stagingSecret = "CANARY-staging-secret-3b8e"
	// prodSecret is a whsec_ secret: its key is the decoded bytes.
	prodSecret    = "whsec_Q0FOQVJZLXByb2Qta2V5LTcxYWEtMDAwMA=="
	prodSecretKey = "CANARY-prod-key-71aa-0000"
)

var canaries = []string{slackToken, signingSecret, stagingSecret, prodSecret, prodSecretKey, "Q0FOQVJZLXByb2Qta2V5LTcxYWEtMD"}

// People and channels of the configuration writeConfig writes.
const (
	alice   = "U0ALICE" // payments lead
	carol   = "U0CAROL" // risk lead
	dave    = "U0DAVE"  // leads nothing; opens releases
	relChan = "C0REL"
	payChan = "C0PAY"
	rskChan = "C0RISK"
)

// writeConfig writes releasebot.yaml with two teams and two environments
// deploying to d, retrying fast.
func writeConfig(t testing.TB, dir string, d *deployer) string {
	t.Helper()
	env := func(name, secretVar string) string {
		return fmt.Sprintf(`  - name: %s
    deploy:
      url: %s/%s
      secret: ${%s}
      timeout: 2s
      retries: 30
      backoff: 50ms
      finish_within: 5m
    promote: auto
`, name, d.URL, name, secretVar)
	}
	yaml := `timezone: UTC
release_managers: [U0RM1]
require_distinct_approver: true
teams:
  - name: payments
    channel: C0PAY
    leads: [U0ALICE, U0BOB]
    approvals: 1
  - name: risk
    channel: C0RISK
    leads: [U0CAROL]
    approvals: 1
environments:
` + env("staging", "STAGING_DEPLOY_SECRET") + env("production", "PROD_DEPLOY_SECRET")
	path := filepath.Join(dir, "releasebot.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// deployer is a fake deployment target: it checks every request's
// signature, records (deployment_id, webhook-id) pairs, answers the first
// request of each deployment 500 and later ones with success: staging
// synchronously ({"status":"succeeded"}), production by accepting (202) and
// calling back, signed, until the callback is taken.
type deployer struct {
	*httptest.Server
	t    testing.TB
	keys map[string][]byte
	// hold is how long each request is held, to catch overlapping
	// deliveries of one deployment.
	hold time.Duration

	mu        sync.Mutex
	ids       map[string]map[string]int // deployment_id → webhook-id → requests
	requests  map[string]int            // deployment_id → requests
	successes map[string]int            // deployment_id → 2xx answers
	inFlight  map[string]int
	overlaps  []string
	badSig    []string
	callbacks map[string]int // deployment_id → callbacks taken (204/409)
	// What each deployment is (service@environment), when its first
	// request came and when it succeeded (a 2xx with the outcome, or its
	// callback taken): a train's order is checked with them.
	targets   map[string]string
	firstAt   map[string]time.Time
	succeeded map[string]time.Time
	stop      chan struct{}
	wg        sync.WaitGroup
}

type deliveryBody struct {
	Type         string `json:"type"`
	DeploymentID string `json:"deployment_id"`
	ReleaseID    string `json:"release_id"`
	Service      string `json:"service"`
	Environment  string `json:"environment"`
	CallbackURL  string `json:"callback_url"`
}

func newDeployer(t testing.TB) *deployer {
	d := &deployer{t: t, keys: map[string][]byte{"staging": []byte(stagingSecret), "production": []byte(prodSecretKey)},
		ids: map[string]map[string]int{}, requests: map[string]int{}, successes: map[string]int{},
		inFlight: map[string]int{}, callbacks: map[string]int{}, stop: make(chan struct{}),
		targets: map[string]string{}, firstAt: map[string]time.Time{}, succeeded: map[string]time.Time{}}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(func() { close(d.stop); d.wg.Wait(); d.Close() })
	return d
}

func (d *deployer) serve(w http.ResponseWriter, r *http.Request) {
	env := strings.TrimPrefix(r.URL.Path, "/")
	body, _ := io.ReadAll(r.Body)
	key, ok := d.keys[env]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if err := webhooks.Verify(key, r.Header, body, time.Now()); err != nil {
		d.mu.Lock()
		d.badSig = append(d.badSig, env+": "+err.Error())
		d.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p deliveryBody
	if err := json.Unmarshal(body, &p); err != nil || p.DeploymentID == "" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	if d.ids[p.DeploymentID] == nil {
		d.ids[p.DeploymentID] = map[string]int{}
	}
	d.ids[p.DeploymentID][r.Header.Get(webhooks.HeaderID)]++
	d.requests[p.DeploymentID]++
	n := d.requests[p.DeploymentID]
	if n == 1 {
		d.targets[p.DeploymentID] = p.Service + "@" + env
		d.firstAt[p.DeploymentID] = time.Now()
	}
	d.inFlight[p.DeploymentID]++
	if d.inFlight[p.DeploymentID] > 1 {
		d.overlaps = append(d.overlaps, p.DeploymentID)
	}
	d.mu.Unlock()
	if d.hold > 0 {
		time.Sleep(d.hold)
	}
	d.mu.Lock()
	d.inFlight[p.DeploymentID]--
	if n > 1 {
		d.successes[p.DeploymentID]++
		if _, ok := d.succeeded[p.DeploymentID]; !ok && env == "staging" {
			d.succeeded[p.DeploymentID] = time.Now()
		}
	}
	d.mu.Unlock()
	switch {
	case n == 1:
		http.Error(w, "try again", http.StatusInternalServerError)
	case env == "staging":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"succeeded"}`)
	default:
		w.WriteHeader(http.StatusAccepted)
		d.wg.Add(1)
		go d.callBack(p, key)
	}
}

// callBack reports success until serve takes it: serve may be down.
func (d *deployer) callBack(p deliveryBody, key []byte) {
	defer d.wg.Done()
	body := []byte(`{"deployment_id":"` + p.DeploymentID + `","status":"succeeded","message":"rolled out","url":"https://ci.example.com/run/1"}`)
	// The success is dated when the callback that serve took was sent:
	// serve may act on it before its answer comes back. A 409 says an
	// earlier attempt was taken: the first attempt is the earliest it
	// can have been.
	var first time.Time
	for {
		req, _ := http.NewRequest(http.MethodPost, p.CallbackURL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		webhooks.SetHeaders(req.Header, key, "cb_"+p.DeploymentID, time.Now(), body)
		sent := time.Now()
		if first.IsZero() {
			first = sent
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusConflict {
				if resp.StatusCode == http.StatusConflict {
					sent = first
				}
				d.mu.Lock()
				d.callbacks[p.DeploymentID]++
				if _, ok := d.succeeded[p.DeploymentID]; !ok {
					d.succeeded[p.DeploymentID] = sent
				}
				d.mu.Unlock()
				return
			}
		}
		select {
		case <-d.stop:
			return
		case <-time.After(30 * time.Millisecond):
		}
	}
}

// snapshot returns copies of the deployer's records.
func (d *deployer) snapshot() (ids map[string]map[string]int, requests, successes map[string]int, overlaps, badSig []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids = map[string]map[string]int{}
	for k, v := range d.ids {
		ids[k] = map[string]int{}
		for id, n := range v {
			ids[k][id] = n
		}
	}
	requests, successes = map[string]int{}, map[string]int{}
	for k, v := range d.requests {
		requests[k] = v
	}
	for k, v := range d.successes {
		successes[k] = v
	}
	return ids, requests, successes, append([]string(nil), d.overlaps...), append([]string(nil), d.badSig...)
}

// server is one `releasebot serve` child process, restartable on the same
// database, address and log file.
//
// The address is a listening socket the test opens and keeps: every run
// of serve inherits it (RELEASEBOT_LISTEN_FD), and the test's copy keeps
// it open across kill -9, so no other test can take the port between a
// kill and the restart, and requests made meanwhile wait for the restart.
// Every run names itself (RELEASEBOT_INSTANCE, echoed in the
// X-Releasebot-Instance header), and start, send and get check that the
// answer came from this server.
type server struct {
	t        testing.TB
	env      []string
	addr     string
	base     string
	logs     string   // path of the appended stderr of every run
	listener *os.File // the test's copy of the listening socket
	instance string   // this server's name; each run adds ".N"
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	starts   int
	failed   bool // a start failed: waiting for this server is vain
}

// instanceHeader names the serve run that answered (RELEASEBOT_INSTANCE).
const instanceHeader = "X-Releasebot-Instance"

// servers numbers the servers of this test process, for their names.
var servers atomic.Int64

// newServer prepares (but does not start) serve on dbURL with the fake
// Slack and the config file at cfgPath.
func newServer(t testing.TB, dir, dbURL, cfgPath string, slack *slacktest.Server, extra ...string) *server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close() // f holds the socket
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() }) // after s.stop: cleanups run last first
	addr := ln.Addr().String()
	s := &server{t: t, addr: addr, base: "http://" + addr, listener: f,
		instance: fmt.Sprintf("rt%d-%d-%s", os.Getpid(), servers.Add(1), strings.ReplaceAll(addr, ":", "_")),
		logs:     filepath.Join(dir, fmt.Sprintf("serve-%s.log", strings.ReplaceAll(addr, ":", "_")))}
	s.env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + os.TempDir(),
		"DATABASE_URL=" + dbURL,
		"RELEASEBOT_CONFIG=" + cfgPath,
		"RELEASEBOT_ADDR=" + addr,
		"RELEASEBOT_LISTEN_FD=3", // ExtraFiles[0]
		"RELEASEBOT_PUBLIC_URL=" + "http://" + addr,
		"SLACK_BOT_TOKEN=" + slackToken,
		"SLACK_SIGNING_SECRET=" + signingSecret,
		"SLACK_API_URL=" + slack.URL + "/",
		"RELEASEBOT_SLACK_POST_INTERVAL=0s", // the fake Slack has no rate limit; waiting would only slow the trials
		"STAGING_DEPLOY_SECRET=" + stagingSecret,
		"PROD_DEPLOY_SECRET=" + prodSecret,
	}, extra...)
	t.Cleanup(s.stop)
	return s
}

// starting bounds how many serve processes start (open, migrate) at once:
// twenty migrating PostgreSQL schemas side by side starve each other.
var starting = make(chan struct{}, 4)

// probe asks /healthz once, briefly: on the inherited socket a connection
// is taken even while no serve runs, and waits for one.
var probe = &http.Client{Timeout: time.Second}

// start runs serve and waits until it answers /healthz as itself.
func (s *server) start() {
	s.t.Helper()
	starting <- struct{}{}
	defer func() { <-starting }()
	f, err := os.OpenFile(s.logs, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.fail("%v", err)
		return
	}
	defer f.Close()
	s.mu.Lock()
	run := fmt.Sprintf("%s.%d", s.instance, s.starts+1)
	s.mu.Unlock()
	cmd := exec.Command(binary, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = append(s.env, "RELEASEBOT_INSTANCE="+run), f, f
	cmd.ExtraFiles = []*os.File{s.listener}
	if err := cmd.Start(); err != nil {
		s.fail("%v", err)
		return
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.starts++
	s.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			s.fail("serve exited on start:\n%s", s.logText())
			return
		default:
		}
		if resp, err := probe.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if got := resp.Header.Get(instanceHeader); got != run {
				s.fail("serve at %s answered /healthz as %q, want %q: another process answers on this server's address", s.addr, got, run)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.fail("serve at %s did not answer /healthz", s.addr)
}

// fail reports a failed start; the server is then given up on.
func (s *server) fail(format string, args ...any) {
	s.t.Helper()
	s.mu.Lock()
	s.failed = true
	s.mu.Unlock()
	s.t.Errorf(format, args...)
}

// startFailed reports whether a start of s failed.
func (s *server) startFailed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// stop ends serve gracefully (SIGTERM).
func (s *server) stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(25 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func (s *server) logText() string {
	b, _ := os.ReadFile(s.logs)
	return string(b)
}

// send posts a signed Slack request; err is set when serve could not be
// reached (down, or killed mid-request).
func (s *server) send(r slacktest.Request) (int, string, error) {
	req := slacktest.Signer{Secret: signingSecret}.New(s.base, r)
	return s.do(req)
}

// do sends req to s and checks that s answered it.
func (s *server) do(req *http.Request) (int, string, error) {
	code, h, body, err := doHeader(req)
	if err == nil && !strings.HasPrefix(h.Get(instanceHeader), s.instance+".") {
		s.t.Errorf("%s %s was answered by %q, not by a run of %s", req.Method, req.URL.Path, h.Get(instanceHeader), s.instance)
		return 0, "", fmt.Errorf("answered by another server (%q)", h.Get(instanceHeader))
	}
	return code, body, err
}

func do(req *http.Request) (int, string, error) {
	code, _, body, err := doHeader(req)
	return code, body, err
}

func doHeader(req *http.Request) (int, http.Header, string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

var client = &http.Client{Timeout: 10 * time.Second}

// get fetches a path of serve.
func (s *server) get(path string) (int, string, error) {
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	return s.do(req)
}

// apiRelease is /api/releases/{id}.
type apiRelease struct {
	ID       string `json:"id"`
	Service  string `json:"service"`
	Version  string `json:"version"`
	Status   string `json:"status"`
	Signoffs []struct {
		Team, User, Decision string
	} `json:"signoffs"`
	Name        string `json:"name"`
	Deployments []struct {
		ID, Environment, Type, Status, Service string
		Attempts                               int
	} `json:"deployments"`
	Audit []struct {
		Actor, Action, Detail string
	} `json:"audit"`
}

func (s *server) release(id string) (*apiRelease, error) {
	code, body, err := s.get("/api/releases/" + id)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET /api/releases/%s: %d %s", id, code, body)
	}
	var r apiRelease
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *server) list() ([]apiRelease, error) {
	code, body, err := s.get("/api/releases?limit=200")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET /api/releases: %d", code)
	}
	var l struct{ Releases []apiRelease }
	err = json.Unmarshal([]byte(body), &l)
	return l.Releases, err
}

// mentions reports whether text names release id (R-1, not R-10).
func mentions(text, id string) bool {
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(id) + `\b`).MatchString(text)
}

// openedID finds "R-n" in create's answer.
var openedRE = regexp.MustCompile(`Opened (R-\d+)`)

// postsAbout returns the top-level posts in channel that name id.
func postsAbout(fake *slacktest.Server, channel, id string) []slacktest.Call {
	var out []slacktest.Call
	for _, c := range fake.Posts(channel) {
		if mentions(c.Text, id) {
			out = append(out, c)
		}
	}
	return out
}

// newRand returns the seeded source of a test, logging the seed.
func newRand(t testing.TB, salt uint64) (*rand.Rand, uint64) {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -reliability.seed=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, salt)), seed
}

// stack is one serve with its fake Slack and deployer.
type stack struct {
	t    *testing.T
	dir  string
	fake *slacktest.Server
	dep  *deployer
	srv  *server
}

// newStack starts serve on dbURL.
func newStack(t *testing.T, dbURL string, extraEnv ...string) *stack {
	t.Helper()
	st := &stack{t: t, dir: t.TempDir(), fake: slacktest.New(t), dep: newDeployer(t)}
	st.fake.Token = slackToken
	st.srv = newServer(t, st.dir, dbURL, writeConfig(t, st.dir, st.dep), st.fake, extraEnv...)
	st.srv.start()
	if t.Failed() {
		t.FailNow()
	}
	return st
}

// waitFor polls ok for up to d.
func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// create opens a release by slash command and waits for its sign-off
// requests; it returns the release id and the requests by channel.
func (st *stack) create(text string) (string, map[string]slacktest.Call) {
	st.t.Helper()
	code, body, err := st.srv.send(slacktest.SlashCommand{UserID: dave, UserName: "dave", ChannelID: relChan, ChannelName: "releases",
		Text: text, ResponseURL: st.fake.NewResponseURL()}.Request())
	m := openedRE.FindStringSubmatch(body)
	if err != nil || code != http.StatusOK || m == nil {
		st.t.Fatalf("create: %d %s %v", code, body, err)
	}
	id := m[1]
	reqs := map[string]slacktest.Call{}
	waitFor(st.t, 10*time.Second, id+"'s sign-off requests", func() bool {
		for _, ch := range []string{payChan, rskChan} {
			if p := postsAbout(st.fake, ch, id); len(p) > 0 {
				reqs[ch] = p[0]
			}
		}
		return len(reqs) == 2
	})
	return id, reqs
}

// react sends a lead's ✅ on msg and wants a 200.
func (st *stack) react(eventID, user string, msg slacktest.Call) {
	st.t.Helper()
	code, body, err := st.srv.send(slacktest.Reaction{EventID: eventID, User: user, Reaction: "white_check_mark",
		Channel: msg.Channel, TS: msg.PostedTS}.Request())
	if err != nil || code != http.StatusOK {
		st.t.Fatalf("reaction: %d %s %v", code, body, err)
	}
}

// waitStatus waits until release id has status.
func (st *stack) waitStatus(id, status string, d time.Duration) *apiRelease {
	st.t.Helper()
	var r *apiRelease
	waitFor(st.t, d, id+" "+status, func() bool {
		var err error
		r, err = st.srv.release(id)
		return err == nil && r.Status == status
	})
	return r
}

// TestSourcesAreTracked opens the module's sources, so that go test's
// cache answers this package again only while the serve binary that
// TestMain builds from them is unchanged.
func TestSourcesAreTracked(t *testing.T) { srctrack.Open(t, "..") }

// trainSnapshot returns, for each deployment the deployer saw, what it is
// (service@environment), when its first request came and when it
// succeeded (zero if it has not).
func (d *deployer) trainSnapshot() (targets map[string]string, firstAt, succeeded map[string]time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.targets), maps.Clone(d.firstAt), maps.Clone(d.succeeded)
}
