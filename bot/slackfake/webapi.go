package slackfake

import (
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Call is one Web API call as the fake saw it. Start and End are wall-clock
// times (not the WithNow clock) so tests can measure concurrency.
type Call struct {
	Method     string
	Start, End time.Time
	Error      string // Slack error code, "" on success
	Status     int    // HTTP status answered; 0 when no answer was sent
	Fault      string // the injected fault that hit the call (FaultKind.String), "" if none
}

// request is a decoded Web API call. slack-go sends most methods as form
// POSTs with a token field, views.* and apps.connections.open as JSON with a
// bearer header, and a few getters as GET; values may come from any of them.
type request struct {
	method string
	form   url.Values
	json   map[string]json.RawMessage
	token  string
}

// str returns a parameter as a string, whether it came as a form field, a
// query parameter or a JSON string/number/bool.
func (q *request) str(key string) string {
	if v, ok := q.form[key]; ok && len(v) > 0 {
		return v[0]
	}
	raw, ok := q.json[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// raw returns a parameter that carries JSON: a JSON body value as is, or a
// form field holding a JSON string (blocks, view, files).
func (q *request) raw(key string) json.RawMessage {
	if v, ok := q.json[key]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return json.RawMessage(s)
		}
		if string(v) == "null" {
			return nil
		}
		return v
	}
	if v := q.form.Get(key); v != "" {
		return json.RawMessage(v)
	}
	return nil
}

// has reports whether the call sent key at all (even empty).
func (q *request) has(key string) bool {
	if _, ok := q.form[key]; ok {
		return true
	}
	_, ok := q.json[key]
	return ok
}

func (q *request) boolean(key string) bool {
	switch strings.ToLower(q.str(key)) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// apiError is a Slack error answer: HTTP 200 with ok:false unless status is
// set.
type apiError struct {
	code   string
	fields map[string]any
}

func errCode(code string) *apiError { return &apiError{code: code} }

// errMessages is Slack's answer to invalid Block Kit: the code plus one
// response_metadata.messages entry per problem.
func errMessages(code string, msgs []string) *apiError {
	return &apiError{code: code, fields: map[string]any{"response_metadata": map[string]any{"messages": msgs}}}
}

type handler func(s *Server, q *request) (map[string]any, *apiError)

type methodSpec struct {
	h        handler
	appToken bool // authenticated with the xapp- token instead of xoxb-
}

var apiMethods map[string]methodSpec

func init() {
	// Assigned in init rather than in the declaration so that handlers may
	// reach code that consults apiMethods without an initialization cycle.
	apiMethods = map[string]methodSpec{
		"auth.test":                    {h: (*Server).apiAuthTest},
		"apps.connections.open":        {h: (*Server).apiConnectionsOpen, appToken: true},
		"conversations.create":         {h: (*Server).apiConvCreate},
		"conversations.invite":         {h: (*Server).apiConvInvite},
		"conversations.join":           {h: (*Server).apiConvJoin},
		"conversations.setTopic":       {h: (*Server).apiConvSetTopic},
		"conversations.setPurpose":     {h: (*Server).apiConvSetPurpose},
		"conversations.archive":        {h: (*Server).apiConvArchive},
		"conversations.unarchive":      {h: (*Server).apiConvUnarchive},
		"conversations.rename":         {h: (*Server).apiConvRename},
		"conversations.info":           {h: (*Server).apiConvInfo},
		"conversations.history":        {h: (*Server).apiConvHistory},
		"conversations.replies":        {h: (*Server).apiConvReplies},
		"conversations.members":        {h: (*Server).apiConvMembers},
		"conversations.list":           {h: (*Server).apiConvList},
		"conversations.open":           {h: (*Server).apiConvOpen},
		"chat.postMessage":             {h: (*Server).apiChatPostMessage},
		"chat.update":                  {h: (*Server).apiChatUpdate},
		"chat.delete":                  {h: (*Server).apiChatDelete},
		"chat.postEphemeral":           {h: (*Server).apiChatPostEphemeral},
		"chat.getPermalink":            {h: (*Server).apiChatGetPermalink},
		"views.open":                   {h: (*Server).apiViewsOpen},
		"views.push":                   {h: (*Server).apiViewsPush},
		"views.update":                 {h: (*Server).apiViewsUpdate},
		"views.publish":                {h: (*Server).apiViewsPublish},
		"pins.add":                     {h: (*Server).apiPinsAdd},
		"pins.remove":                  {h: (*Server).apiPinsRemove},
		"pins.list":                    {h: (*Server).apiPinsList},
		"bookmarks.add":                {h: (*Server).apiBookmarksAdd},
		"bookmarks.list":               {h: (*Server).apiBookmarksList},
		"reactions.add":                {h: (*Server).apiReactionsAdd},
		"reactions.get":                {h: (*Server).apiReactionsGet},
		"users.info":                   {h: (*Server).apiUsersInfo},
		"users.list":                   {h: (*Server).apiUsersList},
		"users.lookupByEmail":          {h: (*Server).apiUsersLookupByEmail},
		"usergroups.list":              {h: (*Server).apiUsergroupsList},
		"usergroups.users.list":        {h: (*Server).apiUsergroupsUsersList},
		"files.getUploadURLExternal":   {h: (*Server).apiFilesGetUploadURL},
		"files.completeUploadExternal": {h: (*Server).apiFilesComplete},
		"files.info":                   {h: (*Server).apiFilesInfo},
	}
}

func parseRequest(r *http.Request) (*request, error) {
	q := &request{method: strings.TrimPrefix(r.URL.Path, "/api/"), form: url.Values{}}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(body))) > 0 && string(body) != "null" {
			if err := json.Unmarshal(body, &q.json); err != nil {
				return nil, err
			}
		}
		q.form = r.URL.Query()
	case ct == "multipart/form-data":
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			return nil, err
		}
		q.form = r.Form
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		q.form = r.Form
	}
	q.token = q.form.Get("token")
	if q.token == "" {
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			q.token = strings.TrimSpace(bearer)
		}
	}
	if q.token == "" {
		q.token = q.str("token")
	}
	return q, nil
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	method := strings.TrimPrefix(r.URL.Path, "/api/")

	s.mu.Lock()
	latency := s.latency
	f := s.takeFaultLocked(method)
	s.inflight++
	s.bumpLocked()
	s.mu.Unlock()

	call := Call{Method: method, Start: start}
	defer func() {
		call.End = time.Now()
		s.mu.Lock()
		s.inflight--
		s.calls = append(s.calls, call)
		s.bumpLocked()
		s.mu.Unlock()
	}()
	if f != nil {
		call.Fault = f.Kind.String()
	}
	if latency > 0 && !s.hold(r, latency) {
		return // the client gave up
	}

	var status int
	var body map[string]any
	var header map[string]string
	switch {
	case f == nil:
		status, body, header = s.handleAPI(r, method)
	case f.Kind == FaultHangBeforeWork:
		// net/http notices a client that went away only once the request
		// body is read.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 10<<20))
		s.hold(r, 0)
		return
	default:
		var before bool
		if status, body, header, before = f.beforeWork(); !before {
			status, body, header = s.handleAPI(r, method)
		}
	}
	call.Error, _ = body["error"].(string)
	if f != nil {
		if handled, st := s.afterWork(f, w, r); handled {
			call.Status = st
			return
		}
	}
	call.Status = status
	for k, v := range header {
		w.Header().Set(k, v)
	}
	writeJSON(w, status, body)
}

