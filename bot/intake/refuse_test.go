package intake_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake"
)

// onlyReader hides the length of its reader, so the client sends the body
// chunked, without Content-Length.
type onlyReader struct{ io.Reader }

// TestHandler_Refusals covers every way a request is refused: the status,
// the JSON error for the sender's operator, the auth challenge, one
// warning in the log with the hook and the remote address, and no secret
// anywhere.
func TestHandler_Refusals(t *testing.T) {
	firing := string(MustReadFixture(t, "alertmanager_firing.json"))
	// am returns the firing capture with old replaced by new.
	am := func(old, new string) string { return strings.Replace(firing, old, new, 1) }
	huge := `{"version":"4","groupKey":"x","alerts":[],"pad":"` + strings.Repeat("x", intake.DefaultMaxBodyBytes) + `"}`
	signedAt := func(when time.Time, secret, body string) map[string]string {
		return map[string]string{intake.SignatureHeader: intake.Sign(secret, when, []byte(body))}
	}
	genericOK := `{"source":"kuma","fingerprint":"f1","status":"firing","title":"API down"}`

	tests := []struct {
		name      string
		method    string
		path      string
		headers   map[string]string
		body      string
		chunked   bool
		code      int
		want      []string
		challenge string // WWW-Authenticate, "" for none
	}{
		{name: "UnknownPath", path: "/hooks/pagerduty", headers: bearer(amToken), body: firing, code: 404,
			want: []string{"no hook at /hooks/pagerduty", "alertmanager, grafana, generic and deploy"}},
		{name: "WrongMethod", method: http.MethodGet, path: "/hooks/alertmanager", headers: bearer(amToken), code: 405,
			want: []string{"takes POST, not GET"}},
		{name: "NoAuth", path: "/hooks/alertmanager", body: firing, code: 401,
			want: []string{`"Authorization: Bearer <token>"`, "intake.hooks.alertmanager.token"}, challenge: `Bearer realm="incidentbot"`},
		{name: "WrongToken", path: "/hooks/alertmanager", headers: bearer("not-the-token-0123456789"), body: firing, code: 401,
			want: []string{"does not match intake.hooks.alertmanager.token"}, challenge: `Bearer realm="incidentbot", error="invalid_token"`},
		{name: "TokenPrefix", path: "/hooks/alertmanager", headers: bearer(amToken[:len(amToken)-1]), body: firing, code: 401,
			want: []string{"does not match"}, challenge: `Bearer realm="incidentbot", error="invalid_token"`},
		{name: "TokenLonger", path: "/hooks/alertmanager", headers: bearer(amToken + "x"), body: firing, code: 401,
			want: []string{"does not match"}, challenge: `Bearer realm="incidentbot", error="invalid_token"`},
		{name: "AnotherHooksToken", path: "/hooks/alertmanager", headers: bearer(grafanaToken), body: firing, code: 401,
			want: []string{"does not match"}, challenge: `Bearer realm="incidentbot", error="invalid_token"`},
		{name: "BasicAuth", path: "/hooks/alertmanager", headers: map[string]string{"Authorization": "Basic YWxpY2U6c2VjcmV0"}, body: firing, code: 401,
			want: []string{`must be "Bearer <token>"`}, challenge: `Bearer realm="incidentbot"`},
		{name: "SignatureOnTokenOnlyHook", path: "/hooks/alertmanager", headers: signedAt(t0, genericSecret, firing), body: firing, code: 401,
			want: []string{"Authorization: Bearer"}, challenge: `Bearer realm="incidentbot"`},
		{name: "NoContentType", path: "/hooks/alertmanager", headers: map[string]string{"Authorization": "Bearer " + amToken, "Content-Type": ""}, body: firing, code: 415,
			want: []string{"Content-Type header is missing", "application/json"}},
		{name: "FormContentType", path: "/hooks/alertmanager", headers: map[string]string{"Authorization": "Bearer " + amToken, "Content-Type": "application/x-www-form-urlencoded"}, body: firing, code: 415,
			want: []string{`"application/x-www-form-urlencoded" is not JSON`}},
		{name: "Latin1", path: "/hooks/alertmanager", headers: map[string]string{"Authorization": "Bearer " + amToken, "Content-Type": "application/json; charset=iso-8859-1"}, body: firing, code: 415,
			want: []string{`charset "iso-8859-1"`}},
		{name: "Gzip", path: "/hooks/alertmanager", headers: map[string]string{"Authorization": "Bearer " + amToken, "Content-Encoding": "gzip"}, body: firing, code: 415,
			want: []string{`Content-Encoding "gzip"`}},
		{name: "TooLarge", path: "/hooks/alertmanager", headers: bearer(amToken), body: huge, code: 413,
			want: []string{"intake.max_body_bytes (1048576 bytes)", "max_alerts"}},
		{name: "TooLargeChunked", path: "/hooks/alertmanager", headers: bearer(amToken), body: huge, chunked: true, code: 413,
			want: []string{"intake.max_body_bytes"}},
		{name: "EmptyBody", path: "/hooks/alertmanager", headers: bearer(amToken), body: "  ", code: 400,
			want: []string{"body is empty"}},
		{name: "NotJSON", path: "/hooks/alertmanager", headers: bearer(amToken), body: "status=firing", code: 400,
			want: []string{"not valid JSON", "at byte"}},
		{name: "Truncated", path: "/hooks/alertmanager", headers: bearer(amToken), body: firing[:100], code: 400,
			want: []string{"cut off"}},
		{name: "Array", path: "/hooks/alertmanager", headers: bearer(amToken), body: "[" + firing + "]", code: 400,
			want: []string{"must be a JSON object, not a JSON array"}},
		{name: "TwoObjects", path: "/hooks/alertmanager", headers: bearer(amToken), body: firing + firing, code: 400,
			want: []string{"goes on after its JSON object"}},
		{name: "VersionType", path: "/hooks/alertmanager", headers: bearer(amToken), body: am(`"version":"4"`, `"version":4`), code: 400,
			want: []string{`field "version" must be a string, not a JSON number`}},
		{name: "VersionUnknown", path: "/hooks/alertmanager", headers: bearer(amToken), body: am(`"version":"4"`, `"version":"3"`), code: 400,
			want: []string{`version "3" is not supported`, `version "4"`}},
		{name: "VersionMissing", path: "/hooks/alertmanager", headers: bearer(amToken), body: am(`"version":"4",`, ``), code: 400,
			want: []string{"version is missing"}},
		{name: "GrafanaOnAlertmanagerHook", path: "/hooks/alertmanager", headers: bearer(amToken), body: string(MustReadFixture(t, "grafana_firing.SYNTHETIC.json")), code: 400,
			want: []string{"Grafana's webhook", "/hooks/grafana"}},
		{name: "AlertmanagerOnGrafanaHook", path: "/hooks/grafana", headers: bearer(grafanaToken), body: firing, code: 400,
			want: []string{"Alertmanager's webhook", "/hooks/alertmanager"}},
		{name: "GrafanaLegacy", path: "/hooks/grafana", headers: bearer(grafanaToken), body: `{"title":"[Alerting] CPU","ruleId":1,"state":"alerting","evalMatches":[]}`, code: 400,
			want: []string{"version is missing", "legacy"}},
		{name: "GrafanaVersion", path: "/hooks/grafana", headers: bearer(grafanaToken), body: `{"version":"2"}`, code: 400,
			want: []string{`Grafana webhook version "2" is not supported`}},
		{name: "NoGroupKey", path: "/hooks/alertmanager", headers: bearer(amToken), body: am(`"groupKey":`, `"groupKeyX":`), code: 400,
			want: []string{"groupKey is missing"}},
		{name: "NoAlerts", path: "/hooks/alertmanager", headers: bearer(amToken), body: `{"version":"4","groupKey":"{}:{}","alerts":[]}`, code: 400,
			want: []string{"alerts is empty"}},
		{name: "AlertStatus", path: "/hooks/alertmanager", headers: bearer(amToken), body: am(`{"status":"firing","labels"`, `{"status":"pending","labels"`), code: 400,
			want: []string{`alerts[0].status: "pending" is not a status`}},
		{name: "AlertStartsAt", path: "/hooks/alertmanager", headers: bearer(amToken), body: am(`"startsAt":"2026-11-22T01:26:05.082436863Z"`, `"startsAt":"yesterday"`), code: 400,
			want: []string{`alerts[0].startsAt: "yesterday" is not an RFC 3339 time`}},
		{name: "AlertLabelsType", path: "/hooks/alertmanager", headers: bearer(amToken), body: am(`"labels":{"alertname":"HighErrorRate"`, `"labels":{"alertname":7`), code: 400,
			want: []string{`must be a string, not a JSON number`}},
		{name: "NegativeTruncated", path: "/hooks/alertmanager", headers: bearer(amToken), body: am(`"truncatedAlerts":0`, `"truncatedAlerts":-1`), code: 400,
			want: []string{"truncatedAlerts is -1"}},
		{name: "GenericUnknownField", path: "/hooks/generic", headers: bearer(genericToken), body: `{"source":"kuma","fingerprint":"f","status":"firing","title":"t","sevrity":"high"}`, code: 400,
			want: []string{`unknown field "sevrity"`, "severity"}},
		{name: "GenericNoAuth", path: "/hooks/generic", body: genericOK, code: 401,
			want: []string{"Authorization: Bearer", intake.SignatureHeader}, challenge: `Bearer realm="incidentbot"`},
		{name: "GenericStaleSignature", path: "/hooks/generic", headers: signedAt(t0.Add(-6*time.Minute), genericSecret, genericOK), body: genericOK, code: 401,
			want: []string{"6m0s away from incidentbot's clock", "5m0s"}, challenge: `Bearer realm="incidentbot"`},
		{name: "GenericFutureSignature", path: "/hooks/generic", headers: signedAt(t0.Add(6*time.Minute), genericSecret, genericOK), body: genericOK, code: 401,
			want: []string{"away from incidentbot's clock"}, challenge: `Bearer realm="incidentbot"`},
		{name: "GenericWrongSecret", path: "/hooks/generic", headers: signedAt(t0, "another-secret-0123456789", genericOK), body: genericOK, code: 401,
			want: []string{"does not match", "signing_secret"}, challenge: `Bearer realm="incidentbot"`},
		{name: "GenericSignedOtherBody", path: "/hooks/generic", headers: signedAt(t0, genericSecret, genericOK+" "), body: genericOK, code: 401,
			want: []string{"does not match", "exact bytes"}, challenge: `Bearer realm="incidentbot"`},
		{name: "GenericSignatureGarbage", path: "/hooks/generic", headers: map[string]string{intake.SignatureHeader: "sha256=abc"}, body: genericOK, code: 401,
			want: []string{"must look like"}, challenge: `Bearer realm="incidentbot"`},
		{name: "GenericSignatureShortHex", path: "/hooks/generic", headers: map[string]string{intake.SignatureHeader: "t=1795829400,v1=abcd"}, body: genericOK, code: 401,
			want: []string{"64 hex digits"}, challenge: `Bearer realm="incidentbot"`},
		{name: "GenericSignatureBadTime", path: "/hooks/generic", headers: map[string]string{intake.SignatureHeader: "t=soon,v1=" + strings.Repeat("ab", 32)}, body: genericOK, code: 401,
			want: []string{"Unix time in seconds"}, challenge: `Bearer realm="incidentbot"`},
		{name: "GenericSignatureNoV1", path: "/hooks/generic", headers: map[string]string{intake.SignatureHeader: "t=1795829400"}, body: genericOK, code: 401,
			want: []string{"must look like"}, challenge: `Bearer realm="incidentbot"`},
		{name: "GenericSignatureFarPast", path: "/hooks/generic", headers: map[string]string{intake.SignatureHeader: "t=1,v1=" + strings.Repeat("ab", 32)}, body: genericOK, code: 401,
			want: []string{"away from incidentbot's clock"}, challenge: `Bearer realm="incidentbot"`},
		{name: "DeployMissingService", path: "/hooks/deploy", headers: bearer(deployToken), body: `{"version":"1","environment":"prod"}`, code: 400,
			want: []string{"service is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := MustServe(t, testConfig())
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = onlyReader{body}
			}
			r := ts.do(t, method, tt.path, body, tt.headers)
			assertErrorBody(t, r, tt.code, tt.want...)
			if got := r.header.Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
			if tt.code == 405 && r.header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q", r.header.Get("Allow"))
			}
			if batches, _, _ := ts.sink.snapshot(); len(batches) != 0 {
				t.Errorf("a refused request reached the sink: %+v", batches)
			}
			logs := ts.log.String()
			if n := strings.Count(logs, "level=WARN"); n != 1 || strings.Count(logs, "\n") != 1 {
				t.Errorf("want exactly one log line, at warn; got:\n%s", logs)
			}
			if !strings.Contains(logs, "remote_addr=127.0.0.1:") || !strings.Contains(logs, "status=") {
				t.Errorf("the warning lacks the remote address or status: %s", logs)
			}
			for _, secret := range []string{amToken, grafanaToken, genericToken, genericSecret, deployToken, deploySecret, "YWxpY2U6c2VjcmV0", "not-the-token"} {
				if strings.Contains(logs, secret) || strings.Contains(r.raw, secret) {
					t.Errorf("a secret (%q) leaked into the log or the answer:\n%s\n%s", secret[:6], logs, r.raw)
				}
			}
		})
	}
}

