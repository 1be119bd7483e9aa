// Package slacktest is a fake of the parts of Slack that releasebot talks
// to, for tests only: a Web API server that records every call and hands
// out unique message timestamps, with response_url endpoints, and helpers
// that build and sign requests the way Slack sends them.
//
// slack-go's own slacktest cannot show what was posted through the Web API
// and has no chat.update (see LIBRARY-NOTES.md), hence this one. Production
// code must not import it.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Methods the fake implements, and the name it records response_url
// calls under.
const (
	PostMessage   = "chat.postMessage"
	Update        = "chat.update"
	PostEphemeral = "chat.postEphemeral"
	History       = "conversations.history"
	Replies       = "conversations.replies"
	AuthTest      = "auth.test"
	ResponseURL   = "response_url"
)

// App is a Slack app installed in a workspace, as auth.test describes its
// bot token: the workspace, the bot's user and the bot.
type App struct {
	TeamID, UserID, BotID string
}

// The workspace of the tests and releasebot's app in it. Requests built
// here carry TeamID unless told otherwise; the fake answers auth.test for
// the bot token (Server.Token, or any token no AddApp named) with
// Releasebot.
const TeamID = "T123ABC456"

// Releasebot is the app the fake takes the bot to be.
var Releasebot = App{TeamID: TeamID, UserID: "U0RELEASEBOT", BotID: "B0RELEASEBOT"}

// Call is one request the fake received.
type Call struct {
	Seq    int    // 1, 2, … in arrival order over every call
	Method string // PostMessage, Update, PostEphemeral or ResponseURL
	Token  string // the form field token, or the bearer token
	// Form fields of a Web API call.
	Channel  string
	ThreadTS string // thread_ts: the root of the thread a reply goes to
	TS       string // ts: the message chat.update replaces
	User     string // the user of chat.postEphemeral
	Text     string
	Blocks   json.RawMessage // the blocks field, as sent
	Metadata json.RawMessage // the metadata field (message metadata), as sent
	Form     url.Values
	// Hook is the response_url path's last element; Body its JSON.
	Hook string
	Body json.RawMessage
	// What the fake answered: Status is the HTTP status; for a successful
	// post PostedTS is the new message's ts; Error is Slack's error code.
	Status   int
	PostedTS string
	Error    string
	// At is when the fake took the call, by the wall clock (not the clock
	// that stamps message timestamps): for checks of pacing.
	At time.Time
}

// OK reports whether the call succeeded.
func (c Call) OK() bool { return c.Status == http.StatusOK && c.Error == "" }

// Failure is how the fake answers a call it was told to fail.
type Failure struct {
	Status     int    // HTTP status; 200 with Error set is Slack's {"ok":false}
	RetryAfter string // Retry-After header of a 429
	Error      string // Slack's error code
	// TookEffect carries the call out before failing it, as when Slack
	// posts a message and its answer is lost (a 5xx from a proxy after a
	// timeout, internal_error).
	TookEffect bool
}

// Failures that Slack's Web API answers.
var (
	// RateLimited is ratelimited-429.txt, with Retry-After: 1.
	RateLimited = Failure{Status: http.StatusTooManyRequests, RetryAfter: "1", Error: "ratelimited"}
	// ServerError is a 500 with an HTML body, as Slack sends them.
	ServerError = Failure{Status: http.StatusInternalServerError}
	// ChannelNotFound is {"ok":false,"error":"channel_not_found"}.
	ChannelNotFound = Failure{Status: http.StatusOK, Error: "channel_not_found"}
)

// Message is a message as the fake holds it: posted, perhaps updated.
type Message struct {
	Channel, TS, ThreadTS, Text string
	Blocks                      json.RawMessage
	// Metadata is the message metadata it was posted with (chat.update
	// replaces it only when it sends some, as Slack does).
	Metadata json.RawMessage
	Updates  int
	// By is the app that posted it.
	By App
}

