package slack

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/releasebot/releasebot/releases"
)

// UserGroups keeps the members of the Slack user groups that teams name
// among their leads ("@payments-leads" or S0PAYLEADS), for the release
// lifecycle (releases.LeadGroups). Members are read with
// usergroups.users.list (scope usergroups:read), handles turned into ids
// with one usergroups.list, and read again every few minutes (Run) and
// when Slack says a group changed (subteam_members_changed,
// subteam_updated). A group that can't be read keeps its last known
// members, with the problem noted; one never read counts nobody.
type UserGroups struct {
	chat   *SlackChat
	log    *slog.Logger
	now    func() time.Time
	groups []string // as configured

	mu      sync.Mutex
	ids     map[string]string // handle (no @) → id, from usergroups.list
	handles map[string]string // id → handle
	state   map[string]*groupState
}

type groupState struct {
	users   []string
	known   bool
	problem string
	readAt  time.Time
}

// NewUserGroups returns the members of groups (as configured: "@handle"
// or "S…"), read through chat; none is known before the first Refresh.
func NewUserGroups(chat *SlackChat, groups []string, log *slog.Logger) *UserGroups {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &UserGroups{chat: chat, log: log, now: chat.now, groups: slices.Clone(groups),
		ids: map[string]string{}, handles: map[string]string{}, state: map[string]*groupState{}}
	for _, name := range groups {
		g.state[name] = &groupState{problem: "not read from Slack yet"}
	}
	return g
}

var _ releases.LeadGroups = (*UserGroups)(nil)

// Members returns what is known of group's members, at once.
func (g *UserGroups) Members(group string) releases.GroupMembers {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := releases.GroupMembers{Name: g.nameOf(group)}
	st, ok := g.state[group]
	if !ok {
		m.Problem = "it is not among the configured leads"
		return m
	}
	m.Users, m.Known, m.Problem = slices.Clone(st.users), st.known, st.problem
	return m
}

// nameOf is "@handle" for a group written as an id, when its handle is
// known; g.mu is held.
func (g *UserGroups) nameOf(group string) string {
	if h, ok := g.handles[group]; ok && !strings.HasPrefix(group, "@") {
		return "@" + h
	}
	return group
}

// RefreshEvery is how often Run reads every group again.
const RefreshEvery = 5 * time.Minute

// Run reads every group now and then every interval, until ctx ends.
func (g *UserGroups) Run(ctx context.Context, interval time.Duration) {
	if len(g.groups) == 0 {
		return
	}
	g.Refresh(ctx)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.Refresh(ctx)
		}
	}
}

// Refresh reads every configured group's members; those that can't be
// read keep their last known members, and the problem is logged.
func (g *UserGroups) Refresh(ctx context.Context) {
	for _, name := range g.groups {
		g.read(ctx, name)
	}
}

