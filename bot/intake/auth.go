package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a request signature, for hooks with a
// signing_secret:
//
//	X-Incidentbot-Signature: t=1795829400,v1=617f971e670e6ce71f8e447b4d4b731dc315543a9681f6e3aac600473e5bc995
//
// (the body {"a":1} signed with the secret generic-secret-0123456789).
// t is the Unix time of signing in seconds; v1 is the lowercase hex
// HMAC-SHA256, keyed with the signing secret, of t, a ".", and the exact
// request body. Several v1 values may be given (one per secret while
// rotating); one must match. A signature is accepted while t is within
// intake.signature_tolerance of the bot's clock: a captured request can be
// replayed only within that window, and replaying an alert is harmless
// because its fingerprint dedupes it.
const SignatureHeader = "X-Incidentbot-Signature"

// maxSignatures bounds the v1 values checked per request.
const maxSignatures = 8

// Sign returns the SignatureHeader value for body signed with secret at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signature(secret, ts, body))
}

func signature(secret, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// errSignatureFormat explains the header to whoever writes the sender.
var errSignatureFormat = errors.New(SignatureHeader + ` must look like "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>"`)

// verifySignature checks header against body. Its errors are sentences for
// the sender's operator and never contain the secret or the expected MAC.
func verifySignature(header, secret string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return errSignatureFormat
		}
		switch k {
		case "t":
			if ts != "" {
				return errSignatureFormat
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return fmt.Errorf("%s: v1 must be 64 hex digits (an HMAC-SHA256)", SignatureHeader)
			}
			if len(sigs) == maxSignatures {
				return fmt.Errorf("%s: at most %d v1 values are accepted", SignatureHeader, maxSignatures)
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return errSignatureFormat
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || unix <= 0 {
		return fmt.Errorf("%s: t must be the Unix time in seconds", SignatureHeader)
	}
	// Compare in seconds: the difference of two times far apart would
	// overflow a time.Duration.
	skew := now.Unix() - unix
	if skew < 0 {
		skew = -skew
	}
	if skew > int64(tolerance/time.Second) {
		return fmt.Errorf("%s: t is %s away from incidentbot's clock, more than the %s allowed: sign each request when it is sent, and check the sender's clock",
			SignatureHeader, time.Duration(min(skew, 1<<30))*time.Second, tolerance)
	}
	want := signature(secret, ts, body)
	ok := false
	for _, sig := range sigs {
		// Check every value, so the time taken does not say which matched.
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("%s does not match: sign '<t>.<body>' (the exact bytes sent) with HMAC-SHA256 and the hook's signing_secret", SignatureHeader)
	}
	return nil
}

// tokenEqual compares a presented token with the configured one in time
// that depends on neither: both are hashed to a fixed length first, so
// not even the length of the configured token leaks.
func tokenEqual(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// bearerToken returns the token of an "Authorization: Bearer X" header.
// The scheme is case-insensitive (RFC 7235).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
