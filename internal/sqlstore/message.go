package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

type messageRepo struct{ s *Store }

const messageCols = "id, chat_id, sender_type, sender_id, role, content, metadata, created_at"

func (r messageRepo) scanOne(row Row) (noetl.Message, error) {
	var v noetl.Message
	err := newMessageRow(r.s.d).scan(row, &v)
	return v, err
}

// Messages are keyed (created_at, id) and a follower pages oldest-first by
// that key, so a message must never commit behind one a reader has seen:
// Post assigns created_at inside its statement, after locking the chat,
// as greatest(now, chat.last_message_at + 1µs), and sets last_message_at
// to it. On PostgreSQL the lock is the UPDATE of the chat row in the
// statement's CTE, held to commit: the next post to the chat waits for it,
// then reads the committed last_message_at (READ COMMITTED re-reads a row
// it waited for). On SQLite the write lock does the same, and a trigger
// keeps last_message_at.

// messagePost returns Post's statement and its key. guard is the extra
// condition on the chat row c (membership, sender profile).
func messagePost(d *Dialect, key, guard string) string {
	return d.SQL(key, func() string {
		if d.Postgres() {
			return "WITH k AS (UPDATE {chat} c SET last_message_at = greatest(CAST(? AS TIMESTAMPTZ), c.last_message_at + interval '1 microsecond')" +
				" WHERE c.id = ? AND " + guard + " RETURNING c.last_message_at)" +
				" INSERT INTO {message} (" + messageCols + ") SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT)," +
				" CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS JSONB), k.last_message_at FROM k" +
				" ON CONFLICT (id) DO NOTHING RETURNING created_at"
		}
		return "INSERT INTO {message} (" + messageCols + ") SELECT ?, ?, ?, ?, ?, ?, ?, max(?, coalesce(c.last_message_at + 1, 0))" +
			" FROM {chat} c WHERE c.id = ? AND " + guard + " ON CONFLICT (id) DO NOTHING RETURNING created_at"
	})
}

// Post is one statement: it locks the chat, assigns the message's key in
// commit order, and carries its own guard (the sender is a member for user
// and bot messages; any sender of the others exists). Only when it wrote
// nothing does a read find out why: the id is stored (a retry, or a
// conflict), or the guard failed.
func (r messageRepo) Post(ctx context.Context, in noetl.NewMessage) (noetl.Message, error) {
	if err := in.Validate(); err != nil {
		return noetl.Message{}, err
	}
	id := in.ID
	if id == 0 {
		var err error
		if id, err = r.s.newID(); err != nil {
			return noetl.Message{}, err
		}
	}
	v := noetl.Message{ID: id, ChatID: in.ChatID, SenderType: in.SenderType, SenderID: in.SenderID,
		Content: in.Content, Metadata: in.Metadata}
	if in.Role != "" {
		role := in.Role
		v.Role = &role
	}
	d := r.s.d
	member := in.SenderType == noetl.SenderUser || in.SenderType == noetl.SenderBot
	var q string
	var guard []any
	if member {
		q = messagePost(d, "message.post.member", "EXISTS (SELECT 1 FROM {member} WHERE chat_id = c.id AND profile_id = ?)")
		guard = []any{int64(*in.SenderID)}
	} else {
		q = messagePost(d, "message.post", "(CAST(? AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM {profile} WHERE id = ?))")
		guard = []any{ptrArg(in.SenderID), ptrArg(in.SenderID)}
	}
	// PostgreSQL binds the chat's UPDATE first, SQLite the row first.
	key := append([]any{d.Time(r.s.now()), int64(v.ChatID)}, guard...)
	row := []any{int64(v.ID), int64(v.ChatID), string(v.SenderType), ptrArg(v.SenderID), ptrArg(v.Role), v.Content, d.JSON(v.Metadata)}
	args := append(row, key...)
	if d.Postgres() {
		args = append(key, row...)
	}
	what := fmt.Sprintf("post %s message to chat %s", in.SenderType, in.ChatID)
	err := r.s.q.QueryRow(ctx, q, args...).Scan(timeTarget(d, &v.CreatedAt))
	if err == nil {
		v.CreatedAt = v.CreatedAt.UTC()
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return noetl.Message{}, r.s.wrap(err, "%s", what)
	}
	if stored, err := r.byID(ctx, v.ID); err == nil {
		if sameMessage(stored, v) {
			return stored, nil
		}
		return noetl.Message{}, noetl.NewError(noetl.ErrConflict, "%s: message %s already exists with other content", what, v.ID)
	} else if !isNotFound(err) {
		return noetl.Message{}, err
	}
	if !member {
		if _, err := (chatRepo{r.s}).Get(ctx, in.ChatID); err != nil {
			return noetl.Message{}, r.s.wrap(err, "%s", what)
		}
		return noetl.Message{}, noetl.NewError(noetl.ErrReferenced, "%s: sender profile %s does not exist", what, idOr0(in.SenderID))
	}
	if err := r.s.check(ctx, *in.SenderID, in.ChatID, noetl.ActionPost, what); err != nil {
		return noetl.Message{}, err
	}
	return noetl.Message{}, raced(what)
}

