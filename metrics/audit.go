package metrics

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/releasebot/releasebot/releases"
)

// AuditHeads reads the audit chain's head; *gormstore.Store implements it.
type AuditHeads interface {
	AuditHead(ctx context.Context) (releases.ChainHead, error)
}

// auditCollector exposes the audit chain's head at scrape time. The head
// hash is a label of one info series, so every scrape stores a copy of
// the head outside the database: a later truncation of the newest events
// then shows (README "Audit chain"). Only one series exists at a time; a
// new one starts whenever events were sealed since the last scrape.
type auditCollector struct {
	src      AuditHeads
	timeout  time.Duration
	log      *slog.Logger
	head     *prometheus.Desc
	unsealed *prometheus.Desc
}

func newAuditCollector(opts Options) *auditCollector {
	c := &auditCollector{src: opts.Audit, timeout: opts.Timeout, log: opts.Logger}
	if c.timeout <= 0 {
		c.timeout = 5 * time.Second
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.head = prometheus.NewDesc("releasebot_audit_head_info",
		"Always 1; hash is the audit chain's newest sealed event's hash, seq how many events are sealed.", []string{"hash", "seq"}, nil)
	c.unsealed = prometheus.NewDesc("releasebot_audit_unsealed_events",
		"Audit events not sealed into the chain yet; serve seals them within seconds.", nil, nil)
	return c
}

func (c *auditCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.head
	ch <- c.unsealed
}

func (c *auditCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	h, err := c.src.AuditHead(ctx)
	if err != nil {
		c.log.Warn("metrics: audit chain head not read", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.head, prometheus.GaugeValue, 1, h.Hash, strconv.FormatInt(h.Seq, 10))
	ch <- prometheus.MustNewConstMetric(c.unsealed, prometheus.GaugeValue, float64(h.Unsealed))
}
