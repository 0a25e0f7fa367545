// Package incident is the domain of incidentbot: incidents, their severities,
// statuses, roles and timeline, and the rules that govern them. It knows
// nothing of Slack or of the database; both adapt to it.
package incident

import (
	"errors"
	"fmt"
)

// Error codes. They classify what went wrong so that the Slack surface can
// decide between a helpful ephemeral reply and a generic apology.
const (
	EINVALID      = "invalid"      // the request is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // the incident (or item) does not exist
	ECONFLICT     = "conflict"     // the request clashes with the current state
	EUNAUTHORIZED = "unauthorized" // the actor may not do this
	EINTERNAL     = "internal"     // a bug or an infrastructure failure
)

// Error is a domain error. Message is written for the person who caused it:
// it is shown to them as is.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("incident error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of the first *Error in err's chain,
// or a generic message for internal errors, which must not leak details.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side; the details are in incidentbot's log."
}