// handleAPI runs one call: unknown method, auth, scopes, rate limit, then
// the handler, all under s.mu so that each call is atomic.
func (s *Server) handleAPI(r *http.Request, method string) (int, map[string]any, map[string]string) {
	spec, ok := apiMethods[method]
	if !ok {
		return http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"}, nil
	}
	q, err := parseRequest(r)
	if err != nil {
		return http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"}, nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return http.StatusServiceUnavailable, map[string]any{"ok": false, "error": "service_unavailable"}, nil
	}

	if q.token == "" {
		return http.StatusOK, map[string]any{"ok": false, "error": "not_authed"}, nil
	}
	want := s.botToken
	if spec.appToken {
		want = s.appToken
	}
	if q.token != want {
		return http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"}, nil
	}

	if !spec.appToken {
		if aerr := s.checkScopesLocked(method, q); aerr != nil {
			out := map[string]any{"ok": false, "error": aerr.code}
			maps.Copy(out, aerr.fields)
			return http.StatusOK, out, nil
		}
	}

	if s.rateLimitsOn {
		key := ""
		if method == "chat.postMessage" {
			key = q.str("channel")
		}
		if ra := s.limits.allow(method, key, s.now()); ra > 0 {
			s.log.Debug("slackfake: rate limited", "method", method, "retry_after", ra)
			return http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"}, retryAfter(ra)
		}
	}

	resp, aerr := spec.h(s, q)
	if aerr != nil {
		out := map[string]any{"ok": false, "error": aerr.code}
		maps.Copy(out, aerr.fields)
		s.log.Debug("slackfake: api error", "method", method, "err", aerr.code)
		return http.StatusOK, out, nil
	}
	if resp == nil {
		resp = map[string]any{}
	}
	resp["ok"] = true
	return http.StatusOK, resp, nil
}

