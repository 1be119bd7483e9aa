package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/releasebot/releasebot/releases"
)

// Source answers the questions behind the database gauges. Each is one
// cheap, indexed query; *gormstore.Store implements it.
type Source interface {
	// CountReleases returns how many releases are in each status.
	CountReleases(ctx context.Context) (map[releases.Status]int, error)
	// CountInFlight returns how many deployments are pending and in
	// progress.
	CountInFlight(ctx context.Context) (map[releases.DeploymentStatus]int, error)
	// PendingOutbox counts chat messages not yet sent.
	PendingOutbox(ctx context.Context) (int, error)
	// Releases lists releases newest first (for the sign-offs still due).
	Releases(ctx context.Context, f releases.Filter) ([]releases.Release, error)
}

// maxSignoffScan bounds how many releases awaiting sign-off one scrape
// reads; beyond it the gauge undercounts, and the log says so.
const maxSignoffScan = 2000

// storeCollector reads the database gauges at scrape time, so every
// replica reports the same numbers: aggregate them with max, not sum.
type storeCollector struct {
	src     Source
	policy  *releases.Policy
	timeout time.Duration
	log     *slog.Logger

	releases, signoffs, outbox, pending, inProgress, up *prometheus.Desc
}

func newStoreCollector(opts Options) *storeCollector {
	c := &storeCollector{src: opts.Source, policy: opts.Policy, timeout: opts.Timeout, log: opts.Logger}
	if c.timeout <= 0 {
		c.timeout = 5 * time.Second
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.releases = prometheus.NewDesc("releasebot_releases", "Releases by status.", []string{"status"}, nil)
	c.signoffs = prometheus.NewDesc("releasebot_signoffs_pending",
		"Releases awaiting sign-off that still need this team's sign-off.", []string{"team"}, nil)
	c.outbox = prometheus.NewDesc("releasebot_chat_outbox_pending", "Chat messages queued and not yet sent.", nil, nil)
	c.pending = prometheus.NewDesc("releasebot_deployments_pending",
		"Deployments waiting to be sent to their deployer (including those queued behind another).", nil, nil)
	c.inProgress = prometheus.NewDesc("releasebot_deployments_in_progress",
		"Deployments the deployer is working on.", nil, nil)
	c.up = prometheus.NewDesc("releasebot_database_stats_up",
		"1 when the last scrape read every database gauge, 0 when a query failed.", nil, nil)
	return c
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.releases, c.signoffs, c.outbox, c.pending, c.inProgress, c.up} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	up := 1.0
	fail := func(what string, err error) {
		up = 0
		c.log.Warn("metrics: database gauge not read", "gauge", what, "err", err)
	}

	if counts, err := c.src.CountReleases(ctx); err != nil {
		fail("releasebot_releases", err)
	} else {
		for _, st := range releases.Statuses {
			ch <- prometheus.MustNewConstMetric(c.releases, prometheus.GaugeValue, float64(counts[st]), string(st))
		}
	}
	if counts, err := c.src.CountInFlight(ctx); err != nil {
		fail("releasebot_deployments_pending", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(counts[releases.DeploymentPending]))
		ch <- prometheus.MustNewConstMetric(c.inProgress, prometheus.GaugeValue, float64(counts[releases.DeploymentInProgress]))
	}
	if n, err := c.src.PendingOutbox(ctx); err != nil {
		fail("releasebot_chat_outbox_pending", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(n))
	}
	if c.policy != nil {
		if due, err := c.signoffsDue(ctx); err != nil {
			fail("releasebot_signoffs_pending", err)
		} else {
			for _, t := range c.policy.Teams {
				ch <- prometheus.MustNewConstMetric(c.signoffs, prometheus.GaugeValue, float64(due[t.Name]), t.Name)
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
}

// signoffsDue counts, per team, the releases awaiting sign-off that still
// need that team. It pages through them newest first with the status index.
func (c *storeCollector) signoffsDue(ctx context.Context) (map[string]int, error) {
	due := map[string]int{}
	f := releases.Filter{Statuses: []releases.Status{releases.StatusAwaitingSignoff}, Limit: releases.MaxLimit}
	for seen := 0; seen < maxSignoffScan; {
		page, err := c.src.Releases(ctx, f)
		if err != nil {
			return nil, err
		}
		for i := range page {
			for _, sf := range c.policy.Missing(&page[i]) {
				due[sf.Team]++
			}
		}
		seen += len(page)
		if len(page) < f.Limit {
			return due, nil
		}
		f.Before = page[len(page)-1].ID
	}
	c.log.Warn("metrics: more releases await sign-off than one scrape reads; releasebot_signoffs_pending undercounts", "read", maxSignoffScan)
	return due, nil
}
