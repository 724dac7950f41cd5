package noetl_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/noetl/noetldb/noetl"
)

// The matrix as the issue states it: member may read and post; admin may
// also add and remove members and rename the chat (and moderate); owner may
// also change roles, move and delete the chat.
func TestPermissionMatrix(t *testing.T) {
	want := map[noetl.MemberRole][]noetl.Action{
		noetl.RoleMember: {noetl.ActionRead, noetl.ActionPost},
		noetl.RoleAdmin: {noetl.ActionRead, noetl.ActionPost, noetl.ActionAddMember, noetl.ActionRemoveMember,
			noetl.ActionRenameChat, noetl.ActionModerate},
		noetl.RoleOwner: noetl.Actions,
		"":              nil,
		"boss":          nil,
	}
	for role, allowed := range want {
		for _, a := range noetl.Actions {
			assert.Equal(t, contains(allowed, a), role.Can(a), "%q may %s", role, a)
		}
		assert.False(t, role.Can("fly"), "an unknown action is never allowed")
	}
	for _, a := range noetl.Actions {
		assert.True(t, a.Valid())
		roles := a.Roles()
		assert.Equal(t, a.MinRole(), roles[0])
		for _, r := range roles {
			assert.True(t, r.Can(a))
		}
	}
	assert.False(t, noetl.Action("fly").Valid())
	assert.Nil(t, noetl.Action("fly").Roles())
}

func TestRanksAndGrantAndRemove(t *testing.T) {
	assert.Equal(t, []int{1, 2, 3, 0}, []int{noetl.RoleMember.Rank(), noetl.RoleAdmin.Rank(), noetl.RoleOwner.Rank(), noetl.MemberRole("x").Rank()})
	grant := map[noetl.MemberRole][]noetl.MemberRole{
		noetl.RoleMember: nil,
		noetl.RoleAdmin:  {noetl.RoleMember},
		noetl.RoleOwner:  {noetl.RoleMember, noetl.RoleAdmin, noetl.RoleOwner},
	}
	remove := map[noetl.MemberRole][]noetl.MemberRole{
		noetl.RoleMember: nil,
		noetl.RoleAdmin:  {noetl.RoleMember},
		noetl.RoleOwner:  {noetl.RoleMember, noetl.RoleAdmin, noetl.RoleOwner},
	}
	for actor := range grant {
		for _, target := range noetl.MemberRoles {
			assert.Equal(t, contains(grant[actor], target), actor.CanGrant(target), "%s grants %s", actor, target)
			assert.Equal(t, contains(remove[actor], target), actor.CanRemove(target), "%s removes %s", actor, target)
		}
		assert.False(t, actor.CanGrant("boss"))
		assert.False(t, actor.CanRemove("boss"))
	}
}

func TestParseLabelPath(t *testing.T) {
	names, err := noetl.ParseLabelPath("/a/b c/ü...")
	assert.NoError(t, err)
	assert.Equal(t, []string{"a", "b c", "ü..."}, names)
	assert.Equal(t, "/a/b c/ü...", noetl.JoinLabelPath(names))
	for _, bad := range []string{"", "a", "/", "//", "/a/", "/a//b", "/./a", "/a/..", "/a/\x00", "/ "} {
		_, err := noetl.ParseLabelPath(bad)
		assert.ErrorIs(t, err, noetl.ErrInvalid, "%q", bad)
	}
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
