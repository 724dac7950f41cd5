package sqlstore

import (
	"context"
	"fmt"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

type memberRepo struct{ s *Store }

const memberCols = "id, chat_id, profile_id, role, joined_at"

func scanMember(r Row) (noetl.Member, error) {
	var v noetl.Member
	err := r.Scan(&v.ID, &v.ChatID, &v.ProfileID, &v.Role, TimeDest(&v.JoinedAt))
	return v, err
}

// Membership changes run in a transaction that first locks the chat row
// (roleIn with lock), so the role checks and the last-owner count cannot be
// overtaken by a concurrent change to the same chat's members.

func (r memberRepo) Add(ctx context.Context, actor snowflake.ID, in noetl.NewMember) (noetl.Member, error) {
	if err := in.Validate(); err != nil {
		return noetl.Member{}, err
	}
	if in.Role == "" {
		in.Role = noetl.RoleMember
	}
	id, err := r.s.newID()
	if err != nil {
		return noetl.Member{}, err
	}
	v := noetl.Member{ID: id, ChatID: in.ChatID, ProfileID: in.ProfileID, Role: in.Role, JoinedAt: r.s.now()}
	what := fmt.Sprintf("add profile %s to chat %s as %s", in.ProfileID, in.ChatID, in.Role)
	err = r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		role, _, found, err := ts.roleIn(ctx, in.ChatID, actor, true)
		if err != nil {
			return err
		}
		action := noetl.ActionAddMember
		if in.Role != noetl.RoleMember {
			action = noetl.ActionChangeRole
		}
		if err := permit(found, role, actor, in.ChatID, action, what); err != nil {
			return err
		}
		d := ts.d
		q := d.SQL("member.add.why", func() string {
			return "SELECT (SELECT COUNT(*) FROM {profile} WHERE id = ?), (SELECT COUNT(*) FROM {member} WHERE chat_id = ? AND profile_id = ?)"
		})
		var profiles, members int64
		if err := ts.q.QueryRow(ctx, q, in.ProfileID, in.ChatID, in.ProfileID).Scan(&profiles, &members); err != nil {
			return ts.wrap(err, "%s", what)
		}
		switch {
		case profiles == 0:
			return noetl.NewError(noetl.ErrReferenced, "%s: profile %s does not exist", what, in.ProfileID)
		case members > 0:
			return noetl.NewError(noetl.ErrConflict, "%s: already a member", what)
		}
		q = d.SQL("member.add", func() string { return "INSERT INTO {member} (" + memberCols + ") VALUES (?, ?, ?, ?, ?)" })
		_, err = ts.q.Exec(ctx, q, v.ID, v.ChatID, v.ProfileID, string(v.Role), d.Time(v.JoinedAt))
		return ts.wrap(err, "%s", what)
	})
	if err != nil {
		return noetl.Member{}, err
	}
	return v, nil
}

// target is the locked state of one membership change.
type target struct {
	actorRole, role noetl.MemberRole // the actor's and the target's roles ("" when not members)
	ownerID         snowflake.ID     // chat.owner_id
}

func (ts *Store) lockTarget(ctx context.Context, actor, chatID, profileID snowflake.ID, what string) (target, error) {
	actorRole, ownerID, found, err := ts.roleIn(ctx, chatID, actor, true)
	if err != nil {
		return target{}, err
	}
	if !found {
		return target{}, noetl.NewError(noetl.ErrNotFound, "%s: chat %s", what, chatID)
	}
	t := target{actorRole: actorRole, ownerID: ownerID, role: actorRole}
	if profileID != actor {
		if t.role, _, _, err = ts.roleIn(ctx, chatID, profileID, false); err != nil {
			return target{}, err
		}
	}
	return t, nil
}

// lastOwner refuses taking ownership from a chat's only owner.
func (ts *Store) lastOwner(ctx context.Context, chatID snowflake.ID, what string) error {
	q := ts.d.SQL("member.owners", func() string {
		return "SELECT COUNT(*) FROM {member} WHERE chat_id = ? AND role = '" + string(noetl.RoleOwner) + "'"
	})
	n, err := ts.count(ctx, q, chatID)
	if err != nil {
		return ts.wrap(err, "%s", what)
	}
	if n <= 1 {
		return noetl.NewError(noetl.ErrConflict, "%s: the last owner of chat %s cannot leave or be demoted; make another owner first", what, chatID)
	}
	return nil
}

// passOwnership points chat.owner_id at the longest-standing remaining
// owner, after the profile it named stopped being one.
func (ts *Store) passOwnership(ctx context.Context, chatID snowflake.ID, what string) error {
	q := ts.d.SQL("member.passowner", func() string {
		return "UPDATE {chat} SET owner_id = (SELECT profile_id FROM {member} WHERE chat_id = ? AND role = '" +
			string(noetl.RoleOwner) + "' ORDER BY id LIMIT 1) WHERE id = ?"
	})
	_, err := ts.q.Exec(ctx, q, chatID, chatID)
	return ts.wrap(err, "%s: pass the chat's ownership", what)
}

