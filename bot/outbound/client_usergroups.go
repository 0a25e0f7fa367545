package outbound

import (
	"context"
)

// UserGroupMembers lists the members of a user group (usergroups.users.list,
// scope usergroups:read): stakeholder groups, playbooks and pages may name
// one.
func (c *Client) UserGroupMembers(ctx context.Context, group string) ([]string, error) {
	var ids []string
	err := c.call(ctx, "usergroups.users.list", "", func(ctx context.Context) error {
		var err error
		ids, err = c.api.GetUserGroupMembersContext(ctx, group)
		return err
	})
	return ids, err
}
