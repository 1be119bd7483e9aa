package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/releasebot/releasebot/bot"
	"github.com/releasebot/releasebot/releases"
)

// Slack serves Slack's requests — slash commands, events and interactions
// — over HTTP (Register) or Socket Mode (RunSocketMode). Every request is
// answered within Slack's 3 seconds; slower work finishes afterwards and
// reports through response_url.
type Slack struct {
	bot    *bot.Bot
	chat   bot.Chat
	homes  *bot.Homes // nil: no Home tab
	claims releases.EventClaims
	secret string
	now    func() time.Time
	log    *slog.Logger
	hc     *http.Client
	// budget is how long a request may work before it is answered and the
	// rest continues in the background.
	budget time.Duration
	// slots holds a token per request in flight (maxSlackInFlight).
	slots chan struct{}
	// readTimeout bounds reading a body (slackReadTimeout).
	readTimeout time.Duration
	// wall is the clock a request's timestamp is checked against: Slack's
	// time, not the coordinator's (slack-go checks against time.Now too).
	wall func() time.Time
	// workers run requests' work (withinBudget).
	workers *workers
	// self tells who releasebot is in Slack: the workspace whose requests
	// it serves, the bot user whose messages it acts on.
	self func(ctx context.Context) (Identity, error)
	// known tells it if it is known without asking Slack.
	known func() (Identity, bool)
	// groups, when set, hears of changes to user groups.
	groups *UserGroups
	// foreground is told of answers being worked out.
	foreground *bot.Foreground
	// macs holds *requestMAC keyed with secret: keying one anew costs two
	// SHA-256 blocks and a handful of allocations, per request.
	macs sync.Pool
}

// identifier is a chat that knows releasebot's identity in Slack
// (SlackChat).
type identifier interface {
	Identity(ctx context.Context) (Identity, error)
}

// knownIdentifier tells releasebot's identity once it is known
// (SlackChat), without asking Slack.
type knownIdentifier interface {
	KnownIdentity() (Identity, bool)
}

// errNoIdentity says nothing can tell releasebot's workspace: without a
// chat that knows, no request is served.
var errNoIdentity = errors.New("no chat to ask who releasebot is in Slack")

// SlackOptions configure Slack.
type SlackOptions struct {
	Bot           *bot.Bot
	Chat          bot.Chat             // for ephemeral notes on reactions
	Claims        releases.EventClaims // remembers processed event ids
	SigningSecret string
	Now           func() time.Time
	Logger        *slog.Logger
	HTTPClient    *http.Client // for response_url
	// Homes publishes Home views; nil leaves the Home tab alone.
	Homes *bot.Homes
	// Groups, when set, is told of subteam_members_changed and
	// subteam_updated events.
	Groups *UserGroups
	// Foreground, when set, is told of each answer being worked out, so
	// that chat delivery holds back meanwhile (bot.Foreground).
	Foreground *bot.Foreground
}

// NewSlack returns the Slack adapter.
func NewSlack(opts SlackOptions) *Slack {
	s := &Slack{bot: opts.Bot, chat: opts.Chat, homes: opts.Homes, claims: opts.Claims, secret: opts.SigningSecret, now: opts.Now,
		log: opts.Logger, hc: opts.HTTPClient, budget: 2 * time.Second, slots: make(chan struct{}, maxSlackInFlight),
		readTimeout: slackReadTimeout, wall: time.Now, groups: opts.Groups, workers: newWorkers(), foreground: opts.Foreground}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 10 * time.Second}
	}
	s.macs.New = func() any { return &requestMAC{h: hmac.New(sha256.New, []byte(s.secret))} }
	s.self = func(context.Context) (Identity, error) { return Identity{}, errNoIdentity }
	if id, ok := opts.Chat.(identifier); ok {
		s.self = id.Identity
	}
	s.known = func() (Identity, bool) { return Identity{}, false }
	if id, ok := opts.Chat.(knownIdentifier); ok {
		s.known = id.KnownIdentity
	}
	return s
}

// home reports whether a signed request of workspace team is served: it
// is releasebot's own workspace, or Slack could not say which that is
// (auth.test failed; it is asked again a minute later). Then the request,
// which carries the app's signature, is served rather than nothing at all:
// another workspace can only send one to an app distributed to it.
func (s *Slack) home(ctx context.Context, what, team string) bool {
	self, err := s.self(ctx)
	if err != nil {
		s.log.Warn("Slack did not say which workspace releasebot is in; the signed request is served unchecked",
			"request", what, "team_id", team, "err", err)
		return true
	}
	return team == self.TeamID
}

