package reliability

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/releases/storetest"
)

// The floods of the security review (issue 10, findings 2, 6 and 7): what
// one client outside can throw at serve, with what serve may spend on it
// bounded. Each logs serve's resident memory before and after (VmRSS,
// and the peak, VmHWM, from /proc) and holds its growth under a bound
// generous enough for the garbage collector's slack.
//
//	go test ./reliability -run TestFlood -v

// memory is serve's resident memory, in bytes.
type memory struct{ rss, peak int64 }

func (m memory) String() string {
	return fmt.Sprintf("RSS %.1f MB (peak %.1f MB)", float64(m.rss)/1e6, float64(m.peak)/1e6)
}

// memory reads the resident memory of s's running process from /proc.
func (s *server) memory() memory {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		s.t.Fatal("serve is not running")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		s.t.Fatal(err)
	}
	var m memory
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			m.rss = kb << 10
		case "VmHWM":
			m.peak = kb << 10
		}
	}
	if m.rss == 0 {
		s.t.Fatalf("no VmRSS in /proc/%d/status", cmd.Process.Pid)
	}
	return m
}

// needProc skips a flood where serve's memory can't be read.
func needProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("serve's memory is read from /proc/PID/status (Linux)")
	}
}

// checkGrowth fails t when serve grew by more than bound from before to
// after; it logs both either way.
func checkGrowth(t *testing.T, what string, before, after memory, bound int64) {
	t.Helper()
	t.Logf("%s: before %v, after %v; growth %.1f MB (bound %d MB)", what, before, after, float64(after.rss-before.rss)/1e6, bound>>20)
	if after.rss-before.rss > bound {
		t.Errorf("%s: serve's RSS grew by %.1f MB, more than %d MB", what, float64(after.rss-before.rss)/1e6, bound>>20)
	}
}

// warmUp sends a few ordinary requests, so that the memory before a flood
// is that of a serve that has answered some.
func warmUp(t *testing.T, s *server) {
	t.Helper()
	for range 50 {
		if code, _, err := s.get("/healthz"); err != nil || code != http.StatusOK {
			t.Fatalf("/healthz: %d %v", code, err)
		}
	}
}

// Flood 2: invented methods and paths.
const (
	flood2Requests = 150_000
	flood2Budget   = 15 * time.Second // fewer requests where the machine is slow
	flood2Workers  = 16
	// maxHTTPSeries bounds the series of releasebot_http_requests_total:
	// methods × routes × statuses the routes really answer.
	maxHTTPSeries = 50
	flood2Growth  = 40 << 20
)

// TestFloodInventedMethodsAndPaths sends up to 150,000 requests with
// invented methods and paths (finding 2): the request metrics keep a
// bounded number of series, and serve's memory stays put.
func TestFloodInventedMethodsAndPaths(t *testing.T) {
	needProc(t)
	st := newStack(t, storetest.Databases(t)[0].URL(t))
	warmUp(t, st.srv)
	before := st.srv.memory()

	tr := &http.Transport{MaxIdleConnsPerHost: flood2Workers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	flood := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	paths := []string{"/", "/healthz", "/api/releases", "/slack/commands", "/webhooks/deployments/D-1/status", "/static/app.css"}
	var next, failed atomic.Int64
	var firstErr atomic.Value
	stop := time.Now().Add(flood2Budget)
	start := time.Now()
	var wg sync.WaitGroup
	for range flood2Workers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				i := next.Add(1)
				if i > flood2Requests {
					return
				}
				// Every request a method of its own; a path invented
				// every other time, else a real route asked the wrong way.
				method := "FLOOD" + strconv.FormatInt(i, 36)
				path := paths[i%int64(len(paths))]
				if i%2 == 0 {
					path = fmt.Sprintf("/x%d/%s", i%997, strconv.FormatInt(i*7919, 36))
				}
				req, _ := http.NewRequest(method, st.srv.base+path, nil)
				resp, err := flood.Do(req)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	sent := min(next.Load(), flood2Requests)
	after := st.srv.memory()
	t.Logf("flood 2: %d requests with invented methods and paths in %v (%.0f/s), %d failed (%v)",
		sent, took.Round(time.Millisecond), float64(sent)/took.Seconds(), failed.Load(), firstErr.Load())
	if failed.Load() > sent/100 {
		t.Errorf("%d of %d requests failed: %v", failed.Load(), sent, firstErr.Load())
	}

	code, metrics, err := st.srv.get("/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("/metrics: %d %v", code, err)
	}
	series := map[string]bool{}
	for _, line := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(line, "releasebot_http_requests_total{") {
			labels, _, _ := strings.Cut(line, "} ")
			series[labels+"}"] = true
		}
	}
	t.Logf("flood 2: /metrics is %d KB with %d series of releasebot_http_requests_total", len(metrics)>>10, len(series))
	if len(series) > maxHTTPSeries {
		var some []string
		for s := range series {
			some = append(some, s)
		}
		sort.Strings(some)
		t.Errorf("releasebot_http_requests_total has %d series after the flood, want at most %d; e.g. %v", len(series), maxHTTPSeries, some[:5])
	}
	checkGrowth(t, "flood 2", before, after, flood2Growth)
	if code, _, err := st.srv.get("/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("after the flood /healthz: %d %v", code, err)
	}
}

