package slacktest

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
)

// scopes are what the fake's app is granted, unless RemoveScopes took some.
var scopes = []string{"commands", "chat:write", "chat:write.public", "reactions:read", "im:write", "users:read",
	"channels:history", "groups:history", "usergroups:read"}

// historyScope is the scope reading channel's messages needs.
func historyScope(channel string) string {
	switch {
	case strings.HasPrefix(channel, "G"):
		return "groups:history"
	case strings.HasPrefix(channel, "D"):
		return "im:history"
	}
	return "channels:history"
}

// read answers conversations.history (a channel's top-level messages,
// newest first) and conversations.replies (a thread: its parent, then the
// replies, oldest first) from the messages the fake holds, in the shapes
// of Slack's documented answers. Messages carry their metadata only when
// include_all_metadata is set. s.mu is held.
func (s *Server) read(c *Call, answer map[string]any) {
	f := c.Form
	if need := historyScope(c.Channel); s.removed[need] {
		c.Error = "missing_scope"
		var provided []string
		for _, sc := range scopes {
			if !s.removed[sc] {
				provided = append(provided, sc)
			}
		}
		answer["needed"], answer["provided"] = need, strings.Join(provided, ",")
		return
	}
	oldest, latest := int64(0), int64(math.MaxInt64)
	if v := f.Get("oldest"); v != "" {
		var ok bool
		if oldest, ok = parseTS(v); !ok {
			c.Error = "invalid_ts_oldest"
			return
		}
	}
	if v := f.Get("latest"); v != "" {
		var ok bool
		if latest, ok = parseTS(v); !ok {
			c.Error = "invalid_ts_latest"
			return
		}
	}
	inclusive := f.Get("inclusive") == "1" || f.Get("inclusive") == "true"
	within := func(ts string) bool {
		t, _ := parseTS(ts)
		if inclusive {
			return oldest <= t && t <= latest
		}
		return oldest < t && t < latest
	}
	limit := 100
	if v := f.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			c.Error = "invalid_limit"
			return
		}
		limit = min(n, 1000)
	}
	offset := 0
	if v := f.Get("cursor"); v != "" {
		raw, err := base64.StdEncoding.DecodeString(v)
		n, aerr := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
		if err != nil || aerr != nil || n < 0 {
			c.Error = "invalid_cursor"
			return
		}
		offset = n
	}

	var found []*Message
	switch c.Method {
	case History:
		for _, m := range s.messages {
			if m.Channel == c.Channel && m.ThreadTS == "" && within(m.TS) {
				found = append(found, m)
			}
		}
		slices.SortFunc(found, func(a, b *Message) int { return -compareTS(a.TS, b.TS) })
		answer["pin_count"] = 0
		if f.Get("latest") != "" {
			answer["latest"] = f.Get("latest")
		}
	case Replies:
		parent, ok := s.messages[c.Channel+"/"+f.Get("ts")]
		if !ok || parent.ThreadTS != "" {
			c.Error = "thread_not_found"
			return
		}
		for _, m := range s.messages {
			if m.Channel == c.Channel && m.ThreadTS == parent.TS && within(m.TS) {
				found = append(found, m)
			}
		}
		slices.SortFunc(found, func(a, b *Message) int { return compareTS(a.TS, b.TS) })
		found = append([]*Message{parent}, found...) // the parent leads

	}
	page := found[min(offset, len(found)):min(offset+limit, len(found))]
	metadata := f.Get("include_all_metadata") == "1" || f.Get("include_all_metadata") == "true"
	msgs := make([]map[string]any, len(page))
	for i, m := range page {
		msgs[i] = s.messageJSON(m, metadata)
	}
	answer["messages"] = msgs
	answer["has_more"] = offset+limit < len(found)
	if offset+limit < len(found) {
		answer["response_metadata"] = map[string]any{
			"next_cursor": base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset+limit)))}
	}
}

// messageJSON is m as conversations.history and .replies show it.
func (s *Server) messageJSON(m *Message, metadata bool) map[string]any {
	out := map[string]any{"type": "message", "subtype": "bot_message", "bot_id": m.By.BotID, "user": m.By.UserID, "text": m.Text, "ts": m.TS}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
		if parent, ok := s.messages[m.Channel+"/"+m.ThreadTS]; ok {
			out["parent_user_id"] = parent.By.UserID
		}
	} else {
		n := 0
		for _, r := range s.messages {
			if r.Channel == m.Channel && r.ThreadTS == m.TS {
				n++
			}
		}
		if n > 0 {
			out["thread_ts"], out["reply_count"] = m.TS, n
		}
	}
	if metadata && len(m.Metadata) > 0 {
		out["metadata"] = m.Metadata
	}
	return out
}

func compareTS(a, b string) int {
	x, _ := parseTS(a)
	y, _ := parseTS(b)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
