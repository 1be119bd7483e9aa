package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

// GET /windows: the release windows' upcoming openings and the freezes,
// laid out as a calendar of weeks in the configured zone.

const (
	defaultWeeks = 4
	maxWeeks     = 12
	maxOpenings  = 2000 // per request; far more than 12 weeks of any sane schedule
)

type windowsData struct {
	HasCalendar bool
	Now         timeView
	Weeks       int
	OpenNow     []openingView
	Next        *openingView // the next opening that starts after now
	NextClear   *openingView // when Next is frozen: the first one that isn't
	FrozenNow   []freezeView
	Calendar    []weekView
	Freezes     []freezeView
	Scheduled   []scheduledView
	MoreURL     string
}

type openingView struct {
	Window   string
	Start    timeView
	End      timeView
	Range    string // "14:00–16:00"
	In       string // "in 3 h 58 min"
	Frozen   string // the freeze in force at its start, if any
	Releases []releaseLink
}

type releaseLink struct {
	ID, URL, Label, Status string
}

type freezeView struct {
	Name   string // an ad-hoc freeze's reason
	AdHoc  bool
	By     string // who declared an ad-hoc freeze
	Start  timeView
	End    timeView
	Active bool
	When   string // "ends in 3 days", "starts in 5 days"
}

type scheduledView struct {
	releaseLink
	At timeView
}

type weekView struct {
	Label string // "Week of 30 Nov"
	Days  []dayView
}

type dayView struct {
	Weekday   string // "Tue"
	Day       string // "1"
	Month     string // "Dec" on the first day of a month and the first cell
	ISO       string // "2026-12-01"
	Today     bool
	Past      bool
	Freezes   []string
	Openings  []openingView
	Scheduled []scheduledView
}

func (s *Server) windowsPage(c *gin.Context) {
	weeks := defaultWeeks
	if n, err := strconv.Atoi(c.Query("weeks")); err == nil {
		weeks = min(max(n, 1), maxWeeks)
	}
	now := s.now()
	data := windowsData{HasCalendar: s.cal != nil, Now: s.timeView(now), Weeks: weeks}
	if weeks < maxWeeks {
		data.MoreURL = "/windows?weeks=" + strconv.Itoa(min(weeks+4, maxWeeks))
	}
	active, err := s.waitingReleases(c.Request.Context())
	if err != nil {
		s.errorPage(c, err)
		return
	}

	// The grid starts on the Monday of this week, in the configured zone.
	today := midnight(now.In(s.loc))
	start := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	end := start.AddDate(0, 0, 7*weeks)

	var openings []releases.Opening
	var freezes []releases.Freeze
	if s.cal != nil {
		// Openings that started up to a week ago may still be open.
		openings = s.cal.Upcoming(minTime(start, now.Add(-7*24*time.Hour)).Add(-time.Nanosecond), end, maxOpenings)
		if freezes, err = s.cal.Freezes(c.Request.Context(), start); err != nil {
			s.errorPage(c, err)
			return
		}
	}
	views := make([]openingView, len(openings))
	riding := s.ridingReleases(active, openings, freezes, now)
	for i, o := range openings {
		views[i] = s.openingView(o, freezes, now)
		views[i].Releases = riding[i]
		switch {
		case !o.Start.After(now) && o.End.After(now):
			data.OpenNow = append(data.OpenNow, views[i])
		case o.Start.After(now) && data.Next == nil:
			data.Next = &views[i]
		case o.Start.After(now) && data.Next.Frozen != "" && data.NextClear == nil && views[i].Frozen == "":
			data.NextClear = &views[i]
		}
	}
	for _, f := range freezes {
		fv := freezeView{Name: f.Title(), Start: s.timeView(f.Start), End: s.timeView(f.End), Active: f.Active(now), AdHoc: f.AdHoc()}
		if f.CreatedBy != "" {
			fv.By = s.userName(f.CreatedBy)
		}
		switch {
		case fv.Active:
			fv.When = "ends " + relative(f.End, now)
			data.FrozenNow = append(data.FrozenNow, fv)
		case f.Start.After(now):
			fv.When = "starts " + relative(f.Start, now)
		default:
			fv.When = "ended " + relative(f.End, now)
		}
		if f.End.After(now) {
			data.Freezes = append(data.Freezes, fv)
		}
	}
	var scheduled []scheduledView
	for _, r := range active {
		if !r.StartAt.IsZero() {
			scheduled = append(scheduled, scheduledView{releaseLink: link(&r), At: s.timeView(r.StartAt)})
		}
	}
	data.Scheduled = scheduled

	for day, w := start, 0; day.Before(end); w++ {
		week := weekView{Label: "Week of " + day.Format("2 Jan")}
		for range 7 {
			next := day.AddDate(0, 0, 1)
			dv := dayView{Weekday: day.Format("Mon"), Day: day.Format("2"), ISO: day.Format("2006-01-02"),
				Today: day.Equal(today), Past: day.Before(today)}
			if day.Day() == 1 || (w == 0 && len(week.Days) == 0) {
				dv.Month = day.Format("Jan")
			}
			for _, f := range freezes {
				if f.Start.Before(next) && f.End.After(day) {
					dv.Freezes = append(dv.Freezes, f.Title())
				}
			}
			for i, o := range openings {
				if !o.Start.Before(day) && o.Start.Before(next) {
					dv.Openings = append(dv.Openings, views[i])
				}
			}
			for i, r := range active {
				if !r.StartAt.IsZero() && !r.StartAt.Before(day) && r.StartAt.Before(next) {
					dv.Scheduled = append(dv.Scheduled, scheduledView{releaseLink: link(&active[i]), At: s.timeView(r.StartAt)})
				}
			}
			week.Days = append(week.Days, dv)
			day = next
		}
		data.Calendar = append(data.Calendar, week)
	}
	s.render(c, http.StatusOK, "windows.html", "Windows", "windows", data)
}