// Flood 6: unsigned and forged Slack requests declaring big bodies.
const (
	flood6Conns    = 300
	flood6Declared = 1 << 20 // what each declares in Content-Length
	flood6Chunk    = 8 << 10 // sent at once, and then every flood6Pace
	flood6Pace     = 100 * time.Millisecond
	// flood6Answer is how soon each must be answered. Sending the whole
	// body takes 12.8 s; Slack's own limit, 64 KiB, is sent within 0.8 s.
	flood6Answer = 5 * time.Second
	flood6Growth = 40 << 20
)

// slowAnswer is what one slow sender saw.
type slowAnswer struct {
	status int
	after  time.Duration
	sent   int64 // body bytes sent when the answer came
	err    error
}

// TestFloodSlowSlackBodies opens 300 connections at once to the Slack
// endpoints, each declaring a 1 MiB body and sending it slowly (finding
// 6): unsigned, with a stale signature, and with a fresh timestamp but a
// signature made without the secret. Each must be refused — 401, or 413
// for the declared size — within a few seconds, long before its body
// could have been read, and serve's memory stays put.
func TestFloodSlowSlackBodies(t *testing.T) {
	needProc(t)
	st := newStack(t, storetest.Databases(t)[0].URL(t))
	warmUp(t, st.srv)
	endpoints := []struct{ path, contentType string }{
		{"/slack/commands", slacktest.FormType}, {"/slack/events", slacktest.JSONType}, {"/slack/interactions", slacktest.FormType},
	}
	fake := "v0=" + strings.Repeat("5e", 32)
	variants := []struct {
		name    string
		headers func() string
	}{
		{"unsigned", func() string { return "" }},
		{"stale signature", func() string {
			return fmt.Sprintf("X-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: %s\r\n", time.Now().Add(-10*time.Minute).Unix(), fake)
		}},
		{"forged signature", func() string {
			return fmt.Sprintf("X-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: %s\r\n", time.Now().Unix(), fake)
		}},
	}
	first := st.srv.memory()
	worst := first
	for _, v := range variants {
		t.Run(strings.ReplaceAll(v.name, " ", "_"), func(t *testing.T) {
			answers := make([]slowAnswer, flood6Conns)
			var wg sync.WaitGroup
			for i := range flood6Conns {
				e := endpoints[i%len(endpoints)]
				head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: flood\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n",
					e.path, st.srv.addr, e.contentType, flood6Declared, v.headers())
				wg.Go(func() { answers[i] = slowPost(st.srv.addr, head) })
			}
			wg.Wait()
			m := st.srv.memory()
			if m.rss > worst.rss {
				worst = m
			}
			statuses := map[int]int{}
			var slowest time.Duration
			var mostSent int64
			var bad []string
			for i, a := range answers {
				statuses[a.status]++
				slowest, mostSent = max(slowest, a.after), max(mostSent, a.sent)
				if a.err != nil || (a.status != http.StatusUnauthorized && a.status != http.StatusRequestEntityTooLarge) {
					bad = append(bad, fmt.Sprintf("%s: %d after %v, %d KiB of the body sent: %v",
						endpoints[i%len(endpoints)].path, a.status, a.after.Round(time.Millisecond), a.sent>>10, a.err))
				}
			}
			t.Logf("flood 6, %s: %d connections; answers %v; slowest %v; most body sent before an answer %d KiB of %d KiB; %v",
				v.name, flood6Conns, statuses, slowest.Round(time.Millisecond), mostSent>>10, flood6Declared>>10, m)
			if len(bad) > 0 {
				t.Errorf("%d of %d connections were not refused (401 or 413) within %v, before their body was read; e.g.\n%s",
					len(bad), flood6Conns, flood6Answer, strings.Join(bad[:min(5, len(bad))], "\n"))
			}
		})
	}
	checkGrowth(t, "flood 6 (after the largest of the three floods)", first, worst, flood6Growth)
	if code, _, err := st.srv.get("/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("after the flood /healthz: %d %v", code, err)
	}
}

// slowPost sends head and then the body it declares, flood6Chunk at a
// time every flood6Pace, until serve answers, flood6Answer passes or the
// body is all sent.
func slowPost(addr, head string) slowAnswer {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, flood6Answer)
	if err != nil {
		return slowAnswer{err: err}
	}
	defer conn.Close()
	var sent atomic.Int64
	done := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() {
		if _, err := conn.Write([]byte(head)); err != nil {
			return
		}
		chunk := make([]byte, flood6Chunk)
		for i := range chunk {
			chunk[i] = 'a'
		}
		for sent.Load() < flood6Declared {
			n, err := conn.Write(chunk[:min(int64(len(chunk)), flood6Declared-sent.Load())])
			sent.Add(int64(n))
			if err != nil {
				return
			}
			select {
			case <-done:
				return
			case <-time.After(flood6Pace):
			}
		}
	})
	defer func() { close(done); conn.Close(); writer.Wait() }()
	_ = conn.SetReadDeadline(start.Add(flood6Answer))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	a := slowAnswer{after: time.Since(start), sent: sent.Load(), err: err}
	if err == nil {
		resp.Body.Close()
		a.status = resp.StatusCode
		if a.sent >= flood6Declared {
			a.err = fmt.Errorf("answered only once the whole body was sent")
		}
	}
	return a
}

