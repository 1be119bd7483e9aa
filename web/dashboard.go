package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

// The dashboard's release pages: GET / lists releases, GET /releases/:id
// tells one release's story. Both read through the same paginated, indexed
// queries as the API.

// option is one choice of a <select>.
type option struct {
	Value, Label string
	Selected     bool
}

type listData struct {
	Rows     []releaseView
	Statuses []option
	Service  string
	Teams    []option // "Any team" and the configured teams
	Filtered bool
	NextURL  string // the following (older) page; "" on the last
	FirstURL string // the newest page with the same filter; "" on it
	Limit    int
	// FrozenNow are the freezes in force: nothing deploys while one is,
	// which the list's statuses alone would not tell.
	FrozenNow []freezeView
}

// activeStatuses is the value of the "Active" choice: the API's comma list.
var activeStatuses = joinStatuses(releases.ActiveStatuses)

func joinStatuses(ss []releases.Status) string {
	parts := make([]string, len(ss))
	for i, st := range ss {
		parts[i] = string(st)
	}
	return strings.Join(parts, ",")
}

// listPage answers GET /?status=S&service=X&team=T&cursor=C&limit=N.
func (s *Server) listPage(c *gin.Context) {
	f, err := listFilter(c)
	if err != nil {
		s.errorPage(c, err)
		return
	}
	page, more, err := s.page(c, f)
	if err != nil {
		s.errorPage(c, err)
		return
	}
	ctx := c.Request.Context()
	data := listData{Rows: make([]releaseView, len(page)), Service: f.Service, Teams: s.teamOptions(f.Team), Limit: f.Limit,
		Filtered: len(f.Statuses) > 0 || f.Service != "" || f.Team != ""}
	for i := range page {
		data.Rows[i] = s.releaseView(ctx, &page[i])
	}
	if data.FrozenNow, err = s.frozenNow(c); err != nil {
		s.errorPage(c, err)
		return
	}
	selected := joinStatuses(f.Statuses)
	data.Statuses = append(data.Statuses, option{Value: "", Label: "Any status", Selected: selected == ""},
		option{Value: activeStatuses, Label: "Active", Selected: selected == activeStatuses})
	for _, st := range releases.Statuses {
		data.Statuses = append(data.Statuses, option{Value: string(st), Label: statusWords(string(st)), Selected: selected == string(st)})
	}
	query := url.Values{}
	if selected != "" {
		query.Set("status", selected)
	}
	if f.Service != "" {
		query.Set("service", f.Service)
	}
	if f.Team != "" {
		query.Set("team", f.Team)
	}
	if f.Limit != releases.DefaultLimit {
		query.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Before > 0 {
		data.FirstURL = pageURL("/", query)
	}
	if more {
		query.Set("cursor", encodeCursor(page[len(page)-1].ID))
		data.NextURL = pageURL("/", query)
	}
	s.render(c, http.StatusOK, "list.html", "Releases", "releases", data)
}

// teamOptions are the choices of the list's team filter: any team, each
// configured team, and the selected one if it is not configured (any
// more): a link may name it.
func (s *Server) teamOptions(selected string) []option {
	out := []option{{Value: "", Label: "Any team", Selected: selected == ""}}
	found := selected == ""
	if s.policy != nil {
		for _, t := range s.policy.Teams {
			out = append(out, option{Value: t.Name, Label: t.Name, Selected: t.Name == selected})
			found = found || t.Name == selected
		}
	}
	if !found {
		out = append(out, option{Value: selected, Label: selected, Selected: true})
	}
	return out
}

func pageURL(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

type releaseData struct {
	releaseView
	Label          string
	Notes          string
	Reason         string
	OverrideBy     string
	OverrideReason string
	Environments   []string
	Timeline       []timelineItem
	Deployments    []*deploymentView
	Audit          []auditView
}

type auditView struct {
	At     timeView
	Actor  string
	Action string
	Detail string
}

// releasePage answers GET /releases/:id (R-42, r-42 or 42).
func (s *Server) releasePage(c *gin.Context) {
	id, err := releases.ParseID(c.Param("id"))
	if err != nil {
		s.errorPage(c, err)
		return
	}
	ctx := c.Request.Context()
	r, err := s.releases.Get(ctx, id)
	if err != nil {
		s.errorPage(c, err)
		return
	}
	events, err := s.releases.Audit(ctx, id)
	if err != nil {
		s.errorPage(c, err)
		return
	}
	data := releaseData{
		releaseView: s.releaseView(ctx, r), Label: r.Label(), Notes: r.Notes, Reason: r.Reason,
		OverrideReason: r.OverrideReason, Environments: r.Environments,
		Timeline: s.timeline(r, events), Audit: make([]auditView, len(events)),
	}
	if r.OverrideBy != "" {
		data.OverrideBy = s.userName(r.OverrideBy)
	}
	for _, d := range r.Deployments {
		data.Deployments = append(data.Deployments, s.deploymentView(d))
	}
	for i, e := range events {
		data.Audit[i] = auditView{At: s.timeView(e.At), Actor: s.userName(e.Actor), Action: e.Action, Detail: e.Detail}
	}
	s.render(c, http.StatusOK, "release.html", r.Label(), "releases", data)
}

// frozenNow returns the freezes in force now, configured and ad hoc.
func (s *Server) frozenNow(c *gin.Context) ([]freezeView, error) {
	if s.cal == nil {
		return nil, nil
	}
	now := s.now()
	freezes, err := s.cal.Freezes(c.Request.Context(), now)
	if err != nil {
		return nil, err
	}
	var out []freezeView
	for _, f := range freezes {
		if !f.Active(now) {
			continue
		}
		fv := freezeView{Name: f.Title(), Start: s.timeView(f.Start), End: s.timeView(f.End), Active: true, AdHoc: f.AdHoc(),
			When: "ends " + relative(f.End, now)}
		if f.CreatedBy != "" {
			fv.By = s.userName(f.CreatedBy)
		}
		out = append(out, fv)
	}
	return out, nil
}
