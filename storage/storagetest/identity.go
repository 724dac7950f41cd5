package storagetest

import (
	"context"

	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	register("roles", testRoles)
	register("profiles", testProfiles)
	register("sessions", testSessions)
	register("transactions", testTransactions)
}

func countRoles(t *testing.T, s noetl.Store) int {
	t.Helper()
	p, err := s.Roles().List(ctx(t), noetl.RoleQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return len(p.Items)
}

func countProfiles(t *testing.T, s noetl.Store) int {
	t.Helper()
	p, err := s.Profiles().List(ctx(t), noetl.ProfileQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return len(p.Items)
}

func newProfile(t *testing.T, s noetl.Store, name string) noetl.Profile {
	t.Helper()
	p, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: name, Email: name + "@example.com", Type: noetl.ProfileUser})
	require.NoError(t, err)
	return p
}

func testRoles(t *testing.T, h Harness) {
	t.Run("SeededRolesAdminUserBotExist", func(t *testing.T) {
		s := h.New(t)
		for _, name := range []string{"admin", "user", "bot"} {
			r, err := s.Roles().GetByName(ctx(t), name)
			require.NoError(t, err, name)
			assert.Equal(t, name, r.Name)
			assert.Equal(t, 1, r.ID.Shard(), "seeded ids come from the database's shard 1")
		}
	})
	t.Run("CreateGetByIDAndName", func(t *testing.T) {
		s := h.New(t)
		r, err := s.Roles().Create(ctx(t), noetl.NewRole{Name: "auditor", Description: ptr("reads logs")})
		require.NoError(t, err)
		assert.NotZero(t, r.ID)
		got, err := s.Roles().Get(ctx(t), r.ID)
		require.NoError(t, err)
		assert.Equal(t, r, got)
		got, err = s.Roles().GetByName(ctx(t), "auditor")
		require.NoError(t, err)
		assert.Equal(t, r, got)
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Roles().Get(ctx(t), 12345)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Roles().GetByName(ctx(t), "nobody")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("DuplicateNameIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		before := countRoles(t, s)
		_, err := s.Roles().Create(ctx(t), noetl.NewRole{Name: "admin"})
		assert.ErrorIs(t, err, noetl.ErrConflict)
		assert.Contains(t, err.Error(), "admin")
		assert.Equal(t, before, countRoles(t, s))
	})
	t.Run("EmptyNameIsInvalidAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		before := countRoles(t, s)
		_, err := s.Roles().Create(ctx(t), noetl.NewRole{Name: "  "})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		assert.Equal(t, before, countRoles(t, s))
	})
	t.Run("ListIsOrderedByNameAndPages", func(t *testing.T) {
		s := h.New(t)
		for _, n := range []string{"zeta", "beta", "omega"} {
			_, err := s.Roles().Create(ctx(t), noetl.NewRole{Name: n})
			require.NoError(t, err)
		}
		var names []string
		for _, r := range allPages(t, func(after string) (noetl.Page[noetl.Role], error) {
			p, err := s.Roles().List(ctx(t), noetl.RoleQuery{Limit: 2, After: after})
			assert.LessOrEqual(t, len(p.Items), 2)
			return p, err
		}) {
			names = append(names, r.Name)
		}
		assert.Equal(t, []string{"admin", "beta", "bot", "omega", "user", "zeta"}, names)
	})
	t.Run("BadCursorIsInvalid", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Roles().List(ctx(t), noetl.RoleQuery{After: "not a cursor!"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("UpdateChangesNameAndClearsDescription", func(t *testing.T) {
		s := h.New(t)
		r, err := s.Roles().Create(ctx(t), noetl.NewRole{Name: "ops", Description: ptr("operators")})
		require.NoError(t, err)
		u, err := s.Roles().Update(ctx(t), r.ID, noetl.RoleUpdate{Name: ptr("operations"), Description: ptr("")})
		require.NoError(t, err)
		assert.Equal(t, "operations", u.Name)
		assert.Nil(t, u.Description)
		got, err := s.Roles().Get(ctx(t), r.ID)
		require.NoError(t, err)
		assert.Equal(t, u, got)
	})
	t.Run("UpdateToTakenNameIsConflictAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		r, err := s.Roles().Create(ctx(t), noetl.NewRole{Name: "ops"})
		require.NoError(t, err)
		_, err = s.Roles().Update(ctx(t), r.ID, noetl.RoleUpdate{Name: ptr("admin")})
		assert.ErrorIs(t, err, noetl.ErrConflict)
		got, err := s.Roles().Get(ctx(t), r.ID)
		require.NoError(t, err)
		assert.Equal(t, "ops", got.Name)
	})
	t.Run("UpdateUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Roles().Update(ctx(t), 777, noetl.RoleUpdate{Name: ptr("x")})
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("DeleteRemovesRole", func(t *testing.T) {
		s := h.New(t)
		r, err := s.Roles().Create(ctx(t), noetl.NewRole{Name: "temp"})
		require.NoError(t, err)
		require.NoError(t, s.Roles().Delete(ctx(t), r.ID))
		_, err = s.Roles().Get(ctx(t), r.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.ErrorIs(t, s.Roles().Delete(ctx(t), r.ID), noetl.ErrNotFound)
	})
	t.Run("DeleteRoleHeldByProfileIsReferencedAndKeepsIt", func(t *testing.T) {
		s := h.New(t)
		admin, err := s.Roles().GetByName(ctx(t), "admin")
		require.NoError(t, err)
		_, err = s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser, RoleID: &admin.ID})
		require.NoError(t, err)
		err = s.Roles().Delete(ctx(t), admin.ID)
		assert.ErrorIs(t, err, noetl.ErrReferenced)
		_, err = s.Roles().Get(ctx(t), admin.ID)
		assert.NoError(t, err, "the role is still there")
	})
}

func testProfiles(t *testing.T, h Harness) {
	t.Run("CreateAndGetByIDUsernameEmail", func(t *testing.T) {
		s := h.New(t)
		user, err := s.Roles().GetByName(ctx(t), "user")
		require.NoError(t, err)
		p, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Email: "ann@example.com", Type: noetl.ProfileUser, RoleID: &user.ID})
		require.NoError(t, err)
		assert.NotZero(t, p.ID)
		assert.Equal(t, time.UTC, p.CreatedAt.Location())
		assert.Equal(t, p.CreatedAt, p.CreatedAt.Truncate(time.Microsecond))
		for _, get := range []func() (noetl.Profile, error){
			func() (noetl.Profile, error) { return s.Profiles().Get(ctx(t), p.ID) },
			func() (noetl.Profile, error) { return s.Profiles().GetByUsername(ctx(t), "ann") },
			func() (noetl.Profile, error) { return s.Profiles().GetByEmail(ctx(t), "ann@example.com") },
		} {
			got, err := get()
			require.NoError(t, err)
			assert.Equal(t, p, got)
		}
	})
	t.Run("CreateWithCallerID", func(t *testing.T) {
		s := h.New(t)
		id := s.IDs().MustNext()
		p, err := s.Profiles().Create(ctx(t), noetl.NewProfile{ID: id, Username: "bot1", Type: noetl.ProfileBot})
		require.NoError(t, err)
		assert.Equal(t, id, p.ID)
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Profiles().Get(ctx(t), 42)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Profiles().GetByUsername(ctx(t), "ghost")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Profiles().GetByEmail(ctx(t), "ghost@example.com")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	bad := []struct {
		name string
		in   noetl.NewProfile
	}{
		{"EmptyUsername", noetl.NewProfile{Username: "", Type: noetl.ProfileUser}},
		{"MultilineUsername", noetl.NewProfile{Username: "a\nb", Type: noetl.ProfileUser}},
		{"TooLongUsername", noetl.NewProfile{Username: strings.Repeat("x", noetl.MaxNameLen+1), Type: noetl.ProfileUser}},
		{"EmailWithoutAt", noetl.NewProfile{Username: "ann", Email: "ann.example.com", Type: noetl.ProfileUser}},
		{"EmailWithDisplayName", noetl.NewProfile{Username: "ann", Email: "Ann <ann@example.com>", Type: noetl.ProfileUser}},
		{"TypeRobot", noetl.NewProfile{Username: "ann", Type: "robot"}},
		{"EmptyType", noetl.NewProfile{Username: "ann"}},
		{"ShortPassword", noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser, Password: "short"}},
		{"PasswordOver72Bytes", noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser, Password: noetl.Secret(strings.Repeat("p", 73))}},
	}
	for _, c := range bad {
		t.Run("Invalid"+c.name+"WritesNothing", func(t *testing.T) {
			s := h.New(t)
			_, err := s.Profiles().Create(ctx(t), c.in)
			assert.ErrorIs(t, err, noetl.ErrInvalid)
			assert.Equal(t, 0, countProfiles(t, s))
		})
	}
	t.Run("DuplicateUsernameIsConflictNamingUsername", func(t *testing.T) {
		s := h.New(t)
		newProfile(t, s, "ann")
		_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Email: "other@example.com", Type: noetl.ProfileUser})
		require.ErrorIs(t, err, noetl.ErrConflict)
		assert.Contains(t, err.Error(), "username already used")
		assert.Equal(t, 1, countProfiles(t, s))
	})
	t.Run("DuplicateEmailIsConflictNamingEmail", func(t *testing.T) {
		s := h.New(t)
		newProfile(t, s, "ann")
		_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "bob", Email: "ann@example.com", Type: noetl.ProfileUser})
		require.ErrorIs(t, err, noetl.ErrConflict)
		assert.Contains(t, err.Error(), "email already used")
		assert.Contains(t, err.Error(), `"bob"`)
		assert.Equal(t, 1, countProfiles(t, s))
	})
	t.Run("UnknownRoleIsReferencedAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser, RoleID: ptr(snowflake.ID(99))})
		assert.ErrorIs(t, err, noetl.ErrReferenced)
		assert.Equal(t, 0, countProfiles(t, s))
	})
	t.Run("ListFiltersByTypeRoleAndPrefix", func(t *testing.T) {
		s := h.New(t)
		bot, err := s.Roles().GetByName(ctx(t), "bot")
		require.NoError(t, err)
		newProfile(t, s, "ann")
		newProfile(t, s, "andy")
		b, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "anbot", Type: noetl.ProfileBot, RoleID: &bot.ID})
		require.NoError(t, err)
		p, err := s.Profiles().List(ctx(t), noetl.ProfileQuery{Type: noetl.ProfileBot})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		assert.Equal(t, b.ID, p.Items[0].ID)
		p, err = s.Profiles().List(ctx(t), noetl.ProfileQuery{RoleID: &bot.ID})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		p, err = s.Profiles().List(ctx(t), noetl.ProfileQuery{UsernamePrefix: "an", Type: noetl.ProfileUser})
		require.NoError(t, err)
		assert.Len(t, p.Items, 2)
		p, err = s.Profiles().List(ctx(t), noetl.ProfileQuery{UsernamePrefix: "zz"})
		require.NoError(t, err)
		assert.NotNil(t, p.Items, "an empty page has an empty, non-nil slice")
		assert.Empty(t, p.Items)
		assert.Empty(t, p.Next)
	})
	t.Run("ListPagesByKeysetWithoutRepeatsOrGaps", func(t *testing.T) {
		s := h.New(t)
		var want []snowflake.ID
		for i := range 7 {
			want = append(want, newProfile(t, s, fmt.Sprintf("u%02d", i)).ID)
		}
		var got []snowflake.ID
		for _, v := range allPages(t, func(after string) (noetl.Page[noetl.Profile], error) {
			return s.Profiles().List(ctx(t), noetl.ProfileQuery{Limit: 3, After: after})
		}) {
			got = append(got, v.ID)
		}
		assert.Equal(t, want, got)
	})
	t.Run("ListInvalidTypeOrLimit", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Profiles().List(ctx(t), noetl.ProfileQuery{Type: "robot"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Profiles().List(ctx(t), noetl.ProfileQuery{Limit: -1})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("UpdateChangesFieldsAndClearsEmail", func(t *testing.T) {
		s := h.New(t)
		p := newProfile(t, s, "ann")
		admin, err := s.Roles().GetByName(ctx(t), "admin")
		require.NoError(t, err)
		u, err := s.Profiles().Update(ctx(t), p.ID, noetl.ProfileUpdate{Username: ptr("anna"), Email: ptr(""), Type: ptr(noetl.ProfileBot), RoleID: &admin.ID})
		require.NoError(t, err)
		assert.Equal(t, "anna", u.Username)
		assert.Nil(t, u.Email)
		assert.Equal(t, noetl.ProfileBot, u.Type)
		assert.Equal(t, admin.ID, *u.RoleID)
		assert.Equal(t, p.CreatedAt, u.CreatedAt)
		got, err := s.Profiles().Get(ctx(t), p.ID)
		require.NoError(t, err)
		assert.Equal(t, u, got)
		u, err = s.Profiles().Update(ctx(t), p.ID, noetl.ProfileUpdate{RoleID: ptr(snowflake.ID(0))})
		require.NoError(t, err)
		assert.Nil(t, u.RoleID, "a zero RoleID clears the role")
	})
	t.Run("UpdateRefusalsChangeNothing", func(t *testing.T) {
		s := h.New(t)
		p := newProfile(t, s, "ann")
		newProfile(t, s, "bob")
		_, err := s.Profiles().Update(ctx(t), p.ID, noetl.ProfileUpdate{Email: ptr("bob@example.com")})
		assert.ErrorIs(t, err, noetl.ErrConflict)
		assert.Contains(t, err.Error(), "email")
		_, err = s.Profiles().Update(ctx(t), p.ID, noetl.ProfileUpdate{Email: ptr("nope")})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Profiles().Update(ctx(t), p.ID, noetl.ProfileUpdate{Type: ptr(noetl.ProfileType("robot"))})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Profiles().Update(ctx(t), p.ID, noetl.ProfileUpdate{RoleID: ptr(snowflake.ID(5))})
		assert.ErrorIs(t, err, noetl.ErrReferenced)
		got, err := s.Profiles().Get(ctx(t), p.ID)
		require.NoError(t, err)
		assert.Equal(t, p, got)
		_, err = s.Profiles().Update(ctx(t), 31337, noetl.ProfileUpdate{Username: ptr("x")})
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("DeleteRemovesProfileAndItsSessions", func(t *testing.T) {
		s := h.New(t)
		p := newProfile(t, s, "ann")
		sess, err := s.Sessions().Open(ctx(t), noetl.NewSession{ProfileID: p.ID, SessionType: noetl.SessionUser})
		require.NoError(t, err)
		require.NoError(t, s.Profiles().Delete(ctx(t), p.ID))
		_, err = s.Profiles().Get(ctx(t), p.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Sessions().Get(ctx(t), sess.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.ErrorIs(t, s.Profiles().Delete(ctx(t), p.ID), noetl.ErrNotFound)
	})
	t.Run("PasswordIsStoredAsBcryptHashAndVerifies", func(t *testing.T) {
		s := h.New(t)
		p, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser, Password: "correct horse"})
		require.NoError(t, err)
		require.NotNil(t, p.PasswordHash)
		assert.True(t, strings.HasPrefix(*p.PasswordHash, "$2"), "a bcrypt hash")
		assert.NotContains(t, *p.PasswordHash, "correct horse")
		got, err := s.Profiles().VerifyPassword(ctx(t), "ann", "correct horse")
		require.NoError(t, err)
		assert.Equal(t, p.ID, got.ID)
		_, err = s.Profiles().VerifyPassword(ctx(t), "ann", "wrong horse")
		assert.ErrorIs(t, err, noetl.ErrForbidden)
		_, err = s.Profiles().VerifyPassword(ctx(t), "nobody", "correct horse")
		assert.ErrorIs(t, err, noetl.ErrForbidden)
	})
	t.Run("SetPasswordReplacesHash", func(t *testing.T) {
		s := h.New(t)
		p := newProfile(t, s, "ann")
		_, err := s.Profiles().VerifyPassword(ctx(t), "ann", "anything at all")
		assert.ErrorIs(t, err, noetl.ErrForbidden, "no password set")
		require.NoError(t, s.Profiles().SetPassword(ctx(t), p.ID, "new password 1"))
		_, err = s.Profiles().VerifyPassword(ctx(t), "ann", "new password 1")
		assert.NoError(t, err)
		assert.ErrorIs(t, s.Profiles().SetPassword(ctx(t), p.ID, "short"), noetl.ErrInvalid)
		_, err = s.Profiles().VerifyPassword(ctx(t), "ann", "new password 1")
		assert.NoError(t, err, "a refused SetPassword keeps the old hash")
		assert.ErrorIs(t, s.Profiles().SetPassword(ctx(t), 999, "new password 2"), noetl.ErrNotFound)
	})
	t.Run("PasswordNeverInStringJSONOrErrors", func(t *testing.T) {
		s := h.New(t)
		in := noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser, Password: "hunter2hunter2"}
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			assert.NotContains(t, fmt.Sprintf(f, in), "hunter2", f)
		}
		b, err := json.Marshal(in)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "hunter2")
		p, err := s.Profiles().Create(ctx(t), in)
		require.NoError(t, err)
		b, err = json.Marshal(p)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "$2", "the hash is not in JSON")
		assert.NotContains(t, fmt.Sprintf("%v %+v %#v", p, p, p), "$2")
		_, err = s.Profiles().Create(ctx(t), in)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2")
	})
}

