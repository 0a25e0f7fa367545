package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode"
)

// RequestError is a request the hooks refuse. Message is written for the
// operator who configures the sender; Code is the HTTP status answered.
type RequestError struct {
	Code    int
	Message string
	// challenge is the WWW-Authenticate header of a 401, if any.
	challenge string
}

// Error returns the message.
func (e *RequestError) Error() string { return e.Message }

func badRequest(format string, args ...any) *RequestError {
	return &RequestError{Code: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// decodeJSON decodes exactly one JSON object from body into v. strict
// refuses unknown fields, for the shapes incidentbot defines (a typo in a
// field name should not pass silently); the Alertmanager and Grafana
// shapes grow new fields over time and are read leniently.
func decodeJSON(body []byte, v any, strict bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("the body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("the body goes on after its JSON object: send exactly one object")
	}
	return nil
}

// jsonProblem explains a decoding error to the sender's operator.
func jsonProblem(err error, v any) *RequestError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return badRequest("the body is not valid JSON: %s (at byte %d)", syn.Error(), syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the body ends in the middle of its JSON: was it cut off?")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("the body must be a JSON object, not a JSON %s", typ.Value)
		}
		return badRequest("field %q must be %s, not a JSON %s", typ.Field, kindName(typ.Type), typ.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("unknown field %s; the fields are: %s", name, strings.Join(jsonFields(v), ", "))
	}
	return badRequest("the body is not valid JSON: %s", err)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Map:
		if t.Elem().Kind() == reflect.String {
			return "an object of string values"
		}
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return t.String()
}

// jsonFields lists the JSON names of the fields of the struct v points to.
func jsonFields(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	if t.Kind() != reflect.Struct {
		return names
	}
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// zeroTime is what Alertmanager sends as endsAt of a firing alert.
const zeroTime = "0001-01-01T00:00:00Z"

// parseTime reads an RFC 3339 timestamp in field; "" and Alertmanager's
// zero time give the zero time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" || s == zeroTime {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badRequest("%s: %q is not an RFC 3339 time like 2026-11-22T01:26:05Z", field, s)
	}
	return t.UTC(), nil
}

// httpURL returns s if it is an absolute http(s) URL, else "".
func httpURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// checkText validates a free-text field: at most max bytes, no control
// characters (newlines and tabs are allowed when multiline).
func checkText(field, s string, max int, multiline bool) error {
	if len(s) > max {
		return badRequest("%s is %d bytes long; the limit is %d", field, len(s), max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return badRequest("%s contains a control character (%U); remove it", field, r)
		}
	}
	return nil
}

// parseStatus reads an alert status.
func parseStatus(field, s string) (Status, error) {
	switch Status(s) {
	case StatusFiring, StatusResolved:
		return Status(s), nil
	case "":
		return "", badRequest("%s is missing: use firing or resolved", field)
	}
	return "", badRequest("%s: %q is not a status: use firing or resolved", field, s)
}

// nonNil returns m, or an empty map for nil, so that the Sink can read
// labels and annotations without checks.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
