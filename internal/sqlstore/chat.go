package sqlstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

type chatRepo struct{ s *Store }

const chatCols = "id, label_id, name, owner_id, created_at"

func scanChat(r Row) (noetl.Chat, error) {
	var v noetl.Chat
	err := r.Scan(&v.ID, &v.LabelID, &v.Name, &v.OwnerID, TimeDest(&v.CreatedAt))
	return v, err
}

func (r chatRepo) Create(ctx context.Context, actor snowflake.ID, in noetl.NewChat) (noetl.Chat, error) {
	if err := in.Validate(); err != nil {
		return noetl.Chat{}, err
	}
	chatID, err := r.s.newID()
	if err != nil {
		return noetl.Chat{}, err
	}
	memberID, err := r.s.newID()
	if err != nil {
		return noetl.Chat{}, err
	}
	v := noetl.Chat{ID: chatID, LabelID: in.LabelID, Name: in.Name, OwnerID: actor, CreatedAt: r.s.now()}
	what := fmt.Sprintf("chat %q", in.Name)
	err = r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		d := ts.d
		q := d.SQL("chat.create", func() string {
			return "INSERT INTO {chat} (" + chatCols + ") SELECT " + typed(d, "BIGINT") + ", " + typed(d, "BIGINT") + ", " +
				typed(d, "TEXT") + ", " + typed(d, "BIGINT") + ", " + typed(d, "TIMESTAMPTZ") +
				" WHERE EXISTS (SELECT 1 FROM {label} WHERE id = ?) AND EXISTS (SELECT 1 FROM {profile} WHERE id = ?)"
		})
		n, err := ts.q.Exec(ctx, q, v.ID, v.LabelID, v.Name, v.OwnerID, d.Time(v.CreatedAt), v.LabelID, v.OwnerID)
		if err != nil {
			return ts.wrap(err, "%s", what)
		}
		if n == 0 {
			why := d.SQL("chat.create.why", func() string { return "SELECT COUNT(*) FROM {label} WHERE id = ?" })
			labels, err := ts.count(ctx, why, v.LabelID)
			if err != nil {
				return ts.wrap(err, "%s", what)
			}
			if labels == 0 {
				return noetl.NewError(noetl.ErrReferenced, "%s: label %s does not exist", what, v.LabelID)
			}
			return noetl.NewError(noetl.ErrReferenced, "%s: creator profile %s does not exist", what, actor)
		}
		q = d.SQL("chat.create.owner", func() string {
			return "INSERT INTO {member} (" + memberCols + ") VALUES (?, ?, ?, '" + string(noetl.RoleOwner) + "', ?)"
		})
		_, err = ts.q.Exec(ctx, q, memberID, v.ID, actor, d.Time(v.CreatedAt))
		return ts.wrap(err, "%s: owner membership", what)
	})
	if err != nil {
		return noetl.Chat{}, err
	}
	return v, nil
}

func (r chatRepo) Get(ctx context.Context, id snowflake.ID) (noetl.Chat, error) {
	q := r.s.d.SQL("chat.get", func() string { return "SELECT " + chatCols + " FROM {chat} WHERE id = ?" })
	v, err := scanChat(r.s.q.QueryRow(ctx, q, id))
	return v, r.s.wrap(err, "chat %s", id)
}

func (r chatRepo) List(ctx context.Context, cq noetl.ChatQuery) (noetl.Page[noetl.Chat], error) {
	if err := cq.Validate(); err != nil {
		return noetl.Page[noetl.Chat]{}, err
	}
	limit, _ := noetl.ClampLimit(cq.Limit)
	var after int64
	if _, err := DecodeCursor("chat", cq.After, &after); err != nil {
		return noetl.Page[noetl.Chat]{}, err
	}
	var q string
	if cq.Subtree {
		// The labels of the subtree in one recursive query, then their chats
		// through the chat(label_id) index.
		q = r.s.d.SQL("chat.list.subtree", func() string {
			return "WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM {label} WHERE id = ?" +
				" UNION ALL SELECT l.id, sub.depth + 1 FROM {label} l JOIN sub ON l.parent_id = sub.id" +
				" WHERE sub.depth < " + strconv.Itoa(maxLabelDepth) + ")" +
				" SELECT " + chatCols + " FROM {chat} WHERE label_id IN (SELECT id FROM sub) AND id > ? ORDER BY id LIMIT ?"
		})
	} else {
		q = r.s.d.SQL("chat.list", func() string {
			return "SELECT " + chatCols + " FROM {chat} WHERE label_id = ? AND id > ? ORDER BY id LIMIT ?"
		})
	}
	items, err := collect(ctx, r.s.q, q, []any{cq.LabelID, after, limit + 1}, scanChat)
	if err != nil {
		return noetl.Page[noetl.Chat]{}, r.s.wrap(err, "list chats of label %s", cq.LabelID)
	}
	return pageOf(items, limit, "chat", func(v noetl.Chat) any { return int64(v.ID) }), nil
}

