package slackfake

import (
	"net"
	"net/http"
	"strconv"
	"time"
)

// Fault injection for tests of the app's outbound path: what a client can
// see go wrong on a Web API call. Every fault is counted or timed, never
// random, so a test that uses them is deterministic.

// FaultKind is what an injected fault does to a Web API call.
type FaultKind int

// The kinds of fault.
const (
	// FaultRateLimit answers HTTP 429 with Retry-After and does nothing,
	// as Slack's rate limiter does (slack-reference.md §3.3).
	FaultRateLimit FaultKind = iota + 1
	// FaultStatusAfterWork does the call's work (the state changes, events
	// are emitted) and then answers HTTP Status (500, 502 or 503) instead
	// of the result: the ambiguous failure a client must not repeat
	// blindly.
	FaultStatusAfterWork
	// FaultResetAfterWork does the work and then resets the TCP connection
	// (hijacked, closed with SO_LINGER 0) without answering.
	FaultResetAfterWork
	// FaultSlowAfterWork does the work and answers after Delay, unless the
	// client gives up first: set Delay above the client's timeout.
	FaultSlowAfterWork
	// FaultHangBeforeWork never answers and does nothing, until the
	// client gives up (its request context ends) or the fake closes.
	FaultHangBeforeWork
	// FaultHangAfterWork does the work, then never answers, until the
	// client gives up or the fake closes.
	FaultHangAfterWork
	// faultFailure is FailNext: the call fails before any work with
	// Failure's answer.
	faultFailure
)

var faultNames = map[FaultKind]string{
	FaultRateLimit:       "rate_limit",
	FaultStatusAfterWork: "status_after_work",
	FaultResetAfterWork:  "reset_after_work",
	FaultSlowAfterWork:   "slow_after_work",
	FaultHangBeforeWork:  "hang_before_work",
	FaultHangAfterWork:   "hang_after_work",
	faultFailure:         "fail_next",
}

// String names the kind, as Call.Fault shows it.
func (k FaultKind) String() string { return faultNames[k] }

// Fault is one injected misbehaviour. It hits the next Calls matching
// calls, or, when Until is set, every matching call while the fake's clock
// (WithNow) is before Until: a 429 storm for a window. With neither set it
// hits one call.
type Fault struct {
	Kind       FaultKind
	Status     int           // FaultStatusAfterWork: 500 (default), 502 or 503
	RetryAfter int           // FaultRateLimit: the Retry-After seconds (default 1)
	Delay      time.Duration // FaultSlowAfterWork: how late the answer comes
	Calls      int
	Until      time.Time
}

type fault struct {
	Fault
	method  string // "" matches every method
	failure Failure
	used    int
}

// Inject adds f for calls of method ("" for every method, including
// apps.connections.open). Faults apply in the order injected: a call takes
// the first that matches it and is not spent. Calls that a fault hits are
// recorded in Calls with Call.Fault set.
func (s *Server) Inject(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{Fault: f, method: method})
}

// ClearFaults removes every fault not yet spent, FailNext ones included.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FailNext makes the next call of method fail with f, before doing any
// work. Calls queue up: two FailNext calls fail the next two calls.
func (s *Server) FailNext(method string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{Fault: Fault{Kind: faultFailure, Calls: 1}, method: method, failure: f})
}

// takeFaultLocked returns the fault that hits this call of method, if any,
// and counts it.
func (s *Server) takeFaultLocked(method string) *fault {
	now := s.now()
	for i, f := range s.faults {
		if f.method != "" && f.method != method {
			continue
		}
		timed := !f.Until.IsZero()
		if timed && !now.Before(f.Until) {
			continue
		}
		f.used++
		if !timed && f.used >= max(f.Calls, 1) {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

// beforeWork is a fault's answer that replaces the call entirely (nothing
// is done), or ok false when the call goes on to do its work.
func (f *fault) beforeWork() (status int, body map[string]any, header map[string]string, ok bool) {
	switch f.Kind {
	case FaultRateLimit:
		return http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"}, retryAfter(f.RetryAfter), true
	case faultFailure:
		switch fl := f.failure; {
		case fl.Status == http.StatusTooManyRequests:
			return fl.Status, map[string]any{"ok": false, "error": "ratelimited"}, retryAfter(fl.RetryAfter), true
		case fl.Status != 0 && fl.Status != http.StatusOK:
			e := fl.Error
			if e == "" {
				e = "internal_error"
			}
			return fl.Status, map[string]any{"ok": false, "error": e}, nil, true
		default:
			return http.StatusOK, map[string]any{"ok": false, "error": fl.Error}, nil, true
		}
	}
	return 0, nil, nil, false
}

func retryAfter(sec int) map[string]string {
	if sec <= 0 {
		sec = 1
	}
	return map[string]string{"Retry-After": strconv.Itoa(sec)}
}

// hold blocks until the client gives up on r, the fake closes, or d passes
// (d <= 0: no limit). It reports whether d passed.
func (s *Server) hold(r *http.Request, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
	case <-s.quit:
	}
	return false
}

// afterWork carries out an after-work fault. It reports whether it
// answered (or dropped the connection) itself, and the HTTP status it
// answered (0 for none).
func (s *Server) afterWork(f *fault, w http.ResponseWriter, r *http.Request) (handled bool, status int) {
	switch f.Kind {
	case FaultStatusAfterWork:
		st := f.Status
		if st == 0 {
			st = http.StatusInternalServerError
		}
		// Slack's front end answers 5xx with an HTML page, not JSON.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(st)
		_, _ = w.Write([]byte("<html><body>" + http.StatusText(st) + "</body></html>"))
		return true, st
	case FaultResetAfterWork:
		resetConn(w)
		return true, 0
	case FaultSlowAfterWork:
		return !s.hold(r, f.Delay), 0 // the client gave up: nobody to answer
	case FaultHangAfterWork:
		s.hold(r, 0)
		return true, 0
	}
	return false, 0
}

// resetConn takes the connection from net/http and closes it with SO_LINGER
// 0, so the client sees a reset rather than an orderly close.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