func (r memberRepo) Remove(ctx context.Context, actor, chatID, profileID snowflake.ID) error {
	what := fmt.Sprintf("remove profile %s from chat %s", profileID, chatID)
	return r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		t, err := ts.lockTarget(ctx, actor, chatID, profileID, what)
		if err != nil {
			return err
		}
		switch {
		case t.actorRole == "":
			return noetl.NewError(noetl.ErrForbidden, "%s: profile %s is not a member of chat %s", what, actor, chatID)
		case t.role == "":
			return noetl.NewError(noetl.ErrNotFound, "%s: not a member", what)
		case profileID != actor && !t.actorRole.CanRemove(t.role):
			return noetl.NewError(noetl.ErrForbidden, "%s: profile %s has the role %s in chat %s and may not remove a member whose role is %s",
				what, actor, t.actorRole, chatID, t.role)
		}
		if t.role == noetl.RoleOwner {
			if err := ts.lastOwner(ctx, chatID, what); err != nil {
				return err
			}
		}
		q := ts.d.SQL("member.remove", func() string { return "DELETE FROM {member} WHERE chat_id = ? AND profile_id = ?" })
		if _, err := ts.q.Exec(ctx, q, chatID, profileID); err != nil {
			return ts.wrap(err, "%s", what)
		}
		// The removed profile's follows end at their next wake, which
		// need not wait for a post.
		if err := ts.wakeChat(ctx, chatID); err != nil {
			return ts.wrap(err, "%s", what)
		}
		if t.ownerID == profileID {
			return ts.passOwnership(ctx, chatID, what)
		}
		return nil
	})
}

func (r memberRepo) SetRole(ctx context.Context, actor, chatID, profileID snowflake.ID, role noetl.MemberRole) (noetl.Member, error) {
	if !role.Valid() {
		_, err := noetl.ParseMemberRole(string(role))
		return noetl.Member{}, err
	}
	what := fmt.Sprintf("make profile %s %s of chat %s", profileID, role, chatID)
	var out noetl.Member
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		t, err := ts.lockTarget(ctx, actor, chatID, profileID, what)
		if err != nil {
			return err
		}
		if err := permit(true, t.actorRole, actor, chatID, noetl.ActionChangeRole, what); err != nil {
			return err
		}
		if t.role == "" {
			return noetl.NewError(noetl.ErrNotFound, "%s: not a member", what)
		}
		demoted := t.role == noetl.RoleOwner && role != noetl.RoleOwner
		if demoted {
			if err := ts.lastOwner(ctx, chatID, what); err != nil {
				return err
			}
		}
		q := ts.d.SQL("member.setrole", func() string {
			return "UPDATE {member} SET role = ? WHERE chat_id = ? AND profile_id = ? RETURNING " + memberCols
		})
		if out, err = scanMember(ts.q.QueryRow(ctx, q, string(role), chatID, profileID)); err != nil {
			return ts.wrap(err, "%s", what)
		}
		if demoted && t.ownerID == profileID {
			return ts.passOwnership(ctx, chatID, what)
		}
		return nil
	})
	return out, err
}

func (r memberRepo) Get(ctx context.Context, chatID, profileID snowflake.ID) (noetl.Member, error) {
	q := r.s.d.SQL("member.get", func() string {
		return "SELECT " + memberCols + " FROM {member} WHERE chat_id = ? AND profile_id = ?"
	})
	v, err := scanMember(r.s.q.QueryRow(ctx, q, chatID, profileID))
	return v, r.s.wrap(err, "profile %s in chat %s", profileID, chatID)
}

func (r memberRepo) List(ctx context.Context, chatID snowflake.ID, mq noetl.MemberQuery) (noetl.Page[noetl.Member], error) {
	if err := mq.Validate(); err != nil {
		return noetl.Page[noetl.Member]{}, err
	}
	limit, _ := noetl.ClampLimit(mq.Limit)
	var after int64
	if _, err := DecodeCursor("member", mq.After, &after); err != nil {
		return noetl.Page[noetl.Member]{}, err
	}
	base := "SELECT " + memberCols + " FROM {member} WHERE chat_id = ? AND id > ?"
	q := r.s.d.SQL("member.list", func() string { return base + " ORDER BY id LIMIT ?" })
	args := []any{chatID, after, limit + 1}
	if mq.Role != "" {
		q = r.s.d.SQL("member.list.role", func() string { return base + " AND role = ? ORDER BY id LIMIT ?" })
		args = []any{chatID, after, string(mq.Role), limit + 1}
	}
	items, err := collect(ctx, r.s.q, q, args, scanMember)
	if err != nil {
		return noetl.Page[noetl.Member]{}, r.s.wrap(err, "list members of chat %s", chatID)
	}
	return pageOf(items, limit, "member", func(v noetl.Member) any { return int64(v.ID) }), nil
}