// byID returns a message whatever its chat, for Post to tell a retry from
// a conflict; ErrNotFound when there is none.
func (r messageRepo) byID(ctx context.Context, id snowflake.ID) (noetl.Message, error) {
	q := r.s.d.SQL("message.byid", func() string { return "SELECT " + messageCols + " FROM {message} WHERE id = ?" })
	v, err := r.scanOne(r.s.q.QueryRow(ctx, q, int64(id)))
	return v, r.s.wrap(err, "message %s", id)
}

// sameMessage reports whether stored is what posting v would have stored:
// the same chat, sender, role, content and metadata (compared as JSON).
func sameMessage(stored, v noetl.Message) bool {
	return stored.ChatID == v.ChatID && stored.SenderType == v.SenderType && equalPtr(stored.SenderID, v.SenderID) &&
		equalPtr(stored.Role, v.Role) && stored.Content == v.Content && sameJSON(stored.Metadata, v.Metadata)
}

// readRefusal says why a read by actor found nothing: the chat is missing
// or actor may not read it. It returns nil when the read was allowed (the
// chat is simply empty).
func (r messageRepo) readRefusal(ctx context.Context, actor, chatID snowflake.ID, what string) error {
	return r.s.check(ctx, actor, chatID, noetl.ActionRead, what)
}

func (r messageRepo) Get(ctx context.Context, actor, id snowflake.ID) (noetl.Message, error) {
	q := r.s.d.SQL("message.get", func() string {
		return "SELECT " + messageCols + " FROM {message} WHERE id = ? AND EXISTS (SELECT 1 FROM {member}" +
			" WHERE chat_id = (SELECT chat_id FROM {message} WHERE id = ?) AND profile_id = ?)"
	})
	v, err := r.scanOne(r.s.q.QueryRow(ctx, q, id, id, actor))
	if err == nil {
		return v, nil
	}
	what := fmt.Sprintf("message %s", id)
	if err = r.s.wrap(err, "%s", what); !isNotFound(err) {
		return noetl.Message{}, err
	}
	chatID, err := r.chatOf(ctx, id, what)
	if err != nil {
		return noetl.Message{}, err
	}
	if err := r.readRefusal(ctx, actor, chatID, "read "+what); err != nil {
		return noetl.Message{}, err
	}
	return noetl.Message{}, noetl.NewError(noetl.ErrNotFound, "%s", what)
}

// chatOf returns the chat of a message, or ErrNotFound.
func (r messageRepo) chatOf(ctx context.Context, id snowflake.ID, what string) (snowflake.ID, error) {
	q := r.s.d.SQL("message.chat", func() string { return "SELECT chat_id FROM {message} WHERE id = ?" })
	var chatID snowflake.ID
	err := r.s.q.QueryRow(ctx, q, id).Scan(&chatID)
	return chatID, r.s.wrap(err, "%s", what)
}

func (r messageRepo) Count(ctx context.Context, actor, chatID snowflake.ID) (int64, error) {
	q := r.s.d.SQL("message.count", func() string {
		return "SELECT CASE WHEN EXISTS (SELECT 1 FROM {member} WHERE chat_id = ? AND profile_id = ?)" +
			" THEN (SELECT COUNT(*) FROM {message} WHERE chat_id = ?) ELSE -1 END"
	})
	what := fmt.Sprintf("count messages of chat %s", chatID)
	n, err := r.s.count(ctx, q, chatID, actor, chatID)
	if err != nil {
		return 0, r.s.wrap(err, "%s", what)
	}
	if n >= 0 {
		return n, nil
	}
	if err := r.readRefusal(ctx, actor, chatID, what); err != nil {
		return 0, err
	}
	return 0, raced(what)
}

