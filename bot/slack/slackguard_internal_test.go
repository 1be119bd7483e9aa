package slack

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/bot/slack/slacktest"
	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/internal/wire"
)

// countingBody is a request body of size bytes that counts what was read
// of it; with gate set, the first read waits until gate is closed.
type countingBody struct {
	size    int
	read    *atomic.Int64
	started *atomic.Int64
	gate    chan struct{}
	once    sync.Once
	pos     int
}

func (b *countingBody) Read(p []byte) (int, error) {
	b.once.Do(func() {
		if b.started != nil {
			b.started.Add(1)
		}
		if b.gate != nil {
			<-b.gate
		}
	})
	if b.pos >= b.size {
		return 0, io.EOF
	}
	n := min(len(p), b.size-b.pos)
	for i := range n {
		p[i] = 'a'
	}
	b.pos += n
	b.read.Add(int64(n))
	return n, nil
}

func (b *countingBody) Close() error { return nil }

// guardRouter is the Slack endpoints with a bot that must never be reached.
func guardRouter(t *testing.T) http.Handler {
	t.Helper()
	cfg := config.Demo()
	return testRouter(NewSlack(SlackOptions{Bot: bot.New(bot.Options{Settings: wire.Bot(cfg)}), SigningSecret: testSecret}))
}

// flood sends n requests at once, each with body(i), headers set by
// header(i), and returns their statuses; answered, if set, counts the
// answers as they come.
func flood(h http.Handler, n int, body func(i int) *countingBody, header func(i int, r *http.Request), answered *atomic.Int64) []int {
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b := body(i)
			req := httptest.NewRequest(http.MethodPost, "/slack/events", b)
			req.ContentLength = -1 // chunked: the size is only known by reading
			req.Header.Set("Content-Type", "application/json")
			header(i, req)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			codes[i] = w.Code
			if answered != nil {
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	return codes
}

// Requests that can't be Slack's — no signature, a malformed one, a stale
// or missing timestamp — are refused with 401 before a byte of their body
// is read, however many come at once.
func TestSlackRefusesUnsignedFloodWithoutReadingBodies(t *testing.T) {
	h := guardRouter(t)
	now := time.Now().Unix()
	sig := "v0=" + strings.Repeat("ab", 32)
	headers := []struct {
		name      string
		ts, sig   string
		noHeaders bool
	}{
		{name: "no headers", noHeaders: true},
		{name: "no signature", ts: strconv.FormatInt(now, 10)},
		{name: "no timestamp", sig: sig},
		{name: "malformed signature", ts: strconv.FormatInt(now, 10), sig: "v0=nothex"},
		{name: "v1 signature", ts: strconv.FormatInt(now, 10), sig: "v1=" + strings.Repeat("ab", 32)},
		{name: "malformed timestamp", ts: "yesterday", sig: sig},
		{name: "stale timestamp", ts: strconv.FormatInt(now-6*60, 10), sig: sig},
		{name: "future timestamp", ts: strconv.FormatInt(now+6*60, 10), sig: sig},
	}
	var read atomic.Int64
	codes := flood(h, 300, func(int) *countingBody { return &countingBody{size: 1 << 20, read: &read} },
		func(i int, r *http.Request) {
			hd := headers[i%len(headers)]
			if hd.ts != "" {
				r.Header.Set("X-Slack-Request-Timestamp", hd.ts)
			}
			if hd.sig != "" {
				r.Header.Set("X-Slack-Signature", hd.sig)
			}
		}, nil)
	for i, code := range codes {
		if code != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d, want 401", headers[i%len(headers)].name, code)
		}
	}
	if n := read.Load(); n != 0 {
		t.Errorf("read %d bytes of unsigned bodies, want none", n)
	}
}

// A signed-looking request may be read, but no more than 64 KiB of it:
// 413.
func TestSlackCapsBodiesAt64KiB(t *testing.T) {
	h := guardRouter(t)
	signed := func(r *http.Request) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r.Header.Set("X-Slack-Request-Timestamp", ts)
		r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
	}
	var read atomic.Int64
	codes := flood(h, 1, func(int) *countingBody { return &countingBody{size: 1 << 20, read: &read} },
		func(_ int, r *http.Request) { signed(r) }, nil)
	if codes[0] != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB chunked body: HTTP %d, want 413", codes[0])
	}
	if n := read.Load(); n > maxSlackBody+64<<10 {
		t.Errorf("read %d bytes of an oversized body, want at most about %d", n, maxSlackBody)
	}
	// Declared too big: refused before reading.
	read.Store(0)
	req := httptest.NewRequest(http.MethodPost, "/slack/commands", &countingBody{size: 100 << 10, read: &read})
	req.ContentLength = 100 << 10
	req.Header.Set("Content-Type", formType)
	signed(req)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge || read.Load() != 0 {
		t.Errorf("Content-Length 100 KiB: HTTP %d after reading %d bytes, want 413 before reading", w.Code, read.Load())
	}
	// Slack's own sizes pass.
	w = serveSigned(h, slacktest.URLVerification(strings.Repeat("c", 60<<10)))
	if w.Code != http.StatusOK {
		t.Errorf("a 60 KiB url_verification: HTTP %d", w.Code)
	}
}

// Requests that look signed and trickle their bodies hold a bounded number
// of slots; the rest are answered 503 at once, unread, so memory stays
// flat under a flood.
func TestSlackBoundsRequestsInFlight(t *testing.T) {
	h := guardRouter(t)
	const n = 300
	var read, started, answered atomic.Int64
	gate := make(chan struct{})
	done := make(chan []int)
	go func() {
		done <- flood(h, n, func(int) *countingBody {
			return &countingBody{size: 32 << 10, read: &read, started: &started, gate: gate}
		}, func(_ int, r *http.Request) {
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
			r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
		}, &answered)
	}()
	// Wait until every request is either reading (held at the gate) or
	// answered: the answered ones were turned away without being read.
	deadline := time.After(10 * time.Second)
	for started.Load()+answered.Load() < n {
		select {
		case <-deadline:
			close(gate)
			t.Fatalf("after 10 s, %d bodies are being read and %d requests answered, of %d", started.Load(), answered.Load(), n)
		case <-time.After(time.Millisecond):
		}
	}
	inFlight := started.Load()
	close(gate)
	codes := <-done
	if inFlight > maxSlackInFlight {
		t.Errorf("%d bodies read at once, want at most %d", inFlight, maxSlackInFlight)
	}
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusServiceUnavailable] != n-int(inFlight) || count[http.StatusUnauthorized] != int(inFlight) {
		t.Errorf("answers %v: want %d refused at once (503) and the %d read refused for their signature (401)",
			count, n-int(inFlight), inFlight)
	}
}

// A signed-looking body that trickles in (slowloris) is cut off at the
// read deadline, and its slot freed.
func TestSlackCutsOffSlowBodies(t *testing.T) {
	cfg := config.Demo()
	s := NewSlack(SlackOptions{Bot: bot.New(bot.Options{Settings: wire.Bot(cfg)}), SigningSecret: testSecret})
	s.readTimeout = 100 * time.Millisecond
	srv := httptest.NewServer(testRouter(s))
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"+
		"X-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: v0=%s\r\n\r\n{\"type\":", time.Now().Unix(), strings.Repeat("ab", 32))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("stalled body: HTTP %d, want 400", resp.StatusCode)
	}
	if n := len(s.slots); n != 0 {
		t.Errorf("%d slots still held", n)
	}
}