func (r chatRepo) ListForProfile(ctx context.Context, profileID snowflake.ID, mq noetl.MembershipQuery) (noetl.Page[noetl.ChatMembership], error) {
	if err := mq.Validate(); err != nil {
		return noetl.Page[noetl.ChatMembership]{}, err
	}
	limit, _ := noetl.ClampLimit(mq.Limit)
	var after int64
	if _, err := DecodeCursor("chat.forprofile", mq.After, &after); err != nil {
		return noetl.Page[noetl.ChatMembership]{}, err
	}
	base := "SELECT c.id, c.label_id, c.name, c.owner_id, c.created_at, m.role, m.joined_at FROM {member} m" +
		" JOIN {chat} c ON c.id = m.chat_id WHERE m.profile_id = ? AND m.chat_id > ?"
	q := r.s.d.SQL("chat.forprofile", func() string { return base + " ORDER BY m.chat_id LIMIT ?" })
	args := []any{profileID, after, limit + 1}
	if mq.Role != "" {
		q = r.s.d.SQL("chat.forprofile.role", func() string { return base + " AND m.role = ? ORDER BY m.chat_id LIMIT ?" })
		args = []any{profileID, after, string(mq.Role), limit + 1}
	}
	items, err := collect(ctx, r.s.q, q, args, func(row Row) (noetl.ChatMembership, error) {
		var v noetl.ChatMembership
		c := &v.Chat
		err := row.Scan(&c.ID, &c.LabelID, &c.Name, &c.OwnerID, TimeDest(&c.CreatedAt), &v.Role, TimeDest(&v.JoinedAt))
		return v, err
	})
	if err != nil {
		return noetl.Page[noetl.ChatMembership]{}, r.s.wrap(err, "list chats of profile %s", profileID)
	}
	return pageOf(items, limit, "chat.forprofile", func(v noetl.ChatMembership) any { return int64(v.Chat.ID) }), nil
}

// Rename, Move and Delete are each one guarded statement: it changes the
// chat only when the actor's membership allows the action, so there is no
// window between the check and the write. When it changes nothing, a
// read-only query says why.

func (r chatRepo) Rename(ctx context.Context, actor, id snowflake.ID, name string) (noetl.Chat, error) {
	if err := noetl.ValidateName("chat name", name); err != nil {
		return noetl.Chat{}, err
	}
	q := r.s.d.SQL("chat.rename", func() string {
		return "UPDATE {chat} SET name = ? WHERE id = ? AND EXISTS (SELECT 1 FROM {member} WHERE chat_id = ? AND profile_id = ?" +
			" AND role IN " + rolesIn(noetl.ActionRenameChat) + ") RETURNING " + chatCols
	})
	what := fmt.Sprintf("rename chat %s to %q", id, name)
	v, err := scanChat(r.s.q.QueryRow(ctx, q, name, id, id, actor))
	if err == nil {
		return v, nil
	}
	if err = r.s.wrap(err, "%s", what); !isNotFound(err) {
		return noetl.Chat{}, err
	}
	if err := r.s.check(ctx, actor, id, noetl.ActionRenameChat, what); err != nil {
		return noetl.Chat{}, err
	}
	return noetl.Chat{}, raced(what)
}

func (r chatRepo) Move(ctx context.Context, actor, id, labelID snowflake.ID) (noetl.Chat, error) {
	what := fmt.Sprintf("move chat %s to label %s", id, labelID)
	var moved noetl.Chat
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		q := ts.d.SQL("chat.move", func() string {
			return "UPDATE {chat} SET label_id = ? WHERE id = ? AND EXISTS (SELECT 1 FROM {label} WHERE id = ?)" +
				" AND EXISTS (SELECT 1 FROM {member} WHERE chat_id = ? AND profile_id = ? AND role IN " +
				rolesIn(noetl.ActionMoveChat) + ") RETURNING " + chatCols
		})
		v, err := scanChat(ts.q.QueryRow(ctx, q, labelID, id, labelID, id, actor))
		if err != nil {
			if err = ts.wrap(err, "%s", what); !isNotFound(err) {
				return err
			}
			if err := ts.check(ctx, actor, id, noetl.ActionMoveChat, what); err != nil {
				return err
			}
			if _, err := (labelRepo{ts}).Get(ctx, labelID); err != nil {
				if isNotFound(err) {
					return noetl.NewError(noetl.ErrReferenced, "%s: label %s does not exist", what, labelID)
				}
				return err
			}
			return raced(what)
		}
		// An attachment on both the chat and its label follows the chat, so
		// its chat stays inside its label.
		q = ts.d.SQL("chat.move.attachments", func() string {
			return "UPDATE {attachment} SET label_id = ? WHERE chat_id = ? AND label_id IS NOT NULL"
		})
		if _, err := ts.q.Exec(ctx, q, labelID, id); err != nil {
			return ts.wrap(err, "%s: attachments", what)
		}
		moved = v
		return nil
	})
	return moved, err
}

func (r chatRepo) Delete(ctx context.Context, actor, id snowflake.ID) error {
	// ON DELETE CASCADE removes members, messages and attachments with it.
	q := r.s.d.SQL("chat.delete", func() string {
		return "DELETE FROM {chat} WHERE id = ? AND EXISTS (SELECT 1 FROM {member} WHERE chat_id = ? AND profile_id = ?" +
			" AND role IN " + rolesIn(noetl.ActionDeleteChat) + ")"
	})
	what := fmt.Sprintf("delete chat %s", id)
	n, err := r.s.q.Exec(ctx, q, id, id, actor)
	if err != nil {
		return r.s.wrap(err, "%s", what)
	}
	if n == 1 {
		// The chat's follows end at their next wake, which need not wait
		// for anything else. The chat is deleted whatever the wake's
		// outcome: a wake that fails leaves the follows to end at the
		// store's next wake of them.
		_ = r.s.wakeChat(ctx, id)
		return nil
	}
	if err := r.s.check(ctx, actor, id, noetl.ActionDeleteChat, what); err != nil {
		return err
	}
	return raced(what)
}
