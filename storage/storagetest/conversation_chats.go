package storagetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	register("chats", testChats)
	register("members", testMembers)
	register("permissions", testPermissions)
}

func testChats(t *testing.T, h Harness) {
	t.Run("CreateMakesCreatorOwnerMember", func(t *testing.T) {
		s := h.New(t)
		ann := newProfile(t, s, "ann")
		l := mkLabel(t, s, nil, "team")
		ch, err := s.Chats().Create(ctx(t), ann.ID, noetl.NewChat{LabelID: l.ID, Name: "general"})
		require.NoError(t, err)
		assert.Equal(t, l.ID, ch.LabelID)
		assert.Equal(t, ann.ID, ch.OwnerID)
		assert.Equal(t, ch.CreatedAt, noetl.UTC(ch.CreatedAt))
		got, err := s.Chats().Get(ctx(t), ch.ID)
		require.NoError(t, err)
		assert.Equal(t, ch, got)
		m, err := s.Members().Get(ctx(t), ch.ID, ann.ID)
		require.NoError(t, err)
		assert.Equal(t, noetl.RoleOwner, m.Role)
		assert.Equal(t, ch.CreatedAt, m.JoinedAt)
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Chats().Get(ctx(t), 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("CreateInUnknownLabelIsReferencedAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		err := unchanged(t, s, noetl.ErrReferenced, func() error {
			_, err := s.Chats().Create(ctx(t), c.ann.ID, noetl.NewChat{LabelID: 999, Name: "x"})
			return err
		})
		assert.Contains(t, err.Error(), "label")
	})
	t.Run("CreateByUnknownActorIsReferencedAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		err := unchanged(t, s, noetl.ErrReferenced, func() error {
			_, err := s.Chats().Create(ctx(t), 999, noetl.NewChat{LabelID: c.eng.ID, Name: "x"})
			return err
		})
		assert.Contains(t, err.Error(), "profile")
	})
	for name, in := range map[string]noetl.NewChat{
		"EmptyName": {LabelID: 1, Name: ""}, "MultilineName": {LabelID: 1, Name: "a\nb"}, "NoLabel": {Name: "x"},
	} {
		t.Run("Invalid"+name+"WritesNothing", func(t *testing.T) {
			s := h.New(t)
			c := newConvo(t, s)
			if in.LabelID != 0 {
				in.LabelID = c.eng.ID
			}
			unchanged(t, s, noetl.ErrInvalid, func() error { _, err := s.Chats().Create(ctx(t), c.ann.ID, in); return err })
		})
	}
	t.Run("ListInLabelOldestFirstInPages", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		want := []snowflake.ID{c.chat.ID}
		for i := range 4 {
			want = append(want, c.newChat(t, c.eng.ID, fmt.Sprintf("c%d", i)).ID)
		}
		c.newChat(t, c.team.ID, "in the parent")
		got := ids(allPages(t, func(after string) (noetl.Page[noetl.Chat], error) {
			p, err := s.Chats().List(ctx(t), noetl.ChatQuery{LabelID: c.eng.ID, Limit: 2, After: after})
			assert.LessOrEqual(t, len(p.Items), 2)
			return p, err
		}), func(c noetl.Chat) snowflake.ID { return c.ID })
		assert.Equal(t, want, got)
	})
	t.Run("ListInSubtree", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		deep := mkLabel(t, s, &c.eng.ID, "deep")
		top := c.newChat(t, c.team.ID, "top")
		d := c.newChat(t, deep.ID, "d")
		side := mkLabel(t, s, nil, "side")
		c.newChat(t, side.ID, "elsewhere")
		p, err := s.Chats().List(ctx(t), noetl.ChatQuery{LabelID: c.team.ID, Subtree: true})
		require.NoError(t, err)
		assert.ElementsMatch(t, []snowflake.ID{c.chat.ID, top.ID, d.ID}, ids(p.Items, func(c noetl.Chat) snowflake.ID { return c.ID }))
		p, err = s.Chats().List(ctx(t), noetl.ChatQuery{LabelID: c.team.ID})
		require.NoError(t, err)
		assert.Equal(t, []snowflake.ID{top.ID}, ids(p.Items, func(c noetl.Chat) snowflake.ID { return c.ID }))
		got := allPages(t, func(after string) (noetl.Page[noetl.Chat], error) {
			return s.Chats().List(ctx(t), noetl.ChatQuery{LabelID: c.team.ID, Subtree: true, Limit: 1, After: after})
		})
		assert.Len(t, got, 3, "subtree listing pages too")
	})
	t.Run("ListNeedsLabelAndValidLimit", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Chats().List(ctx(t), noetl.ChatQuery{})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Chats().List(ctx(t), noetl.ChatQuery{LabelID: 1, Limit: -3})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Chats().List(ctx(t), noetl.ChatQuery{LabelID: 1, After: "garbage!"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("ListForProfileGivesEachChatWithRole", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		other, err := s.Chats().Create(ctx(t), c.bob.ID, noetl.NewChat{LabelID: c.team.ID, Name: "bob's"})
		require.NoError(t, err)
		got := allPages(t, func(after string) (noetl.Page[noetl.ChatMembership], error) {
			return s.Chats().ListForProfile(ctx(t), c.bob.ID, noetl.MembershipQuery{Limit: 1, After: after})
		})
		require.Len(t, got, 2)
		assert.Equal(t, c.chat, got[0].Chat)
		assert.Equal(t, noetl.RoleAdmin, got[0].Role)
		assert.Equal(t, other, got[1].Chat)
		assert.Equal(t, noetl.RoleOwner, got[1].Role)
		owned, err := s.Chats().ListForProfile(ctx(t), c.bob.ID, noetl.MembershipQuery{Role: noetl.RoleOwner})
		require.NoError(t, err)
		require.Len(t, owned.Items, 1)
		assert.Equal(t, other.ID, owned.Items[0].Chat.ID)
		none, err := s.Chats().ListForProfile(ctx(t), c.dan.ID, noetl.MembershipQuery{})
		require.NoError(t, err)
		assert.NotNil(t, none.Items)
		assert.Empty(t, none.Items)
		_, err = s.Chats().ListForProfile(ctx(t), c.dan.ID, noetl.MembershipQuery{Role: "boss"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("RenameByAdmin", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		got, err := s.Chats().Rename(ctx(t), c.bob.ID, c.chat.ID, "random")
		require.NoError(t, err)
		assert.Equal(t, "random", got.Name)
		assert.Equal(t, c.chat.CreatedAt, got.CreatedAt)
		back, err := s.Chats().Get(ctx(t), c.chat.ID)
		require.NoError(t, err)
		assert.Equal(t, got, back)
	})
	t.Run("RenameByMemberOrOutsiderIsForbiddenAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		for _, p := range []noetl.Profile{c.cat, c.dan} {
			err := unchanged(t, s, noetl.ErrForbidden, func() error { _, err := s.Chats().Rename(ctx(t), p.ID, c.chat.ID, "x"); return err })
			assert.Contains(t, err.Error(), "rename")
		}
	})
	t.Run("RenameInvalidOrUnknownChangesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		unchanged(t, s, noetl.ErrInvalid, func() error { _, err := s.Chats().Rename(ctx(t), c.ann.ID, c.chat.ID, " "); return err })
		unchanged(t, s, noetl.ErrNotFound, func() error { _, err := s.Chats().Rename(ctx(t), c.ann.ID, 4242, "x"); return err })
	})
	t.Run("MoveByOwnerTakesLabelAttachmentsAlong", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		both, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{LabelID: &c.eng.ID, ChatID: &c.chat.ID, Filename: "spec.pdf", Filepath: "s3://b/spec.pdf", UploadedBy: c.cat.ID})
		require.NoError(t, err)
		onLabel, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{LabelID: &c.eng.ID, Filename: "l.txt", Filepath: "/l.txt", UploadedBy: c.cat.ID})
		require.NoError(t, err)
		dest := mkLabel(t, s, nil, "archive")
		moved, err := s.Chats().Move(ctx(t), c.ann.ID, c.chat.ID, dest.ID)
		require.NoError(t, err)
		assert.Equal(t, dest.ID, moved.LabelID)
		got, err := s.Attachments().Get(ctx(t), both.ID)
		require.NoError(t, err)
		assert.Equal(t, dest.ID, *got.LabelID, "an attachment on the chat and its label follows the chat")
		got, err = s.Attachments().Get(ctx(t), onLabel.ID)
		require.NoError(t, err)
		assert.Equal(t, c.eng.ID, *got.LabelID, "a label-only attachment stays")
	})
	t.Run("MoveByAdminIsForbiddenAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		dest := mkLabel(t, s, nil, "archive")
		unchanged(t, s, noetl.ErrForbidden, func() error { _, err := s.Chats().Move(ctx(t), c.bob.ID, c.chat.ID, dest.ID); return err })
	})
	t.Run("MoveToUnknownLabelIsReferencedAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		unchanged(t, s, noetl.ErrReferenced, func() error { _, err := s.Chats().Move(ctx(t), c.ann.ID, c.chat.ID, 999); return err })
		unchanged(t, s, noetl.ErrNotFound, func() error { _, err := s.Chats().Move(ctx(t), c.ann.ID, 4242, c.team.ID); return err })
	})
	t.Run("DeleteByOwnerCascades", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		m := c.post(t, c.chat.ID, c.cat, "bye")
		a, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{ChatID: &c.chat.ID, Filename: "f", Filepath: "/f", UploadedBy: c.cat.ID})
		require.NoError(t, err)
		require.NoError(t, s.Chats().Delete(ctx(t), c.ann.ID, c.chat.ID))
		_, err = s.Chats().Get(ctx(t), c.chat.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Members().Get(ctx(t), c.chat.ID, c.cat.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Messages().Get(ctx(t), c.ann.ID, m.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Attachments().Get(ctx(t), a.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Labels().Get(ctx(t), c.eng.ID)
		assert.NoError(t, err, "the label stays")
		assert.ErrorIs(t, s.Chats().Delete(ctx(t), c.ann.ID, c.chat.ID), noetl.ErrNotFound)
	})
	t.Run("DeleteByAdminIsForbiddenAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		c.post(t, c.chat.ID, c.cat, "keep me")
		unchanged(t, s, noetl.ErrForbidden, func() error { return s.Chats().Delete(ctx(t), c.bob.ID, c.chat.ID) })
		unchanged(t, s, noetl.ErrForbidden, func() error { return s.Chats().Delete(ctx(t), c.dan.ID, c.chat.ID) })
	})
}

