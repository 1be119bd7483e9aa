package slacktest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// User groups: usergroups.list and usergroups.users.list, answered as
// Slack documents them, from groups a test sets (SetUserGroup). Both need
// usergroups:read: RemoveScopes("usergroups:read") makes them answer
// missing_scope; FailNext fails them like any other call.

// Methods of user groups the fake implements.
const (
	UsergroupsList      = "usergroups.list"
	UsergroupsUsersList = "usergroups.users.list"
)

// UserGroup is a user group of the fake's workspace.
type UserGroup struct {
	ID     string // S…
	Handle string // without the @
	Users  []string
}

// SetUserGroup creates the group id, or replaces its handle and members,
// as an admin editing it in Slack would.
func (s *Server) SetUserGroup(id, handle string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[string]*UserGroup{}
	}
	s.groups[id] = &UserGroup{ID: id, Handle: handle, Users: slices.Clone(users)}
}

// usergroups answers the two methods; c is parsed, not recorded yet.
func (s *Server) usergroups(w http.ResponseWriter, c Call) {
	s.mu.Lock()
	failure := s.nextFailure()
	answer := map[string]any{"ok": true}
	_, authed := s.appOf(c.Token)
	switch {
	case failure != nil:
		c.Status, c.Error = failure.Status, failure.Error
	case c.Token == "" && s.Token != "":
		c.Status, c.Error = http.StatusOK, "not_authed"
	case !authed:
		c.Status, c.Error = http.StatusOK, "invalid_auth"
	case s.removed["usergroups:read"]:
		c.Status, c.Error = http.StatusOK, "missing_scope"
		var provided []string
		for _, sc := range scopes {
			if !s.removed[sc] {
				provided = append(provided, sc)
			}
		}
		answer["needed"], answer["provided"] = "usergroups:read", strings.Join(provided, ",")
	case c.Method == UsergroupsList:
		c.Status = http.StatusOK
		answer["usergroups"] = s.listGroups(c.Form.Get("include_users") == "true" || c.Form.Get("include_users") == "1")
	default:
		c.Status = http.StatusOK
		g, ok := s.groups[c.Form.Get("usergroup")]
		if !ok {
			c.Error = "no_such_subteam"
			break
		}
		answer["users"] = slices.Clone(g.Users)
	}
	s.mu.Unlock()
	c = s.record(c)
	reply(w, c, failure, answer)
}

// listGroups is usergroups.list's "usergroups", in id order; s.mu is held.
func (s *Server) listGroups(withUsers bool) []map[string]any {
	ids := make([]string, 0, len(s.groups))
	for id := range s.groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		g := s.groups[id]
		m := map[string]any{"id": g.ID, "team_id": TeamID, "is_usergroup": true, "name": g.Handle, "description": "",
			"handle": g.Handle, "is_external": false, "date_create": 1446598059, "date_update": 1446670362, "date_delete": 0,
			"auto_type": nil, "created_by": "U060RNRCZ", "updated_by": "U060RNRCZ", "deleted_by": nil,
			"prefs": map[string]any{"channels": []string{}, "groups": []string{}}, "user_count": len(g.Users)}
		if withUsers {
			m["users"] = slices.Clone(g.Users)
		}
		out = append(out, m)
	}
	return out
}

// SubteamMembersChanged is the subteam_members_changed event: members were
// added to or removed from a user group.
type SubteamMembersChanged struct {
	EventID, SubteamID string
	Added, Removed     []string
	TeamID             string // default TeamID
}

// Request returns the event as Slack posts it to the events URL.
func (e SubteamMembersChanged) Request() Request {
	team := orDefault(e.TeamID, TeamID)
	ev := map[string]any{"type": "subteam_members_changed", "subteam_id": e.SubteamID, "team_id": team,
		"date_previous_update": 1446670362, "date_update": 1492906952,
		"added_users": orEmpty(e.Added), "added_users_count": strconv.Itoa(len(e.Added)),
		"removed_users": orEmpty(e.Removed), "removed_users_count": strconv.Itoa(len(e.Removed)), "event_ts": "1492906952.000000"}
	body := callback{Token: "XXYYZZ", TeamID: team, APIAppID: "A123ABC456", Event: ev, Type: "event_callback",
		Authorizations: []authorization{{TeamID: team, UserID: Releasebot.UserID, IsBot: true}},
		EventID:        e.EventID, EventTime: 1492906952}
	return Request{Path: "/slack/events", ContentType: JSONType, Body: mustJSON(body)}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
