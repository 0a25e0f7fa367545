package intake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// PathPrefix is where the hooks live: mount the Handler on it
// (mux.Handle(intake.PathPrefix, h)).
const PathPrefix = "/hooks/"

// Options configure a Handler.
type Options struct {
	// Config is the intake section; New validates it.
	Config Config
	// Sink receives what the hooks accept. Required.
	Sink Sink
	// Now is the clock: receipt times, default deploy times, signature
	// tolerance. Default time.Now.
	Now func() time.Time
	// Logger gets one warning per refused request and one error per Sink
	// failure. Default: discard.
	Logger *slog.Logger
	// Observe, if set, is told the fate of every request (for metrics).
	Observe func(Observation)
}

// Handler serves the hooks:
//
//	POST /hooks/alertmanager  Alertmanager webhook (version 4), bearer token
//	POST /hooks/grafana       Grafana Alerting webhook (version 1), bearer token
//	POST /hooks/generic       GenericAlert, bearer token or signature
//	POST /hooks/deploy        DeployRecord, bearer token or signature
//
// Every refusal is a short JSON body {"error": "..."} written for the
// operator configuring the sender, and one warning in the log naming the
// hook and the remote address (never a token, a signature or the body).
// Acceptance is 200 with {"status":"ok", "outcome":..., "key":...}.
type Handler struct {
	cfg     Config
	sink    Sink
	router  *Router
	now     func() time.Time
	log     *slog.Logger
	observe func(Observation)
}

// New returns a Handler for o, or the configuration's problems.
func New(o Options) (*Handler, error) {
	if o.Sink == nil {
		return nil, errors.New("intake: Options.Sink is required")
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	router, err := NewRouter(o.Config)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: o.Config, sink: o.Sink, router: router, now: o.Now, log: o.Logger, observe: o.Observe}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.observe == nil {
		h.observe = func(Observation) {}
	}
	return h, nil
}

// Router returns the handler's router, for the bot to route alerts that
// reach it another way (a replay, a test).
func (h *Handler) Router() *Router { return h.router }

// hookConfig returns the configuration of the hook called name.
func (h *Handler) hookConfig(name string) (HookConfig, bool) {
	switch name {
	case HookAlertmanager:
		return h.cfg.Hooks.Alertmanager.hook(), true
	case HookGrafana:
		return h.cfg.Hooks.Grafana.hook(), true
	case HookGeneric:
		return h.cfg.Hooks.Generic, true
	case HookDeploy:
		return h.cfg.Hooks.Deploy, true
	}
	return HookConfig{}, false
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hook, _ := strings.CutPrefix(r.URL.Path, PathPrefix)
	hc, ok := h.hookConfig(hook)
	if !ok {
		h.refuse(w, r, "", &RequestError{Code: http.StatusNotFound,
			Message: fmt.Sprintf("there is no hook at %s: the hooks are %salertmanager, grafana, generic and deploy", r.URL.Path, PathPrefix)})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, hook, &RequestError{Code: http.StatusMethodNotAllowed,
			Message: fmt.Sprintf("%s takes POST, not %s", r.URL.Path, r.Method)})
		return
	}
	if !hc.Enabled() {
		h.refuse(w, r, hook, &RequestError{Code: http.StatusNotFound,
			Message: fmt.Sprintf("the %s hook is off: set intake.hooks.%s.token in incidentbot's configuration", hook, hook)})
		return
	}
	needSignature, rerr := h.authorize(r, hook, hc)
	if rerr != nil {
		h.refuse(w, r, hook, rerr)
		return
	}
	body, rerr := h.readBody(w, r)
	if rerr != nil {
		h.refuse(w, r, hook, rerr)
		return
	}
	now := h.now().UTC()
	if needSignature {
		if err := verifySignature(r.Header.Get(SignatureHeader), hc.SigningSecret, body, now, h.cfg.SignatureTolerance); err != nil {
			e := &RequestError{Code: http.StatusUnauthorized, Message: err.Error()}
			if hc.Token != "" {
				e.challenge = `Bearer realm="incidentbot"`
			}
			h.refuse(w, r, hook, e)
			return
		}
	}
	if hook == HookDeploy {
		h.serveDeploy(w, r, body, now)
		return
	}
	h.serveAlerts(w, r, hook, body, now)
}

// authorize checks the bearer token, or says that the body's signature
// must be checked once it is read.
func (h *Handler) authorize(r *http.Request, hook string, hc HookConfig) (needSignature bool, _ *RequestError) {
	// RFC 6750: a 401 for a token-protected resource carries a Bearer
	// challenge, with error="invalid_token" when a token was presented.
	unauthorized := func(invalidToken bool, format string, args ...any) *RequestError {
		e := &RequestError{Code: http.StatusUnauthorized, Message: fmt.Sprintf(format, args...)}
		if hc.Token != "" {
			e.challenge = `Bearer realm="incidentbot"`
			if invalidToken {
				e.challenge += `, error="invalid_token"`
			}
		}
		return e
	}
	authz := r.Header.Get("Authorization")
	switch {
	case authz != "" && hc.Token == "":
		return false, unauthorized(false, "the %s hook takes signed requests (%s), not an Authorization header", hook, SignatureHeader)
	case authz != "":
		token, ok := bearerToken(authz)
		if !ok {
			return false, unauthorized(false, `the Authorization header must be "Bearer <token>"`)
		}
		if !tokenEqual(token, hc.Token) {
			return false, unauthorized(true, "the bearer token does not match intake.hooks.%s.token", hook)
		}
		return false, nil
	case r.Header.Get(SignatureHeader) != "" && hc.SigningSecret != "":
		return true, nil
	case hc.SigningSecret != "" && hc.Token != "":
		return false, unauthorized(false, `send "Authorization: Bearer <token>" (intake.hooks.%s.token) or sign the request (%s)`, hook, SignatureHeader)
	case hc.SigningSecret != "":
		return false, unauthorized(false, "sign the request: the %s header is missing", SignatureHeader)
	}
	return false, unauthorized(false, `send "Authorization: Bearer <token>" with intake.hooks.%s.token`, hook)
}

