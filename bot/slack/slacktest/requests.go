package slacktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sign returns Slack's v0 signature of body sent at timestamp ts (Unix
// seconds): "v0=" + hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)).
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Content types Slack sends.
const (
	FormType = "application/x-www-form-urlencoded"
	JSONType = "application/json"
)

// Request is an HTTP request as Slack sends it to an app.
type Request struct {
	Path        string // /slack/commands, /slack/events or /slack/interactions
	ContentType string
	Body        []byte
	// Header adds or replaces headers after signing (X-Slack-Retry-Num,
	// or a forged signature).
	Header http.Header
}

// Signer signs requests with a signing secret at Now.
type Signer struct {
	Secret string
	Now    func() time.Time // default time.Now; slack-go checks against the wall clock
}

// New returns the request r sent to base (a URL such as
// "http://127.0.0.1:8080"; "" for an in-process handler), signed.
func (sg Signer) New(base string, r Request) *http.Request {
	now := time.Now
	if sg.Now != nil {
		now = sg.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	if base == "" {
		base = "http://releasebot.test"
	}
	req, err := http.NewRequest(http.MethodPost, base+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		panic(err) // a test's own mistake
	}
	req.Header.Set("Content-Type", r.ContentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign(sg.Secret, ts, r.Body))
	for k, v := range r.Header {
		req.Header[k] = v
	}
	return req
}

// SlashCommand is a slash command as Slack posts it (slash-command.form).
type SlashCommand struct {
	UserID, UserName       string
	ChannelID, ChannelName string
	Text                   string
	ResponseURL            string
	TeamID                 string // the workspace it was typed in; default TeamID
}

// Request returns the command's form body, percent-encoded with the fields
// in the order Slack sends them.
func (c SlashCommand) Request() Request {
	fields := [][2]string{
		{"token", "gIkuvaNzQIHg97ATvDxqgjtO"},
		{"team_id", orDefault(c.TeamID, TeamID)},
		{"team_domain", "example"},
		{"enterprise_id", "E0001"},
		{"enterprise_name", "Globular Construct Inc"},
		{"channel_id", c.ChannelID},
		{"channel_name", c.ChannelName},
		{"user_id", c.UserID},
		{"user_name", c.UserName},
		{"command", "/release"},
		{"text", c.Text},
		{"response_url", c.ResponseURL},
		{"trigger_id", "13345224609.738474920.8088930838d88f008e0"},
		{"api_app_id", "A123456"},
	}
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(f[0] + "=" + url.QueryEscape(f[1]))
	}
	return Request{Path: "/slack/commands", ContentType: FormType, Body: []byte(b.String())}
}

// Reaction is a reaction_added or reaction_removed event.
type Reaction struct {
	EventID  string
	Removed  bool
	User     string
	Reaction string // "white_check_mark", "x", "+1::skin-tone-2", …
	Channel  string // of the message reacted to
	TS       string // of the message reacted to
	ItemUser string // who wrote that message; default Releasebot.UserID
	TeamID   string // the workspace the event is from; default TeamID
	// Retry, when above zero, is Slack's X-Slack-Retry-Num of a redelivery.
	Retry int
}

type eventItem struct {
	Type        string `json:"type"`
	Channel     string `json:"channel"`
	TS          string `json:"ts"`
	ChannelType string `json:"channel_type"`
}

type reactionEvent struct {
	Type     string    `json:"type"`
	User     string    `json:"user"`
	Reaction string    `json:"reaction"`
	ItemUser string    `json:"item_user"`
	Item     eventItem `json:"item"`
	EventTS  string    `json:"event_ts"`
}

type authorization struct {
	TeamID              string `json:"team_id"`
	UserID              string `json:"user_id"`
	IsBot               bool   `json:"is_bot"`
	IsEnterpriseInstall bool   `json:"is_enterprise_install"`
}

type callback struct {
	Token          string          `json:"token"`
	TeamID         string          `json:"team_id"`
	APIAppID       string          `json:"api_app_id"`
	Event          any             `json:"event"`
	Type           string          `json:"type"`
	Authorizations []authorization `json:"authorizations"`
	EventID        string          `json:"event_id"`
	EventTime      int64           `json:"event_time"`
}