// Server is a fake Slack Web API on an httptest server. Point the bot at
// it with bot.NewSlackChat(token, s.URL+"/", nil).
type Server struct {
	*httptest.Server
	// Token, when set, is the only bot token the fake accepts; others get
	// invalid_auth.
	Token string
	// Now, when set, is the clock message timestamps are taken from
	// (default time.Now): Slack's ts is the time it took a message, unique
	// in its channel.
	Now func() time.Time
	// AuthTestDown makes auth.test answer an error (the other methods
	// work): Slack can't say who the app is.
	AuthTestDown bool

	mu        sync.Mutex
	apps      map[string]App // other apps' tokens: AddApp
	authTests int
	removed   map[string]bool // scopes the app lacks
	calls     []Call
	fail      []Failure
	messages  map[string]*Message // by channel + "/" + ts
	lastTS    int64
	hooks     int
	changed   chan struct{}
	sock      socketState // Socket Mode: socket.go
	viewSeq   int
	viewsByID map[string]string          // view id → the method that made it
	homes     map[string]json.RawMessage // user → their published Home
	groups    map[string]*UserGroup      // user groups by id: usergroups.go
}

// New starts a fake Web API that the test closes when it ends.
func New(t testing.TB) *Server {
	s := &Server{messages: map[string]*Message{}, changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/{hook}", s.hook)
	mux.HandleFunc("POST /{method}", s.api)
	s.serveSocketMode(t, mux)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// AddApp installs another app, whose calls carry token: what it posts is
// its own (bot_id and user in conversations.history), as another app's
// decoy of releasebot's messages would be.
func (s *Server) AddApp(token string, a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apps == nil {
		s.apps = map[string]App{}
	}
	s.apps[token] = a
}

// appOf is the app a call's token stands for; s.mu is held.
func (s *Server) appOf(token string) (App, bool) {
	if a, ok := s.apps[token]; ok {
		return a, true
	}
	if s.Token != "" && token != s.Token {
		return App{}, false
	}
	return Releasebot, true
}

// NewResponseURL returns a fresh response_url on the fake.
func (s *Server) NewResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks++
	return fmt.Sprintf("%s/hooks/%d", s.URL, s.hooks)
}

// FailNext makes the next n Web API calls (not response_url calls) fail
// with f, after any failures already queued.
func (s *Server) FailNext(n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fail = append(s.fail, f)
	}
}

// RemoveScopes takes scopes from the app, e.g. "channels:history": the
// methods that need them answer missing_scope, as for an app installed
// before it asked for them. The fake grants every scope until then.
func (s *Server) RemoveScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed == nil {
		s.removed = map[string]bool{}
	}
	for _, sc := range scopes {
		s.removed[sc] = true
	}
}

// GrantScopes gives back scopes RemoveScopes took.
func (s *Server) GrantScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sc := range scopes {
		delete(s.removed, sc)
	}
}

// Calls returns every call so far, failed ones too, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsAfter returns the calls after the first n, failed ones too, in
// arrival order: for a waiter that has seen n already, without copying
// every call each time.
func (s *Server) CallsAfter(n int) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n >= len(s.calls) {
		return nil
	}
	return append([]Call(nil), s.calls[max(n, 0):]...)
}

// Delivered returns the successful calls of method, in order.
func (s *Server) Delivered(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method && c.OK() {
			out = append(out, c)
		}
	}
	return out
}

// Posts returns the messages successfully posted to channel outside any
// thread; an empty channel means every channel.
func (s *Server) Posts(channel string) []Call {
	var out []Call
	for _, c := range s.Delivered(PostMessage) {
		if c.ThreadTS == "" && (channel == "" || c.Channel == channel) {
			out = append(out, c)
		}
	}
	return out
}

// Replies returns the messages successfully posted in the thread rooted at
// ts.
func (s *Server) Replies(ts string) []Call {
	var out []Call
	for _, c := range s.Delivered(PostMessage) {
		if c.ThreadTS == ts {
			out = append(out, c)
		}
	}
	return out
}

// Message returns a posted message as it stands now.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[channel+"/"+ts]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// Messages returns the top-level messages in channel as they stand now,
// oldest first: also those posted by a call that failed after it took
// effect (Failure.TookEffect), which Posts leaves out.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel && m.ThreadTS == "" {
			out = append(out, *m)
		}
	}
	slices.SortFunc(out, func(a, b Message) int { return compareTS(a.TS, b.TS) })
	return out
}