// Message cursors are [order, created_at µs, id]; the order is in the
// cursor so a cursor from one order is refused by the other.
const (
	cursorNewest = 1
	cursorOldest = 2
)

// List is one statement per page: the keyset condition on (created_at, id)
// walks the message(chat_id, created_at, id) index from the cursor, and the
// membership check is an uncorrelated EXISTS the engines evaluate once.
func (r messageRepo) List(ctx context.Context, actor, chatID snowflake.ID, mq noetl.MessageQuery) (noetl.Page[noetl.Message], error) {
	if err := mq.Validate(); err != nil {
		return noetl.Page[noetl.Message]{}, err
	}
	limit, _ := noetl.ClampLimit(mq.Limit)
	order := cursorNewest
	if mq.Order == noetl.OldestFirst {
		order = cursorOldest
	}
	var cur [3]int64
	has, err := DecodeCursor(mq.After, &cur)
	if err != nil {
		return noetl.Page[noetl.Message]{}, err
	}
	if has && cur[0] != int64(order) {
		return noetl.Page[noetl.Message]{}, noetl.Invalidf("cursor %q: not a cursor of a %s listing", mq.After, orderName(order))
	}
	if err := cursorTime(mq.After, cur[1]); has && err != nil {
		return noetl.Page[noetl.Message]{}, err
	}
	q, args := r.listSQL(order, has, chatID, actor, cur, limit)
	items, err := collectInto(ctx, r.s.q, q, args, limit+1, newMessageRow(r.s.d).scan)
	what := fmt.Sprintf("list messages of chat %s", chatID)
	if err != nil {
		return noetl.Page[noetl.Message]{}, r.s.wrap(err, "%s", what)
	}
	if len(items) == 0 {
		if err := r.readRefusal(ctx, actor, chatID, what); err != nil {
			return noetl.Page[noetl.Message]{}, err
		}
	}
	key := func(v noetl.Message) any { return [3]int64{int64(order), v.CreatedAt.UnixMicro(), int64(v.ID)} }
	if order == cursorOldest {
		return followPage(items, limit, key), nil
	}
	return pageOf(items, limit, key), nil
}

func orderName(order int) noetl.MessageOrder {
	if order == cursorOldest {
		return noetl.OldestFirst
	}
	return noetl.NewestFirst
}

// listSQL returns the statement and arguments of one page. There are four
// shapes: newest or oldest first, first page or after a cursor.
func (r messageRepo) listSQL(order int, after bool, chatID, actor snowflake.ID, cur [3]int64, limit int) (string, []any) {
	d := r.s.d
	cmp, dir := "<", " DESC"
	if order == cursorOldest {
		cmp, dir = ">", ""
	}
	key := fmt.Sprintf("message.list.%d.%t", order, after)
	q := d.SQL(key, func() string {
		s := "SELECT " + messageCols + " FROM {message} WHERE chat_id = ?"
		if after {
			s += " AND (created_at, id) " + cmp + " (?, ?)"
		}
		return s + " AND EXISTS (SELECT 1 FROM {member} WHERE chat_id = ? AND profile_id = ?)" +
			" ORDER BY created_at" + dir + ", id" + dir + " LIMIT ?"
	})
	args := []any{chatID}
	if after {
		args = append(args, d.Time(time.UnixMicro(cur[1])), cur[2])
	}
	return q, append(args, chatID, actor, limit+1)
}

func (r messageRepo) Delete(ctx context.Context, actor, id snowflake.ID) error {
	q := r.s.d.SQL("message.delete", func() string {
		return "DELETE FROM {message} WHERE id = ? AND (sender_id = ? OR EXISTS (SELECT 1 FROM {member}" +
			" WHERE chat_id = (SELECT chat_id FROM {message} WHERE id = ?) AND profile_id = ? AND role IN " +
			rolesIn(noetl.ActionModerate) + "))"
	})
	what := fmt.Sprintf("delete message %s", id)
	n, err := r.s.q.Exec(ctx, q, id, actor, id, actor)
	if err != nil {
		return r.s.wrap(err, "%s", what)
	}
	if n == 1 {
		return nil
	}
	chatID, err := r.chatOf(ctx, id, what)
	if err != nil {
		return err
	}
	if err := r.s.check(ctx, actor, chatID, noetl.ActionModerate, what+" written by another profile"); err != nil {
		return err
	}
	return raced(what)
}
