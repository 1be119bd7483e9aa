package web

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// readyTimeout bounds the readiness check's database ping, so a hung
// database makes the replica unready instead of hanging the probe.
const readyTimeout = 2 * time.Second

// healthJSON is the body of /healthz and /readyz.
type healthJSON struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// healthz says the process is alive. It touches no database: a database
// outage must not make an orchestrator restart every replica.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, healthJSON{Status: "ok"})
}

// readyz says whether this replica can serve, that is whether its database
// answers. The driver's error may name the host or hold a password, so it
// goes to the log only.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	if err := s.releases.Ping(ctx); err != nil {
		s.logger(c).WarnContext(c.Request.Context(), "readiness check failed: database unreachable", "err", err)
		c.JSON(http.StatusServiceUnavailable, healthJSON{Status: "unavailable", Error: "database unreachable"})
		return
	}
	c.JSON(http.StatusOK, healthJSON{Status: "ok"})
}