// foreignNote answers a request that is not served because it came from
// another workspace.
var foreignNote = bot.Text("releasebot works only in the Slack workspace it is installed in, and this came from another one. Nothing was done.")

// Bounds on what the Slack endpoints take in, before a request is known
// to be Slack's.
const (
	// maxSlackBody bounds a request's body: Slack's are a few KiB.
	maxSlackBody = 64 << 10
	// maxSlackInFlight bounds the signed-looking requests being read or
	// handled at once; more are answered 503 at once (Slack retries
	// events). With maxSlackBody it bounds what they hold: 4 MiB.
	maxSlackInFlight = 64
	// slackReadTimeout bounds reading a body: Slack sends its few KiB at
	// once, a slowloris trickles them.
	slackReadTimeout = 5 * time.Second
	// signatureWindow is how far a request's timestamp may be from now
	// (Slack's documented five minutes).
	signatureWindow = 5 * time.Minute
)

// Register adds POST /slack/commands, /slack/events and /slack/interactions.
func (s *Slack) Register(r gin.IRouter) {
	g := r.Group("/slack", s.verify)
	g.POST("/commands", contentType(formType), s.commands)
	g.POST("/events", contentType(jsonType), s.events)
	g.POST("/interactions", contentType(formType), s.interactions)
}

// What Slack sends: commands and interactions as forms, events as JSON.
const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
)

// contentType refuses bodies of any other type than want with 415: a form
// parser reads nothing from them and would run an empty command.
func contentType(want string) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := c.GetHeader("Content-Type")
		if v == want {
			return // as Slack sends it: ParseMediaType would build a map of no parameters to say so
		}
		got, _, err := mime.ParseMediaType(v)
		if err != nil || got != want {
			c.AbortWithStatusJSON(http.StatusUnsupportedMediaType, gin.H{"error": "expected " + want})
		}
	}
}

// verify checks Slack's v0 signature before anything else; a bad, missing
// or stale one is answered 401 and nothing changes. What can't be Slack's
// — no secret configured, signature headers missing, malformed or stale —
// is refused before a byte of the body is read; a body over maxSlackBody
// gets 413; beyond maxSlackInFlight requests at once, 503.
func (s *Slack) verify(c *gin.Context) {
	// A refusal before the body is read closes the connection after the
	// answer: net/http would otherwise read what it can of the body, to
	// reuse the connection.
	sig, ts, err := s.signatureHeaders(c.Request.Header)
	if err != nil {
		c.Header("Connection", "close")
		s.refuse(c, err)
		return
	}
	if c.Request.ContentLength > maxSlackBody {
		c.Header("Connection", "close")
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"error": "body too large"})
		return
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		c.Header("Connection", "close")
		c.Header("Retry-After", "1")
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"error": "too many requests in flight; try again"})
		return
	}
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Now().Add(s.readTimeout)) // unsupported by test recorders: the server's ReadTimeout holds
	// What is signed, "v0:TIMESTAMP:" and the body, read into one buffer.
	signed, err := readSigned(http.MaxBytesReader(c.Writer, c.Request.Body, maxSlackBody), ts, c.Request.ContentLength)
	if err != nil {
		c.Header("Connection", "close") // what is left of the body is not read either
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"error": "body too large"})
			return
		}
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "unreadable body"})
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	if !s.signedBySecret(signed, &sig) {
		s.refuse(c, errBadSignature)
		return
	}
	body := &signedBody{raw: signed[len("v0:")+len(ts)+len(":"):]}
	body.Reset(body.raw)
	c.Request.Body = body
	c.Next() // holding the slot until the answer is written
}

// signedBody is a request's body once verify has read it and checked its
// signature: the handlers after it read the bytes as they are, and
// anything reading the request's body reads them again.
type signedBody struct {
	bytes.Reader
	raw []byte
}

func (*signedBody) Close() error { return nil }

// rawBody is the body verify read; nil without one.
func rawBody(c *gin.Context) []byte {
	if b, ok := c.Request.Body.(*signedBody); ok {
		return b.raw
	}
	return nil
}

