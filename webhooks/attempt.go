package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/releasebot/releasebot/config"
	"github.com/releasebot/releasebot/releases"
)

// maxAnswer is how much of a deployer's answer is read.
const maxAnswer = 64 << 10

// outcome is what one HTTP attempt came to.
type outcome struct {
	code       int  // HTTP status; 0 when there was no answer
	accepted   bool // 2xx: report says what to record
	report     releases.StatusReport
	retry      bool          // 5xx, 408, 429 or no answer
	retryAfter time.Duration // the deployer's Retry-After, if any
	err        string        // why not accepted, for the thread
}

func (o outcome) summary() string {
	if o.accepted {
		return string(o.report.Status)
	}
	if o.retry {
		return "retry: " + o.err
	}
	return "failed: " + o.err
}

// newClient returns base (or a fresh client) with redirects turned off: a
// 3xx is the answer, and a failure. A deployer's URL is configured, and a
// redirect would send the signed request somewhere nobody configured.
func newClient(base *http.Client) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 8
		c.Transport = t
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// attempt posts body to target once, signed with key under webhook id,
// timestamped now, within the target's timeout.
func (w *Worker) attempt(ctx context.Context, target config.Deploy, id string, key, body []byte) outcome {
	timeout := target.Timeout
	if timeout <= 0 {
		timeout = config.DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.URL, bytes.NewReader(body))
	if err != nil {
		return outcome{err: "the deploy URL is not usable"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "releasebot")
	SetHeaders(req.Header, key, id, w.now(), body)
	resp, err := w.client.Do(req)
	if err != nil {
		return outcome{retry: true, err: describeError(err, timeout)}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	code := resp.StatusCode
	head := fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
	if snippet := clipAnswer(answer); snippet != "" && (code < 200 || code > 299) {
		head += ": " + snippet
	}
	switch {
	case code >= 200 && code <= 299:
		return outcome{code: code, accepted: true, report: acceptance(answer)}
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return outcome{code: code, retry: true, retryAfter: retryAfter(resp.Header.Get("Retry-After"), w.now()), err: head}
	case code >= 300 && code <= 399:
		return outcome{code: code, err: fmt.Sprintf("HTTP %d %s: the deployer redirected; redirects are not followed, configure the final URL", code, http.StatusText(code))}
	}
	return outcome{code: code, err: head}
}

// acceptance reads a 2xx answer: {"status": "succeeded"|"failed", …}
// finishes the deployment; anything else means it is in progress.
func acceptance(answer []byte) releases.StatusReport {
	var body struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		URL     string `json:"url"`
	}
	if json.Unmarshal(answer, &body) != nil {
		return releases.StatusReport{Status: releases.DeploymentInProgress}
	}
	rep := releases.StatusReport{Status: releases.DeploymentInProgress, Message: body.Message, URL: body.URL}
	switch st := releases.DeploymentStatus(body.Status); st {
	case releases.DeploymentSucceeded, releases.DeploymentFailed:
		rep.Status = st
	}
	return rep
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return min(time.Duration(s)*time.Second, MaxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxRetryAfter)
	}
	return 0
}

// describeError says why an attempt got no answer, without the URL (which
// may carry a token in its query).
func describeError(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	return "no answer: " + err.Error()
}

// clipAnswer makes a deployer's answer fit one line of a thread.
func clipAnswer(b []byte) string {
	s := releases.ScrubText(string(b[:min(len(b), 1000)]), 1000, false)
	return releases.ScrubText(strings.Join(strings.Fields(s), " "), 203, false)
}
