// Package slackfake is a strict, stateful, in-memory fake of Slack for tests
// and for `incidentbot demo`.
//
// It serves the Web API (under /api/), Socket Mode (a gorilla/websocket
// endpoint handed out by apps.connections.open), response_url endpoints and
// the external file upload URL on one loopback listener. State (users,
// channels, messages, views, files) lives under a single mutex. Test code
// drives it as Slack users would (SlashCommand, ClickButton, SubmitView, …)
// and inspects what the app did (Messages, OpenViews, Transcript, …).
//
// The fake enforces the limits that real Slack enforces (Block Kit limits,
// channel-name rules, trigger_id expiry, response_url use counts, rate
// limits, membership, the scopes the app was granted and the events it
// subscribes to, both from bot/manifest) so that a bot that passes against
// it does not trip over them in production, and no more than Slack does. The
// facts it encodes come from the project's Slack reference notes
// (shared/slack-reference.md) and Slack's docs, each cited where it is
// applied; TestBoltJS checks it against Slack's own Bolt for JavaScript.
//
// For tests of failure handling it injects faults (Inject, FailNext,
// DropSockets, DropSocketsAfter, Redeliver); for end-to-end tests it offers
// consuming expectations (Expect, Ignore, AssertNoUnexpected).
package slackfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/manifest"
)

// Fixed identities of the fake workspace and app. They are constants so that
// golden files rendered against the fake are deterministic.
const (
	teamID     = "T0FAKE001"
	teamDomain = "fake"
	appID      = "A0FAKEAPP"
	botUserID  = "UBOT"
	botID      = "BBOT"
	botName    = "incidentbot"
)

// Option configures a Server in New.
type Option func(*Server)

// WithAckTimeout sets how long an envelope may stay unacked before Slack
// gives up on it (redelivering events, showing an error for interactions).
// Slack's deadline is 3 s; tests use a few hundred milliseconds.
func WithAckTimeout(d time.Duration) Option { return func(s *Server) { s.ackTimeout = d } }

// WithLatency makes every Web API call sleep d before answering, to simulate
// the round trip to Slack.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithRateLimits turns on Slack's per-method tier limits and the per-channel
// chat.postMessage limit.
func WithRateLimits(on bool) Option { return func(s *Server) { s.rateLimitsOn = on } }

// WithPingInterval sets how often WebSocket ping frames are sent. slack-go
// reconnects when it sees no ping for 30 s, so keep it well below that.
func WithPingInterval(d time.Duration) Option { return func(s *Server) { s.pingInterval = d } }

// WithNow sets the clock used for timestamps, trigger_id expiry,
// response_url windows and rate-limit windows. Ack timeouts and pings use
// real time because they must fire on their own.
func WithNow(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLogger sets the logger the fake reports protocol problems to.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// Server is a running fake Slack workspace with one installed app.
type Server struct {
	httpSrv *httptest.Server
	baseURL string // "http://127.0.0.1:port", no trailing slash

	blockMemo blockMemo // validated Block Kit, by content

	dropAcks  int // ack frames still to lose (DropNextAcks)
	dropAfter int // envelopes to write before a socket drops (DropSocketsAfter)

	// Configuration, fixed after New except where setters exist.
	log          *slog.Logger
	now          func() time.Time
	ackTimeout   time.Duration
	pingInterval time.Duration
	botToken     string
	appToken     string
	scopes       []string // granted bot scopes (scopes.go)
	events       []string // bot event subscriptions
	messagesTab  bool     // App Home Messages tab on: the bot may DM

	// mu guards everything below.
	mu           sync.Mutex
	latency      time.Duration
	rateLimitsOn bool
	closed       bool
	changed      chan struct{} // closed and replaced on every state change
	seq          map[string]int
	// instance makes the IDs Slack never repeats (envelopes, events,
	// triggers) unique across fakes too: a bot whose database outlives one
	// fake (the demo run twice on one directory) must not take a new
	// envelope for one it saw.
	instance string

	users        map[string]*User
	userOrder    []string
	groups       map[string]*userGroup
	groupOrder   []string
	channels     map[string]*channel
	channelOrder []string
	ims          map[string]string // user ID -> D… channel ID
	files        map[string]*fileRec
	fileOrder    []string
	triggers     map[string]*trigger
	responseURLs map[string]*responseURL
	views        map[string]*viewRec   // every view ever opened, by ID
	stacks       map[string][]*viewRec // user ID -> modal stack, bottom first
	homes        map[string]*viewRec   // user ID -> published Home tab

	faults   []*fault      // faults.go
	inflight int           // Web API calls being served
	quit     chan struct{} // closed by Close: hanging calls end
	limits   *rateLimiter
	calls    []Call

	tickets    map[string]bool // apps.connections.open ticket -> used
	conns      []*wsConn
	rr         int
	pending    []*envelope // waiting for a socket to connect
	envelopes  map[string]*envelope
	acks       []Ack
	userErrors []string
	sent       []*sentEvent // every Events API event emitted (inspect_events.go)
	timers     map[*time.Timer]struct{}

	consumed map[string]bool // "channel/ts" of bot messages an Expectation consumed (consume.go)
	ignores  []ignoreRule
}

// New starts a fake Slack listening on 127.0.0.1 on a free port. Call Close
// when done.
func New(opts ...Option) *Server {
	s := &Server{
		log:          slog.New(slog.DiscardHandler),
		now:          time.Now,
		ackTimeout:   3 * time.Second,
		pingInterval: 5 * time.Second,
		botToken:     "xoxb-fake-" + teamID + "-bot-token",
		appToken:     "xapp-1-fake-" + appID + "-app-token",
		changed:      make(chan struct{}),
		seq:          map[string]int{},
		instance:     randomHex(3),
		users:        map[string]*User{},
		groups:       map[string]*userGroup{},
		channels:     map[string]*channel{},
		ims:          map[string]string{},
		files:        map[string]*fileRec{},
		triggers:     map[string]*trigger{},
		responseURLs: map[string]*responseURL{},
		views:        map[string]*viewRec{},
		stacks:       map[string][]*viewRec{},
		homes:        map[string]*viewRec{},
		quit:         make(chan struct{}),
		limits:       newRateLimiter(),
		tickets:      map[string]bool{},
		envelopes:    map[string]*envelope{},
		timers:       map[*time.Timer]struct{}{},
		consumed:     map[string]bool{},
	}
	WithManifest(manifest.Default())(s)
	for _, o := range opts {
		o(s)
	}
	s.users[botUserID] = &User{ID: botUserID, Name: botName, RealName: "Incident Bot", IsBot: true, TZ: "UTC"}
	s.userOrder = append(s.userOrder, botUserID)

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/upload/", s.serveUpload)
	// httptest.NewServer listens on 127.0.0.1 only: the fake never leaves
	// the loopback interface.
	s.httpSrv = httptest.NewServer(mux)
	s.baseURL = s.httpSrv.URL
	return s
}

// Close disconnects every socket, stops timers and shuts the listener down.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.quit)
	for t := range s.timers {
		t.Stop()
	}
	conns := append([]*wsConn(nil), s.conns...)
	s.conns = nil
	s.bumpLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	s.httpSrv.CloseClientConnections()
	s.httpSrv.Close()
}

