// Package oncall is the on-call domain: rotations, overrides and swaps,
// escalation (paging) and handoffs, and the iCalendar feed of the schedule.
// It is pure: no Slack, no database, no clock. Every function takes the
// times it needs, so the Slack surface, the store and the scheduler wire it
// and tests drive it with plain values.
//
// # Shifts
//
// A rotation's turns begin at its handoff time on its start date, in its
// zone, and follow each other every Shift:
//
//   - A shift of a day or more (a week by default) is measured on the local
//     wall clock. A weekly rotation with handoff 09:00 in Europe/Berlin
//     always changes at 09:00 Berlin time; the week that spans a DST change
//     lasts 167 or 169 real hours. Leap days are ordinary days.
//   - A shift of more than a day that is not a whole number of days (36h,
//     3d12h) follows the same rule, decided so that one rule covers every
//     shift of a day or more: its handoffs keep their local times (09:00,
//     21:00, 09:00, ...) and a shift spanning a DST change is an hour
//     shorter or longer. The people on such rotations live by the local
//     clock; a handoff that drifts by an hour every spring would surprise
//     them more than a shift of 35 real hours.
//   - A shift shorter than a day (8h or 12h follow-the-sun) is a real
//     duration from the first handoff, so every shift is exactly 8 hours of
//     work; follow-the-sun teams sit in several zones and the rotation's own
//     DST means nothing to most of them.
//
// A shift begins at the first moment the local clock reads its handoff
// time or later. So a handoff time the clock skips on a spring-forward night
// (02:30 in Berlin or New York) happens at the jump (03:00), and one the
// clock shows twice on a fall-back night happens the first time. (time.Date
// alone is not used for this: its choice depends on the sign of the zone's
// offset.) If a zone skips a whole day (Pacific/Apia, 2011-12-30), that
// day's turn runs from the jump to the next handoff.
//
// Before the first handoff nobody is on call in the rotation (overrides
// aside): a rotation can be configured ahead of its start.
//
// # Changing the members
//
// Which member takes which turn is kept in a Layout, which the Slack
// surface stores per rotation and updates with Reconcile whenever the
// config is loaded. Three rules were weighed:
//
//  1. Re-lay from start: turn k belongs to Members[k mod n]. Needs no
//     state, but removing or adding anyone reshuffles every turn, including
//     the current one: the person on call can change mid-shift without
//     warning, and the calendar history rewrites itself.
//  2. Keep everyone's slots and give a removed person's turns to a fill-in.
//     Only the removed person's turns change, but the fill-in works double
//     for as long as the config stands, and the cycle no longer matches the
//     team.
//  3. (Chosen.) History is kept as epochs. A change of members starts a new
//     epoch at the current shift: the person on call keeps their shift to its
//     end, and later turns follow the new list, continuing after them. If
//     the person on call was removed, the next remaining person in the old
//     order takes over at once (from the moment the config is loaded) and
//     the new list continues after them.
//
// With rule 3 the past never changes (the calendar stays true), the current
// shift changes only when its person left, and the next person changes
// only when they left or someone was inserted right after the current
// person. Everyone after a removed person moves up one turn: that is the
// fair outcome, since the team is smaller. The price is one stored value per
// rotation. Changing shift, start, handoff time or zone is a new rotation: it
// is laid out again from its start, as rule 1 would.
//
// Fewer than three members is accepted with a warning (see Problem).
//
// # Overrides and swaps
//
// An Override puts someone on call over [From, To), whoever's turn it is;
// the effective schedule is the rotation's turns with the overrides laid on
// top. The person covering need not be a member (covering from another team
// is common), but must be a Slack user ID. Overrides on one rotation may not
// overlap, may not start in the past (beyond OverrideGrace), and last at
// most MaxOverride. A swap is a pair of overrides sharing a key (see
// PlanSwap for why). Withdrawing an override that is in progress cuts it
// short at now, so that history stays true.
//
// # Paging
//
// A Policy lists levels, each paging a rotation's on-call person, users or
// a user group, with an ack_timeout. A Page is a pure state machine: it
// pages level 1, and each time a level's timeout passes without an
// acknowledgement it pages the next. A level that pages nobody (a rotation
// not started yet) is skipped at once. After the last level the policy is
// repeated Policy.Repeat times, then paging stops as Exhausted and the Slack
// surface says so in the war room. An acknowledgement records the real time
// of the click, so time to acknowledge is true.
//
// # Handoffs
//
// Handoffs lists the moments the person on call changes (overrides
// included), each with the outgoing and incoming stretch: the model of the
// handoff brief. HandoffCheck follows one handoff until the incoming person
// confirms it, and escalates once when they have not within the configured
// window.
//
// # Errors
//
// Errors meant for users are *incident.Error values whose messages are
// sentences for an ephemeral Slack reply; config problems are Problem values
// naming the key.
package oncall