// read reads one configured group.
func (g *UserGroups) read(ctx context.Context, name string) {
	id, err := g.idOf(ctx, name)
	var users []string
	if err == nil {
		users, err = g.chat.api.GetUserGroupMembersContext(ctx, id)
		g.chat.count("usergroups.users.list", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state[name]
	if err != nil {
		st.problem = problemOf(err)
		if st.known {
			g.log.Warn("cannot read a Slack user group of team leads; its last known members count", "group", name,
				"members", len(st.users), "read_at", st.readAt, "err", err)
		} else {
			g.log.Warn("cannot read a Slack user group of team leads; nobody counts through it until it can be read",
				"group", name, "err", err)
		}
		return
	}
	st.users, st.known, st.problem, st.readAt = users, true, "", g.now()
}

// errNoGroup says usergroups.list has no group with a handle.
var errNoGroup = errors.New("no_such_subteam")

// idOf returns the id of a configured group: itself, or its handle's id
// (usergroups.list is asked when the handle is not known yet).
func (g *UserGroups) idOf(ctx context.Context, name string) (string, error) {
	handle, isHandle := strings.CutPrefix(name, "@")
	if !isHandle {
		return name, nil
	}
	g.mu.Lock()
	id, ok := g.ids[handle]
	g.mu.Unlock()
	if ok {
		return id, nil
	}
	list, err := g.chat.api.GetUserGroupsContext(ctx)
	g.chat.count("usergroups.list", err)
	if err != nil {
		return "", err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ug := range list {
		g.ids[ug.Handle], g.handles[ug.ID] = ug.ID, ug.Handle
	}
	if id, ok := g.ids[handle]; ok {
		return id, nil
	}
	return "", errNoGroup
}

// problemOf is a read's failure as people can look it up: Slack's error
// code (missing_scope, no_such_subteam), or that Slack could not be reached.
func problemOf(err error) string {
	var se slackgo.SlackErrorResponse
	var sc slackgo.StatusCodeError
	var rl *slackgo.RateLimitedError
	switch {
	case errors.As(err, &se):
		if se.Err == "missing_scope" {
			return "missing_scope: releasebot lacks usergroups:read; reinstall the app with it"
		}
		return se.Err
	case errors.Is(err, errNoGroup):
		return "no user group has that handle"
	case errors.As(err, &rl):
		return "Slack is rate-limiting releasebot"
	case errors.As(err, &sc):
		return "Slack answered HTTP " + sc.Status
	}
	return "Slack could not be reached"
}

// Changed takes a change Slack announced to group id: the members added
// and removed count at once, then the group is read again.
func (g *UserGroups) Changed(ctx context.Context, id, handle string, added, removed []string) {
	var names []string
	g.mu.Lock()
	if handle != "" {
		g.ids[handle], g.handles[id] = id, handle
	}
	for _, name := range g.groups {
		if name != id && (g.handles[id] == "" || name != "@"+g.handles[id]) {
			continue
		}
		names = append(names, name)
		if st := g.state[name]; st.known {
			users := slices.DeleteFunc(slices.Clone(st.users), func(u string) bool { return slices.Contains(removed, u) })
			for _, u := range added {
				if !slices.Contains(users, u) {
					users = append(users, u)
				}
			}
			st.users = users
		}
	}
	g.mu.Unlock()
	for _, name := range names {
		g.read(ctx, name)
	}
}

// groupChange is a subteam_members_changed or subteam_updated event.
type groupChange struct {
	EventID, TeamID string
	ID, Handle      string
	Added, Removed  []string
}

// readGroupChange reads an Events API callback that announces a change to
// a user group. slack-go can't read subteam_members_changed as Slack
// documents it (its counts are strings there), so these are read here.
func readGroupChange(raw []byte) (groupChange, bool) {
	var cb struct {
		Type    string `json:"type"`
		TeamID  string `json:"team_id"`
		EventID string `json:"event_id"`
		Event   struct {
			Type      string   `json:"type"`
			SubteamID string   `json:"subteam_id"`
			Added     []string `json:"added_users"`
			Removed   []string `json:"removed_users"`
			Subteam   struct {
				ID     string `json:"id"`
				Handle string `json:"handle"`
			} `json:"subteam"`
		} `json:"event"`
	}
	if json.Unmarshal(raw, &cb) != nil || cb.Type != "event_callback" {
		return groupChange{}, false
	}
	c := groupChange{EventID: cb.EventID, TeamID: cb.TeamID}
	switch cb.Event.Type {
	case "subteam_members_changed":
		c.ID, c.Added, c.Removed = cb.Event.SubteamID, cb.Event.Added, cb.Event.Removed
	case "subteam_updated":
		c.ID, c.Handle = cb.Event.Subteam.ID, cb.Event.Subteam.Handle
	default:
		return groupChange{}, false
	}
	return c, c.ID != ""
}

// groupChanged passes a change of workspace team's user group on to the
// groups, if it is releasebot's workspace.
func (s *Slack) groupChanged(ctx context.Context, c groupChange) {
	if s.groups == nil {
		return
	}
	if self, err := s.self(ctx); err == nil && c.TeamID != self.TeamID {
		s.log.Warn("event from another workspace ignored", "event_id", c.EventID, "team_id", c.TeamID)
		return
	}
	s.groups.Changed(ctx, c.ID, c.Handle, c.Added, c.Removed)
}