// readBody checks the content type and encoding and reads the body within
// the size limit.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *RequestError) {
	unsupported := func(format string, args ...any) *RequestError {
		return &RequestError{Code: http.StatusUnsupportedMediaType, Message: fmt.Sprintf(format, args...)}
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, unsupported("the Content-Type header is missing: send Content-Type: application/json")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if errors.Is(err, mime.ErrInvalidMediaParameter) {
		// "application/json;" and the like: the type is clear enough.
		err = nil
	}
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, unsupported("Content-Type %q is not JSON: send Content-Type: application/json", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, unsupported("charset %q is not supported: send UTF-8 JSON", cs)
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, unsupported("Content-Encoding %q is not supported: send the body uncompressed", ce)
	}
	tooLarge := &RequestError{Code: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("the body is larger than intake.max_body_bytes (%d bytes); for Alertmanager, set max_alerts on the webhook to send fewer alerts per message", h.cfg.MaxBodyBytes)}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, badRequest("the body could not be read: %v", err)
	}
	return body, nil
}

func (h *Handler) serveAlerts(w http.ResponseWriter, r *http.Request, hook string, body []byte, now time.Time) {
	var b Batch
	var err error
	switch hook {
	case HookAlertmanager:
		b, err = ParseAlertmanager(body, now)
	case HookGrafana:
		b, err = ParseGrafana(body, now)
	default:
		b, err = ParseGeneric(body, now)
	}
	if err != nil {
		h.refuse(w, r, hook, asRequestError(err))
		return
	}
	b.Route = h.router.Match(b)
	res, err := h.sink.Alerts(r.Context(), b)
	if err != nil {
		h.sinkFailed(w, r, hook, err)
		return
	}
	h.log.Debug("alerts accepted", "hook", hook, "key", b.Key, "alerts", len(b.Alerts), "route", b.Route.Name, "outcome", res.Outcome)
	h.observe(Observation{Hook: hook, Code: http.StatusOK, Outcome: res.Outcome, Alerts: len(b.Alerts)})
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "outcome": string(res.Outcome), "key": b.Key, "ref": res.Ref})
}

func (h *Handler) serveDeploy(w http.ResponseWriter, r *http.Request, body []byte, now time.Time) {
	d, err := ParseDeploy(body, now)
	if err != nil {
		h.refuse(w, r, HookDeploy, asRequestError(err))
		return
	}
	if err := h.sink.Deploy(r.Context(), d); err != nil {
		h.sinkFailed(w, r, HookDeploy, err)
		return
	}
	h.log.Debug("deploy recorded", "hook", HookDeploy, "key", d.Key, "service", d.Service, "environment", d.Environment)
	h.observe(Observation{Hook: HookDeploy, Code: http.StatusOK, Outcome: OutcomeRecorded})
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "outcome": string(OutcomeRecorded), "key": d.Key})
}

// sinkFailed answers a Sink error: 422 for a request that can never
// succeed (an *incident.Error that is not EINTERNAL), 503 otherwise so
// that the sender retries.
func (h *Handler) sinkFailed(w http.ResponseWriter, r *http.Request, hook string, err error) {
	if code := incident.ErrorCode(err); code != incident.EINTERNAL {
		h.refuse(w, r, hook, &RequestError{Code: http.StatusUnprocessableEntity, Message: incident.ErrorMessage(err)})
		return
	}
	h.log.Error("intake could not store a request; the sender will retry", "hook", hook, "remote_addr", r.RemoteAddr, "err", err)
	h.observe(Observation{Hook: hook, Code: http.StatusServiceUnavailable, Outcome: OutcomeFailed})
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "incidentbot could not store this request; retry later (the details are in incidentbot's log)"})
}

// refuse answers a refused request and logs it once.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, hook string, e *RequestError) {
	if e.challenge != "" {
		w.Header().Set("WWW-Authenticate", e.challenge)
	}
	outcome := OutcomeInvalid
	if e.Code == http.StatusUnauthorized {
		outcome = OutcomeUnauthorized
	}
	h.log.Warn("intake request refused", "hook", hook, "remote_addr", r.RemoteAddr, "status", e.Code, "reason", e.Message)
	h.observe(Observation{Hook: hook, Code: e.Code, Outcome: outcome})
	writeJSON(w, e.Code, map[string]string{"error": e.Message})
}

func asRequestError(err error) *RequestError {
	var re *RequestError
	if errors.As(err, &re) {
		return re
	}
	return badRequest("%v", err)
}

func writeJSON(w http.ResponseWriter, code int, v map[string]string) {
	for k, s := range v {
		if s == "" {
			delete(v, k)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	// A write error means the client went away: nothing left to tell it.
	_ = json.NewEncoder(w).Encode(v)
}
