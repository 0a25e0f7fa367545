package bot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/playbooks"
)

// OncallOptions configure on call: rotations, paging and handoffs (see
// oncall.go and the oncall_*.go files). The zero value has no rotations:
// the declarer is the operator, and an operator named by someone else is
// still paged with an Acknowledge button.
type OncallOptions struct {
	// Rotations as configured, in config order. Members may be emails:
	// they are resolved with users.lookupByEmail when the bot starts.
	Rotations []oncall.Rotation
	// OperatorRotation names the rotation whose on-call person becomes the
	// operator of a new incident; "" keeps the declarer.
	OperatorRotation string
	// AckTimeout is how long the operator has to acknowledge before the
	// first level of Escalation is paged (default 5 minutes).
	AckTimeout time.Duration
	// Escalation is paged, level after level, after the operator.
	Escalation oncall.Policy
	// ConfirmWithin is how long the incoming person has to confirm a
	// handoff before it is escalated; 0 never.
	ConfirmWithin time.Duration
	// HandoffEscalation hears about an unconfirmed handoff, besides the
	// outgoing person.
	HandoffEscalation EscalationTarget
	// OverdueAfter is how old an open action item is before the handoff
	// brief calls it overdue (default a week).
	OverdueAfter time.Duration
	// Checklists are the playbooks; those of kind oncall that apply to a
	// rotation are its handoff checklist (see playbooks.OnCall).
	Checklists []playbooks.Playbook
	// Store keeps overrides, layouts and handoffs. Nil uses Options.Store
	// when it implements OncallStore (the bbolt store does).
	Store OncallStore
}

// OncallStore keeps what on call needs besides incidents. Implemented by
// *store.DB (store/oncall.go); each method is one transaction.
type OncallStore interface {
	// OncallOverrides returns the overrides ending after endAfter, removed
	// ones included, by ID.
	OncallOverrides(ctx context.Context, endAfter time.Time) ([]oncall.Override, error)
	// OncallOverride returns one override, or ENOTFOUND.
	OncallOverride(ctx context.Context, id int64) (oncall.Override, error)
	// AddOncallOverrides stores what fn returns, given the overrides ending
	// after since, with fn's change, atomically.
	AddOncallOverrides(ctx context.Context, since time.Time, fn func(current []oncall.Override) ([]oncall.Override, incident.Change, error)) ([]oncall.Override, incident.Change, error)
	// UpdateOncallOverrides rewrites the overrides ids as fn says, with
	// fn's change; ENOTFOUND for a missing one.
	UpdateOncallOverrides(ctx context.Context, ids []int64, fn func(os []oncall.Override) ([]oncall.Override, incident.Change, error)) ([]oncall.Override, incident.Change, error)
	// OncallRotations returns the stored state of each rotation by name.
	OncallRotations(ctx context.Context) (map[string]oncall.RotationState, error)
	// UpdateOncallRotation changes one rotation's state and stores the
	// handoff checks fn returns (those not stored yet) with fn's change.
	UpdateOncallRotation(ctx context.Context, rotation string, fn func(st *oncall.RotationState) ([]oncall.HandoffCheck, incident.Change, error)) (incident.Change, error)
	// FindHandoffCheck returns one handoff check, or ENOTFOUND.
	FindHandoffCheck(ctx context.Context, rotation string, at time.Time) (oncall.HandoffCheck, error)
	// DueHandoffChecks returns the checks whose deadline has come.
	DueHandoffChecks(ctx context.Context, now time.Time, limit int) ([]oncall.HandoffCheck, error)
	// UpdateHandoffCheck changes one check with fn's change; ENOTFOUND for
	// a missing one.
	UpdateHandoffCheck(ctx context.Context, rotation string, at time.Time, fn func(c *oncall.HandoffCheck) (incident.Change, error)) (oncall.HandoffCheck, incident.Change, error)
}

// Defaults of OncallOptions.
const (
	defaultAckTimeout   = 5 * time.Minute
	defaultOverdueAfter = 7 * 24 * time.Hour
	// overrideWindow is how far back the roster keeps ended overrides: the
	// calendar feed shows a month of history.
	overrideWindow = 35 * 24 * time.Hour
	// resolveEvery is how often emails Slack did not know are looked up
	// again.
	resolveEvery = 10 * time.Minute
)

// laneOncall orders the on-call messages that belong to no incident.
const laneOncall = "/oncall"

