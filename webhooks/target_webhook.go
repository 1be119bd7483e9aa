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

// webhookTarget posts the payload as JSON to an http(s) URL, signed with
// the environment's secret (Standard Webhooks), and verifies the status
// callbacks with the same secret. A 2xx answer accepts the request (and
// may finish the deployment); 408, 429, 5xx and no answer are retried,
// after Retry-After if the deployer sent one; anything else fails it.
type webhookTarget struct {
	url    string
	secret config.Secret
	client *http.Client
	now    func() time.Time
}

var _ CallbackVerifier = (*webhookTarget)(nil)

func newWebhookTarget(d config.Deploy, deps Deps) (Target, Timing, error) {
	return &webhookTarget{url: d.URL, secret: d.Secret, client: newClient(deps.Client), now: deps.Now},
		DeployTiming(d), nil
}

// CallbackKey returns the key of the environment's deploy secret.
func (t *webhookTarget) CallbackKey() ([]byte, error) {
	if t.secret == "" {
		return nil, ErrNoCallbackKey
	}
	return t.secret.SigningKey()
}

// newClient returns a copy of base with redirects turned off: a 3xx is the
// answer, and a failure. A deployer's URL is configured, and a redirect
// would send the signed request somewhere nobody configured.
func newClient(base *http.Client) *http.Client {
	c := *base
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Send posts the payload once, signed with the secret under the
// delivery's webhook id and timestamped now.
func (t *webhookTarget) Send(ctx context.Context, req Request) (Outcome, error) {
	key, err := t.secret.SigningKey()
	if err != nil {
		return Outcome{Verdict: Failed, Local: true,
			Reason: fmt.Sprintf("environment %s's deploy secret is not usable: %v", req.Payload.Environment, err)}, nil
	}
	body, err := json.Marshal(req.Payload)
	if err != nil {
		return Outcome{}, fmt.Errorf("encode %s: %w", req.Payload.DeploymentID, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return Outcome{Verdict: Failed, Reason: "the deploy URL is not usable"}, nil
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("User-Agent", "releasebot")
	SetHeaders(hr.Header, key, req.WebhookID, t.now(), body)
	resp, err := t.client.Do(hr)
	if err != nil {
		return Outcome{Verdict: Retry, Reason: describeError(err, req.Timeout)}, nil
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
		return Outcome{Code: code, Verdict: Accepted, Report: acceptance(answer)}, nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return Outcome{Code: code, Verdict: Retry, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), t.now()), Reason: head}, nil
	case code >= 300 && code <= 399:
		return Outcome{Code: code, Verdict: Failed,
			Reason: fmt.Sprintf("HTTP %d %s: the deployer redirected; redirects are not followed, configure the final URL", code, http.StatusText(code))}, nil
	}
	return Outcome{Code: code, Verdict: Failed, Reason: head}, nil
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
