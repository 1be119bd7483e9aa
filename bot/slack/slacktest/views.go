package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The view methods the fake implements. slack-go sends them as JSON, with
// the token as a bearer token; the fake records the body in Call.Body and
// the user (views.publish) in Call.User.
const (
	ViewsPublish = "views.publish"
	ViewsOpen    = "views.open"
	ViewsUpdate  = "views.update"
)

// viewCall is what the view methods take, as Slack documents them.
type viewCall struct {
	UserID     string          `json:"user_id"`    // views.publish
	TriggerID  string          `json:"trigger_id"` // views.open
	ViewID     string          `json:"view_id"`    // views.update
	ExternalID string          `json:"external_id"`
	Hash       *string         `json:"hash"`
	View       json.RawMessage `json:"view"`
}

// views answers a view method as Slack does: {"ok":true,"view":{…}}, the
// view as given with the fields Slack adds (id, team_id, state, hash…).
// Missing arguments get Slack's errors: a view without blocks or of the
// wrong type invalid_arguments, views.open without trigger_id
// invalid_trigger_id, views.update of an unknown view not_found.
func (s *Server) views(w http.ResponseWriter, r *http.Request, c Call) {
	var in viewCall
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&in); err != nil {
		s.record(c)
		http.Error(w, "invalid JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	c.Token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	c.User, c.Body = in.UserID, in.View
	var view map[string]any
	_ = json.Unmarshal(in.View, &view)
	want := map[string]string{ViewsPublish: "home", ViewsOpen: "modal", ViewsUpdate: "modal"}[c.Method]

	s.mu.Lock()
	failure := s.nextFailure()
	_, authed := s.appOf(c.Token)
	answer := map[string]any{"ok": true}
	blocks, _ := view["blocks"].([]any)
	switch {
	case failure != nil:
		c.Status, c.Error = failure.Status, failure.Error
	case c.Token == "" || !authed:
		c.Status, c.Error = http.StatusOK, "invalid_auth"
	case view == nil || view["type"] != want || blocks == nil:
		c.Status, c.Error = http.StatusOK, "invalid_arguments"
	case c.Method == ViewsPublish && in.UserID == "":
		c.Status, c.Error = http.StatusOK, "invalid_arguments"
	case c.Method == ViewsOpen && in.TriggerID == "":
		c.Status, c.Error = http.StatusOK, "invalid_trigger_id"
	case c.Method == ViewsUpdate && s.viewsByID[in.ViewID] == "" && in.ExternalID == "":
		c.Status, c.Error = http.StatusOK, "not_found"
	default:
		c.Status = http.StatusOK
		s.viewSeq++
		id := in.ViewID
		if id == "" {
			id = fmt.Sprintf("V%08d", s.viewSeq)
		}
		if s.viewsByID == nil {
			s.viewsByID, s.homes = map[string]string{}, map[string]json.RawMessage{}
		}
		s.viewsByID[id] = c.Method
		if c.Method == ViewsPublish {
			s.homes[in.UserID] = in.View
		}
		view["id"], view["team_id"], view["app_id"], view["bot_id"] = id, TeamID, "A123ABC456", Releasebot.BotID
		view["hash"] = fmt.Sprintf("%d.hash", s.viewSeq)
		view["state"] = map[string]any{"values": map[string]any{}}
		view["root_view_id"], view["previous_view_id"] = id, nil
		answer["view"] = view
	}
	s.mu.Unlock()
	c = s.record(c)
	reply(w, c, failure, answer)
}

// Home returns the Home view last published for user, and whether there
// is one.
func (s *Server) Home(user string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.homes[user]
	return v, ok
}
