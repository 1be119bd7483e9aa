package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

// GET /calendar.ics: the window openings of the next weeks, the freezes and
// the releases scheduled for a time (--at) as an iCalendar feed (RFC 5545)
// that Google Calendar, Outlook and Apple Calendar can subscribe to.
//
// Times are UTC (the "Z" form), which every client converts to its
// viewer's zone; that needs no VTIMEZONE. UIDs are stable across fetches
// (window name + opening start, freeze name + start, release id), so a
// client updates events in place instead of duplicating them.
//
// The feed declares no METHOD: it is a calendar to subscribe to, not an
// iTIP message (RFC 5546), whose METHOD:PUBLISH would require an ORGANIZER
// in every event and a method= parameter in the Content-Type (libical
// refuses the feed otherwise).

const (
	feedPast     = 7 * 24 * time.Hour // openings and freezes this far back stay in the feed
	feedAhead    = 8 * 7 * 24 * time.Hour
	feedDomain   = "releasebot"       // the right-hand side of every UID
	scheduledFor = 30 * time.Minute   // the length shown for a release's start time
	icalStamp    = "20060102T150405Z" // DATE-TIME in UTC
)

func (s *Server) calendarFeed(c *gin.Context) {
	ctx := c.Request.Context()
	now := s.now().UTC()
	from, to := now.Add(-feedPast), now.Add(feedAhead)
	rs, err := s.releases.List(ctx, releases.Filter{Statuses: releases.ActiveStatuses, Limit: releases.MaxLimit})
	if err != nil {
		s.feedError(c, err)
		return
	}
	base := s.baseURL(c)

	w := &icalWriter{}
	w.prop("BEGIN", "VCALENDAR")
	w.prop("VERSION", "2.0")
	w.prop("PRODID", "-//releasebot//release calendar//EN")
	w.prop("CALSCALE", "GREGORIAN")
	w.text("NAME", "releasebot")
	w.text("X-WR-CALNAME", "releasebot")
	w.text("X-WR-CALDESC", "Release windows, freezes and scheduled releases")
	w.prop("REFRESH-INTERVAL;VALUE=DURATION", "PT1H")
	w.prop("X-PUBLISHED-TTL", "PT1H")

	if s.cal != nil {
		freezes, err := s.cal.Freezes(ctx, from)
		if err != nil {
			s.feedError(c, err)
			return
		}
		for _, o := range s.cal.Upcoming(from, to, maxOpenings) {
			summary := "Release window: " + o.Window
			desc := fmt.Sprintf("Release window %s, %s–%s (%s). Ready releases for %s start deploying when it opens.",
				o.Window, o.Start.In(s.loc).Format("Mon 2 Jan 15:04"), o.End.In(s.loc).Format("15:04 MST"), s.loc, o.Window)
			if f := frozenAt(freezes, o.Start); f != "" {
				summary += " (frozen: " + f + ")"
				desc += " The freeze " + f + " holds it: nothing deploys without a release manager's override."
			}
			w.event(vevent{
				uid: icalUID("window", o.Window, o.Start), stamp: now,
				start: o.Start, end: o.End, summary: summary, description: desc, category: "release window",
				url: base + "/windows",
			})
		}
		for _, f := range freezes {
			uid, summary := icalUID("freeze", f.Title(), f.Start), "Release freeze: "+f.Title()
			desc := "Release freeze " + f.Title() + ": nothing deploys without a release manager's override; rollbacks still go."
			if f.AdHoc() {
				// Its reason may be edited and its end moved by an unfreeze; its id stays.
				uid, summary = fmt.Sprintf("freeze-adhoc-%d@%s", f.ID, feedDomain), "Release freeze (ad hoc): "+f.Reason
				desc = fmt.Sprintf("Ad-hoc release freeze declared by %s: %s. Nothing deploys without a release manager's override; rollbacks still go.", s.userName(f.CreatedBy), f.Reason)
			}
			w.event(vevent{uid: uid, stamp: now, start: f.Start, end: f.End, summary: summary, description: desc,
				category: "release freeze", url: base + "/windows"})
		}
	}
	for i := range rs {
		r := &rs[i]
		if r.StartAt.IsZero() {
			continue
		}
		id := releases.FormatID(r.ID)
		summary, desc := r.Label(), fmt.Sprintf("%s (%s). %s", r.Label(), statusWords(string(r.Status)), s.nextStep(ctx, r))
		if r.IsTrain() {
			summary, desc = trainEvent(r, statusWords(string(r.Status)), s.nextStep(ctx, r))
		}
		if r.Notes != "" {
			desc += "\n\n" + r.Notes
		}
		w.event(vevent{
			uid: "release-" + id + "@" + feedDomain, stamp: now, start: r.StartAt, end: r.StartAt.Add(scheduledFor),
			summary: summary, description: desc, category: "release", url: base + "/releases/" + id,
			modified: r.UpdatedAt,
		})
	}
	w.prop("END", "VCALENDAR")

	c.Header("Cache-Control", "private, max-age=300")
	c.Header("Content-Disposition", `inline; filename="releasebot.ics"`)
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", w.buf.Bytes())
}

