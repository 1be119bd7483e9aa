package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/web"
)

// feed fetches /calendar.ics after seedStory and one release scheduled
// with notes that need escaping and folding.
func feed(t *testing.T) (page, *dashboard) {
	t.Helper()
	d := newDashboard(t, func(o *web.Options) { o.PublicURL = "https://bot.example.com/" })
	seedStory(t, d)
	notes := strings.Repeat("Grüße, Ärger; und \\ Backslashes — ", 6) + "\nzweite Zeile"
	mustRelease(t)(d.svc.Create(context.Background(), dave, releases.CreateInput{
		Service: "ledger", Version: "v9.9.9", Notes: notes, StartAt: time.Date(2026, 12, 10, 15, 0, 0, 0, time.UTC),
	}))
	got := d.page(t, "/calendar.ics")
	if got.Code != http.StatusOK {
		t.Fatalf("GET /calendar.ics: %d\n%s", got.Code, got.Body)
	}
	return got, d
}

// TestCalendarFeedRFC5545 checks the feed line by line against the rules
// of RFC 5545 that clients trip over: CRLF, 75-octet folding that never
// splits a character, balanced components, the required properties and
// UTC times.
func TestCalendarFeedRFC5545(t *testing.T) {
	got, _ := feed(t)
	if ct := got.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/calendar; charset=utf-8", ct)
	}
	body := got.Body
	if !strings.HasSuffix(body, "\r\n") {
		t.Error("the feed does not end with CRLF")
	}
	if strings.Contains(strings.ReplaceAll(body, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(body, "\r\n", ""), "\r") {
		t.Error("a line ends without CRLF")
	}
	raw := strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")
	var lines []string // unfolded
	for i, l := range raw {
		if len(l) > 75 {
			t.Errorf("line %d has %d octets (at most 75): %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
		if strings.HasPrefix(l, " ") {
			if len(lines) == 0 {
				t.Fatal("the feed starts with a continuation line")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Errorf("the feed runs from %q to %q", lines[0], lines[len(lines)-1])
	}
	var stack []string
	var event map[string]string
	uids := map[string]bool{}
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Errorf("content line without a colon: %q", l)
			continue
		}
		switch name {
		case "BEGIN":
			stack = append(stack, value)
			if value == "VEVENT" {
				event = map[string]string{}
			}
			continue
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != value {
				t.Fatalf("END:%s closes %v", value, stack)
			}
			stack = stack[:len(stack)-1]
			if value == "VEVENT" {
				for _, p := range []string{"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} {
					if event[p] == "" {
						t.Errorf("event %q has no %s", event["UID"], p)
					}
				}
				for _, p := range []string{"DTSTAMP", "DTSTART", "DTEND"} {
					if _, err := time.Parse("20060102T150405Z", event[p]); err != nil {
						t.Errorf("event %q: %s %q is not a UTC date-time", event["UID"], p, event[p])
					}
				}
				if event["DTEND"] <= event["DTSTART"] {
					t.Errorf("event %q ends (%s) before it starts (%s)", event["UID"], event["DTEND"], event["DTSTART"])
				}
				if uids[event["UID"]] {
					t.Errorf("UID %q appears twice", event["UID"])
				}
				uids[event["UID"]] = true
				event = nil
			}
			continue
		}
		if event != nil {
			event[name] = value
		}
		if len(stack) == 1 && (name == "VERSION" && value != "2.0") {
			t.Errorf("VERSION:%s", value)
		}
	}
	for _, want := range []string{"VERSION:2.0", "PRODID:-//releasebot//release calendar//EN"} {
		if !contains(lines, want) {
			t.Errorf("the calendar lacks %q", want)
		}
	}
	// A subscription feed is not an iTIP message (RFC 5546): METHOD:PUBLISH
	// would require an ORGANIZER in every event and a matching method=
	// parameter in the Content-Type, and libical refuses the feed without
	// them. So the feed declares no METHOD at all.
	for _, l := range lines {
		if strings.HasPrefix(l, "METHOD:") || strings.HasPrefix(l, "METHOD;") {
			t.Errorf("the calendar declares %q; a subscription feed has no METHOD", l)
		}
	}
	for _, uid := range []string{
		"window-weekly-train-20261201T130000Z@releasebot", // Tue 1 Dec 14:00 Berlin
		"window-weekly-train-20261203T130000Z@releasebot",
		"window-weekly-train-20270121T130000Z@releasebot", // the last within 8 weeks
		"freeze-year-end-20261219T230000Z@releasebot",
		"release-R-7@releasebot", // scheduled with --at
		"release-R-9@releasebot",
	} {
		if !uids[uid] {
			t.Errorf("no event with UID %s", uid)
		}
	}
	if uids["window-weekly-train-20270126T130000Z@releasebot"] {
		t.Error("the feed reaches beyond 8 weeks")
	}
	if uids["release-R-5@releasebot"] {
		t.Error("R-5 has a window, not a start time; it has no event of its own")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestCalendarFeedParses reads the feed with an independent iCalendar
// library and checks what a subscriber sees.
func TestCalendarFeedParses(t *testing.T) {
	got, d := feed(t)
	cal, err := ics.ParseCalendar(strings.NewReader(got.Body))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	events := map[string]*ics.VEvent{}
	for _, e := range cal.Events() {
		events[e.Id()] = e
	}
	train, ok := events["window-weekly-train-20261201T130000Z@releasebot"]
	if !ok {
		t.Fatalf("no event for Tuesday's train among %d events", len(events))
	}
	start, err := train.GetStartAt()
	if err != nil || !start.Equal(time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("train starts %v, %v; want 2026-12-01 13:00 UTC", start, err)
	}
	end, err := train.GetEndAt()
	if err != nil || end.Sub(start) != 2*time.Hour {
		t.Errorf("train ends %v, %v; want two hours later", end, err)
	}
	if s := train.GetProperty(ics.ComponentPropertySummary).Value; s != "Release window: weekly-train" {
		t.Errorf("train summary %q", s)
	}

	frozen := events["window-weekly-train-20261222T130000Z@releasebot"]
	if s := frozen.GetProperty(ics.ComponentPropertySummary).Value; s != "Release window: weekly-train (frozen: year-end)" {
		t.Errorf("frozen train summary %q", s)
	}
	freeze := events["freeze-year-end-20261219T230000Z@releasebot"]
	if end, _ := freeze.GetEndAt(); !end.Equal(time.Date(2027, 1, 3, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("freeze ends %v", end)
	}

	r9 := events["release-R-9@releasebot"]
	desc := r9.GetProperty(ics.ComponentPropertyDescription).Value
	for _, want := range []string{`Grüße, Ärger; und \ Backslashes`, "— \nzweite Zeile", "R-9 ledger v9.9.9 (awaiting sign-off)"} {
		if !strings.Contains(desc, want) {
			t.Errorf("R-9's description lacks %q: %q", want, desc)
		}
	}
	if u := r9.GetProperty(ics.ComponentPropertyUrl).Value; u != "https://bot.example.com/releases/R-9" {
		t.Errorf("R-9's URL %q", u)
	}
	if start, _ := r9.GetStartAt(); !start.Equal(time.Date(2026, 12, 10, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("R-9 starts %v", start)
	}

	// A second fetch keeps every UID: clients update events in place.
	d.clock.Advance(time.Minute)
	again, err := ics.ParseCalendar(strings.NewReader(d.page(t, "/calendar.ics").Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range again.Events() {
		delete(events, e.Id())
	}
	if len(events) != 0 {
		t.Errorf("a minute later these UIDs are gone: %v", events)
	}
}

func TestCalendarFeedHEAD(t *testing.T) {
	d := newDashboard(t, nil)
	got := d.do(t, httpRequest(http.MethodHead, "/calendar.ics"))
	if got.Code != http.StatusOK || got.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Errorf("HEAD /calendar.ics: %d %q", got.Code, got.Header.Get("Content-Type"))
	}
}

func httpRequest(method, path string) *http.Request {
	r, _ := http.NewRequest(method, path, nil)
	r.RequestURI = path
	return r
}
