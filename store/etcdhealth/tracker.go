package etcdhealth

// tracker decides, from probe outcomes and stalls alone, which endpoint
// the client is pinned to: no clock, no network, so that its rules are
// tested as a table.
type tracker struct {
	endpoints []string // every endpoint, in the configured order
	current   string   // the endpoint the client uses
	// answered holds each endpoint's last probe outcome; an endpoint not
	// probed yet is absent.
	answered map[string]bool
}

func newTracker(endpoints []string) *tracker {
	return &tracker{endpoints: endpoints, current: endpoints[0], answered: map[string]bool{}}
}

// observe records a probe of ep, and returns the endpoint to switch to,
// or "" to stay. The client leaves its endpoint at the first probe it
// leaves unanswered, if another answered its last one: switching between
// members that answer costs nothing, while staying on a silent one holds
// every request for its whole attempt.
func (t *tracker) observe(ep string, ok bool) string {
	t.answered[ep] = ok
	if ok || ep != t.current {
		return ""
	}
	return t.switchTo()
}

// stall records that a request to the current endpoint got no answer in
// time, and returns the endpoint to switch to, or "" to stay.
func (t *tracker) stall() string { return t.switchTo() }

// switchTo picks the next endpoint after the current one, in the
// configured order, that answered its last probe. With none (etcd is
// electing a Raft leader and no member answers, or this replica is the
// one cut off) the client stays where it is.
func (t *tracker) switchTo() string {
	at := 0
	for i, e := range t.endpoints {
		if e == t.current {
			at = i
		}
	}
	for i := 1; i < len(t.endpoints); i++ {
		e := t.endpoints[(at+i)%len(t.endpoints)]
		if t.answered[e] {
			t.current = e
			return e
		}
	}
	return ""
}
