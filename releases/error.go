package releases

import (
	"errors"
	"fmt"
)

// Code classifies an error for adapters: the HTTP API maps it to a status,
// Slack shows the message of any code but EInternal.
type Code string

// Error codes.
const (
	EInvalid   Code = "invalid"   // the input is wrong; the message says how
	ENotFound  Code = "not_found" // no such release, deployment or window
	EConflict  Code = "conflict"  // not possible in the current state
	EForbidden Code = "forbidden" // this person may not do that
	ETooMany   Code = "too_many"  // a limit (the create quota) is reached; the message says until when
	EInternal  Code = "internal"  // something broke; the message is not for people
)

// Error is an error meant for people: its Message is a sentence a Slack
// user can act on ("R-12 is waiting for risk's sign-off; it can't deploy yet.").
type Error struct {
	Code    Code
	Message string
	// Kind, when set, names the rule that refused (ErrStarted), so that a
	// caller can branch with errors.Is instead of reading the sentence.
	Kind error
	// Field, when set, names the input the refusal is about (FieldService,
	// FieldVersion, …), so that a form can show it beside that input.
	Field string
}

// The inputs of a create that a refusal may name (Error.Field).
const (
	FieldService      = "service"
	FieldVersion      = "version"
	FieldTeams        = "teams"
	FieldEnvironments = "environments"
	FieldWindow       = "window"
	FieldStartAt      = "at"
	FieldNotes        = "notes"
)

// ErrorField returns the input err's *Error is about, "" when none.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// onField names field as the input err is about, if err is an *Error that
// names none yet.
func onField(field string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Field == "" {
		e.Field = field
	}
	return err
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the error's Kind.
func (e *Error) Unwrap() error { return e.Kind }

// ErrStarted is the Kind of a refusal because the release has started
// deploying: its sign-offs stand and it can no longer be cancelled.
var ErrStarted = errors.New("the release has started deploying")

// kindErrorf returns an *Error of the given Kind with a formatted message.
func kindErrorf(kind error, code Code, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Kind = kind
	return e
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's *Error, EInternal for any other error
// and "" for nil.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the message to show a person: an *Error's own
// sentence, or "Internal error." for anything else, whose text may hold
// infrastructure details and is for the log only.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