// oncallRuntime is the App's on-call state: the configured rotations with
// emails resolved, and a snapshot of the roster built from the store, which
// the scheduler reads inside incident transactions (where the store cannot
// be read).
type oncallRuntime struct {
	opt   OncallOptions
	store OncallStore

	snap atomic.Pointer[oncallSnap]

	mu        sync.Mutex // reloads and email lookups
	emails    map[string]string
	missing   []string // emails Slack did not find, for /incident oncall
	resolveAt time.Time
}

// oncallSnap is the roster as last read from the store.
type oncallSnap struct {
	roster    oncall.Roster
	overrides []oncall.Override // every override loaded, removed ones too
	states    map[string]oncall.RotationState
	version   uint64 // the store's Version before it was read
	missing   []string
}

// current reports whether the snapshot still shows the store at version v:
// it was read at v, and v is even (no write was under way, see
// store.DB.Version).
func (s *oncallSnap) current(v uint64) bool { return s != nil && s.version == v && v%2 == 0 }

func newOncall(o Options) *oncallRuntime {
	if o.Oncall.AckTimeout <= 0 {
		o.Oncall.AckTimeout = defaultAckTimeout
	}
	if o.Oncall.OverdueAfter <= 0 {
		o.Oncall.OverdueAfter = defaultOverdueAfter
	}
	st := o.Oncall.Store
	if st == nil {
		st, _ = o.Store.(OncallStore)
	}
	return &oncallRuntime{opt: o.Oncall, store: st, emails: map[string]string{}}
}

// configured reports whether rotations are configured (and can be kept).
func (oc *oncallRuntime) configured() bool { return len(oc.opt.Rotations) > 0 && oc.store != nil }

// rotations returns the configured rotations with every email resolved so
// far filled in.
func (oc *oncallRuntime) rotations() []oncall.Rotation {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	return oc.rotationsLocked()
}

func (oc *oncallRuntime) rotationsLocked() []oncall.Rotation {
	out := make([]oncall.Rotation, len(oc.opt.Rotations))
	for i, r := range oc.opt.Rotations {
		r.Members = slices.Clone(r.Members)
		for j, m := range r.Members {
			if m.UserID == "" && m.Email != "" {
				r.Members[j].UserID = oc.emails[m.Email]
			}
		}
		out[i] = r
	}
	return out
}

// roster returns the last snapshot's roster; nil before the first load.
func (oc *oncallRuntime) roster() oncall.Roster {
	if s := oc.snap.Load(); s != nil {
		return s.roster
	}
	return nil
}

// startOncall resolves emails, brings the stored layouts in line with the
// configuration and loads the roster. It runs before the bot serves, so
// that the first declaration already knows who is on call; a Slack or
// store failure is logged, not fatal: paging falls back to the operator.
func (a *App) startOncall(ctx context.Context) {
	oc := a.oc
	if !oc.configured() {
		return
	}
	a.resolveMembers(ctx, true)
	for _, r := range oc.opt.Rotations {
		for _, m := range r.Members {
			if m.UserID != "" {
				// Names for the calendar feed; a failure only costs a name.
				if _, err := a.users.lookup(ctx, m.UserID, true); err != nil {
					a.log.Warn("an on-call member is not a Slack user", "rotation", r.Name, "user_id", m.UserID, "err", err)
				}
			}
		}
	}
	if err := a.reconcileOncall(ctx); err != nil {
		a.log.Error("store the on-call layouts", "err", err)
	}
	if err := a.reloadOncall(ctx); err != nil {
		a.log.Error("load the on-call roster", "err", err)
	}
}

// resolveMembers looks up the emails of members not resolved yet (all of
// them when force, else at most every resolveEvery). It reports whether
// one was newly found.
func (a *App) resolveMembers(ctx context.Context, force bool) bool {
	oc := a.oc
	now := a.now()
	oc.mu.Lock()
	if !force && now.Before(oc.resolveAt) {
		oc.mu.Unlock()
		return false
	}
	oc.resolveAt = now.Add(resolveEvery)
	var todo []string
	for _, r := range oc.opt.Rotations {
		for _, m := range r.Members {
			if m.UserID == "" && m.Email != "" && oc.emails[m.Email] == "" && !slices.Contains(todo, m.Email) {
				todo = append(todo, m.Email)
			}
		}
	}
	oc.mu.Unlock()
	found := false
	var missing []string
	for _, email := range todo {
		u, err := a.slack.UserByEmail(ctx, email)
		switch {
		case outbound.IsCode(err, "users_not_found"):
			missing = append(missing, email)
			a.log.Warn("an on-call member's email is not a Slack user; they cannot be paged until it is fixed in oncall.rotations", "email", email)
			continue
		case err != nil:
			missing = append(missing, email)
			a.log.Warn("look up an on-call member by email; will try again", "email", email, "err", err)
			continue
		}
		a.users.remember(a.clk.Now(), u) // its name, for the calendar feed
		oc.mu.Lock()
		oc.emails[email] = u.ID
		oc.mu.Unlock()
		found = true
	}
	oc.mu.Lock()
	oc.missing = missing
	oc.mu.Unlock()
	return found
}