// Changed returns a channel that is closed at the next call the fake
// records, for tests that wait on a running server without sleeping.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Server) record(c Call) Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Seq, c.At = len(s.calls)+1, time.Now()
	s.calls = append(s.calls, c)
	close(s.changed)
	s.changed = make(chan struct{})
	return c
}

// nextTS hands out a unique, increasing message timestamp: the clock's
// time in microseconds, or one more than the last when the clock has not
// moved on.
func (s *Server) nextTS() string {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	s.lastTS = max(now().UnixMicro(), s.lastTS+1)
	return formatTS(s.lastTS)
}

func formatTS(micros int64) string {
	return fmt.Sprintf("%d.%06d", micros/1_000_000, micros%1_000_000)
}

// parseTS reads a Slack timestamp ("1764583200.000123") as microseconds.
func parseTS(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	if len(frac) > 6 {
		return 0, false
	}
	frac += strings.Repeat("0", 6-len(frac))
	a, err1 := strconv.ParseInt(sec, 10, 64)
	b, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || a < 0 || b < 0 {
		return 0, false
	}
	return a*1_000_000 + b, true
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	c := Call{Method: r.PathValue("method")}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" && strings.HasPrefix(c.Method, "views.") {
		s.views(w, r, c)
		return
	}
	if ct != "application/x-www-form-urlencoded" {
		// slack-go form-encodes every call this fake implements.
		s.record(c)
		http.Error(w, "the fake expects form-encoded calls, got "+ct, http.StatusBadRequest)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f := r.PostForm
	c.Form, c.Token = f, f.Get("token")
	if c.Token == "" {
		c.Token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	c.Channel, c.ThreadTS, c.TS, c.User, c.Text = f.Get("channel"), f.Get("thread_ts"), f.Get("ts"), f.Get("user"), f.Get("text")
	if b := f.Get("blocks"); b != "" {
		c.Blocks = json.RawMessage(b)
	}
	if m := f.Get("metadata"); m != "" {
		c.Metadata = json.RawMessage(m)
	}

	if c.Method == AuthTest {
		s.authTest(w, c)
		return
	}
	if c.Method == UsergroupsList || c.Method == UsergroupsUsersList {
		s.usergroups(w, c)
		return
	}
	s.mu.Lock()
	failure := s.nextFailure()
	answer := map[string]any{"ok": true}
	app, authed := s.appOf(c.Token)
	switch {
	case failure != nil:
		if failure.TookEffect {
			s.answer(&c, app, map[string]any{})
		}
		c.Status, c.Error = failure.Status, failure.Error
	case c.Token == "" && s.Token != "":
		c.Status, c.Error = http.StatusOK, "not_authed"
	case !authed:
		c.Status, c.Error = http.StatusOK, "invalid_auth"
	case c.Channel == "":
		c.Status, c.Error = http.StatusOK, "channel_not_found"
	default:
		c.Status = http.StatusOK
		s.answer(&c, app, answer)
	}
	s.mu.Unlock()
	c = s.record(c)
	reply(w, c, failure, answer)
}

// authTest answers auth.test as Slack does for a bot token. It is counted
// (AuthTests), not listed among Calls, and takes no scripted failure:
// releasebot asks once who it is, which no test of what it says in chat
// is about.
func (s *Server) authTest(w http.ResponseWriter, c Call) {
	s.mu.Lock()
	s.authTests++
	app, authed := s.appOf(c.Token)
	down := s.AuthTestDown
	s.mu.Unlock()
	if down {
		writeJSON(w, map[string]any{"ok": false, "error": "fatal_error"})
		return
	}
	if c.Token == "" || !authed {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	writeJSON(w, map[string]any{"ok": true, "url": "https://example.slack.com/", "team": "Example", "user": "releasebot",
		"team_id": app.TeamID, "user_id": app.UserID, "bot_id": app.BotID, "is_enterprise_install": false})
}

// AuthTests returns how many auth.test calls the fake answered.
func (s *Server) AuthTests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authTests
}

// nextFailure takes the next scripted failure, nil if there is none; s.mu
// is held.
func (s *Server) nextFailure() *Failure {
	if len(s.fail) == 0 {
		return nil
	}
	f := &s.fail[0]
	s.fail = s.fail[1:]
	return f
}

// reply answers call c as Slack would: a scripted failure (a 429 with
// Retry-After, or an HTTP error page), a refusal with its error (and a
// missing_scope's needed and provided), or answer.
func reply(w http.ResponseWriter, c Call, failure *Failure, answer map[string]any) {
	switch {
	case c.Status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", failure.RetryAfter)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(c.Status)
		fmt.Fprintf(w, `{"ok": false, "error": %q}`, c.Error)
	case c.Status != http.StatusOK:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(c.Status)
		fmt.Fprint(w, "<html><body>Internal Server Error</body></html>")
	case c.Error != "":
		refusal := map[string]any{"ok": false, "error": c.Error}
		for _, k := range []string{"needed", "provided"} { // of missing_scope
			if v, ok := answer[k]; ok {
				refusal[k] = v
			}
		}
		writeJSON(w, refusal)
	default:
		writeJSON(w, answer)
	}
}

// answer carries out app's successful call on the fake's messages; s.mu
// is held.
func (s *Server) answer(c *Call, app App, answer map[string]any) {
	switch c.Method {
	case PostMessage:
		if c.ThreadTS != "" {
			if _, ok := s.messages[c.Channel+"/"+c.ThreadTS]; !ok {
				c.Error = "thread_not_found"
				return
			}
		}
		c.PostedTS = s.nextTS()
		s.messages[c.Channel+"/"+c.PostedTS] = &Message{Channel: c.Channel, TS: c.PostedTS, ThreadTS: c.ThreadTS, Text: c.Text,
			Blocks: c.Blocks, Metadata: c.Metadata, By: app}
		answer["channel"], answer["ts"] = c.Channel, c.PostedTS
		answer["message"] = map[string]any{"type": "message", "subtype": "bot_message", "bot_id": app.BotID,
			"text": c.Text, "ts": c.PostedTS}
	case Update:
		m, ok := s.messages[c.Channel+"/"+c.TS]
		if !ok {
			c.Error = "message_not_found"
			return
		}
		m.Text, m.Blocks = c.Text, c.Blocks
		if c.Metadata != nil {
			m.Metadata = c.Metadata
		}
		m.Updates++
		answer["channel"], answer["ts"], answer["text"] = c.Channel, c.TS, c.Text
	case PostEphemeral:
		if c.User == "" {
			c.Error = "user_not_in_channel"
			return
		}
		c.PostedTS = s.nextTS()
		answer["message_ts"] = c.PostedTS
	case History, Replies:
		s.read(c, answer)
	default:
		c.Error = "unknown_method"
	}
}

func (s *Server) hook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := Call{Method: ResponseURL, Hook: r.PathValue("hook"), Status: http.StatusOK, Body: body}
	var m struct {
		Text string          `json:"text"`
		Blks json.RawMessage `json:"blocks"`
	}
	if json.Unmarshal(body, &m) != nil {
		c.Status, c.Error = http.StatusBadRequest, "invalid_payload"
	}
	c.Text, c.Blocks = m.Text, m.Blks
	c = s.record(c)
	if c.Status != http.StatusOK {
		http.Error(w, c.Error, c.Status)
		return
	}
	fmt.Fprint(w, "ok")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// ResponseType returns a response_url call's response_type.
func (c Call) ResponseType() string {
	var m struct {
		ResponseType string `json:"response_type"`
	}
	_ = json.Unmarshal(c.Body, &m)
	return m.ResponseType
}

// String summarises c for test failures: the blocks would drown the rest.
func (c Call) String() string {
	first, _, _ := strings.Cut(c.Text, "\n")
	s := fmt.Sprintf("#%d %s", c.Seq, c.Method)
	for _, f := range [][2]string{{"channel", c.Channel}, {"thread_ts", c.ThreadTS}, {"ts", c.TS}, {"user", c.User},
		{"hook", c.Hook}, {"posted", c.PostedTS}, {"error", c.Error}} {
		if f[1] != "" {
			s += " " + f[0] + "=" + f[1]
		}
	}
	if c.Status != http.StatusOK {
		s += fmt.Sprintf(" HTTP %d", c.Status)
	}
	return s + fmt.Sprintf(" %q", first)
}
