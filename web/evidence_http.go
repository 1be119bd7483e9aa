package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

// getEvidence answers GET /api/releases/:id/evidence with the release's
// evidence pack.
func (s *Server) getEvidence(c *gin.Context) {
	out, err := s.evidence(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.apiError(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// evidencePage answers GET /releases/:id/evidence: the pack, printable.
func (s *Server) evidencePage(c *gin.Context) {
	out, err := s.evidence(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.errorPage(c, err)
		return
	}
	s.render(c, http.StatusOK, "evidence.html", "Evidence "+out.Release, "releases", out)
}

// evidence reads what the pack of the release rawID holds: the release,
// its audit trail, those of its events that are sealed, then the chain's
// head, which so lies at or after every sealed event of the pack.
func (s *Server) evidence(ctx context.Context, rawID string) (evidenceJSON, error) {
	id, err := releases.ParseID(rawID)
	if err != nil {
		return evidenceJSON{}, err
	}
	r, err := s.releases.Get(ctx, id)
	if err != nil {
		return evidenceJSON{}, err
	}
	events, err := s.releases.Audit(ctx, id)
	if err != nil {
		return evidenceJSON{}, err
	}
	in := evidenceInput{Release: r, Events: events, Policy: s.policy, TargetKind: s.kinds, Now: s.now()}
	if s.audit != nil {
		if in.Sealed, err = s.sealedOf(ctx, id, events); err != nil {
			return evidenceJSON{}, err
		}
		if in.Head, err = s.audit.AuditHead(ctx); err != nil {
			return evidenceJSON{}, err
		}
		in.HasChain = true
	}
	return buildEvidence(in), nil
}

// sealedOf finds the sealed events among events, all of release id,
// through the chain's time filter: it reads the sealed events of any
// release from the oldest event's time to the newest's (with a second's
// margin either side, which costs nothing but a few rows), page by page.
func (s *Server) sealedOf(ctx context.Context, id int64, events []releases.AuditEvent) (map[int64]releases.SealedEvent, error) {
	out := map[int64]releases.SealedEvent{}
	if len(events) == 0 {
		return out, nil
	}
	from := slices.MinFunc(events, func(a, b releases.AuditEvent) int { return a.At.Compare(b.At) }).At
	to := slices.MaxFunc(events, func(a, b releases.AuditEvent) int { return a.At.Compare(b.At) }).At
	f := releases.ChainFilter{From: from.Add(-time.Second), To: to.Add(time.Second), Limit: auditPage}
	for {
		page, err := s.audit.SealedEvents(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.ReleaseID == id {
				out[e.ID] = e
			}
		}
		if len(page) < auditPage || len(out) == len(events) {
			return out, nil
		}
		f.AfterSeq = page[len(page)-1].Seq
	}
}