// readSigned reads the body r, whose length is n (-1: not known), after
// "v0:ts:" in a buffer of the size they need.
func readSigned(r io.Reader, ts string, n int64) ([]byte, error) {
	size := len("v0:") + len(ts) + len(":")
	if n < 0 || n > maxSlackBody {
		n = 512
	}
	buf := make([]byte, 0, size+int(n)+1) // +1: room to read the end without growing
	buf = append(append(append(buf, "v0:"...), ts...), ':')
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// requestMAC is an HMAC-SHA256 keyed with the signing secret.
type requestMAC struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// signedBySecret reports whether sig is the signature of signed, "v0:",
// the request's timestamp, ":" and its body, with s's secret: Slack's v0
// signature, compared in constant time as slack-go's SecretsVerifier does.
func (s *Slack) signedBySecret(signed []byte, sig *[sha256.Size]byte) bool {
	m := s.macs.Get().(*requestMAC)
	defer s.macs.Put(m)
	m.h.Reset()
	m.h.Write(signed)
	return hmac.Equal(m.h.Sum(m.sum[:0]), sig[:])
}

// refuse answers 401 for the signature problem err.
func (s *Slack) refuse(c *gin.Context, err error) {
	s.log.Warn("slack request refused", "path", c.Request.URL.Path, "reason", signatureProblem(err))
	c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "invalid signature"})
}

// Signature problems: those of the headers found without reading the
// body.
var (
	errNoSignature  = errors.New("missing or malformed signature headers")
	errStale        = errors.New("stale timestamp")
	errBadSignature = errors.New("signature does not match")
)

// signatureHeaders checks what can be checked of a signature without the
// body: a secret to check it with, a v0 signature of the right shape and
// a timestamp within signatureWindow of now. It returns the signature and
// the timestamp as sent.
func (s *Slack) signatureHeaders(h http.Header) (sig [sha256.Size]byte, ts string, err error) {
	if s.secret == "" {
		return sig, "", errNoSecret // anyone can sign with an empty key
	}
	hexSig, found := strings.CutPrefix(h.Get("X-Slack-Signature"), "v0=")
	if !found || !decodeHex(sig[:], hexSig) {
		return sig, "", errNoSignature
	}
	ts = h.Get("X-Slack-Request-Timestamp")
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return sig, "", errNoSignature
	}
	if skew := s.wall().Sub(time.Unix(unix, 0)).Abs(); skew > signatureWindow {
		return sig, "", errStale
	}
	return sig, ts, nil
}

// decodeHex decodes s, hex digits of either case as hex.DecodeString
// takes them, into dst, which it must fill exactly.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := hexDigit(s[2*i])
		lo, ok2 := hexDigit(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

var errNoSecret = errors.New("no signing secret is configured")

func signatureProblem(err error) string {
	switch {
	case errors.Is(err, errStale):
		return "stale timestamp"
	case errors.Is(err, errNoSecret):
		return err.Error()
	}
	return "bad or missing signature"
}

// ephemeralReply is a reply only the invoking user sees. A struct, not a
// map: it encodes without sorting keys (the fields are in the order a map
// would have them in, so the bytes are the same).
type ephemeralReply struct {
	Blocks       []slackgo.Block `json:"blocks,omitempty"`
	ResponseType string          `json:"response_type"`
	Text         string          `json:"text"`
}

// ephemeralJSON is m as a reply only the invoking user sees.
func ephemeralJSON(m bot.Message) ephemeralReply {
	return ephemeralReply{Blocks: blockKit(m.Blocks), ResponseType: "ephemeral", Text: m.Text}
}

// withinBudget runs work; if it finishes within s's budget its result is
// returned, otherwise ok is false and late gets the result when it comes.
// Work that panics yields failed: it runs outside the request's goroutine,
// where gin's recovery can't catch it, and would end the whole process.
func withinBudget[T any](s *Slack, failed T, work func(ctx context.Context) T, late func(ctx context.Context, v T)) (v T, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	done := make(chan T, 1)
	end := s.foreground.Begin()
	s.workers.run(func() {
		result := failed
		defer func() {
			end()
			if p := recover(); p != nil {
				s.log.Error("panic while handling a Slack request", "panic", p, "stack", string(debug.Stack()))
			}
			done <- result
		}()
		result = work(ctx)
	})
	timer := time.NewTimer(s.budget)
	defer timer.Stop()
	select {
	case v := <-done:
		cancel()
		return v, true
	case <-timer.C:
	}
	go func() {
		defer cancel()
		late(ctx, <-done)
	}()
	return v, false
}

// commands answers a slash command.
func (s *Slack) commands(c *gin.Context) {
	sc, err := parseSlashCommand(rawBody(c))
	if err != nil || sc.UserID == "" || sc.ChannelID == "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": "malformed slash command"})
		return
	}
	reply, ok := s.fromMemory(sc)
	if !ok {
		reply, ok = withinBudget(s, s.internalError(), func(ctx context.Context) bot.Message { return s.command(ctx, sc) },
			func(ctx context.Context, m bot.Message) { s.respond(ctx, sc.ResponseURL, m) })
	}
	switch {
	case !ok, reply.Text == "" && len(reply.Blocks) == 0:
		c.Status(http.StatusOK) // acknowledged; the answer follows via response_url, or a form opened
	default:
		replyEphemeral(c, reply)
	}
}

