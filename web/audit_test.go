package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
	"github.com/releasebot/releasebot/releases/gormstore"
	"github.com/releasebot/releasebot/releases/storetest"
	"github.com/releasebot/releasebot/web"
)

// auditFixture is a SQLite store whose audit events are written at known
// times, behind the web routes with a dashboard token.
type auditFixture struct {
	store   *gormstore.Store
	handler http.Handler
	t0      time.Time
}

// newAuditFixture writes n audit events, one a minute from t0, in one
// transaction, and seals them.
func newAuditFixture(t *testing.T, n int) *auditFixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	ctx := context.Background()
	store := storetest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "t.db"), nil)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	err := store.Tx(ctx, func(tx releases.Tx) error {
		for i := range n {
			e := releases.AuditEvent{At: t0.Add(time.Duration(i) * time.Minute), Actor: "U0DAVE", Action: releases.ActionFreeze,
				Detail: fmt.Sprintf(`froze "payments" <%d> & more`, i)}
			if err := tx.AddAudit(ctx, &e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for {
		sealed, _, err := store.Seal(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sealed == 0 {
			break
		}
	}
	r := gin.New()
	svc := releases.NewCoordinator(releases.Options{Store: store, Policy: testPolicy()})
	web.Register(r, web.Options{Releases: svc, Token: testToken, Audit: store})
	return &auditFixture{store: store, handler: r, t0: t0}
}

type auditLine struct {
	Seq       int64  `json:"seq"`
	ID        int64  `json:"id"`
	ReleaseID int64  `json:"release_id"`
	At        string `json:"at"`
	Actor     string `json:"actor"`
	Action    string `json:"action"`
	Detail    string `json:"detail"`
	PrevHash  string `json:"prev_hash"`
	Hash      string `json:"hash"`
}

// export fetches GET /api/audit with query and returns the answer and its
// lines, each checked to decode with exactly the documented keys.
func (f *auditFixture) export(t *testing.T, query string, auth bool) (*httptest.ResponseRecorder, []auditLine) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/audit"+query, nil)
	if auth {
		req.Header.Set("Authorization", "Bearer "+testToken)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return rec, nil
	}
	var lines []auditLine
	sc := bufio.NewScanner(strings.NewReader(rec.Body.String()))
	for sc.Scan() {
		var keys map[string]any
		if err := json.Unmarshal(sc.Bytes(), &keys); err != nil || len(keys) != 9 {
			t.Fatalf("line %q: %v, %d keys; want a JSON object with 9 keys", sc.Text(), err, len(keys))
		}
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return rec, lines
}

// recompute checks each line's hash from the line alone, as an auditor
// would, and that each follows the one before.
func recompute(t *testing.T, lines []auditLine, contiguous bool) {
	t.Helper()
	for i, l := range lines {
		at, err := time.Parse(time.RFC3339Nano, l.At)
		if err != nil {
			t.Fatalf("line %d: at %q: %v", i, l.At, err)
		}
		e := releases.AuditEvent{ID: l.ID, ReleaseID: l.ReleaseID, At: at, Actor: l.Actor, Action: l.Action, Detail: l.Detail}
		if got := releases.ChainHash(l.PrevHash, e); got != l.Hash {
			t.Fatalf("line %d (event %d): hash %s, recomputed %s", i, l.ID, l.Hash, got)
		}
		if contiguous && i > 0 && (l.PrevHash != lines[i-1].Hash || l.Seq != lines[i-1].Seq+1) {
			t.Fatalf("line %d does not follow line %d", i, i-1)
		}
	}
}

// TestAuditExport streams the whole chain, across pages, oldest first,
// with hashes an auditor can recompute, and names the head in headers;
// an event not sealed yet is counted, not streamed.
func TestAuditExport(t *testing.T) {
	const n = 1203 // more than two pages
	f := newAuditFixture(t, n)
	extra := releases.AuditEvent{At: f.t0, Actor: "U0DAVE", Action: releases.ActionFreeze}
	if err := f.store.Tx(t.Context(), func(tx releases.Tx) error { return tx.AddAudit(t.Context(), &extra) }); err != nil {
		t.Fatal(err)
	}
	rec, lines := f.export(t, "", true)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/audit: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/x-ndjson; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	if lines[0].PrevHash != releases.GenesisHash || lines[0].Seq != 1 {
		t.Fatalf("first line %+v does not start the chain", lines[0])
	}
	recompute(t, lines, true)
	last := lines[n-1]
	if h := rec.Header(); h.Get("X-Releasebot-Audit-Head") != last.Hash || h.Get("X-Releasebot-Audit-Head-Seq") != fmt.Sprint(n) ||
		h.Get("X-Releasebot-Audit-Unsealed") != "1" {
		t.Fatalf("headers %v; want head %s, seq %d, 1 unsealed", h, last.Hash, n)
	}
	if want := `froze "payments" <1202> & more`; last.Detail != want || last.At != "2026-12-02T05:02:00.000000000Z" {
		t.Fatalf("last line %+v", last)
	}
	if !strings.Contains(rec.Body.String(), `<1202> & more`) {
		t.Error("the stream escapes <, > and &; lines should hold them as the canonical form does")
	}
}

// TestAuditExportFilter selects events by time, [from, to), in chain
// order, and refuses bad bounds with 400 and a sentence.
func TestAuditExportFilter(t *testing.T) {
	f := newAuditFixture(t, 10)
	q := func(from, to time.Time) string {
		return "?from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))
	}
	tests := []struct {
		name  string
		query string
		want  []int64 // seqs
	}{
		{name: "both ends", query: q(f.t0.Add(2*time.Minute), f.t0.Add(5*time.Minute)), want: []int64{3, 4, 5}},
		{name: "from only", query: "?from=" + f.t0.Add(8*time.Minute).Format(time.RFC3339), want: []int64{9, 10}},
		{name: "to only, another zone", query: "?to=" + url.QueryEscape("2026-12-01T10:02:00+01:00"), want: []int64{1, 2}},
		{name: "nothing in range", query: q(f.t0.Add(-time.Hour), f.t0), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, lines := f.export(t, tt.query, true)
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			var seqs []int64
			for _, l := range lines {
				seqs = append(seqs, l.Seq)
			}
			if fmt.Sprint(seqs) != fmt.Sprint(tt.want) {
				t.Fatalf("seqs %v, want %v", seqs, tt.want)
			}
			recompute(t, lines, true)
		})
	}
	bad := []struct {
		name, query, want string
	}{
		{name: "not a time", query: "?from=yesterday", want: `from must be an RFC 3339 time`},
		{name: "date only", query: "?to=2026-12-01", want: `to must be an RFC 3339 time`},
		{name: "given twice", query: "?from=2026-12-01T00:00:00Z&from=2026-12-02T00:00:00Z", want: "Give from only once."},
		{name: "backwards", query: "?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", want: "must be before to"},
		{name: "too long", query: "?from=" + strings.Repeat("9", 600), want: "too long"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			rec, _ := f.export(t, tt.query, true)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tt.want) ||
				!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("GET /api/audit%s = %d %s; want 400 saying %q", tt.query, rec.Code, rec.Body, tt.want)
			}
		})
	}
}

// TestAuditExportNeedsToken: the export is guarded like the rest of
// /api/*, and a refused request reads nothing.
func TestAuditExportNeedsToken(t *testing.T) {
	f := newAuditFixture(t, 2)
	rec, _ := f.export(t, "", false)
	if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "hash") {
		t.Fatalf("without the token: %d %s", rec.Code, rec.Body)
	}
	rec, _ = f.export(t, "?token=wrong", false)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("with a wrong token: %d", rec.Code)
	}
	if rec, lines := f.export(t, "?token="+testToken, false); rec.Code != http.StatusOK || len(lines) != 2 {
		t.Fatalf("with ?token=: %d, %d lines", rec.Code, len(lines))
	}
}