// reconcileOncall stores each rotation's layout brought in line with the
// configuration (see oncall.Reconcile), where it changed.
func (a *App) reconcileOncall(ctx context.Context) error {
	oc := a.oc
	for _, r := range oc.rotations() {
		_, err := oc.store.UpdateOncallRotation(ctx, r.Name, func(st *oncall.RotationState) ([]oncall.HandoffCheck, incident.Change, error) {
			now := a.now()
			layout, _ := oncall.Reconcile(r, st.Layout, now)
			st.Layout = layout
			if st.HandledThrough.IsZero() {
				st.HandledThrough = now // a new rotation's handoffs start now
			}
			return nil, incident.Change{}, nil
		})
		if err != nil {
			return fmt.Errorf("rotation %s: %w", r.Name, err)
		}
	}
	return nil
}

// reloadOncall reads the store and replaces the roster snapshot.
func (a *App) reloadOncall(ctx context.Context) error {
	oc := a.oc
	if !oc.configured() {
		return nil
	}
	version, now := a.store.Version(), a.now()
	states, err := oc.store.OncallRotations(ctx)
	if err != nil {
		return err
	}
	ovs, err := oc.store.OncallOverrides(ctx, now.Add(-overrideWindow))
	if err != nil {
		return err
	}
	oc.mu.Lock()
	rots := oc.rotationsLocked()
	missing := slices.Clone(oc.missing)
	oc.mu.Unlock()
	oc.snap.Store(&oncallSnap{
		roster:    oncall.BuildRoster(rots, states, ovs, now),
		overrides: ovs,
		states:    states,
		version:   version,
		missing:   missing,
	})
	return nil
}

// freshSnap returns the roster snapshot, read again first when the store
// changed since it was taken: what a person just did shows in their next
// command. It is nil before the first load, or when the store fails.
func (a *App) freshSnap(ctx context.Context) *oncallSnap {
	if s := a.oc.snap.Load(); s.current(a.store.Version()) {
		return s
	}
	if err := a.reloadOncall(ctx); err != nil {
		a.log.Error("reload the on-call roster", "err", err)
	}
	return a.oc.snap.Load()
}

// OnCallNow returns who is on call now in each of the named rotations
// (user IDs, each once), for whoever invites or notifies them: a
// playbook's invite.rotations and notify.rotations. An unknown rotation is
// an ENOTFOUND error naming the rotations there are. It reads the roster
// in memory: safe inside a store transaction.
func (a *App) OnCallNow(rotations []string) ([]string, error) {
	return a.oc.roster().OnCall(rotations, a.now())
}

// playbookOnCall returns who is on call in rotation at a time, for the
// playbooks that invite or notify a rotation (PlaybookOptions.OnCall). It
// runs in a delivery, outside any transaction, so it reads the roster
// again when the store changed.
func (a *App) playbookOnCall(ctx context.Context, rotation string, at time.Time) ([]string, error) {
	s := a.freshSnap(ctx)
	if s == nil {
		return nil, fmt.Errorf("the on-call roster is not loaded yet")
	}
	return s.roster.OnCall([]string{rotation}, at)
}

// onCallOperator returns who is on call in the operator rotation now, "" when
// nobody is (no such rotation, not started, an email not resolved).
func (a *App) onCallOperator() string {
	name := a.oc.opt.OperatorRotation
	if name == "" {
		return ""
	}
	s, err := a.oc.roster().Find(name)
	if err != nil {
		return ""
	}
	if m, ok := s.WhoIsOn(a.now()); ok {
		return m.UserID
	}
	return ""
}

// mayChangeRotation reports whether user may set or remove overrides in
// rotation: its members (past or present), whoever an override puts on
// call, and admins.
func (a *App) mayChangeRotation(s oncall.Schedule, user string, covering ...string) bool {
	if a.policy.IsAdmin(user) || slices.Contains(covering, user) || s.Rotation.IsMember(user) {
		return true
	}
	for _, e := range s.Layout.Epochs {
		for _, m := range e.Members {
			if m.UserID == user {
				return true
			}
		}
	}
	return false
}

// checklist returns the on-call checklist steps for a handoff in rotation.
func (oc *oncallRuntime) checklist(rotation string) []playbooks.Step {
	return playbooks.Steps(playbooks.OnCall(oc.opt.Checklists, rotation))
}