// parseSlashCommand reads a slash command from the form body verify
// read, as slackgo.SlashCommandParse reads it from the request (the first
// value of each field), without reading the body again or building the
// whole form as a map. Like url.ParseQuery, it refuses bad escapes and
// semicolons anywhere in the form.
func parseSlashCommand(body []byte) (slackgo.SlashCommand, error) {
	var sc slackgo.SlashCommand
	var seen uint32 // fields set, by slashCommandField's number
	for rest := string(body); rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if strings.Contains(pair, ";") {
			return slackgo.SlashCommand{}, errors.New("invalid semicolon separator in query")
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return slackgo.SlashCommand{}, err
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return slackgo.SlashCommand{}, err
		}
		if key == "is_enterprise_install" {
			if seen&(1<<31) == 0 {
				seen |= 1 << 31
				sc.IsEnterpriseInstall = value == "true"
			}
			continue
		}
		n, field := slashCommandField(&sc, key)
		if field == nil || seen&(1<<n) != 0 {
			continue
		}
		seen |= 1 << n
		*field = value
	}
	return sc, nil
}

// slashCommandField numbers the form field key and says where it goes in
// sc; nil for a field releasebot does not read (is_enterprise_install,
// not a string, is parseSlashCommand's).
func slashCommandField(sc *slackgo.SlashCommand, key string) (int, *string) {
	switch key {
	case "token":
		return 0, &sc.Token
	case "team_id":
		return 1, &sc.TeamID
	case "team_domain":
		return 2, &sc.TeamDomain
	case "enterprise_id":
		return 3, &sc.EnterpriseID
	case "enterprise_name":
		return 4, &sc.EnterpriseName
	case "channel_id":
		return 5, &sc.ChannelID
	case "channel_name":
		return 6, &sc.ChannelName
	case "user_id":
		return 7, &sc.UserID
	case "user_name":
		return 8, &sc.UserName
	case "command":
		return 9, &sc.Command
	case "text":
		return 10, &sc.Text
	case "response_url":
		return 11, &sc.ResponseURL
	case "trigger_id":
		return 12, &sc.TriggerID
	case "api_app_id":
		return 13, &sc.APIAppID
	}
	return 0, nil
}

// errPanic stands for the result of work that panicked.
var errPanic = errors.New("panic while processing")

// internalError is the answer to a command whose work panicked.
func (s *Slack) internalError() bot.Message { return internalErrorNote }

// internalErrorNote is made once: every command is handed it, in case.
var internalErrorNote = bot.Text("Internal error. The operators can find it in releasebot's log.")

// command runs one slash command for its user, if it was typed in
// releasebot's workspace.
func (s *Slack) command(ctx context.Context, sc slackgo.SlashCommand) bot.Message {
	if !s.home(ctx, "slash command", sc.TeamID) {
		s.log.Warn("slash command from another workspace refused", "team_id", sc.TeamID, "user", sc.UserID)
		return foreignNote
	}
	if strings.TrimSpace(sc.Text) == "" && s.openCreateForm(ctx, sc.TriggerID, sc.UserID, sc.ChannelID) {
		return bot.Message{} // the form says the rest
	}
	return s.bot.HandleCommand(ctx, bot.Invocation{User: sc.UserID, Channel: sc.ChannelID, Text: bot.Unescape(sc.Text)})
}

