package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

// auditLineJSON is one line of GET /api/audit: the event as its canonical
// form has it (README "Audit chain"), with its place in the chain. Ids are
// numbers and at has nine fractional digits, so an auditor recomputes hash
// from the line alone.
type auditLineJSON struct {
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

// Headers of GET /api/audit: the chain's head when the export began (the
// stream ends there), and how many events wait to be sealed (not in it).
const (
	auditHeadHeader     = "X-Releasebot-Audit-Head"
	auditHeadSeqHeader  = "X-Releasebot-Audit-Head-Seq"
	auditUnsealedHeader = "X-Releasebot-Audit-Unsealed"
)

// auditPage is how many events the stream reads at a time: memory stays
// bounded whatever the chain's length.
const auditPage = 500

// auditPageTime is how long writing one page may take; the server's
// WriteTimeout would otherwise cut a long export.
const auditPageTime = 30 * time.Second

// auditStream answers GET /api/audit?from=&to=: the sealed audit events
// whose time lies in [from, to) (RFC 3339; either may be left out), in
// chain order, as JSON Lines, up to the head named in the headers. Events
// not sealed yet are counted in a header and left out.
func (s *Server) auditStream(c *gin.Context) {
	f, err := auditFilter(c)
	if err != nil {
		s.apiError(c, err)
		return
	}
	ctx := c.Request.Context()
	head, err := s.audit.AuditHead(ctx)
	if err != nil {
		s.apiError(c, err)
		return
	}
	f.Limit = auditPage
	page, err := s.audit.SealedEvents(ctx, f)
	if err != nil {
		s.apiError(c, err)
		return
	}
	c.Header("Content-Type", "application/x-ndjson; charset=utf-8")
	c.Header(auditHeadHeader, head.Hash)
	c.Header(auditHeadSeqHeader, strconv.FormatInt(head.Seq, 10))
	c.Header(auditUnsealedHeader, strconv.Itoa(head.Unsealed))
	c.Status(http.StatusOK)
	rc := http.NewResponseController(c.Writer)
	enc := json.NewEncoder(c.Writer)
	enc.SetEscapeHTML(false)
	for {
		_ = rc.SetWriteDeadline(time.Now().Add(auditPageTime))
		for _, e := range page {
			if e.Seq > head.Seq {
				return // sealed after the export began
			}
			line := auditLineJSON{Seq: e.Seq, ID: e.ID, ReleaseID: e.ReleaseID, At: e.At.UTC().Format(releases.CanonicalTime),
				Actor: e.Actor, Action: e.Action, Detail: e.Detail, PrevHash: e.PrevHash, Hash: e.Hash}
			if err := enc.Encode(line); err != nil {
				return // the client went away
			}
		}
		_ = rc.Flush()
		if len(page) < auditPage {
			return
		}
		f.AfterSeq = page[len(page)-1].Seq
		if page, err = s.audit.SealedEvents(ctx, f); err != nil {
			// Too late for a status: the stream ends short of the head
			// its header names, which tells the client.
			s.logger(c).ErrorContext(ctx, "audit export cut short", "after_seq", f.AfterSeq, "err", err)
			return
		}
	}
}

// maxAuditQuery bounds the query string of GET /api/audit.
const maxAuditQuery = 512

// auditFilter reads from and to, each an RFC 3339 time given at most once.
func auditFilter(c *gin.Context) (releases.ChainFilter, error) {
	var f releases.ChainFilter
	if n := len(c.Request.URL.RawQuery); n > maxAuditQuery {
		return f, releases.Errorf(releases.EInvalid, "The query string is too long (at most %d bytes).", maxAuditQuery)
	}
	for _, p := range []struct {
		key string
		to  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		vals := c.QueryArray(p.key)
		if len(vals) > 1 {
			return f, releases.Errorf(releases.EInvalid, "Give %s only once.", p.key)
		}
		if len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(vals[0]))
		if err != nil {
			return f, releases.Errorf(releases.EInvalid, "%s must be an RFC 3339 time such as 2026-12-01T00:00:00Z; got %s.", p.key, quoteCut(vals[0]))
		}
		*p.to = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, releases.Errorf(releases.EInvalid, "from (%s) must be before to (%s).",
			f.From.UTC().Format(time.RFC3339Nano), f.To.UTC().Format(time.RFC3339Nano))
	}
	return f, nil
}
