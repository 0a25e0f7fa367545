package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// bucketAlertGroups maps an alert group's dedupe key (intake.DedupeKey,
// "alertmanager:<hex>") to an alert group record.
var bucketAlertGroups = []byte("alert_groups")

var alertGroupRecord = newRecordType("alert_group",
	strField(1, "source", func(x *incident.AlertGroup) *string { return &x.Source }),
	strField(2, "route_name", func(x *incident.AlertGroup) *string { return &x.Route.Name }),
	strField(3, "route_action", func(x *incident.AlertGroup) *string { return &x.Route.Action }),
	strField(4, "route_severity", func(x *incident.AlertGroup) *string { return &x.Route.Severity }),
	strField(5, "route_type", func(x *incident.AlertGroup) *string { return &x.Route.Type }),
	strField(6, "route_playbook", func(x *incident.AlertGroup) *string { return &x.Route.Playbook }),
	strField(7, "route_channel", func(x *incident.AlertGroup) *string { return &x.Route.Channel }),
	strField(8, "state", func(x *incident.AlertGroup) *incident.AlertState { return &x.State }),
	intField(9, "incident_id", func(x *incident.AlertGroup) *int64 { return &x.IncidentID }),
	strField(10, "channel", func(x *incident.AlertGroup) *string { return &x.Channel }),
	strField(11, "ts", func(x *incident.AlertGroup) *string { return &x.TS }),
	strField(12, "triage_error", func(x *incident.AlertGroup) *string { return &x.TriageError }),
	strField(13, "title", func(x *incident.AlertGroup) *string { return &x.Title }),
	strField(14, "summary", func(x *incident.AlertGroup) *string { return &x.Summary }),
	strField(15, "url", func(x *incident.AlertGroup) *string { return &x.URL }),
	listField(16, "alerts", func(x *incident.AlertGroup) *[]incident.AlertStatus { return &x.Alerts }, alertStatusRecord),
	intField(17, "omitted", func(x *incident.AlertGroup) *int { return &x.Omitted }),
	intField(18, "notifications", func(x *incident.AlertGroup) *int { return &x.Notifications }),
	intField(19, "episode", func(x *incident.AlertGroup) *int { return &x.Episode }),
	timeField(20, "first_at", func(x *incident.AlertGroup) *time.Time { return &x.FirstAt }),
	timeField(21, "last_at", func(x *incident.AlertGroup) *time.Time { return &x.LastAt }),
	strField(22, "decided_by", func(x *incident.AlertGroup) *string { return &x.DecidedBy }),
	timeField(23, "decided_at", func(x *incident.AlertGroup) *time.Time { return &x.DecidedAt }),
	intField(24, "previous", func(x *incident.AlertGroup) *int64 { return &x.Previous }),
)

var alertStatusRecord = newRecordType("alert_status",
	strField(1, "fingerprint", func(x *incident.AlertStatus) *string { return &x.Fingerprint }),
	strField(2, "name", func(x *incident.AlertStatus) *string { return &x.Name }),
	strField(3, "summary", func(x *incident.AlertStatus) *string { return &x.Summary }),
	boolField(4, "firing", func(x *incident.AlertStatus) *bool { return &x.Firing }),
	timeField(5, "since", func(x *incident.AlertStatus) *time.Time { return &x.Since }),
)

// alertRefRecord is the incident's Alert field (incidentRecord).
var alertRefRecord = newRecordType("alert_ref",
	strField(1, "key", func(x *incident.AlertRef) *string { return &x.Key }),
	strField(2, "source", func(x *incident.AlertRef) *string { return &x.Source }),
	strField(3, "route", func(x *incident.AlertRef) *string { return &x.Route }),
	strField(4, "title", func(x *incident.AlertRef) *string { return &x.Title }),
	strField(5, "summary", func(x *incident.AlertRef) *string { return &x.Summary }),
	strField(6, "url", func(x *incident.AlertRef) *string { return &x.URL }),
	intField(7, "firing", func(x *incident.AlertRef) *int { return &x.Firing }),
	intField(8, "resolved", func(x *incident.AlertRef) *int { return &x.Resolved }),
	intField(9, "notifications", func(x *incident.AlertRef) *int { return &x.Notifications }),
	timeField(10, "first_at", func(x *incident.AlertRef) *time.Time { return &x.FirstAt }),
	timeField(11, "last_at", func(x *incident.AlertRef) *time.Time { return &x.LastAt }),
)

// checkAlertKey refuses a group key bbolt cannot store.
func checkAlertKey(key string) error {
	if key == "" || len(key) > bolt.MaxKeySize {
		return incident.Errorf(incident.EINVALID, "An alert group key must be 1 to %d bytes long.", bolt.MaxKeySize)
	}
	return nil
}

// FindAlertGroup returns the alert group stored under key, or ENOTFOUND.
func (db *DB) FindAlertGroup(ctx context.Context, key string) (*incident.AlertGroup, error) {
	if err := checkAlertKey(key); err != nil {
		return nil, err
	}
	var g *incident.AlertGroup
	err := db.view(func(r reader) error {
		v := r.get(bucketAlertGroups, []byte(key))
		if v == nil {
			return incident.Errorf(incident.ENOTFOUND, "This alert group is not known; it may come from another incidentbot.")
		}
		x, err := decode(alertGroupRecord, v, "alert group %q", key)
		x.Key = key
		g = &x
		return err
	})
	return g, err
}

