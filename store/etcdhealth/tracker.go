package etcdhealth

import "time"

// tracker decides, from probe outcomes and stalls alone, which endpoint
// the client is pinned to. Times are passed in, so that its rules are
// tested as a table.
type tracker struct {
	endpoints []string // every endpoint, in the configured order
	current   string   // the endpoint the client uses
	// switched is when the client moved to current.
	switched time.Time
	// answered holds when each endpoint answered its last probe; an
	// endpoint not probed yet, or whose last probe went unanswered, is
	// absent.
	answered map[string]time.Time
}

func newTracker(endpoints []string) *tracker {
	return &tracker{endpoints: endpoints, current: endpoints[0], answered: map[string]time.Time{}}
}

// observe records a probe of ep that ended at at, and returns the
// endpoint to switch to, or "" to stay. The client leaves its endpoint at
// the first probe it leaves unanswered, if another answered its last one:
// switching between members that answer costs nothing, while staying on
// a silent one holds every request for its whole attempt.
func (t *tracker) observe(ep string, ok bool, at time.Time) string {
	if ok {
		t.answered[ep] = at
		return ""
	}
	delete(t.answered, ep)
	if ep != t.current {
		return ""
	}
	return t.switchTo(at, time.Time{})
}

// stall records that a request sent at sent got no answer in time, and
// returns the endpoint to switch to, or "" to stay. A request sent before
// the client last moved may have gone to the endpoint it left: that one
// is not blamed on the current one. And the client moves only to a member
// that answered a probe after the request was sent: if none did, the
// cluster as a whole is slow (a loaded machine, an election), and moving
// would only reopen every watch.
func (t *tracker) stall(sent, at time.Time) string {
	if sent.Before(t.switched) {
		return ""
	}
	return t.switchTo(at, sent)
}

// switchTo moves to the other endpoint that answered a probe last, after
// since (a member frozen a moment ago may not have missed a probe yet, but
// has stopped answering them), the first in the configured order after
// the current one on a tie. With none (etcd is electing a Raft leader and
// no member answers, or this replica is the one cut off) the client
// stays.
func (t *tracker) switchTo(at, since time.Time) string {
	from := 0
	for i, e := range t.endpoints {
		if e == t.current {
			from = i
		}
	}
	best := ""
	var bestAt time.Time
	for i := 1; i < len(t.endpoints); i++ {
		e := t.endpoints[(from+i)%len(t.endpoints)]
		if a, ok := t.answered[e]; ok && a.After(since) && (best == "" || a.After(bestAt)) {
			best, bestAt = e, a
		}
	}
	if best != "" {
		t.current, t.switched = best, at
	}
	return best
}