func testSessions(t *testing.T, h Harness) {
	t.Run("OpenGetCloseOnce", func(t *testing.T) {
		s := h.New(t)
		p := newProfile(t, s, "ann")
		sess, err := s.Sessions().Open(ctx(t), noetl.NewSession{ProfileID: p.ID, SessionType: noetl.SessionAI, Metadata: json.RawMessage(`{"client":"cli"}`)})
		require.NoError(t, err)
		assert.True(t, sess.Active())
		got, err := s.Sessions().Get(ctx(t), sess.ID)
		require.NoError(t, err)
		assert.Equal(t, sess.ID, got.ID)
		assert.Equal(t, sess.ConnectedAt, got.ConnectedAt)
		assert.JSONEq(t, `{"client":"cli"}`, string(got.Metadata))
		closed, err := s.Sessions().Close(ctx(t), sess.ID)
		require.NoError(t, err)
		require.NotNil(t, closed.DisconnectedAt)
		first := *closed.DisconnectedAt
		_, err = s.Sessions().Close(ctx(t), sess.ID)
		assert.ErrorIs(t, err, noetl.ErrConflict)
		got, err = s.Sessions().Get(ctx(t), sess.ID)
		require.NoError(t, err)
		assert.Equal(t, first, *got.DisconnectedAt, "the first close time stays")
		_, err = s.Sessions().Close(ctx(t), 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	bad := []struct {
		name string
		in   func(p snowflake.ID) noetl.NewSession
	}{
		{"UnknownType", func(p snowflake.ID) noetl.NewSession { return noetl.NewSession{ProfileID: p, SessionType: "robot"} }},
		{"NoProfile", func(snowflake.ID) noetl.NewSession { return noetl.NewSession{SessionType: noetl.SessionUser} }},
		{"MetadataNotJSON", func(p snowflake.ID) noetl.NewSession {
			return noetl.NewSession{ProfileID: p, SessionType: noetl.SessionUser, Metadata: json.RawMessage(`{nope`)}
		}},
		{"MetadataNotObject", func(p snowflake.ID) noetl.NewSession {
			return noetl.NewSession{ProfileID: p, SessionType: noetl.SessionUser, Metadata: json.RawMessage(`[1]`)}
		}},
	}
	for _, c := range bad {
		t.Run("Invalid"+c.name+"WritesNothing", func(t *testing.T) {
			s := h.New(t)
			p := newProfile(t, s, "ann")
			_, err := s.Sessions().Open(ctx(t), c.in(p.ID))
			assert.ErrorIs(t, err, noetl.ErrInvalid)
			page, err := s.Sessions().ListActive(ctx(t), p.ID, noetl.SessionQuery{})
			require.NoError(t, err)
			assert.Empty(t, page.Items)
		})
	}
	t.Run("UnknownProfileIsReferenced", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Sessions().Open(ctx(t), noetl.NewSession{ProfileID: 5, SessionType: noetl.SessionBot})
		assert.ErrorIs(t, err, noetl.ErrReferenced)
		page, err := s.Sessions().ListActive(ctx(t), 5, noetl.SessionQuery{})
		require.NoError(t, err)
		assert.Empty(t, page.Items)
	})
	t.Run("ListActiveNewestFirstInPagesWithoutClosed", func(t *testing.T) {
		s := h.New(t)
		p := newProfile(t, s, "ann")
		other := newProfile(t, s, "bob")
		var open []snowflake.ID
		for i := range 5 {
			sess, err := s.Sessions().Open(ctx(t), noetl.NewSession{ProfileID: p.ID, SessionType: noetl.SessionUser})
			require.NoError(t, err)
			if i == 2 {
				_, err = s.Sessions().Close(ctx(t), sess.ID)
				require.NoError(t, err)
				continue
			}
			open = append(open, sess.ID)
		}
		_, err := s.Sessions().Open(ctx(t), noetl.NewSession{ProfileID: other.ID, SessionType: noetl.SessionUser})
		require.NoError(t, err)
		var got []snowflake.ID
		for _, v := range allPages(t, func(after string) (noetl.Page[noetl.Session], error) {
			return s.Sessions().ListActive(ctx(t), p.ID, noetl.SessionQuery{Limit: 2, After: after})
		}) {
			assert.Equal(t, p.ID, v.ProfileID)
			got = append(got, v.ID)
		}
		want := []snowflake.ID{open[3], open[2], open[1], open[0]}
		assert.Equal(t, want, got)
	})
	t.Run("DeleteClosedBeforeKeepsOpenAndRecent", func(t *testing.T) {
		s := h.New(t)
		p := newProfile(t, s, "ann")
		old, err := s.Sessions().Open(ctx(t), noetl.NewSession{ProfileID: p.ID, SessionType: noetl.SessionUser})
		require.NoError(t, err)
		_, err = s.Sessions().Close(ctx(t), old.ID)
		require.NoError(t, err)
		live, err := s.Sessions().Open(ctx(t), noetl.NewSession{ProfileID: p.ID, SessionType: noetl.SessionUser})
		require.NoError(t, err)
		n, err := s.Sessions().DeleteClosedBefore(ctx(t), time.Now().Add(-time.Hour))
		require.NoError(t, err)
		assert.Zero(t, n, "nothing closed an hour ago")
		n, err = s.Sessions().DeleteClosedBefore(ctx(t), time.Now().Add(time.Hour))
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		_, err = s.Sessions().Get(ctx(t), old.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Sessions().Get(ctx(t), live.ID)
		assert.NoError(t, err)
	})
}

func testTransactions(t *testing.T, h Harness) {
	t.Run("CommitKeepsEveryWrite", func(t *testing.T) {
		s := h.New(t)
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			p, err := tx.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
			if err != nil {
				return err
			}
			_, err = tx.Sessions().Open(ctx(t), noetl.NewSession{ProfileID: p.ID, SessionType: noetl.SessionUser})
			return err
		})
		require.NoError(t, err)
		p, err := s.Profiles().GetByUsername(ctx(t), "ann")
		require.NoError(t, err)
		page, err := s.Sessions().ListActive(ctx(t), p.ID, noetl.SessionQuery{})
		require.NoError(t, err)
		assert.Len(t, page.Items, 1)
	})
	t.Run("ErrorRollsBackEveryWrite", func(t *testing.T) {
		s := h.New(t)
		boom := errors.New("boom")
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			if _, err := tx.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser}); err != nil {
				return err
			}
			if _, err := tx.Roles().Create(ctx(t), noetl.NewRole{Name: "temp"}); err != nil {
				return err
			}
			return boom
		})
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, 0, countProfiles(t, s))
		_, err = s.Roles().GetByName(ctx(t), "temp")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("PanicRollsBackAndRepanics", func(t *testing.T) {
		s := h.New(t)
		assert.PanicsWithValue(t, "kaboom", func() {
			_ = s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
				if _, err := tx.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser}); err != nil {
					return err
				}
				panic("kaboom")
			})
		})
		assert.Equal(t, 0, countProfiles(t, s))
	})
	t.Run("NestedInTxJoinsTheOuterTransaction", func(t *testing.T) {
		s := h.New(t)
		boom := errors.New("outer fails")
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			if err := tx.InTx(ctx(t), func(_ context.Context, inner noetl.Store) error {
				_, err := inner.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
				return err
			}); err != nil {
				return err
			}
			return boom
		})
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, 0, countProfiles(t, s), "the inner write went with the outer rollback")
	})
	t.Run("CloseOnTransactionStoreIsRefused", func(t *testing.T) {
		s := h.New(t)
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error { return tx.Close() })
		assert.Error(t, err)
		_, err = s.Roles().GetByName(ctx(t), "admin")
		assert.NoError(t, err, "the store is still open")
	})
	t.Run("CancelledContextIsReturned", func(t *testing.T) {
		s := h.New(t)
		c, cancel := contextWithCancel(t)
		cancel()
		_, err := s.Profiles().Create(c, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		assert.Error(t, err)
		assert.Equal(t, 0, countProfiles(t, s))
	})
}
