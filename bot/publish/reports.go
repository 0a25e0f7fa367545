package publish

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/bot/reports"
)

// ReportOptions configure a ReportSource.
type ReportOptions struct {
	Store Store
	// Postmortem renders the drafts: time zone, policy, and UserName for
	// people's names (asked of Slack by the bot). It is called once per
	// request, with the request's context.
	Postmortem func(ctx context.Context) postmortem.Options
}

// ReportSource is a reports.Source over the store: the postmortem of
// every closed incident that is neither private nor a drill (Reportable).
// The index is kept per store version; each incident's summary and
// metrics are computed again only when its Rev changes.
type ReportSource struct {
	o ReportOptions

	mu      sync.Mutex
	version uint64 // store version of list, +1 (0: never read)
	list    []reports.Summary
	cache   map[int64]cachedSummary
}

type cachedSummary struct {
	rev uint64
	sum reports.Summary
	ok  bool
}

var _ reports.Source = (*ReportSource)(nil)

// NewReportSource returns a source over o.Store.
func NewReportSource(o ReportOptions) *ReportSource {
	return &ReportSource{o: o, cache: map[int64]cachedSummary{}}
}

// Reportable reports whether inc's postmortem belongs on the reports
// site: closed, not private, not a drill (cancelled incidents are never
// closed).
func Reportable(inc *incident.Incident) bool {
	return inc.Status == incident.StatusClosed && !inc.Private && !inc.Drill
}

// FindReports implements reports.Source.
func (s *ReportSource) FindReports(ctx context.Context, f reports.Filter) ([]reports.Summary, error) {
	list, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	var out []reports.Summary
	for _, sum := range list {
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		if f.Match(sum) {
			out = append(out, sum)
		}
	}
	return out, nil
}