// waitingReleases are the releases that have not started: those that wait
// for a window or a start time. One page of the status index; a team with
// more than 200 waiting releases sees the newest 200.
func (s *Server) waitingReleases(ctx context.Context) ([]releases.Release, error) {
	return s.releases.List(ctx, releases.Filter{
		Statuses: []releases.Status{releases.StatusAwaitingSignoff, releases.StatusReady},
		Limit:    releases.MaxLimit,
	})
}

// ridingReleases puts each release that waits for a window on the first
// opening of that window after now that no freeze holds: the train it
// will take once signed off.
func (s *Server) ridingReleases(active []releases.Release, openings []releases.Opening, freezes []releases.Freeze, now time.Time) map[int][]releaseLink {
	out := map[int][]releaseLink{}
	first := map[string]int{}
	for i, o := range openings {
		if _, seen := first[o.Window]; seen || !o.Start.After(now) || frozenAt(freezes, o.Start) != "" {
			continue
		}
		first[o.Window] = i
	}
	for i := range active {
		r := &active[i]
		if idx, ok := first[r.Window]; ok && r.Window != "" {
			out[idx] = append(out[idx], link(r))
		}
	}
	return out
}

func (s *Server) openingView(o releases.Opening, freezes []releases.Freeze, now time.Time) openingView {
	start, end := o.Start.In(s.loc), o.End.In(s.loc)
	rng := start.Format("15:04") + "–" + end.Format("15:04")
	if midnight(start) != midnight(end) {
		rng = start.Format("15:04") + "–" + end.Format("Mon 15:04")
	}
	v := openingView{Window: o.Window, Start: s.timeView(o.Start), End: s.timeView(o.End), Range: rng,
		Frozen: frozenAt(freezes, o.Start)}
	if o.Start.After(now) {
		v.In = relative(o.Start, now)
	}
	return v
}

func frozenAt(freezes []releases.Freeze, t time.Time) string {
	var names []string
	for _, f := range freezes {
		if f.Active(t) {
			names = append(names, f.Title())
		}
	}
	return strings.Join(names, ", ")
}

func link(r *releases.Release) releaseLink {
	id := releases.FormatID(r.ID)
	return releaseLink{ID: id, URL: "/releases/" + id, Label: r.Service + " " + r.Version, Status: string(r.Status)}
}

// midnight is the start of t's day in t's zone (DST-safe).
func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
