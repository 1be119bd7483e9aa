package commands

import (
	"strings"
	"testing"
	"time"
)

func TestFormatID(t *testing.T) {
	cases := []struct {
		name string
		id   int64
		want string
	}{
		{name: "small", id: 42, want: "R-42"},
		{name: "one", id: 1, want: "R-1"},
		{name: "largest", id: 9223372036854775807, want: "R-9223372036854775807"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatID(tc.id); got != tc.want {
				t.Fatalf("FormatID(%d) = %q, want %q", tc.id, got, tc.want)
			}
			back, err := ParseID(tc.want)
			if err != nil || back != tc.id {
				t.Fatalf("ParseID(FormatID(%d)) = %d, %v", tc.id, back, err)
			}
		})
	}
}

func TestParseID(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    int64
		problem string // substring of the error; "" for success
	}{
		{name: "R-n", in: "R-42", want: 42},
		{name: "r-n", in: "r-42", want: 42},
		{name: "bare number", in: "42", want: 42},
		{name: "leading zeros", in: "R-007", want: 7},
		{name: "largest", in: "R-9223372036854775807", want: 9223372036854775807},
		{name: "zero", in: "R-0", problem: `"R-0" is not a release id; release ids start at R-1`},
		{name: "bare zero", in: "0", problem: "start at R-1"},
		{name: "negative", in: "-5", problem: `"-5" is not a release id; release ids look like R-42`},
		{name: "negative after prefix", in: "R--5", problem: `"R--5" is not a release id`},
		{name: "plus sign", in: "+5", problem: "is not a release id"},
		{name: "overflow", in: "R-9223372036854775808", problem: `"R-9223372036854775808" is too large for a release id; release ids look like R-42`},
		{name: "empty", in: "", problem: `"" is not a release id`},
		{name: "prefix only", in: "R-", problem: `"R-" is not a release id`},
		{name: "no dash", in: "R42", problem: `"R42" is not a release id`},
		{name: "other prefix", in: "D-42", problem: `"D-42" is not a release id`},
		{name: "junk after digits", in: "R-42x", problem: "is not a release id"},
		{name: "spaces", in: " 42", problem: "is not a release id"},
		{name: "non-ASCII digits", in: "R-٤٢", problem: "is not a release id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseID(tc.in)
			if tc.problem == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseID(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseID(%q) = %d, want an error", tc.in, got)
			}
			if !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("ParseID(%q) error %q, want it to contain %q", tc.in, err, tc.problem)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		loc     *time.Location
		want    time.Time
		problem string
	}{
		{name: "winter time in Berlin", in: "2026-12-01 14:00", loc: berlin, want: time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)},
		{name: "summer time in Berlin", in: "2026-07-01 14:00", loc: berlin, want: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)},
		{name: "surrounding spaces", in: " 2026-12-01 14:00 ", loc: berlin, want: time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)},
		{name: "nil location is UTC", in: "2026-12-01 14:00", loc: nil, want: time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)},
		{name: "RFC 3339 UTC", in: "2026-12-01T14:00:00Z", loc: berlin, want: time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)},
		{name: "RFC 3339 offset ignores loc", in: "2026-12-01T14:00:00+01:00", loc: time.UTC, want: time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)},
		{name: "RFC 3339 fraction", in: "2026-12-01T14:00:00.5Z", loc: berlin, want: time.Date(2026, 12, 1, 14, 0, 0, 5e8, time.UTC)},
		{name: "day after the DST gap", in: "2026-03-29 03:30", loc: berlin, want: time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		{name: "DST gap", in: "2026-03-29 02:30", loc: berlin, problem: "2026-03-29 02:30 does not exist in Europe/Berlin"},
		{name: "no such day", in: "2026-02-30 10:00", loc: berlin, problem: `"2026-02-30 10:00" is not a time`},
		{name: "no such hour", in: "2026-12-01 24:00", loc: berlin, problem: "is not a time"},
		{name: "date only", in: "2026-12-01", loc: berlin, problem: "is not a time"},
		{name: "words", in: "next tuesday", loc: berlin, problem: `"next tuesday" is not a time`},
		{name: "RFC 3339 without zone", in: "2026-12-01T14:00:00", loc: berlin, problem: "is not a time"},
		{name: "empty", in: "", loc: berlin, problem: `"" is not a time`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.in, tc.loc)
			if tc.problem == "" {
				if err != nil || !got.Equal(tc.want) {
					t.Fatalf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseTime(%q) = %v, want an error", tc.in, got)
			}
			if !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("ParseTime(%q) error %q, want it to contain %q", tc.in, err, tc.problem)
			}
		})
	}
}

func TestParseTimeErrorShowsBothForms(t *testing.T) {
	_, err := ParseTime("soon", berlin)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"YYYY-MM-DD HH:MM", "Europe/Berlin", "2026-12-01 14:00", "RFC 3339", "2026-12-01T14:00:00+01:00"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestParseTimeKeepsLocalZone(t *testing.T) {
	got, err := ParseTime("2026-12-01 14:00", berlin)
	if err != nil {
		t.Fatal(err)
	}
	if got.Location() != berlin || got.Hour() != 14 {
		t.Fatalf("got %v in %v, want 14:00 in Europe/Berlin", got, got.Location())
	}
}

func TestCommandNames(t *testing.T) {
	cmds := []Command{Create{}, Status{}, List{}, Approve{}, Reject{}, Deploy{}, Rollback{}, Retry{}, Descope{}, Cancel{},
		Schedule{}, Freeze{}, Unfreeze{}, Windows{}, History{}, Audit{}, Help{}}
	if len(cmds) != len(commandTable) {
		t.Fatalf("%d command types, %d table entries", len(cmds), len(commandTable))
	}
	for i, c := range cmds {
		t.Run(c.Name(), func(t *testing.T) {
			if c.Name() != commandTable[i].name {
				t.Fatalf("Name() = %q, table has %q", c.Name(), commandTable[i].name)
			}
		})
	}
}