// chanLocked resolves a channel ID (C…, G…, D…) for the Web API.
func (s *Server) chanLocked(id string) (*channel, *apiError) {
	if id == "" {
		return nil, errCode("channel_not_found")
	}
	c, ok := s.channels[id]
	if !ok {
		return nil, errCode("channel_not_found")
	}
	return c, nil
}

// visibleChanLocked is chanLocked for methods that cannot see private
// channels the bot is not in: Slack answers channel_not_found there.
func (s *Server) visibleChanLocked(id string) (*channel, *apiError) {
	c, err := s.chanLocked(id)
	if err != nil {
		return nil, err
	}
	if c.private && !c.isMember(botUserID) {
		return nil, errCode("channel_not_found")
	}
	return c, nil
}

// chanCheck selects the checks channelForLocked applies.
type chanCheck int

const (
	noDM        chanCheck = 1 << iota // method_not_supported_for_channel_type on a DM
	notArchived                       // is_archived on an archived channel
	botMember                         // not_in_channel unless the bot is a member (always in its DMs)
)

// channelForLocked resolves the channel a Web API call acts on and applies
// checks, in that order, after visibleChanLocked's.
func (s *Server) channelForLocked(id string, checks chanCheck) (*channel, *apiError) {
	c, err := s.visibleChanLocked(id)
	switch {
	case err != nil:
		return nil, err
	case checks&noDM != 0 && c.im:
		return nil, errCode("method_not_supported_for_channel_type")
	case checks&notArchived != 0 && c.archived:
		return nil, errCode("is_archived")
	case checks&botMember != 0:
		if err := requireMember(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// msgLocked finds the live message ts in c, or message_not_found.
func msgLocked(c *channel, ts string) (*message, *apiError) {
	if m := c.findMsg(ts); m != nil {
		return m, nil
	}
	return nil, errCode("message_not_found")
}

func requireMember(c *channel) *apiError {
	if c.im || c.isMember(botUserID) {
		return nil
	}
	return errCode("not_in_channel")
}

func (s *Server) apiAuthTest(_ *request) (map[string]any, *apiError) {
	return map[string]any{
		"url":     "https://" + teamDomain + ".slack.com/",
		"team":    "Fake Workspace",
		"user":    botName,
		"team_id": teamID,
		"user_id": botUserID,
		"bot_id":  botID,
	}, nil
}