// index returns every reportable summary, most recently declared first.
func (s *ReportSource) index(ctx context.Context) ([]reports.Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.o.Store.Version()
	if s.version == v+1 {
		return s.list, nil
	}
	var list []reports.Summary
	err := eachIncident(ctx, s.o.Store, incident.Filter{}, func(inc *incident.Incident) (bool, error) {
		c, ok := s.cache[inc.ID]
		if !ok || c.rev != inc.Rev {
			c = cachedSummary{rev: inc.Rev, ok: Reportable(inc)}
			if c.ok {
				evs, err := s.o.Store.Events(ctx, inc.ID)
				if err != nil {
					return false, fmt.Errorf("read the timeline of incident %d: %w", inc.ID, err)
				}
				c.sum = summary(inc, evs)
			}
			s.cache[inc.ID] = c
		}
		if c.ok {
			list = append(list, c.sum)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	// Newest first by declaration; IDs are in declaration order already,
	// but an import may not be.
	slices.SortFunc(list, func(a, b reports.Summary) int {
		return cmp.Or(b.DeclaredAt.Compare(a.DeclaredAt), cmp.Compare(b.ID, a.ID))
	})
	s.list, s.version = list, v+1
	return list, nil
}

func summary(inc *incident.Incident, evs []incident.Event) reports.Summary {
	return reports.Summary{
		ID: inc.ID, Title: PlainText(inc.Title), Service: PlainText(inc.Service), Severity: inc.Severity,
		DeclaredAt: inc.DeclaredAt, ResolvedAt: inc.ResolvedAt,
		Metrics: reports.MetricsFrom(postmortem.ComputeMetrics(inc, evs)),
	}
}

// FindReportByID implements reports.Source: ENOTFOUND for an incident
// that does not exist or may not be shown, worded alike, since whether a
// private incident exists is itself private.
func (s *ReportSource) FindReportByID(ctx context.Context, id int64) (*reports.Report, error) {
	notFound := incident.Errorf(incident.ENOTFOUND, "There is no postmortem #%d: the incident does not exist, is not closed yet, or is private.", id)
	inc, err := s.o.Store.FindIncidentByID(ctx, id)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if !Reportable(inc) {
		return nil, notFound
	}
	evs, err := s.o.Store.Events(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read the timeline of incident %d: %w", id, err)
	}
	o := s.o.Postmortem(ctx)
	md, err := postmortem.Draft(inc, evs, o)
	if err != nil {
		return nil, fmt.Errorf("draft the postmortem of incident %d: %w", id, err)
	}
	return &reports.Report{Summary: summary(inc, evs), Markdown: md, Events: Replay(inc, evs, o.UserName)}, nil
}

// Replay turns a timeline into the replay's steps: each event in words,
// with who held each role, the status and the severity just after it.
// name gives people's display names (nil: their IDs).
func Replay(inc *incident.Incident, evs []incident.Event, name func(id string) string) []reports.ReplayEvent {
	who := func(id string) string {
		if id == "" {
			return "incidentbot"
		}
		if name != nil {
			if n := name(id); n != "" {
				return n
			}
		}
		return id
	}
	roles := map[string]string{}
	status, severity := string(incident.StatusInvestigating), ""
	out := make([]reports.ReplayEvent, 0, len(evs))
	for _, e := range incident.Project(inc, evs, time.UTC).Entries {
		f := e.Field
		switch e.Kind {
		case incident.EventDeclared:
			severity = f("severity")
		case incident.EventSeverityChanged:
			severity = f("to")
		case incident.EventStatusChanged:
			status = f("to")
		case incident.EventResolved, incident.EventClosed, incident.EventCancelled:
			status = map[incident.EventKind]string{incident.EventResolved: "resolved", incident.EventClosed: "closed", incident.EventCancelled: "cancelled"}[e.Kind]
		case incident.EventReopened:
			status = string(incident.StatusInvestigating)
		case incident.EventRoleAssigned, incident.EventHandoffAccepted:
			if e.Kind == incident.EventHandoffAccepted {
				roles[f("role")] = e.Actor
			} else {
				roles[f("role")] = f("to")
			}
		}
		held := make(map[string]string, len(roles))
		for r, id := range roles {
			if id != "" {
				held[r] = who(id)
			}
		}
		out = append(out, reports.ReplayEvent{
			At: e.At, Actor: who(e.Actor), Kind: string(e.Kind), Text: describe(e, who),
			Roles: held, Status: status, Severity: severity,
		})
	}
	return out
}

// describe says what an event did, in plain words, to follow its actor's
// name. Updates give their text alone: the replay shows it as the latest
// update.
func describe(e incident.Entry, who func(string) string) string {
	f := e.Field
	text := PlainText(e.Text)
	with := func(s string) string {
		if text == "" {
			return s
		}
		return s + ": " + text
	}
	switch e.Kind {
	case incident.EventDeclared:
		return with("declared the incident as " + f("severity"))
	case incident.EventSeverityChanged:
		return "changed the severity from " + f("from") + " to " + f("to")
	case incident.EventStatusChanged:
		return "moved the status from " + f("from") + " to " + f("to")
	case incident.EventRoleAssigned:
		if f("to") == e.Actor {
			return "took the " + f("role") + " role"
		}
		return "made " + who(f("to")) + " the " + f("role")
	case incident.EventHandoffOffered:
		return "offered the " + f("role") + " role to " + who(f("to"))
	case incident.EventHandoffAccepted:
		return "took over as " + f("role")
	case incident.EventUpdatePosted:
		return text
	case incident.EventNote:
		return with("noted")
	case incident.EventMessagePinned:
		if e.Pin != nil && e.Pin.Deleted {
			return "pinned a message (deleted since)"
		}
		if e.Pin != nil && e.Pin.Edited {
			text = PlainText(e.Pin.Text)
		}
		return with("pinned a message")
	case incident.EventResolved:
		return with("resolved the incident")
	case incident.EventClosed:
		return "closed the incident"
	case incident.EventReopened:
		return "reopened the incident"
	case incident.EventCauseRecorded:
		return with("recorded the root cause")
	case incident.EventImpactRecorded:
		return with("recorded the impact")
	case incident.EventTaskAdded:
		return with("added action item " + f("task"))
	case incident.EventTaskDone:
		return with("completed action item " + f("task"))
	case incident.EventEscalated:
		return "update overdue, escalated"
	case incident.EventPostmortem:
		return "drafted the postmortem"
	case incident.EventChannelCreated:
		return "created the war-room channel #" + f("name")
	case incident.EventSummaryWritten:
		return with("wrote the customer summary")
	case incident.EventStakeholdersNotified:
		return "notified the stakeholders of " + f("about")
	}
	return with(string(e.Kind))
}
