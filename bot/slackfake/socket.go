package slackfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// maxSockets is Slack's limit of concurrent Socket Mode connections per app.
const maxSockets = 10

// wsConn is one Socket Mode connection. A single writer goroutine owns the
// socket's write side (gorilla allows one concurrent writer), fed by out so
// that code holding s.mu never blocks on the network.
type wsConn struct {
	ws   *websocket.Conn
	out  chan outFrame
	done chan struct{}
	once sync.Once
}

type outFrame struct {
	data   []byte
	sent   chan struct{} // closed after data is written, may be nil
	sentAt *atomic.Int64 // stamped with the write time, for Ack.SentAt
	close  bool          // close the socket after writing data
	abort  bool          // drop the socket abruptly after this frame (DropSocketsAfter)
}

func (c *wsConn) enqueue(f outFrame) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.out <- f:
		return true
	default:
		return false // the app stopped reading; treat it as gone
	}
}

func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

func (s *Server) apiConnectionsOpen(_ *request) (map[string]any, *apiError) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ticket := hex.EncodeToString(b[:])
	s.tickets[ticket] = false
	url := "ws" + s.baseURL[len("http"):] + "/ws?ticket=" + ticket + "&app_id=" + appID
	return map[string]any{"url": url}, nil
}

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin https://api.slack.com; accept anything.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	used, known := s.tickets[ticket]
	switch {
	case s.closed:
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	case !known || used:
		// Tickets are single use, like Slack's.
		s.mu.Unlock()
		http.Error(w, "invalid_ticket", http.StatusUnauthorized)
		return
	case len(s.conns) >= maxSockets:
		s.mu.Unlock()
		http.Error(w, "too_many_websockets", http.StatusTooManyRequests)
		return
	}
	s.tickets[ticket] = true
	s.mu.Unlock()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Warn("slackfake: websocket upgrade", "err", err)
		return
	}
	c := &wsConn{ws: ws, out: make(chan outFrame, 1024), done: make(chan struct{})}

	s.mu.Lock()
	if s.closed || len(s.conns) >= maxSockets {
		s.mu.Unlock()
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"disconnect","reason":"too_many_websockets"}`))
		_ = ws.Close()
		return
	}
	s.conns = append(s.conns, c)
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": len(s.conns),
		"connection_info": map[string]any{"app_id": appID},
		"debug_info": map[string]any{
			"host": "applink-fake", "started": time.Now().UTC().Format("2006-01-02 15:04:05.000"),
			"build_number": 1, "approximate_connection_time": 3600,
		},
	})
	c.enqueue(outFrame{data: hello})
	// Flush what queued while no app was connected.
	pending := s.pending
	s.pending = nil
	for _, env := range pending {
		s.sendLocked(env)
	}
	s.bumpLocked()
	s.mu.Unlock()

	go s.writeLoop(c)
	go s.readLoop(c)
}

func (s *Server) writeLoop(c *wsConn) {
	ping := time.NewTicker(s.pingInterval)
	defer ping.Stop()
	for {
		select {
		case f := <-c.out:
			if f.sentAt != nil {
				// Stamped before the write: the app may answer before
				// WriteMessage returns.
				f.sentAt.Store(time.Now().UnixNano())
			}
			if f.data != nil {
				_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
					s.dropConn(c)
					return
				}
			}
			if f.sent != nil {
				close(f.sent)
			}
			if f.abort {
				s.dropConn(c)
				return
			}
			if f.close {
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
				s.dropConn(c)
				return
			}
		case <-ping.C:
			// slack-go reconnects when no server ping arrives for 30 s.
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
				s.dropConn(c)
				return
			}
		case <-c.done:
			return
		}
	}
}

func (s *Server) readLoop(c *wsConn) {
	defer s.dropConn(c)
	// Frames are stamped as they arrive and handled in order by another
	// goroutine, so that the fake's own work on one ack (validating its
	// blocks) never delays reading the next: Ack.Time measures the app,
	// not the fake.
	type inFrame struct {
		data []byte
		at   time.Time
	}
	in := make(chan inFrame, 1024)
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		for f := range in {
			s.handleAckFrame(f.data, f.at)
		}
	}()
	defer func() {
		close(in)
		<-handled
	}()
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ == websocket.TextMessage {
			in <- inFrame{data, time.Now()}
		}
	}
}

// dropConn forgets a socket. Envelopes already written to it keep their ack
// deadlines, so unacked events are redelivered on another socket.
func (s *Server) dropConn(c *wsConn) {
	s.mu.Lock()
	if i := slices.Index(s.conns, c); i >= 0 {
		s.conns = slices.Delete(s.conns, i, i+1)
		s.bumpLocked()
	}
	s.mu.Unlock()
	c.close()
}

// Disconnect sends {"type":"disconnect","reason":reason} to every socket and
// then closes them, as Slack does for refresh_requested, link_disabled, ….
// slack-go reconnects through apps.connections.open. Envelopes created
// meanwhile wait for the new socket.
func (s *Server) Disconnect(reason string) {
	frame, _ := json.Marshal(map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "applink-fake"}})
	for _, c := range s.takeConns() {
		if !c.enqueue(outFrame{data: frame, close: true}) {
			c.close()
		}
	}
}

// Connections reports how many Socket Mode connections are open.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// DropSockets closes every Socket Mode connection abruptly: no disconnect
// frame, no WebSocket close frame, as when a network path dies. Envelopes
// in flight keep their ack deadlines: unacked events are redelivered after
// the app reconnects (same event_id, retry_attempt+1, retry_reason
// "timeout"); unacked slash commands and interactions are not, and the user
// sees an error (UserErrors), as Slack documents retries for Events API
// deliveries only (slack-reference.md §1.3, §10).
func (s *Server) DropSockets() {
	for _, c := range s.takeConns() {
		c.close()
	}
}

// takeConns forgets every socket and returns them, for the caller to close:
// envelopes created meanwhile wait for the app to reconnect.
func (s *Server) takeConns() []*wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := s.conns
	s.conns = nil
	s.bumpLocked()
	return conns
}

// DropSocketsAfter makes the socket that would carry the n-th envelope from
// now die abruptly with that envelope in flight: the envelopes before it
// are written, it is not, and the socket closes as with DropSockets. So a
// burst is cut at a known place: the n-th envelope is never seen by the app
// and takes Slack's path for unacked envelopes (events redelivered after
// the ack timeout with retry_attempt+1; slash commands and interactions
// lost, a UserErrors entry), while envelopes created after it wait for the
// app to reconnect. n < 1 cancels.
func (s *Server) DropSocketsAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter = max(n, 0)
}
