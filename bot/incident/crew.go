package incident

import (
	"slices"
	"strings"
	"time"
)

// RoleSpec describes a role beyond operator and spokesperson, from the
// config: a scribe who keeps the log, a subject-matter lead, a shadow who
// learns by following the operator.
type RoleSpec struct {
	// Name is how commands, playbooks and the card name the role:
	// lowercase a-z, 0-9, "-" and "_".
	Name Role
	// Description is what the role expects, sent to whoever takes it.
	Description string
	// Multi lets several people hold the role at once (one subject-matter
	// lead per failing system). A role one person holds at most changes
	// hands through a handoff, like the operator's; someone joins a Multi
	// role without displacing anyone, and leaves it with RemoveRole.
	Multi bool
}

// Label names a role for people: "subject-matter-lead" is "Subject-matter
// lead".
func (r Role) Label() string {
	s := string(r)
	if i := strings.LastIndexAny(s, "-_"); i > 0 {
		s = s[:i] + " " + s[i+1:]
	}
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// CrewMember is one person holding a configured role.
type CrewMember struct {
	Role  Role
	User  string
	Since time.Time
}

// builtinRoles are the two roles every incident has.
var builtinRoles = []Role{RoleOperator, RoleSpokesperson}

// RoleNames lists every role the policy knows, operator and spokesperson
// first.
func (p Policy) RoleNames() []Role {
	names := slices.Clone(builtinRoles)
	for _, r := range p.Roles {
		names = append(names, r.Name)
	}
	return names
}

// Role returns the spec of a configured role; false for operator,
// spokesperson and unknown names.
func (p Policy) Role(name Role) (RoleSpec, bool) {
	for _, r := range p.Roles {
		if r.Name == name {
			return r, true
		}
	}
	return RoleSpec{}, false
}

// ParseRole reads a role name as people type it: a configured role by its
// name, operator and spokesperson by their name or an alias ("ic",
// "comms"). An alias never hides a configured role: with a "scribe" role
// configured, "scribe" means it, not the spokesperson.
func (p Policy) ParseRole(s string) (Role, error) {
	name := Role(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := p.Role(name); ok {
		return name, nil
	}
	if r, err := ParseRole(string(name)); err == nil {
		return r, nil
	}
	return "", Errorf(EINVALID, "%q is not a role. Use one of: %s.", s, joinRoles(p.RoleNames()))
}

// CheckRole returns EINVALID unless the policy knows role.
func (p Policy) CheckRole(role Role) error {
	if slices.Contains(p.RoleNames(), role) {
		return nil
	}
	return Errorf(EINVALID, "%q is not a role. Use one of: %s.", role, joinRoles(p.RoleNames()))
}

// Duty says what role expects of whoever takes it.
func (p Policy) Duty(role Role) string {
	if r, ok := p.Role(role); ok {
		return r.Description
	}
	return role.Duty()
}

// multi reports whether several people may hold role at once.
func (p Policy) multi(role Role) bool {
	r, ok := p.Role(role)
	return ok && r.Multi
}

// Incumbent is who must hand role over before someone else takes it: its
// holder, or nobody for a role several people may hold (they join without
// displacing anyone).
func (p Policy) Incumbent(inc *Incident, role Role) string {
	if p.multi(role) {
		return ""
	}
	return inc.Holder(role)
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// Holders returns who holds role, in the order they took it.
func (inc *Incident) Holders(role Role) []string {
	switch role {
	case RoleOperator, RoleSpokesperson:
		if h := inc.Holder(role); h != "" {
			return []string{h}
		}
		return nil
	}
	var out []string
	for _, m := range inc.Crew {
		if m.Role == role {
			out = append(out, m.User)
		}
	}
	return out
}

// Holds reports whether user holds role.
func (inc *Incident) Holds(role Role, user string) bool {
	return user != "" && slices.Contains(inc.Holders(role), user)
}

// RolesOf returns the roles user holds, in the policy's order.
func (inc *Incident) RolesOf(p Policy, user string) []Role {
	var out []Role
	for _, r := range p.RoleNames() {
		if inc.Holds(r, user) {
			out = append(out, r)
		}
	}
	return out
}

// putHolder gives role to user: the operator and spokesperson fields, the
// only holder of a configured role, or one more holder of a Multi role.
func (inc *Incident) putHolder(p Policy, role Role, user string, now time.Time) {
	switch role {
	case RoleOperator:
		inc.Operator = user
		return
	case RoleSpokesperson:
		inc.Spokesperson = user
		return
	}
	if !p.multi(role) {
		inc.Crew = slices.DeleteFunc(inc.Crew, func(m CrewMember) bool { return m.Role == role })
	}
	inc.Crew = append(inc.Crew, CrewMember{Role: role, User: user, Since: now})
}

// RemoveRole takes role away from user: someone leaving a role several
// people hold, or a configured role nobody needs any more. The operator
// and the spokesperson change hands through a handoff instead. The holder
// may step down; a manager may remove anyone.
func (inc *Incident) RemoveRole(p Policy, actor string, role Role, user string, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("change its roles"); err != nil {
		return nil, err
	}
	if err := p.CheckRole(role); err != nil {
		return nil, err
	}
	if role == RoleOperator || role == RoleSpokesperson {
		return nil, Errorf(EINVALID, "The %s role cannot be left empty; hand it to someone else with `/incident role %s @someone`.", role, role)
	}
	if !inc.Holds(role, user) {
		return nil, Errorf(EINVALID, "%s is not a %s of incident #%d.", mention(user), role, inc.ID)
	}
	if actor != user && !p.CanManage(inc, actor) {
		return nil, Errorf(EUNAUTHORIZED, "Only %s, or %s themselves, can take the %s role away.", p.whoCanManage(inc), mention(user), role)
	}
	inc.Crew = slices.DeleteFunc(inc.Crew, func(m CrewMember) bool { return m.Role == role && m.User == user })
	inc.touch(p, now)
	return []Event{newEvent(EventRoleRemoved, actor, now, "", "role", string(role), "user", user)}, nil
}
