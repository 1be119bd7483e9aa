package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/releasebot/releasebot/bot/slack/slacktest"
)

// stats summarise one measured cell.
type stats struct {
	n, errs  int
	p50, p99 time.Duration
	rps      float64
	firstErr string
}

func summarise(lat []time.Duration, errs int, firstErr string, elapsed time.Duration) stats {
	s := stats{n: len(lat), errs: errs, firstErr: firstErr}
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	s.p50, s.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if elapsed > 0 {
		s.rps = float64(len(lat)) / elapsed.Seconds()
	}
	return s
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(len(sorted)-1, i))]
}

// client sends signed requests the way Slack does.
type client struct {
	http   *http.Client
	signer slacktest.Signer
	hook   string // response_url handed out with every command
}

func newClient(secret, hook string) *client {
	tr := &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute}
	return &client{http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, signer: slacktest.Signer{Secret: secret}, hook: hook}
}

// do sends r to base and returns the status, the body and the time from
// sending to the end of the answer.
func (c *client) do(base string, r slacktest.Request) (int, string, time.Duration, error) {
	req := c.signer.New(base, r)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", time.Since(start), err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body), time.Since(start), err
}

// command is a signed /release from dave in the releases channel.
func (c *client) command(text string) slacktest.Request {
	return slacktest.SlashCommand{UserID: dave, UserName: "dave", ChannelID: relCh, ChannelName: "releases",
		Text: text, ResponseURL: c.hook}.Request()
}

// load sends slash commands to base with conc in flight, until max have
// been answered or limit has passed; want checks an answer's body.
func (c *client) load(base string, conc, max int, limit time.Duration, text func() string, want func(string) bool) stats {
	return runLoad(conc, max, limit, func() (time.Duration, error) {
		code, body, d, err := c.do(base, c.command(text()))
		switch {
		case err != nil:
			return d, err
		case code != http.StatusOK || !want(body):
			return d, fmt.Errorf("HTTP %d %.200s", code, body)
		}
		return d, nil
	})
}

// runLoad runs one with conc in flight, until max have run or limit has
// passed, and sums up how long the successful ones took.
func runLoad(conc, max int, limit time.Duration, one func() (time.Duration, error)) stats {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		all      []time.Duration
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(limit)
	for range conc {
		wg.Go(func() {
			var mine []time.Duration
			var bad int
			var first string
			for next.Add(1) <= int64(max) && time.Now().Before(deadline) {
				d, err := one()
				if err != nil {
					bad++
					first = cmp(first, err.Error())
					continue
				}
				mine = append(mine, d)
			}
			mu.Lock()
			all = append(all, mine...)
			errs += bad
			firstErr = cmp(firstErr, first)
			mu.Unlock()
		})
	}
	wg.Wait()
	return summarise(all, errs, firstErr, time.Since(start))
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// getMany times n sequential GETs of base+path.
func (c *client) getMany(base, path string, n int) stats {
	var lat []time.Duration
	var errs int
	var first string
	start := time.Now()
	for range n {
		t0 := time.Now()
		resp, err := c.http.Get(base + path)
		if err != nil {
			errs++
			first = cmp(first, err.Error())
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if err != nil || resp.StatusCode != http.StatusOK {
			errs++
			first = cmp(first, fmt.Sprintf("GET %s: HTTP %d %.200s", path, resp.StatusCode, body))
			continue
		}
		lat = append(lat, d)
	}
	return summarise(lat, errs, first, time.Since(start))
}

// hasAll reports whether s contains every one of subs.
func hasAll(subs ...string) func(string) bool {
	return func(s string) bool {
		for _, sub := range subs {
			if !strings.Contains(s, sub) {
				return false
			}
		}
		return true
	}
}