// TestHandler_ContentTypes: the spellings of JSON that senders use pass.
func TestHandler_ContentTypes(t *testing.T) {
	ts := MustServe(t, testConfig())
	body := `{"source":"kuma","fingerprint":"f","status":"firing","title":"x"}`
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8", "application/json;", "application/vnd.kuma+json"} {
		r := ts.post(t, "/hooks/generic", strings.NewReader(body), map[string]string{"Authorization": "Bearer " + genericToken, "Content-Type": ct})
		if r.code != 200 {
			t.Errorf("Content-Type %q: %d %s", ct, r.code, r.raw)
		}
	}
}

// TestHandler_DisabledHook: a hook without credentials answers 404, even
// to a request with a token.
func TestHandler_DisabledHook(t *testing.T) {
	c := testConfig()
	c.Hooks.Grafana = intake.BearerHookConfig{}
	ts := MustServe(t, c)
	r := ts.post(t, "/hooks/grafana", bytes.NewReader(MustReadFixture(t, "grafana_firing.SYNTHETIC.json")), bearer(grafanaToken))
	assertErrorBody(t, r, 404, "the grafana hook is off", "intake.hooks.grafana.token")
}

// TestHandler_SignatureOnly: a hook with only a signing secret takes no
// bearer token, and its 401 carries no Bearer challenge.
func TestHandler_SignatureOnly(t *testing.T) {
	c := testConfig()
	c.Hooks.Deploy = intake.HookConfig{SigningSecret: deploySecret}
	ts := MustServe(t, c)
	body := `{"service":"payments","version":"v2","environment":"prod"}`
	r := ts.post(t, "/hooks/deploy", strings.NewReader(body), bearer(deploySecret))
	assertErrorBody(t, r, 401, "takes signed requests")
	if h := r.header.Get("WWW-Authenticate"); h != "" {
		t.Errorf("WWW-Authenticate = %q on a signature-only hook", h)
	}
	r = ts.post(t, "/hooks/deploy", strings.NewReader(body), nil)
	assertErrorBody(t, r, 401, "the X-Incidentbot-Signature header is missing")
	r = ts.post(t, "/hooks/deploy", strings.NewReader(body), map[string]string{intake.SignatureHeader: intake.Sign(deploySecret, t0, []byte(body))})
	if r.code != 200 {
		t.Errorf("signed deploy: %d %s", r.code, r.raw)
	}
}