// fromMemory answers a slash command as command would, on the request's
// own goroutine, when the bot can answer it from what it holds in memory
// (bot.AnswerFromMemory) and releasebot's workspace is known: nothing
// there waits, so the budget (withinBudget) and the hand-over to a worker
// it needs are spared. ok is false for anything else.
func (s *Slack) fromMemory(sc slackgo.SlashCommand) (m bot.Message, ok bool) {
	if self, known := s.known(); !known || sc.TeamID != self.TeamID || strings.TrimSpace(sc.Text) == "" {
		return bot.Message{}, false // command says what to do
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic while handling a Slack request", "panic", p, "stack", string(debug.Stack()))
			m, ok = s.internalError(), true
		}
	}()
	return s.bot.AnswerFromMemory(bot.Invocation{User: sc.UserID, Channel: sc.ChannelID, Text: bot.Unescape(sc.Text)})
}

// respond posts an ephemeral message to a response_url.
func (s *Slack) respond(ctx context.Context, url string, m bot.Message) {
	if url == "" {
		return
	}
	msg := &slackgo.WebhookMessage{Text: m.Text, ResponseType: "ephemeral"}
	if len(m.Blocks) > 0 {
		msg.Blocks = &slackgo.Blocks{BlockSet: blockKit(m.Blocks)}
	}
	if err := slackgo.PostWebhookCustomHTTPContext(ctx, url, s.hc, msg); err != nil {
		s.log.Error("answer through response_url", "err", err)
	}
}

// events handles the Events API: the URL check and reactions.
func (s *Slack) events(c *gin.Context) {
	raw := rawBody(c)
	if gc, ok := readGroupChange(raw); ok {
		withinBudget(s, false, func(ctx context.Context) bool { s.groupChanged(ctx, gc); return true }, func(context.Context, bool) {})
		c.Status(http.StatusOK)
		return
	}
	ev, err := slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "malformed event"})
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		if uv, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent); ok {
			c.JSON(http.StatusOK, gin.H{"challenge": uv.Challenge})
			return
		}
		c.JSON(http.StatusBadRequest, gin.H{"error": "malformed url_verification"})
		return
	case slackevents.AppRateLimited:
		s.log.Warn("Slack is rate-limiting releasebot's events")
		c.Status(http.StatusOK)
		return
	case slackevents.CallbackEvent:
	default:
		c.Status(http.StatusOK)
		return
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb.EventID == "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": "event without id"})
		return
	}
	if err := s.processEvent(cb.EventID, ev.TeamID, ev.InnerEvent); err != nil {
		// Slack retries a failed delivery; the unfinished claim lapses, so
		// the retry is processed.
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "try again"})
		return
	}
	c.Status(http.StatusOK)
}

// processEvent processes an event callback within the answer's budget, for
// the HTTP endpoint and Socket Mode alike. It returns the error of
// processing that failed in time, after logging it: Slack must deliver
// the event again. Processing that outlives the budget is logged when it
// ends, and the delivery counts as taken.
func (s *Slack) processEvent(id, team string, inner slackevents.EventsAPIInnerEvent) error {
	logErr := func(_ context.Context, err error) {
		switch {
		case errors.Is(err, releases.ErrBusy):
			s.log.Info("slack event is being processed elsewhere; Slack will retry", "event_id", id)
		case err != nil:
			s.log.Error("slack event", "event_id", id, "err", err)
		}
	}
	err, finished := withinBudget(s, errPanic, func(ctx context.Context) error { return s.event(ctx, id, team, inner) }, logErr)
	if !finished || err == nil {
		return nil
	}
	logErr(nil, err)
	return err
}