// UpdateAlertGroup loads the alert group key (a new one, with only its Key,
// when there is none) and its incident, calls fn with fresh copies of both,
// and stores what fn decides, in one transaction shared with concurrent
// writers: the group as fn left it; a new incident (w.Declare, whose ID
// becomes the group's IncidentID) or the changed incident (w.Incident),
// each with w.Change; and w.Global, which belongs to no incident (effects,
// effects done, the request finished).
//
// The incident loaded is incidentID, or the group's own when incidentID
// is 0; inc is nil when neither is set. fn may run more than once, so it
// must do nothing but change g and inc and build the write. An error from
// fn is returned as is, and nothing is written. It returns the group as
// stored and the write with its changes as stored (events and effects
// numbered). Returns ENOTFOUND when incidentID does not exist, ECONFLICT
// when the changed incident takes another incident's war room.
func (db *DB) UpdateAlertGroup(ctx context.Context, key string, incidentID int64,
	fn func(g *incident.AlertGroup, inc *incident.Incident) (incident.AlertWrite, error)) (*incident.AlertGroup, incident.AlertWrite, error) {
	if err := checkAlertKey(key); err != nil {
		return nil, incident.AlertWrite{}, err
	}
	var outG *incident.AlertGroup
	var out incident.AlertWrite
	var fnErr error
	err := db.write(ctx, func(r reader, now time.Time) (applyFunc, error) {
		fnErr = nil
		g := &incident.AlertGroup{Key: key}
		if v := r.get(bucketAlertGroups, []byte(key)); v != nil {
			x, err := decode(alertGroupRecord, v, "alert group %q", key)
			if err != nil {
				return nil, err
			}
			x.Key = key
			g = &x
		}
		id := incidentID
		if id == 0 {
			id = g.IncidentID
		}
		var inc *incident.Incident
		var old *incident.Incident
		var rev uint64
		if id != 0 {
			var err error
			if inc, err = findIncident(r, id); err != nil {
				return nil, err
			}
			old = &incident.Incident{Status: inc.Status, WakeAt: inc.WakeAt, ChannelID: inc.ChannelID, DeclaredAt: inc.DeclaredAt}
			rev = inc.Rev
		}
		w, err := fn(g, inc)
		if err != nil {
			fnErr = err
			return nil, err
		}
		if w.Declare != nil && w.Incident != nil {
			return nil, errors.New("an alert group write may declare an incident or change one, not both")
		}
		if w.Incident != nil {
			if id == 0 {
				return nil, errors.New("an alert group write changed an incident it did not load")
			}
			w.Incident.ID, w.Incident.Rev = id, rev+1
			if c := w.Incident.ChannelID; c != "" && c != old.ChannelID {
				if err := checkChannelFree(r, c, id); err != nil {
					return nil, err
				}
			}
		}
		if w.Declare != nil && w.Declare.ChannelID != "" {
			if err := checkChannelFree(r, w.Declare.ChannelID, 0); err != nil {
				return nil, err
			}
		}
		return func(tx *wtx) error {
			out = incident.AlertWrite{}
			switch {
			case w.Declare != nil:
				seq, err := bucket(tx, bucketIncidents).NextSequence()
				if err != nil {
					return err
				}
				c := *w.Declare
				c.ID, c.Rev = int64(seq), 1
				if out.Declare, err = putIncident(tx, nil, &c); err != nil {
					return err
				}
				if out.Change, err = applyChange(tx, now, c.ID, w.Change); err != nil {
					return err
				}
				g.IncidentID = c.ID
			case w.Incident != nil:
				var err error
				if out.Incident, err = putIncident(tx, old, w.Incident); err != nil {
					return err
				}
				if out.Change, err = applyChange(tx, now, id, w.Change); err != nil {
					return err
				}
			case !w.Change.Empty():
				return errors.New("an alert group write has an incident change but no incident")
			}
			if err := bucket(tx, bucketAlertGroups).Put([]byte(key), alertGroupRecord.marshal(g)); err != nil {
				return err
			}
			var err error
			if out.Global, err = applyChange(tx, now, 0, w.Global); err != nil {
				return err
			}
			stored := *g
			outG = &stored
			return nil
		}, nil
	})
	switch {
	case fnErr != nil && err == fnErr:
		return nil, incident.AlertWrite{}, err
	case incident.ErrorCode(err) == incident.ENOTFOUND || incident.ErrorCode(err) == incident.ECONFLICT:
		return nil, incident.AlertWrite{}, err
	case err != nil:
		return nil, incident.AlertWrite{}, fmt.Errorf("update alert group %s: %w", key, err)
	}
	return outG, out, nil
}

// checkAlertGroups checks every alert group record and that the incident
// it names exists.
func checkAlertGroups(r reader, p *problems) {
	_ = r.forEach(bucketAlertGroups, func(k, v []byte) error {
		g, err := decode(alertGroupRecord, v, "alert group %q", k)
		switch {
		case err != nil:
			p.key(bucketAlertGroups, k, "%v", err)
		case g.IncidentID != 0 && r.get(bucketIncidents, itob(uint64(g.IncidentID))) == nil:
			p.key(bucketAlertGroups, k, "incident %d does not exist", g.IncidentID)
		}
		return nil
	})
}
