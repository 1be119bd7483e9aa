package webhooks

import (
	"context"
	"errors"
	"time"

	"github.com/releasebot/releasebot/releases"
)

// Target requests deployments and rollbacks in one environment and says
// how each request went. It makes one request per call: the worker owns
// everything around it — claims and leases, retries with backoff, the
// timeout of each request, finish_within deadlines and status callbacks —
// the same for every kind of target.
//
// A kind of target is one file of this package (target_webhook.go,
// target_log.go) and a Factory in a Registry.
type Target interface {
	// Send asks for the deployment or rollback req describes, once,
	// within ctx, which carries the timeout of the attempt. An error means
	// the request could not be made for a reason of releasebot's own, not
	// the deployer's answer: nothing is recorded and the claim lapses, so
	// the delivery is taken up again within its attempts.
	Send(ctx context.Context, req Request) (Outcome, error)
}

// Request is one attempt at a delivery.
type Request struct {
	// Payload says what to deploy or roll back, and where to report.
	Payload Payload
	// WebhookID is the same on every attempt at one delivery: deployers
	// recognise a repeat by it.
	WebhookID string
	// Attempt counts the attempts at this delivery, from 1.
	Attempt int
	// Timeout is the bound ctx carries, for messages such as "no answer
	// within 10s".
	Timeout time.Duration
}

// Verdict is what one request came to.
//
// Polling has room here: a kind that starts a job and must ask again
// whether it finished (a CI run, an Argo CD sync) will answer a verdict
// like "still running, ask again at T", which the worker will treat like
// a retry that does not use up attempts, and ask the target again.
type Verdict string

const (
	// Accepted: the target took the request. Outcome.Report says whether
	// the deployment is in progress (a status callback or the deadline
	// finishes it) or already succeeded or failed.
	Accepted Verdict = "accepted"
	// Retry: the request did not get through (no answer, or an answer that
	// asks to try again). It is sent again after the backoff, or after
	// Outcome.RetryAfter if longer, while attempts are left; then the
	// deployment fails.
	Retry Verdict = "retry"
	// Failed: the request was refused; the deployment fails with
	// Outcome.Reason.
	Failed Verdict = "failed"
)

// Outcome is what one request came to.
type Outcome struct {
	Verdict Verdict
	// Report is what to record of an Accepted request: in_progress, or
	// succeeded or failed with the deployer's message and URL.
	Report releases.StatusReport
	// RetryAfter is how long the target asked to wait before the next
	// attempt (Retry); 0 leaves it to the backoff.
	RetryAfter time.Duration
	// Reason says why the request was not accepted, in one line for the
	// release's thread.
	Reason string
	// Code is the deployer's status code (HTTP), for the log of the
	// attempt; 0 when there was no answer.
	Code int
	// Local says nothing was sent: the target answered by itself (the log
	// target, or a request that could not be built). A local outcome is
	// not logged or counted as an attempt, and its report is recorded as
	// it is.
	Local bool
}

// summary says what the attempt came to, for its log line.
func (o Outcome) summary() string {
	switch o.Verdict {
	case Accepted:
		return string(o.Report.Status)
	case Retry:
		return "retry: " + o.Reason
	}
	return "failed: " + o.Reason
}

// CallbackVerifier is a Target whose deployers report back through
// signed status callbacks (POST /webhooks/deployments/:id/status). A
// target that is not one, like log, takes no callbacks.
type CallbackVerifier interface {
	// CallbackKey returns the key that verifies the environment's status
	// callbacks (Standard Webhooks). Errors: ErrNoCallbackKey when none is
	// configured; any other error when the configured one is unusable.
	CallbackKey() ([]byte, error)
}

// Poller is a Target whose requests start a run that must be asked about
// until it finishes (a CI run, an Argo CD sync). Its Send answers an
// Accepted in_progress report that names the run (Report.RunKind and
// RunID); the worker records the run and then calls Poll about it every
// Timing.PollEvery, in whichever replica claims the poll, across restarts,
// until a final status is recorded (by a poll, a completion webhook, or the
// finish_within deadline).
type Poller interface {
	// Poll asks once how the run d follows (d.RunKind, d.RunID) is going;
	// req is what its Send was asked, with the current attempt. Accepted
	// with a final Report finishes the deployment; Accepted in_progress
	// records any news and asks again later; Retry (no answer) asks again
	// at the next round, without using up attempts; Failed fails the
	// deployment with Reason. An error is releasebot's own and is logged.
	Poll(ctx context.Context, req Request, d releases.Deployment) (Outcome, error)
}

// ErrNoCallbackKey is CallbackKey's error when the environment has no key
// to verify callbacks with.
var ErrNoCallbackKey = errors.New("no callback key")

// callbackKey returns the key of t's callbacks, or ErrNoCallbackKey.
func callbackKey(t Target) ([]byte, error) {
	v, ok := t.(CallbackVerifier)
	if !ok {
		return nil, ErrNoCallbackKey
	}
	key, err := v.CallbackKey()
	if err == nil && len(key) == 0 {
		// An empty HMAC key would verify anyone's signature.
		return nil, ErrNoCallbackKey
	}
	return key, err
}

// Timing is how the worker paces deliveries to one environment, whatever
// its kind of target.
type Timing struct {
	// Timeout bounds one request; the slowest environment's sets the
	// lease of claims. 0: 10s.
	Timeout time.Duration
	// MaxAttempts is how many attempts a delivery gets before its
	// deployment fails; 0: no limit.
	MaxAttempts int
	// Backoff is the first retry delay; it doubles with jitter. 0: 2s.
	Backoff time.Duration
	// FinishWithin is how long after it was sent a deployment has to
	// reach a final status before it is timed out; 0: no deadline.
	FinishWithin time.Duration
	// PollEvery is how often a Poller's runs are asked about; 0: 30s.
	// Kinds with a completion webhook poll slower, as a fallback.
	PollEvery time.Duration
}

// DefaultPollEvery is the pace of polls when a target sets none.
const DefaultPollEvery = 30 * time.Second

func (t Timing) pollEvery() time.Duration {
	if t.PollEvery <= 0 {
		return DefaultPollEvery
	}
	return t.PollEvery
}

func (t Timing) timeout() time.Duration {
	if t.Timeout <= 0 {
		return defaultTimeout
	}
	return t.Timeout
}

// retriesLeft says whether a delivery whose attempt number n failed may
// be sent again.
func (t Timing) retriesLeft(n int) bool { return t.MaxAttempts == 0 || n < t.MaxAttempts }

// Environment is a resolved deploy target: where an environment's
// deployments go (of one catalog service, or of every service without a
// target of its own), and how the worker paces them.
type Environment struct {
	Name string
	// Service is the catalog service whose deployments to Name this
	// target takes; "" for the environment's own deploy, which takes the
	// rest.
	Service string
	// Kind is the target's kind (config.Deploy.TargetKind).
	Kind   string
	Target Target
	Timing Timing
	// Vars are handed to the target with every request (Payload.Vars).
	Vars map[string]string
}
