package bot

import (
	"errors"
	"time"
)

// ChatError is a chat's answer to a call that failed, as the sender needs
// it: whether to wait, whether to try again, and whether a post may have
// been made all the same. A chat wraps its errors in one; an error that is
// not one (a timeout, a broken connection) is taken as transient, and a
// post as possibly made.
type ChatError struct {
	Err error
	// RateLimited: the chat refuses calls for a while, all of them.
	RateLimited bool
	// Wait, when set, is how long the chat asked to wait (Retry-After).
	Wait time.Duration
	// Permanent: trying again cannot help.
	Permanent bool
	// Refused: the chat answered and did not do it.
	Refused bool
}

func (e *ChatError) Error() string { return e.Err.Error() }
func (e *ChatError) Unwrap() error { return e.Err }

func asChatError(err error) (*ChatError, bool) {
	var ce *ChatError
	ok := errors.As(err, &ce)
	return ce, ok
}