func memberRoles(t *testing.T, s noetl.Store, chat snowflake.ID) map[snowflake.ID]noetl.MemberRole {
	t.Helper()
	out := map[snowflake.ID]noetl.MemberRole{}
	for _, m := range allPages(t, func(after string) (noetl.Page[noetl.Member], error) {
		return s.Members().List(ctx(t), chat, noetl.MemberQuery{After: after})
	}) {
		out[m.ProfileID] = m.Role
	}
	return out
}

func testMembers(t *testing.T, h Harness) {
	t.Run("AddGetAndListInJoinOrder", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		m, err := s.Members().Add(ctx(t), c.bob.ID, noetl.NewMember{ChatID: c.chat.ID, ProfileID: c.dan.ID})
		require.NoError(t, err)
		assert.Equal(t, noetl.RoleMember, m.Role, "the default role is member")
		assert.Equal(t, m.JoinedAt, noetl.UTC(m.JoinedAt))
		got, err := s.Members().Get(ctx(t), c.chat.ID, c.dan.ID)
		require.NoError(t, err)
		assert.Equal(t, m, got)
		all := allPages(t, func(after string) (noetl.Page[noetl.Member], error) {
			return s.Members().List(ctx(t), c.chat.ID, noetl.MemberQuery{Limit: 3, After: after})
		})
		assert.Equal(t, []snowflake.ID{c.ann.ID, c.bob.ID, c.cat.ID, c.dan.ID}, ids(all, func(m noetl.Member) snowflake.ID { return m.ProfileID }))
		admins, err := s.Members().List(ctx(t), c.chat.ID, noetl.MemberQuery{Role: noetl.RoleAdmin})
		require.NoError(t, err)
		require.Len(t, admins.Items, 1)
		assert.Equal(t, c.bob.ID, admins.Items[0].ProfileID)
		_, err = s.Members().List(ctx(t), c.chat.ID, noetl.MemberQuery{Role: "boss"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Members().Get(ctx(t), c.chat.ID, 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("AddTwiceIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		err := unchanged(t, s, noetl.ErrConflict, func() error {
			_, err := s.Members().Add(ctx(t), c.ann.ID, noetl.NewMember{ChatID: c.chat.ID, ProfileID: c.cat.ID, Role: noetl.RoleAdmin})
			return err
		})
		assert.Contains(t, err.Error(), "already")
	})
	t.Run("AddUnknownProfileIsReferencedAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		unchanged(t, s, noetl.ErrReferenced, func() error {
			_, err := s.Members().Add(ctx(t), c.ann.ID, noetl.NewMember{ChatID: c.chat.ID, ProfileID: 999})
			return err
		})
	})
	t.Run("AddToUnknownChatIsNotFound", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		unchanged(t, s, noetl.ErrNotFound, func() error {
			_, err := s.Members().Add(ctx(t), c.ann.ID, noetl.NewMember{ChatID: 4242, ProfileID: c.dan.ID})
			return err
		})
	})
	t.Run("AddInvalidRoleWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		unchanged(t, s, noetl.ErrInvalid, func() error {
			_, err := s.Members().Add(ctx(t), c.ann.ID, noetl.NewMember{ChatID: c.chat.ID, ProfileID: c.dan.ID, Role: "boss"})
			return err
		})
	})
	t.Run("AddByMemberOrOutsiderIsForbiddenAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		eve := newProfile(t, s, "eve")
		for _, actor := range []noetl.Profile{c.cat, c.dan} {
			unchanged(t, s, noetl.ErrForbidden, func() error {
				_, err := s.Members().Add(ctx(t), actor.ID, noetl.NewMember{ChatID: c.chat.ID, ProfileID: eve.ID})
				return err
			})
		}
	})
	t.Run("AdminMayNotGrantAdminOrOwner", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		for _, role := range []noetl.MemberRole{noetl.RoleAdmin, noetl.RoleOwner} {
			unchanged(t, s, noetl.ErrForbidden, func() error {
				_, err := s.Members().Add(ctx(t), c.bob.ID, noetl.NewMember{ChatID: c.chat.ID, ProfileID: c.dan.ID, Role: role})
				return err
			})
		}
		m, err := s.Members().Add(ctx(t), c.ann.ID, noetl.NewMember{ChatID: c.chat.ID, ProfileID: c.dan.ID, Role: noetl.RoleOwner})
		require.NoError(t, err, "an owner may add another owner")
		assert.Equal(t, noetl.RoleOwner, m.Role)
	})
	t.Run("RemoveByAdmin", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		require.NoError(t, s.Members().Remove(ctx(t), c.bob.ID, c.chat.ID, c.cat.ID))
		_, err := s.Members().Get(ctx(t), c.chat.ID, c.cat.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Equal(t, map[snowflake.ID]noetl.MemberRole{c.ann.ID: noetl.RoleOwner, c.bob.ID: noetl.RoleAdmin}, memberRoles(t, s, c.chat.ID))
	})
	t.Run("RemoveRefusalsChangeNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		// A member may not remove others; an admin may not remove an admin
		// or an owner; an outsider may not remove anyone.
		_, err := s.Members().Add(ctx(t), c.ann.ID, noetl.NewMember{ChatID: c.chat.ID, ProfileID: c.dan.ID, Role: noetl.RoleAdmin})
		require.NoError(t, err)
		eve := newProfile(t, s, "eve")
		for _, tc := range []struct{ actor, target noetl.Profile }{
			{c.cat, c.bob}, {c.cat, c.ann}, {c.bob, c.dan}, {c.bob, c.ann}, {eve, c.cat},
		} {
			unchanged(t, s, noetl.ErrForbidden, func() error { return s.Members().Remove(ctx(t), tc.actor.ID, c.chat.ID, tc.target.ID) })
		}
		unchanged(t, s, noetl.ErrNotFound, func() error { return s.Members().Remove(ctx(t), c.ann.ID, c.chat.ID, eve.ID) })
		unchanged(t, s, noetl.ErrNotFound, func() error { return s.Members().Remove(ctx(t), c.ann.ID, 4242, c.cat.ID) })
	})
	t.Run("AnyMemberMayLeave", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		require.NoError(t, s.Members().Remove(ctx(t), c.cat.ID, c.chat.ID, c.cat.ID))
		require.NoError(t, s.Members().Remove(ctx(t), c.bob.ID, c.chat.ID, c.bob.ID))
		assert.Equal(t, map[snowflake.ID]noetl.MemberRole{c.ann.ID: noetl.RoleOwner}, memberRoles(t, s, c.chat.ID))
	})
	t.Run("RemovingLastOwnerIsConflictAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		err := unchanged(t, s, noetl.ErrConflict, func() error { return s.Members().Remove(ctx(t), c.ann.ID, c.chat.ID, c.ann.ID) })
		assert.Contains(t, err.Error(), "last owner")
	})
	t.Run("DemotingLastOwnerIsConflictAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		for _, role := range []noetl.MemberRole{noetl.RoleAdmin, noetl.RoleMember} {
			err := unchanged(t, s, noetl.ErrConflict, func() error {
				_, err := s.Members().SetRole(ctx(t), c.ann.ID, c.chat.ID, c.ann.ID, role)
				return err
			})
			assert.Contains(t, err.Error(), "last owner")
		}
	})
	t.Run("SetRoleByOwner", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		m, err := s.Members().SetRole(ctx(t), c.ann.ID, c.chat.ID, c.cat.ID, noetl.RoleAdmin)
		require.NoError(t, err)
		assert.Equal(t, noetl.RoleAdmin, m.Role)
		m, err = s.Members().SetRole(ctx(t), c.ann.ID, c.chat.ID, c.bob.ID, noetl.RoleMember)
		require.NoError(t, err)
		assert.Equal(t, noetl.RoleMember, m.Role)
		assert.Equal(t, map[snowflake.ID]noetl.MemberRole{c.ann.ID: noetl.RoleOwner, c.bob.ID: noetl.RoleMember, c.cat.ID: noetl.RoleAdmin}, memberRoles(t, s, c.chat.ID))
		same, err := s.Members().SetRole(ctx(t), c.ann.ID, c.chat.ID, c.ann.ID, noetl.RoleOwner)
		require.NoError(t, err, "setting the role a member has is allowed")
		assert.Equal(t, noetl.RoleOwner, same.Role)
	})
	t.Run("SetRoleRefusalsChangeNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		unchanged(t, s, noetl.ErrForbidden, func() error {
			_, err := s.Members().SetRole(ctx(t), c.bob.ID, c.chat.ID, c.cat.ID, noetl.RoleAdmin)
			return err
		})
		unchanged(t, s, noetl.ErrForbidden, func() error {
			_, err := s.Members().SetRole(ctx(t), c.bob.ID, c.chat.ID, c.bob.ID, noetl.RoleOwner)
			return err
		})
		unchanged(t, s, noetl.ErrInvalid, func() error {
			_, err := s.Members().SetRole(ctx(t), c.ann.ID, c.chat.ID, c.cat.ID, "boss")
			return err
		})
		unchanged(t, s, noetl.ErrNotFound, func() error {
			_, err := s.Members().SetRole(ctx(t), c.ann.ID, c.chat.ID, c.dan.ID, noetl.RoleAdmin)
			return err
		})
	})
	t.Run("ChatOwnerIDPassesToAnotherOwner", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		_, err := s.Members().SetRole(ctx(t), c.ann.ID, c.chat.ID, c.bob.ID, noetl.RoleOwner)
		require.NoError(t, err)
		_, err = s.Members().SetRole(ctx(t), c.bob.ID, c.chat.ID, c.ann.ID, noetl.RoleMember)
		require.NoError(t, err, "with two owners one may be demoted")
		ch, err := s.Chats().Get(ctx(t), c.chat.ID)
		require.NoError(t, err)
		assert.Equal(t, c.bob.ID, ch.OwnerID, "the chat's owner is always an owner member")
		_, err = s.Members().SetRole(ctx(t), c.bob.ID, c.chat.ID, c.cat.ID, noetl.RoleOwner)
		require.NoError(t, err)
		require.NoError(t, s.Members().Remove(ctx(t), c.bob.ID, c.chat.ID, c.bob.ID))
		ch, err = s.Chats().Get(ctx(t), c.chat.ID)
		require.NoError(t, err)
		assert.Equal(t, c.cat.ID, ch.OwnerID)
		require.NoError(t, s.Profiles().Delete(ctx(t), c.bob.ID), "bob owns no chat any more")
	})
	t.Run("ConcurrentDemotionsKeepAnOwner", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		for round := range 6 {
			ch := c.newChat(t, c.eng.ID, fmt.Sprintf("r%d", round))
			_, err := s.Members().SetRole(ctx(t), c.ann.ID, ch.ID, c.bob.ID, noetl.RoleOwner)
			require.NoError(t, err)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pair := range [][2]snowflake.ID{{c.ann.ID, c.bob.ID}, {c.bob.ID, c.ann.ID}} {
				wg.Go(func() {
					if i == 0 {
						_, errs[i] = s.Members().SetRole(ctx(t), pair[0], ch.ID, pair[1], noetl.RoleMember)
					} else {
						errs[i] = s.Members().Remove(ctx(t), pair[0], ch.ID, pair[1])
					}
				})
			}
			wg.Wait()
			owners := 0
			for _, r := range memberRoles(t, s, ch.ID) {
				if r == noetl.RoleOwner {
					owners++
				}
			}
			assert.Equal(t, 1, owners, "round %d: errors %v", round, errs)
			assert.False(t, errs[0] == nil && errs[1] == nil, "both owners cannot lose ownership")
		}
	})
}

