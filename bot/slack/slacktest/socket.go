package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Socket Mode, as slack-go's socketmode client meets it
// (https://api.slack.com/apis/connections/socket-implement):
// apps.connections.open, called with the app-level token as bearer, answers
// {"ok":true,"url":"wss://…"} with a single-use URL; the WebSocket behind it
// greets the app with hello, pings it, delivers envelopes and reads the
// app's acks ({"envelope_id":…,"payload":…}). Here the URL is a ws:// one
// on the same httptest server.

// ConnectionsOpen is the method that hands out WebSocket URLs; its calls
// are recorded like every Web API call, and FailNext fails them too.
const ConnectionsOpen = "apps.connections.open"

// Envelope types Slack sends over Socket Mode, besides hello and
// disconnect.
const (
	EventsAPI     = "events_api"
	SlashCommands = "slash_commands"
	Interactive   = "interactive"
)

// Reasons Slack gives in a disconnect message.
const (
	// RefreshRequested: Slack is about to close the connection and wants a
	// new one opened (every few hours; after about 6 minutes with
	// debug_reconnects=true).
	RefreshRequested = "refresh_requested"
	// Warning comes about 10 seconds before a refresh.
	Warning = "warning"
	// LinkDisabled: Socket Mode was turned off for the app.
	LinkDisabled = "link_disabled"
)

// socketPingEvery is how often the fake pings each connection, as Slack
// does; slack-go reconnects after 30 s without a ping.
const socketPingEvery = 10 * time.Second

// socketWait bounds the Wait… helpers: long enough for a loaded CI
// machine, short enough that a hung test says why.
const socketWait = 10 * time.Second

// Envelope is a Socket Mode message from Slack to the app.
type Envelope struct {
	Type                   string // EventsAPI, SlashCommands or Interactive
	EnvelopeID             string // "" for a fresh one
	Payload                json.RawMessage
	AcceptsResponsePayload bool
	// Of a redelivered events_api envelope: the attempt (1, 2, 3) and why
	// ("timeout" when the first went unacknowledged).
	RetryAttempt int
	RetryReason  string
}

// MarshalJSON gives the envelope Slack's shape; retry_attempt and
// retry_reason come with events_api envelopes only.
func (e Envelope) MarshalJSON() ([]byte, error) {
	m := map[string]any{"envelope_id": e.EnvelopeID, "payload": e.Payload, "type": e.Type,
		"accepts_response_payload": e.AcceptsResponsePayload}
	if e.Type == EventsAPI {
		m["retry_attempt"], m["retry_reason"] = e.RetryAttempt, e.RetryReason
	}
	return json.Marshal(m)
}

// Ack is what the app sent back for an envelope.
type Ack struct {
	Conn       int // which connection it came over: 1, 2, …
	EnvelopeID string
	Payload    json.RawMessage // nil when the app sent none
}

// SocketConn is one WebSocket connection as the fake saw it.
type SocketConn struct {
	N               int  // 1, 2, … in the order they were opened
	DebugReconnects bool // the URL had debug_reconnects=true
	Open            bool
	Pongs           int // answers to the fake's pings
}

// socketState is the fake's Socket Mode side; its own mutex guards it.
type socketState struct {
	mu      sync.Mutex
	tickets map[string]bool // handed out and not yet used
	issued  int
	conns   []*socketConn
	acks    []Ack
	sent    int // envelope ids handed out
	changed chan struct{}
}

type socketConn struct {
	SocketConn
	ws   *websocket.Conn
	wmu  sync.Mutex // gorilla allows one writer at a time
	done chan struct{}
}

// serveSocketMode adds apps.connections.open and the WebSocket endpoint to
// mux; the test's end closes the connections left open.
func (s *Server) serveSocketMode(t testing.TB, mux *http.ServeMux) {
	s.sock.tickets, s.sock.changed = map[string]bool{}, make(chan struct{})
	mux.HandleFunc("POST /"+ConnectionsOpen, s.connectionsOpen)
	mux.HandleFunc("GET /link/", s.link)
	t.Cleanup(func() {
		for _, c := range s.sockets() {
			_ = c.ws.NetConn().Close()
		}
	})
}

