package web

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

// listJSON is the body of GET /api/releases. Next is the cursor of the
// following page, "" on the last one.
type listJSON struct {
	Releases []releaseJSON `json:"releases"`
	Next     string        `json:"next"`
}

// listReleases answers GET /api/releases?status=S&service=X&since=T&limit=N&cursor=C:
// one page of releases, newest first. status may repeat or hold a
// comma-separated list; service selects one service; since (RFC 3339)
// those created at or after it.
func (s *Server) listReleases(c *gin.Context) {
	f, err := listFilter(c)
	if err != nil {
		s.apiError(c, err)
		return
	}
	page, more, err := s.page(c, f)
	if err != nil {
		s.apiError(c, err)
		return
	}
	out := listJSON{Releases: make([]releaseJSON, len(page))}
	for i := range page {
		out.Releases[i] = newReleaseJSON(&page[i])
	}
	if more {
		out.Next = encodeCursor(page[len(page)-1].ID)
	}
	c.JSON(http.StatusOK, out)
}

// Bounds of the list filters (of GET /api/releases and the dashboard's
// list). A request beyond them is refused with 400 before anything is
// read from the database.
const (
	// maxListQuery is the longest query string the list takes: its own
	// links stay far below it, even with a token.
	maxListQuery = 2048
	// maxStatusValues is how many status values one request may give,
	// counting repeats and comma-separated ones; duplicates are dropped.
	maxStatusValues = 20
	// maxServiceLen is the longest service name (as releases.Create).
	maxServiceLen = 100
	// maxTeamLen bounds a team filter: no configured team is longer.
	maxTeamLen = 100
	// maxQuoted is how much of a refused value an error sentence quotes.
	maxQuoted = 40
)

// listFilter reads the query of GET /api/releases and of the dashboard's
// list: status (repeated or comma-separated), service, team (releases
// that ask its sign-off), limit and cursor. Statuses must be known ones
// and are deduplicated, in the order given; service, team, since (RFC
// 3339), limit and cursor may be given once. Limit and cursor are
// checked here, as the coordinator reads a zero limit as "the default" and has
// no cursors.
func listFilter(c *gin.Context) (releases.Filter, error) {
	f := releases.Filter{Limit: releases.DefaultLimit}
	if n := len(c.Request.URL.RawQuery); n > maxListQuery {
		return f, releases.Errorf(releases.EInvalid, "The query string is too long (at most %d bytes); drop some filters.", maxListQuery)
	}
	for _, key := range []string{"service", "team", "since", "limit", "cursor"} {
		if len(c.QueryArray(key)) > 1 {
			return f, releases.Errorf(releases.EInvalid, "Give %s only once.", key)
		}
	}
	f.Service = strings.TrimSpace(c.Query("service"))
	if n := utf8.RuneCountInString(f.Service); n > maxServiceLen {
		return f, releases.Errorf(releases.EInvalid, "A service name has at most %d characters; got %d.", maxServiceLen, n)
	}
	f.Team = strings.TrimSpace(c.Query("team"))
	if n := utf8.RuneCountInString(f.Team); n > maxTeamLen {
		return f, releases.Errorf(releases.EInvalid, "A team name has at most %d characters; got %d.", maxTeamLen, n)
	}
	if raw := c.Query("since"); raw != "" {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(raw))
		if err != nil {
			return f, releases.Errorf(releases.EInvalid, "since must be an RFC 3339 time like 2026-12-01T00:00:00Z; got %s.", quoteCut(raw))
		}
		f.CreatedSince = t
	}
	var values []string
	for _, param := range c.QueryArray("status") {
		values = append(values, strings.Split(param, ",")...)
	}
	if len(values) > maxStatusValues {
		return f, releases.Errorf(releases.EInvalid, "Give at most %d status values; got %d.", maxStatusValues, len(values))
	}
	for _, v := range values {
		st := releases.Status(strings.TrimSpace(v))
		switch {
		case st == "" || slices.Contains(f.Statuses, st):
		case !st.Valid():
			return f, releases.Errorf(releases.EInvalid, "%s is not a status; statuses are %s.", quoteCut(string(st)),
				strings.ReplaceAll(joinStatuses(releases.Statuses), ",", ", "))
		default:
			f.Statuses = append(f.Statuses, st)
		}
	}
	if raw, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil || n < 1 || n > releases.MaxLimit {
			return f, releases.Errorf(releases.EInvalid, "The limit must be a whole number between 1 and %d; got %s.", releases.MaxLimit, quoteCut(raw))
		}
		f.Limit = n
	}
	if raw := c.Query("cursor"); raw != "" {
		before, err := decodeCursor(raw)
		if err != nil {
			return f, err
		}
		f.Before = before
	}
	return f, nil
}

// quoteCut quotes s for an error sentence, cut to maxQuoted characters, so
// a refused value is recognisable without being echoed back in full.
func quoteCut(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:maxQuoted])) + "…"
}

// page returns up to f.Limit releases and whether more follow. It asks for
// one release beyond the page, so the last page is known as such and its
// cursor is "" rather than a link to an empty page. A full page of
// MaxLimit cannot ask for one more, so it checks with a second query.
func (s *Server) page(c *gin.Context, f releases.Filter) ([]releases.Release, bool, error) {
	ctx := c.Request.Context()
	limit := f.Limit
	if limit < releases.MaxLimit {
		f.Limit = limit + 1
	}
	rs, err := s.releases.List(ctx, f)
	if err != nil {
		return nil, false, err
	}
	if len(rs) > limit {
		return rs[:limit], true, nil
	}
	if len(rs) < limit || limit < releases.MaxLimit {
		return rs, false, nil
	}
	f.Before, f.Limit = rs[len(rs)-1].ID, 1
	next, err := s.releases.List(ctx, f)
	if err != nil {
		return nil, false, err
	}
	return rs, len(next) > 0, nil
}

// getRelease answers GET /api/releases/:id with the release and its audit
// trail. The id may be written R-42, r-42 or 42.
func (s *Server) getRelease(c *gin.Context) {
	id, err := releases.ParseID(c.Param("id"))
	if err != nil {
		s.apiError(c, err)
		return
	}
	ctx := c.Request.Context()
	r, err := s.releases.Get(ctx, id)
	if err != nil {
		s.apiError(c, err)
		return
	}
	events, err := s.releases.Audit(ctx, id)
	if err != nil {
		s.apiError(c, err)
		return
	}
	c.JSON(http.StatusOK, newReleaseDetailJSON(r, events))
}

// Cursors are opaque to clients, so the paging scheme can change without
// breaking them. Today a cursor is the id of the last release of a page,
// behind a prefix and base64, and the next page lists the ids below it.
const cursorPrefix = "before:"

func encodeCursor(lastID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(lastID, 10)))
}

func decodeCursor(cursor string) (int64, error) {
	bad := releases.Errorf(releases.EInvalid, "The cursor is not valid; use the \"next\" value of an earlier answer.")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, bad
	}
	digits, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, bad
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != digits {
		return 0, bad
	}
	return id, nil
}