// Request returns the event's JSON body in the shape of
// event-reaction-added.json, with the retry headers of a redelivery.
func (e Reaction) Request() Request {
	typ := "reaction_added"
	if e.Removed {
		typ = "reaction_removed"
	}
	team := orDefault(e.TeamID, TeamID)
	body := callback{
		Token: "XXYYZZ", TeamID: team, APIAppID: "A123ABC456",
		Event: reactionEvent{Type: typ, User: e.User, Reaction: e.Reaction, ItemUser: orDefault(e.ItemUser, Releasebot.UserID),
			Item: eventItem{Type: "message", Channel: e.Channel, TS: e.TS, ChannelType: "channel"}, EventTS: "1360782804.083113"},
		Type:           "event_callback",
		Authorizations: []authorization{{TeamID: team, UserID: Releasebot.UserID, IsBot: true}},
		EventID:        e.EventID, EventTime: 1360782804,
	}
	r := Request{Path: "/slack/events", ContentType: JSONType, Body: mustJSON(body)}
	if e.Retry > 0 {
		r.Header = http.Header{"X-Slack-Retry-Num": {strconv.Itoa(e.Retry)}, "X-Slack-Retry-Reason": {"http_timeout"}}
	}
	return r
}

// URLVerification is the event Slack sends when an events URL is saved
// (event-url-verification.json).
func URLVerification(challenge string) Request {
	body := map[string]string{"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge, "type": "url_verification"}
	return Request{Path: "/slack/events", ContentType: JSONType, Body: mustJSON(body)}
}

// BlockAction is a button pressed on a message of the bot.
type BlockAction struct {
	UserID, UserName string
	Channel          string // where the message is
	MessageTS        string
	ActionID, Value  string
	ButtonText       string
	ResponseURL      string
	TeamID           string // the workspace it was pressed in; default TeamID
}

type interactionBlockText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji"`
}

type interactionAction struct {
	ActionID string               `json:"action_id"`
	BlockID  string               `json:"block_id"`
	Text     interactionBlockText `json:"text"`
	Value    string               `json:"value"`
	Type     string               `json:"type"`
	ActionTS string               `json:"action_ts"`
}

// Payload returns the block_actions payload's JSON, in the shape of
// interaction-block-actions.json but for a button in a message block.
func (a BlockAction) Payload() []byte {
	team := orDefault(a.TeamID, TeamID)
	p := map[string]any{
		"type":       "block_actions",
		"team":       map[string]string{"id": team, "domain": "example"},
		"user":       map[string]string{"id": a.UserID, "username": a.UserName, "team_id": team},
		"api_app_id": "AABA1ABCD",
		"token":      "9s8d9as89d8as9d8as989",
		"container": map[string]any{"type": "message", "message_ts": a.MessageTS, "channel_id": a.Channel,
			"is_ephemeral": false},
		"trigger_id":   "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
		"channel":      map[string]string{"id": a.Channel, "name": "releases"},
		"message":      map[string]any{"bot_id": Releasebot.BotID, "type": "message", "text": "", "user": Releasebot.UserID, "ts": a.MessageTS},
		"response_url": a.ResponseURL,
		"actions": []interactionAction{{ActionID: a.ActionID, BlockID: "signoff_actions",
			Text: interactionBlockText{Type: "plain_text", Text: a.ButtonText, Emoji: true}, Value: a.Value, Type: "button",
			ActionTS: "1548426417.840180"}},
	}
	return mustJSON(p)
}