func (s *Server) connectionsOpen(w http.ResponseWriter, r *http.Request) {
	c := Call{Method: ConnectionsOpen, Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
	s.mu.Lock()
	failure := s.nextFailure()
	s.mu.Unlock()
	var u string
	switch {
	case failure != nil:
		c.Status, c.Error = failure.Status, failure.Error
	case c.Token == "":
		c.Status, c.Error = http.StatusOK, "not_authed"
	case !strings.HasPrefix(c.Token, "xapp-"):
		// A bot or user token: the method wants the app-level one.
		c.Status, c.Error = http.StatusOK, "not_allowed_token_type"
	default:
		c.Status = http.StatusOK
		s.sock.mu.Lock()
		s.sock.issued++
		ticket := fmt.Sprintf("ticket-%d", s.sock.issued)
		s.sock.tickets[ticket] = true
		s.sock.mu.Unlock()
		u = "ws" + strings.TrimPrefix(s.URL, "http") + "/link/?ticket=" + ticket + "&app_id=A0RELEASEBOT"
	}
	c = s.record(c)
	reply(w, c, failure, map[string]any{"ok": true, "url": u})
}

var upgrader = websocket.Upgrader{
	// slack-go sends Origin: https://api.slack.com, which is not this host.
	CheckOrigin: func(*http.Request) bool { return true },
}

// link is the WebSocket endpoint: a ticket opens one connection, once.
func (s *Server) link(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ticket := q.Get("ticket")
	s.sock.mu.Lock()
	valid := s.sock.tickets[ticket]
	delete(s.sock.tickets, ticket)
	s.sock.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	c := &socketConn{ws: ws, done: make(chan struct{})}
	c.DebugReconnects, c.Open = q.Get("debug_reconnects") == "true", true
	ws.SetPongHandler(func(string) error {
		s.sockChange(func() { c.Pongs++ })
		return nil
	})
	var open int
	s.sockChange(func() {
		s.sock.conns = append(s.sock.conns, c)
		c.N = len(s.sock.conns)
		for _, o := range s.sock.conns {
			if o.Open {
				open++
			}
		}
	})
	connectionTime := 18060 // seconds until Slack refreshes the connection
	if c.DebugReconnects {
		connectionTime = 360
	}
	_ = c.write(map[string]any{"type": "hello", "num_connections": open,
		"debug_info":      map[string]any{"host": "applink-releasebot-test", "build_number": 10, "approximate_connection_time": connectionTime},
		"connection_info": map[string]any{"app_id": "A0RELEASEBOT"}})
	go c.pinger()
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			break
		}
		var a struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(msg, &a) != nil || a.EnvelopeID == "" {
			continue // Slack ignores what is not an ack
		}
		s.sockChange(func() {
			s.sock.acks = append(s.sock.acks, Ack{Conn: c.N, EnvelopeID: a.EnvelopeID, Payload: a.Payload})
		})
	}
	close(c.done)
	_ = ws.Close()
	s.sockChange(func() { c.Open = false })
}

func (c *socketConn) pinger() {
	tick := time.NewTicker(socketPingEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
			_ = c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
		}
	}
}

func (c *socketConn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.writeRaw(b)
}

func (c *socketConn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// sockChange applies fn to the socket state and wakes the waiters.
func (s *Server) sockChange(fn func()) {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	fn()
	close(s.sock.changed)
	s.sock.changed = make(chan struct{})
}

func (s *Server) sockets() []*socketConn {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return append([]*socketConn(nil), s.sock.conns...)
}

// newest is the most recently opened connection still open.
func (s *Server) newest(t testing.TB) *socketConn {
	t.Helper()
	var c *socketConn
	s.await(t, "an open Socket Mode connection", func() bool {
		for i := len(s.sock.conns) - 1; i >= 0; i-- {
			if s.sock.conns[i].Open {
				c = s.sock.conns[i]
				return true
			}
		}
		return false
	})
	return c
}

// await blocks until cond, called with the socket state locked, holds; the
// test fails after socketWait.
func (s *Server) await(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(socketWait)
	defer deadline.Stop()
	for {
		s.sock.mu.Lock()
		ok, changed := cond(), s.sock.changed
		s.sock.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("slacktest: waited %s for %s", socketWait, what)
		}
	}
}

// Sockets returns every WebSocket connection opened so far, oldest first.
func (s *Server) Sockets() []SocketConn {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	out := make([]SocketConn, len(s.sock.conns))
	for i, c := range s.sock.conns {
		out[i] = c.SocketConn
	}
	return out
}

// WaitSockets waits until n WebSocket connections have been opened (and
// greeted with hello), counting closed ones.
func (s *Server) WaitSockets(t testing.TB, n int) {
	t.Helper()
	s.await(t, fmt.Sprintf("%d Socket Mode connections", n), func() bool { return len(s.sock.conns) >= n })
}

