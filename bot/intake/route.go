package intake

import (
	"fmt"
	"slices"
)

// Route is the decision for one alert group: what the bot does with it.
type Route struct {
	// Name is the route's name, "route N" (from 1) or "default".
	Name string
	// Index is the route's place in intake.routes, -1 for the default.
	Index    int
	Action   Action
	Severity string
	Type     string
	Playbook string
	// Channel is where a triage message goes: the route's channel or
	// intake.triage_channel. Empty for declare routes.
	Channel string
}

// Router picks the route of an alert group. It is immutable and safe for
// concurrent use.
type Router struct {
	routes []compiledRoute
	def    Route
}

type compiledRoute struct {
	Route
	matchers []*Matcher
	sources  []string
}

// NewRouter compiles c's routes. c must have passed Validate; NewRouter
// still returns an error rather than a broken router if it has not.
func NewRouter(c Config) (*Router, error) {
	rt := &Router{def: c.DefaultRoute.decision(-1, c.TriageChannel)}
	for i, rc := range c.Routes {
		cr := compiledRoute{Route: rc.decision(i, c.TriageChannel), sources: rc.Sources}
		for j, s := range rc.Matchers {
			ms, err := ParseMatchers(s)
			if err != nil {
				return nil, fmt.Errorf("intake.routes[%d].matchers[%d]: %w", i, j, err)
			}
			cr.matchers = append(cr.matchers, ms...)
		}
		rt.routes = append(rt.routes, cr)
	}
	return rt, nil
}

func (rc RouteConfig) decision(i int, triageChannel string) Route {
	r := Route{Name: rc.Name, Index: i, Action: rc.Action, Severity: rc.Severity, Type: rc.Type, Playbook: rc.Playbook}
	if r.Name == "" {
		r.Name = "default"
		if i >= 0 {
			r.Name = fmt.Sprintf("route %d", i+1)
		}
	}
	if r.Action == "" {
		r.Action = ActionTriage
	}
	if r.Action == ActionTriage {
		r.Channel = rc.Channel
		if r.Channel == "" {
			r.Channel = triageChannel
		}
	}
	return r
}

// MatchAlert returns the first route that a matches, or the default.
func (rt *Router) MatchAlert(a Alert) Route {
	if i := rt.first(a, len(rt.routes)); i >= 0 {
		return rt.routes[i].Route
	}
	return rt.def
}

// Match returns the route of a group: the earliest route (in config order)
// that any of its firing alerts matches, or the default. A group whose
// alerts are all resolved is routed by all of them, so its resolution
// lands where its firing did. One critical alert thus carries its whole
// group to a "page" route listed before a "triage" one.
func (rt *Router) Match(b Batch) Route {
	alerts := b.Firing()
	if len(alerts) == 0 {
		alerts = b.Alerts
	}
	best := len(rt.routes)
	for _, a := range alerts {
		if i := rt.first(a, best); i >= 0 {
			best = i
		}
	}
	if best < len(rt.routes) {
		return rt.routes[best].Route
	}
	return rt.def
}

// first returns the index of the first route before limit that a matches,
// or -1.
func (rt *Router) first(a Alert, limit int) int {
	for i := range rt.routes[:limit] {
		if rt.routes[i].matches(a) {
			return i
		}
	}
	return -1
}

func (cr *compiledRoute) matches(a Alert) bool {
	if len(cr.sources) > 0 && !slices.Contains(cr.sources, a.Source) {
		return false
	}
	for _, m := range cr.matchers {
		if !m.Matches(a.Labels) {
			return false
		}
	}
	return true
}