// Request returns the interaction as Slack posts it: payload=<JSON>,
// form-encoded.
func (a BlockAction) Request() Request {
	return Request{Path: "/slack/interactions", ContentType: FormType,
		Body: []byte("payload=" + url.QueryEscape(string(a.Payload())))}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// AppHomeOpened is the app_home_opened event Slack sends when a user opens
// the app's Home tab (Tab "home") or Messages tab ("messages").
type AppHomeOpened struct {
	EventID string
	User    string
	Tab     string // default "home"
	TeamID  string // default TeamID
}

// Request returns the event's JSON body in the shape Slack documents for
// app_home_opened, inside the event_callback of event-reaction-added.json.
func (e AppHomeOpened) Request() Request {
	team := orDefault(e.TeamID, TeamID)
	event := map[string]any{"type": "app_home_opened", "user": e.User, "channel": "D0" + strings.TrimPrefix(e.User, "U"),
		"tab": orDefault(e.Tab, "home"), "event_ts": "1515449522000016"}
	body := callback{Token: "XXYYZZ", TeamID: team, APIAppID: "A123ABC456", Event: event, Type: "event_callback",
		Authorizations: []authorization{{TeamID: team, UserID: Releasebot.UserID, IsBot: true}},
		EventID:        e.EventID, EventTime: 1515449522}
	return Request{Path: "/slack/events", ContentType: JSONType, Body: mustJSON(body)}
}

// HomeAction is a button pressed on the app's Home tab: block_actions
// with a view container and no channel or message.
type HomeAction struct {
	UserID          string
	ActionID, Value string
	TeamID          string // default TeamID
}

// Request returns the interaction as Slack posts it.
func (a HomeAction) Request() Request {
	team := orDefault(a.TeamID, TeamID)
	p := map[string]any{
		"type":       "block_actions",
		"team":       map[string]string{"id": team, "domain": "example"},
		"user":       map[string]string{"id": a.UserID, "username": strings.ToLower(a.UserID), "team_id": team},
		"api_app_id": "A123ABC456",
		"token":      "9s8d9as89d8as9d8as989",
		"container":  map[string]any{"type": "view", "view_id": "V0HOME"},
		"trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
		"view":       map[string]any{"id": "V0HOME", "type": "home", "team_id": team, "blocks": []any{}},
		"actions": []interactionAction{{ActionID: a.ActionID, BlockID: "home_actions",
			Text: interactionBlockText{Type: "plain_text", Text: a.ActionID, Emoji: true}, Value: a.Value, Type: "button",
			ActionTS: "1548426417.840180"}},
	}
	return Request{Path: "/slack/interactions", ContentType: FormType,
		Body: []byte("payload=" + url.QueryEscape(string(mustJSON(p))))}
}

// ViewSubmission is a user submitting a modal the app opened: View is the
// view as the app sent it (a views.open call's Body), Values what the user
// entered, by block id: the text typed, or the option values chosen.
type ViewSubmission struct {
	UserID string
	View   json.RawMessage
	Values map[string][]string
	TeamID string // default TeamID
}

// Payload returns the view_submission payload's JSON in the shape Slack
// documents: the view with its state.values, block id → action id → the
// element's value (plain_text_input), selected_option (static_select) or
// selected_options (multi_static_select).
func (v ViewSubmission) Payload() []byte {
	team := orDefault(v.TeamID, TeamID)
	var view map[string]any
	if err := json.Unmarshal(v.View, &view); err != nil {
		panic(fmt.Sprintf("view: %v", err))
	}
	values := map[string]any{}
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		block, _ := b.(map[string]any)
		if block["type"] != "input" {
			continue
		}
		id, _ := block["block_id"].(string)
		el, _ := block["element"].(map[string]any)
		typ, _ := el["type"].(string)
		action, _ := el["action_id"].(string)
		got := v.Values[id]
		state := map[string]any{"type": typ}
		option := func(value string) map[string]any {
			return map[string]any{"text": map[string]any{"type": "plain_text", "text": value, "emoji": true}, "value": value}
		}
		switch typ {
		case "static_select":
			state["selected_option"] = nil
			if len(got) > 0 {
				state["selected_option"] = option(got[0])
			}
		case "multi_static_select":
			opts := []any{}
			for _, g := range got {
				opts = append(opts, option(g))
			}
			state["selected_options"] = opts
		default:
			state["value"] = nil
			if len(got) > 0 {
				state["value"] = got[0]
			}
		}
		values[id] = map[string]any{action: state}
	}
	view["id"], view["team_id"], view["hash"] = "V0MODAL", team, "156772938.1827394"
	view["state"] = map[string]any{"values": values}
	p := map[string]any{
		"type":                  "view_submission",
		"team":                  map[string]string{"id": team, "domain": "example"},
		"user":                  map[string]string{"id": v.UserID, "username": strings.ToLower(v.UserID), "name": strings.ToLower(v.UserID), "team_id": team},
		"api_app_id":            "A123ABC456",
		"token":                 "9s8d9as89d8as9d8as989",
		"trigger_id":            "12466734323.1395872398.bbbbbbbbbbbbbbbbbbbb",
		"view":                  view,
		"response_urls":         []any{},
		"is_enterprise_install": false,
	}
	return mustJSON(p)
}

// Request returns the submission as Slack posts it: payload=<JSON>,
// form-encoded.
func (v ViewSubmission) Request() Request {
	return Request{Path: "/slack/interactions", ContentType: FormType,
		Body: []byte("payload=" + url.QueryEscape(string(v.Payload())))}
}