// Flood 7: one user's creates.
const (
	flood7Creates = 60
	// createQuota is the default per-user create quota (README: 20 an
	// hour; releasebot.yaml's limits).
	createQuota = 20
	// flood7Interval is Slack's one new message a second per channel
	// (RELEASEBOT_SLACK_POST_INTERVAL), scaled down tenfold.
	flood7Interval = 100 * time.Millisecond
	flood7Growth   = 40 << 20
)

// quotaRefusal is what a refused create says, in some words.
var quotaRefusal = regexp.MustCompile(`(?i)quota|limit|too many|per hour|an hour|try again`)

// TestFloodCreates has one user send 60 creates in quick succession, then
// another user one (finding 7): at most the quota is opened, the rest get
// a refusal that says why, and the other user's sign-off requests are not
// queued behind the flood's in the team channels.
func TestFloodCreates(t *testing.T) {
	needProc(t)
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			st := newStack(t, db.URL(t), "RELEASEBOT_SLACK_POST_INTERVAL="+flood7Interval.String())
			warmUp(t, st.srv)
			before := st.srv.memory()
			hook := st.fake.NewResponseURL()
			var opened []string
			refusals := map[string]int{}
			start := time.Now()
			for i := range flood7Creates {
				code, body, err := st.srv.send(slacktest.SlashCommand{UserID: dave, UserName: "dave", ChannelID: relChan, ChannelName: "releases",
					Text: fmt.Sprintf("create flood%02d v1.0.0", i), ResponseURL: hook}.Request())
				if err != nil {
					t.Fatalf("create %d: %v", i, err)
				}
				if m := openedRE.FindStringSubmatch(body); m != nil && code == http.StatusOK {
					opened = append(opened, m[1])
					continue
				}
				refusals[fmt.Sprintf("%d %s", code, body)]++
			}
			t.Logf("flood 7: %d creates by one user in %v: %d opened, %d refused", flood7Creates, time.Since(start).Round(time.Millisecond), len(opened), flood7Creates-len(opened))
			for r, n := range refusals {
				t.Logf("refused ×%d: %.300s", n, r)
				if !strings.HasPrefix(r, "200 ") || !strings.Contains(r, `"ephemeral"`) || !quotaRefusal.MatchString(r) || strings.Contains(strings.ToLower(r), "internal error") {
					t.Errorf("a refused create answered %.300s; want an ephemeral sentence saying the create quota is used up", r)
				}
			}
			if len(opened) > createQuota {
				t.Errorf("one user opened %d releases in %v; the quota is %d an hour", len(opened), time.Since(start).Round(time.Second), createQuota)
			}
			if len(opened) == 0 {
				t.Fatalf("no create was opened")
			}

			// Another user, who made no creates, is not held back.
			const erin = "U0ERIN"
			code, body, err := st.srv.send(slacktest.SlashCommand{UserID: erin, UserName: "erin", ChannelID: relChan, ChannelName: "releases",
				Text: "create other-api v1.0.0", ResponseURL: hook}.Request())
			m := openedRE.FindStringSubmatch(body)
			if err != nil || code != http.StatusOK || m == nil {
				t.Fatalf("the other user's create: %d %.300s %v", code, body, err)
			}
			id, asked := m[1], time.Now()
			// Each flood release's request in a team channel is queued
			// before hers; she waits for those of the quota at most.
			bound := time.Duration(createQuota)*flood7Interval + 10*time.Second
			for _, ch := range []string{payChan, rskChan} {
				waitFor(t, bound, id+"'s sign-off request in "+ch, func() bool { return len(postsAbout(st.fake, ch, id)) > 0 })
				ahead := 0
				for _, c := range st.fake.Posts(ch) {
					if mentions(c.Text, id) {
						break
					}
					for _, f := range opened {
						if mentions(c.Text, f) {
							ahead++
							break
						}
					}
				}
				t.Logf("flood 7: %s's sign-off request reached %s %v after her create, after %d of the flood's", id, ch, time.Since(asked).Round(time.Millisecond), ahead)
				if ahead > createQuota {
					t.Errorf("%s's sign-off request in %s waited behind %d of one user's flood; at most %d (the quota) may be ahead", id, ch, ahead, createQuota)
				}
			}
			checkGrowth(t, "flood 7", before, st.srv.memory(), flood7Growth)
		})
	}
}