// Push sends e over the newest open connection, waiting for one if there is
// none yet, and returns its envelope id.
func (s *Server) Push(t testing.TB, e Envelope) string {
	t.Helper()
	if e.EnvelopeID == "" {
		s.sock.mu.Lock()
		s.sock.sent++
		// Slack's ids are UUIDs; these are unique and say what they are.
		e.EnvelopeID = fmt.Sprintf("env-%d-%s", s.sock.sent, e.Type)
		s.sock.mu.Unlock()
	}
	if err := s.newest(t).write(e); err != nil {
		t.Fatalf("slacktest: push envelope %s: %v", e.EnvelopeID, err)
	}
	return e.EnvelopeID
}

// PushRaw sends frame, as it is, over the newest open connection: for
// messages Slack would never send.
func (s *Server) PushRaw(t testing.TB, frame []byte) {
	t.Helper()
	if err := s.newest(t).writeRaw(frame); err != nil {
		t.Fatalf("slacktest: push a raw frame: %v", err)
	}
}

// Disconnect sends Slack's disconnect message with reason over the newest
// open connection; the app is expected to open a new one.
func (s *Server) Disconnect(t testing.TB, reason string) {
	t.Helper()
	msg := map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "applink-releasebot-test"}}
	if err := s.newest(t).write(msg); err != nil {
		t.Fatalf("slacktest: disconnect: %v", err)
	}
}

// Drop cuts the newest open connection without a word, as a network
// failure does, and waits until the fake has seen it closed.
func (s *Server) Drop(t testing.TB) {
	t.Helper()
	c := s.newest(t)
	_ = c.ws.NetConn().Close()
	s.await(t, "the dropped connection to close", func() bool { return !c.Open })
}

// WaitClosed waits until connection n (1, 2, …) is closed.
func (s *Server) WaitClosed(t testing.TB, n int) {
	t.Helper()
	s.await(t, fmt.Sprintf("connection %d to close", n), func() bool {
		return len(s.sock.conns) >= n && !s.sock.conns[n-1].Open
	})
}

// Ping pings every open connection now, instead of at the next tick.
func (s *Server) Ping() {
	for _, c := range s.sockets() {
		_ = c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
	}
}

// WaitPongs waits until connection n (1, 2, …) has answered want pings.
func (s *Server) WaitPongs(t testing.TB, n, want int) {
	t.Helper()
	s.await(t, fmt.Sprintf("%d pongs on connection %d", want, n), func() bool {
		return len(s.sock.conns) >= n && s.sock.conns[n-1].Pongs >= want
	})
}

// Acks returns the acks received so far, in arrival order.
func (s *Server) Acks() []Ack {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return append([]Ack(nil), s.sock.acks...)
}

// WaitAck waits for the ack of envelope id and returns it.
func (s *Server) WaitAck(t testing.TB, id string) Ack {
	t.Helper()
	var ack Ack
	s.await(t, "the ack of envelope "+id, func() bool {
		for _, a := range s.sock.acks {
			if a.EnvelopeID == id {
				ack = a
				return true
			}
		}
		return false
	})
	return ack
}

// Envelope returns the command as Slack delivers it over Socket Mode: the
// form's fields as a JSON object, is_enterprise_install a string, as in
// the payload captured in slack-go/slack#1265.
func (c SlashCommand) Envelope() Envelope {
	p := map[string]string{
		"token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": orDefault(c.TeamID, TeamID), "team_domain": "example",
		"channel_id": c.ChannelID, "channel_name": c.ChannelName, "user_id": c.UserID, "user_name": c.UserName,
		"command": "/release", "text": c.Text, "api_app_id": "A123456", "is_enterprise_install": "false",
		"response_url": c.ResponseURL, "trigger_id": "13345224609.738474920.8088930838d88f008e0",
	}
	return Envelope{Type: SlashCommands, Payload: mustJSON(p), AcceptsResponsePayload: true}
}

// Envelope returns the event as Slack delivers it over Socket Mode: the
// event_callback that HTTP would post, and for a redelivery (Retry > 0)
// the attempt and reason.
func (e Reaction) Envelope() Envelope {
	env := Envelope{Type: EventsAPI, Payload: e.Request().Body, RetryAttempt: e.Retry}
	if e.Retry > 0 {
		env.RetryReason = "timeout"
	}
	return env
}

// Envelope returns the button press as Slack delivers it over Socket Mode.
func (a BlockAction) Envelope() Envelope {
	return Envelope{Type: Interactive, Payload: a.Payload()}
}

// Envelope returns the event as Slack delivers it over Socket Mode.
func (e AppHomeOpened) Envelope() Envelope {
	return Envelope{Type: EventsAPI, Payload: e.Request().Body}
}

// Envelope returns the submission as Slack delivers it over Socket Mode:
// the ack may carry the answer (response_action).
func (v ViewSubmission) Envelope() Envelope {
	return Envelope{Type: Interactive, Payload: v.Payload(), AcceptsResponsePayload: true}
}