// APIURL is the Web API base URL with a trailing slash, for
// slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.baseURL + "/api/" }

// BotToken is the xoxb- token the Web API accepts.
func (s *Server) BotToken() string { return s.botToken }

// AppToken is the xapp- app-level token apps.connections.open accepts.
func (s *Server) AppToken() string { return s.appToken }

// BotUserID is the bot user's ID ("UBOT").
func (s *Server) BotUserID() string { return botUserID }

// BotID is the bot's bot_id ("BBOT"), carried on messages the app posts.
func (s *Server) BotID() string { return botID }

// TeamID is the workspace ID.
func (s *Server) TeamID() string { return teamID }

// AppID is the installed app's ID.
func (s *Server) AppID() string { return appID }

// SetLatency changes the simulated Web API latency.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetRateLimits turns rate limiting on or off.
func (s *Server) SetRateLimits(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimitsOn = on
}

// Failure is an injected Web API failure (FailNext). Status 429 answers
// with a Retry-After header of RetryAfter seconds (default 1) and a
// "ratelimited" body; another non-zero, non-200 Status answers with that
// status; otherwise the answer is HTTP 200 with {"ok":false,"error":Error}.
type Failure struct {
	Status     int
	RetryAfter int
	Error      string
}

// bumpLocked wakes every WaitFor and Changed waiter. Call with s.mu held
// after any state change.
func (s *Server) bumpLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// newIDLocked returns a deterministic Slack-style ID such as "C00000001".
// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("slackfake: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}

func (s *Server) newIDLocked(prefix string) string {
	s.seq[prefix]++
	switch prefix {
	case "C", "D", "V", "F":
		// Conversations, views and files are never reused by Slack: a
		// store that outlives this fake must not see an old ID again.
		return fmt.Sprintf("%s%s%05X", prefix, strings.ToUpper(s.instance[:3]), s.seq[prefix])
	}
	return fmt.Sprintf("%s%08X", prefix, s.seq[prefix])
}

// afterFuncLocked runs f after d unless the server closes first. f runs
// without s.mu held.
func (s *Server) afterFuncLocked(d time.Duration, f func()) {
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		delete(s.timers, t)
		closed := s.closed
		s.mu.Unlock()
		if !closed {
			f()
		}
	})
	s.timers[t] = struct{}{}
}

// writeJSON answers with Slack's content type; slack-go's response_url
// parser fails without it.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// nameOf returns the user's handle for renderings; unknown IDs are shown
// as-is. Call with s.mu held.
func (s *Server) nameOfLocked(userID string) string {
	if u, ok := s.users[userID]; ok && u.Name != "" {
		return u.Name
	}
	return userID
}

// truncate shortens s for log lines.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// splitList splits Slack's comma-separated ID lists, dropping blanks.
func splitList(v string) []string {
	var out []string
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