// event processes one Events API event of workspace team once, however
// often it is delivered. Events of another workspace, and reactions to
// messages of others (item_user), are ignored: they cost no call to Slack
// and no write. Only a reaction to a message of releasebot's own may make
// it ask Slack about a message it has no record of (adopt); when Slack
// can't say who releasebot is, or doesn't name the author, a reaction
// counts only on a message on record.
func (s *Slack) event(ctx context.Context, id, team string, inner slackevents.EventsAPIInnerEvent) error {
	if e, ok := inner.Data.(*slackevents.AppHomeOpenedEvent); ok {
		return s.homeOpened(ctx, id, team, e)
	}
	var re bot.Reaction
	var author string // of the message reacted to
	switch e := inner.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		re = bot.Reaction{User: e.User, Channel: e.Item.Channel, TS: e.Item.Timestamp, Emoji: e.Reaction, Added: true}
		author = e.ItemUser
		if e.Item.Type != "message" {
			return nil
		}
	case *slackevents.ReactionRemovedEvent:
		re = bot.Reaction{User: e.User, Channel: e.Item.Channel, TS: e.Item.Timestamp, Emoji: e.Reaction}
		author = e.ItemUser
		if e.Item.Type != "message" {
			return nil
		}
	case *slackevents.SubteamMembersChangedEvent: // as slack-go reads it, with whole-number counts
		s.groupChanged(ctx, groupChange{EventID: id, TeamID: team, ID: e.SubteamID, Added: e.AddedUsers, Removed: e.RemovedUsers})
		return nil
	case *slackevents.SubteamUpdatedEvent:
		s.groupChanged(ctx, groupChange{EventID: id, TeamID: team, ID: e.Subteam.ID, Handle: e.Subteam.Handle})
		return nil
	default:
		return nil
	}
	chat := s.chat
	self, err := s.self(ctx)
	switch {
	case err != nil:
		// Who releasebot is can't be told now: act on its records alone.
		s.log.Warn("Slack did not say who releasebot is; the reaction counts only on a message on record", "event_id", id, "err", err)
		chat = nil
	case team != self.TeamID:
		s.log.Warn("event from another workspace ignored", "event_id", id, "team_id", team)
		return nil
	case author == "":
		chat = nil // Slack did not name the message's author: on record only
	case author != self.UserID:
		return nil // someone else's message: not releasebot's business
	}
	// The lease is far longer than processing takes, and shorter than
	// Slack's retry intervals (1 and 5 minutes): a retry of an event whose
	// processor died finds the lease lapsed.
	claimed, err := s.claims.ClaimEvent(ctx, id, s.now(), 30*time.Second)
	if err != nil || !claimed {
		return err // ErrBusy: answered 503, so Slack tries again later
	}
	note, err := s.bot.HandleReaction(ctx, re, chat)
	if err != nil {
		// Nothing changed: let the claim go, so Slack's retry (we answer 503)
		// or the same event at another replica processes it.
		if rerr := s.claims.ReleaseEvent(context.WithoutCancel(ctx), id); rerr != nil {
			s.log.Error("release event claim", "event_id", id, "err", rerr)
		}
		return err
	}
	if note != nil {
		if err := s.chat.Ephemeral(ctx, re.Channel, re.User, *note); err != nil {
			s.log.Error("ephemeral note", "err", err)
		}
	}
	return s.claims.FinishEvent(ctx, id)
}

// interactions handles button presses and form submissions.
func (s *Slack) interactions(c *gin.Context) {
	ic, err := slackgo.InteractionCallbackParse(c.Request)
	if err != nil || ic.User.ID == "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": "malformed interaction"})
		return
	}
	if answer := s.interactionAnswer(ic); answer != nil {
		c.JSON(http.StatusOK, answer)
		return
	}
	c.Status(http.StatusOK)
}

// interaction runs each block action of a payload as its user, if it
// came from releasebot's workspace.
func (s *Slack) interaction(ctx context.Context, ic slackgo.InteractionCallback) {
	if ic.Type != slackgo.InteractionTypeBlockActions {
		return
	}
	if !s.home(ctx, "button press", ic.Team.ID) {
		s.log.Warn("button press from another workspace ignored", "team_id", ic.Team.ID, "user", ic.User.ID)
		return
	}
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	for _, a := range ic.ActionCallback.BlockActions {
		if a.ActionID == bot.ActionNewRelease {
			to := channel
			if to == "" {
				to = ic.User.ID // the Home tab: their messages with releasebot
			}
			if !s.openCreateForm(ctx, ic.TriggerID, ic.User.ID, to) {
				s.respond(ctx, ic.ResponseURL, bot.Text("The form did not open; try again, or type `/release create SERVICE VERSION`."))
			}
			continue
		}
		if note := s.bot.HandleAction(ctx, bot.Action{User: ic.User.ID, Channel: channel, ActionID: a.ActionID, Value: a.Value}); note != nil {
			s.respond(ctx, ic.ResponseURL, *note)
		}
	}
}