func (s *Server) feedError(c *gin.Context, err error) {
	s.logger(c).ErrorContext(c.Request.Context(), "calendar feed failed", "err", err)
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.String(http.StatusInternalServerError, "Internal error.\n")
}

// baseURL is where links in the feed point: RELEASEBOT_PUBLIC_URL, else
// the scheme and host the request came to.
func (s *Server) baseURL(c *gin.Context) string {
	if s.publicURL != "" {
		return strings.TrimRight(s.publicURL, "/")
	}
	scheme := "http"
	if c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

// vevent is one VEVENT of the feed.
type vevent struct {
	uid                  string
	stamp, start, end    time.Time
	modified             time.Time
	summary, description string
	category, url        string
}

// icalWriter writes content lines: CRLF-terminated, folded at 75 octets.
type icalWriter struct{ buf bytes.Buffer }

func (w *icalWriter) event(e vevent) {
	w.prop("BEGIN", "VEVENT")
	w.text("UID", e.uid)
	w.prop("DTSTAMP", e.stamp.UTC().Format(icalStamp))
	w.prop("DTSTART", e.start.UTC().Format(icalStamp))
	w.prop("DTEND", e.end.UTC().Format(icalStamp))
	if !e.modified.IsZero() {
		w.prop("LAST-MODIFIED", e.modified.UTC().Format(icalStamp))
	}
	w.text("SUMMARY", e.summary)
	if e.description != "" {
		w.text("DESCRIPTION", e.description)
	}
	if e.category != "" {
		w.text("CATEGORIES", e.category)
	}
	if e.url != "" {
		w.prop("URL", e.url)
	}
	w.prop("TRANSP", "TRANSPARENT") // a window or a freeze doesn't make anyone busy
	w.prop("END", "VEVENT")
}

// text writes a TEXT property, escaped.
func (w *icalWriter) text(name, value string) { w.prop(name, escapeText(value)) }

// prop writes "NAME:VALUE", folded: no line is longer than 75 octets, and
// a fold never splits a UTF-8 sequence.
func (w *icalWriter) prop(name, value string) {
	line := name + ":" + value
	const limit = 75
	first := true
	for len(line) > 0 {
		n := limit
		if !first {
			n-- // the leading space counts
			w.buf.WriteByte(' ')
		}
		if n >= len(line) {
			n = len(line)
		} else {
			for n > 0 && !utf8.RuneStart(line[n]) {
				n--
			}
		}
		w.buf.WriteString(line[:n])
		w.buf.WriteString("\r\n")
		line, first = line[n:], false
	}
}

// escapeText escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon,
// comma and newline; other control characters are not allowed and are
// dropped, as is invalid UTF-8.
func escapeText(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "") {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// uidPart keeps letters, digits, '.', '_' and '-' of a name and
// percent-encodes every other byte, so a UID needs no escaping and two
// names never share one.
func uidPart(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		ch := name[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '.', ch == '_', ch == '-':
			b.WriteByte(ch)
		default:
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// icalUID is the UID of a window opening or a freeze:
// window-weekly-train-20261201T130000Z@releasebot.
func icalUID(kind, name string, start time.Time) string {
	return kind + "-" + uidPart(name) + "-" + start.UTC().Format(icalStamp) + "@" + feedDomain
}

// trainEvent is a train's calendar summary and description. The summary
// is its name and component count, short enough for a calendar cell (a
// train holds up to releases.MaxComponents services); the description
// lists every component, one a line, descoped ones marked.
func trainEvent(r *releases.Release, status, next string) (summary, desc string) {
	id, name := releases.FormatID(r.ID), r.Name
	if name == "" {
		name = "train"
	}
	summary = fmt.Sprintf("%s %s (%d components)", id, name, len(r.Components))
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s). %s\n\nComponents:", summary, status, next)
	for _, c := range r.Components {
		b.WriteString("\n- " + c.Label())
		if c.Digest != "" {
			b.WriteString(" (" + c.Digest + ")")
		}
		if c.Descoped {
			b.WriteString(" — descoped")
			if c.DescopeReason != "" {
				b.WriteString(": " + c.DescopeReason)
			}
		}
	}
	return summary, b.String()
}