// testPermissions checks the whole permission matrix through the
// repositories: for each role (and an outsider) and each action, the call is
// allowed exactly when noetl's matrix says so, and a refusal changes nothing.
func testPermissions(t *testing.T, h Harness) {
	s := h.New(t)
	c := newConvo(t, s)
	eve := newProfile(t, s, "eve")
	target := mkLabel(t, s, nil, "target")
	n := 0
	// do performs action a as actor on a fresh chat where ann is owner, bob
	// admin, cat member and dan a plain member used as the target of
	// member actions.
	do := func(t *testing.T, actor snowflake.ID, a noetl.Action) (func() error, noetl.Chat) {
		n++
		ch := c.newChat(t, c.eng.ID, fmt.Sprintf("perm%d", n))
		_, err := s.Members().Add(ctx(t), c.ann.ID, noetl.NewMember{ChatID: ch.ID, ProfileID: c.dan.ID})
		require.NoError(t, err)
		own := c.post(t, ch.ID, c.dan, "dan's message")
		switch a {
		case noetl.ActionRead:
			return func() error { _, err := s.Messages().List(ctx(t), actor, ch.ID, noetl.MessageQuery{}); return err }, ch
		case noetl.ActionPost:
			return func() error {
				_, err := s.Messages().Post(ctx(t), noetl.NewMessage{ChatID: ch.ID, SenderType: noetl.SenderUser, SenderID: &actor, Content: "hi"})
				return err
			}, ch
		case noetl.ActionAddMember:
			return func() error {
				_, err := s.Members().Add(ctx(t), actor, noetl.NewMember{ChatID: ch.ID, ProfileID: eve.ID})
				return err
			}, ch
		case noetl.ActionRemoveMember:
			return func() error { return s.Members().Remove(ctx(t), actor, ch.ID, c.dan.ID) }, ch
		case noetl.ActionRenameChat:
			return func() error { _, err := s.Chats().Rename(ctx(t), actor, ch.ID, "renamed"); return err }, ch
		case noetl.ActionModerate:
			return func() error { return s.Messages().Delete(ctx(t), actor, own.ID) }, ch
		case noetl.ActionChangeRole:
			return func() error {
				_, err := s.Members().SetRole(ctx(t), actor, ch.ID, c.dan.ID, noetl.RoleAdmin)
				return err
			}, ch
		case noetl.ActionMoveChat:
			return func() error { _, err := s.Chats().Move(ctx(t), actor, ch.ID, target.ID); return err }, ch
		case noetl.ActionDeleteChat:
			return func() error { return s.Chats().Delete(ctx(t), actor, ch.ID) }, ch
		}
		t.Fatalf("no call for action %s", a)
		return nil, ch
	}
	actors := []struct {
		name    string
		profile noetl.Profile
		role    noetl.MemberRole
	}{{"Owner", c.ann, noetl.RoleOwner}, {"Admin", c.bob, noetl.RoleAdmin}, {"Member", c.cat, noetl.RoleMember}, {"Outsider", eve, ""}}
	require.Len(t, noetl.Actions, 9)
	for _, a := range noetl.Actions {
		for _, who := range actors {
			allowed := who.role.Can(a)
			verb := "IsForbidden"
			if allowed {
				verb = "IsAllowed"
			}
			t.Run(fmt.Sprintf("%s%s%s", a, who.name, verb), func(t *testing.T) {
				call, _ := do(t, who.profile.ID, a)
				if allowed {
					require.NoError(t, call())
					return
				}
				unchanged(t, s, noetl.ErrForbidden, call)
			})
		}
	}
}
