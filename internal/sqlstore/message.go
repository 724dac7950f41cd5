package sqlstore

import (
	"context"
	"fmt"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

type messageRepo struct{ s *Store }

const messageCols = "id, chat_id, sender_type, sender_id, role, content, metadata, created_at"

func (r messageRepo) scanOne(row Row) (noetl.Message, error) {
	var v noetl.Message
	err := newMessageRow(r.s.d, false).scan(row, &v)
	return v, err
}

// Messages are listed by seq, a number assigned in commit order per chat,
// so a reader following a chat never meets a message committing behind one
// it has seen, whatever the posters' clocks say (created_at is the
// poster's clock, for display). Post assigns seq inside its statement,
// after locking the chat, and the lock is held to commit: on PostgreSQL a
// transaction-level advisory lock keyed by the chat, then the sequence
// message_seq (increasing values outside any snapshot, so every seq taken
// under the lock exceeds those committed before); on SQLite, whose write
// lock is held to commit, one more than chat.last_message_seq, the chat's
// greatest seq ever (a trigger keeps it, so a deleted message's seq is not
// reused). Measured beside the plain insert, the lock and the sequence
// cost ~2%; an UPDATE of a high-water mark on the chat row cost ~40%.

// messageSeqCols are the columns a Post writes and a list reads, in order.
const messageSeqCols = messageCols + ", seq"

// messagePost returns Post's statement. guard is the condition under which
// the message is written (membership, or the chat and sender existing);
// c is the chat row on SQLite.
func messagePost(d *Dialect, key, guard string) string {
	return d.SQL(key, func() string {
		if d.Postgres() {
			return fmt.Sprintf("WITH l AS (SELECT pg_advisory_xact_lock(%d, x.key), %s FROM (SELECT CAST(? AS INTEGER) AS key) x WHERE %s)", messageLockClass, notifySQL(KindChat, "x.key"), guard) +
				" INSERT INTO {message} (" + messageSeqCols + ") SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT)," +
				" CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS JSONB), CAST(? AS TIMESTAMPTZ), nextval('{message_seq}')" +
				" FROM l ON CONFLICT (id) DO NOTHING"
		}
		return "INSERT INTO {message} (" + messageSeqCols + ") SELECT ?, ?, ?, ?, ?, ?, ?, ?, c.last_message_seq + 1" +
			" FROM {chat} c WHERE c.id = ? AND " + guard + " ON CONFLICT (id) DO NOTHING"
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
		Content: in.Content, Metadata: in.Metadata, CreatedAt: r.s.now()}
	if in.Role != "" {
		role := in.Role
		v.Role = &role
	}
	d := r.s.d
	member := in.SenderID != nil // any named sender must be a member (noetl.Action)
	// The chat and sender are boxed once, though the statement takes each
	// twice.
	chat, sender := any(int64(v.ChatID)), idArg(v.SenderID)
	var q string
	var gb [2]any
	var guard []any
	switch {
	case member && d.Postgres():
		q = messagePost(d, "message.post.member", "EXISTS (SELECT 1 FROM {member} WHERE chat_id = ? AND profile_id = ?)")
		gb[0], gb[1] = chat, sender
		guard = gb[:2]
	case member:
		q = messagePost(d, "message.post.member", "EXISTS (SELECT 1 FROM {member} WHERE chat_id = c.id AND profile_id = ?)")
		gb[0] = sender
		guard = gb[:1]
	case d.Postgres():
		q = messagePost(d, "message.post", "EXISTS (SELECT 1 FROM {chat} WHERE id = ?)")
		gb[0] = chat
		guard = gb[:1]
	default:
		q = messagePost(d, "message.post", "1 = 1")
	}
	var buf [12]any
	args := buf[:0]
	if d.Postgres() {
		// The lock's key and guard come first, then the row.
		args = append(append(args, lockKey(v.ChatID)), guard...)
	}
	args = append(args, int64(v.ID), chat, string(v.SenderType), sender, nullString(in.Role),
		v.Content, d.JSON(v.Metadata), d.Time(v.CreatedAt))
	if !d.Postgres() {
		args = append(append(args, chat), guard...)
	}
	n, err := r.s.q.Exec(ctx, q, args...)
	if n == 1 && err == nil {
		r.s.wrote(ctx, ChatKey(v.ChatID))
		return v, nil
	}
	// The error context is built only on this path.
	what := "post " + string(in.SenderType) + " message to chat " + in.ChatID.String()
	if err != nil {
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
		return noetl.Message{}, raced(what)
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
	v, err := r.scanOne(r.s.q.QueryRow(ctx, q, int64(id), int64(id), int64(actor)))
	if err == nil {
		return v, nil
	}
	what := "message " + id.String()
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
	err := r.s.q.QueryRow(ctx, q, int64(id)).Scan(&chatID)
	return chatID, r.s.wrap(err, "%s", what)
}

func (r messageRepo) Count(ctx context.Context, actor, chatID snowflake.ID) (int64, error) {
	q := r.s.d.SQL("message.count", func() string {
		return "SELECT CASE WHEN EXISTS (SELECT 1 FROM {member} WHERE chat_id = ? AND profile_id = ?)" +
			" THEN (SELECT COUNT(*) FROM {message} WHERE chat_id = ?) ELSE -1 END"
	})
	n, err := r.s.count(ctx, q, int64(chatID), int64(actor), int64(chatID))
	what := "count messages of chat " + chatID.String()
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

// Message cursors name their order's list ("message.newest",
// "message.oldest"), so a cursor from one order is refused by the other;
// the position is the last message's seq.
const (
	cursorNewest = 1
	cursorOldest = 2
)

// messageLists are the cursor list names of the two orders.
var messageLists = [...]string{cursorNewest: "message.newest", cursorOldest: "message.oldest"}

// List is one statement per page: the keyset condition on seq walks the
// message(chat_id, seq) index from the cursor, and the membership check is
// an uncorrelated EXISTS the engines evaluate once.
func (r messageRepo) List(ctx context.Context, actor, chatID snowflake.ID, mq noetl.MessageQuery) (noetl.Page[noetl.Message], error) {
	if err := mq.Validate(); err != nil {
		return noetl.Page[noetl.Message]{}, err
	}
	limit, _ := noetl.ClampLimit(mq.Limit)
	order := cursorNewest
	if mq.Order == noetl.OldestFirst {
		order = cursorOldest
	}
	var after int64
	has, err := DecodeCursor(messageLists[order], mq.After, &after)
	if err != nil {
		return noetl.Page[noetl.Message]{}, err
	}
	q, args := r.listSQL(order, has, chatID, actor, after, limit)
	mr := newMessageRow(r.s.d, true)
	items, last, err := collectSeqPage(ctx, r.s.q, q, args, limit, &mr.seq, mr.scan)
	if err != nil {
		return noetl.Page[noetl.Message]{}, r.s.wrap(err, "list messages of chat %s", chatID)
	}
	if len(items) == 0 {
		if err := r.readRefusal(ctx, actor, chatID, "list messages of chat "+chatID.String()); err != nil {
			return noetl.Page[noetl.Message]{}, err
		}
	}
	return seqPage(items, limit, last, messageLists[order], order == cursorOldest), nil
}

// listSQL returns the statement and arguments of one page. There are four
// shapes: newest or oldest first, first page or after a cursor.
func (r messageRepo) listSQL(order int, after bool, chatID, actor snowflake.ID, cur int64, limit int) (string, []any) {
	d := r.s.d
	cmp, dir := "<", " DESC"
	if order == cursorOldest {
		cmp, dir = ">", ""
	}
	key := messageListKeys[order][0]
	if after {
		key = messageListKeys[order][1]
	}
	q := d.SQL(key, func() string {
		s := "SELECT " + messageSeqCols + " FROM {message} WHERE chat_id = ?"
		if after {
			s += " AND seq " + cmp + " ?"
		}
		return s + " AND EXISTS (SELECT 1 FROM {member} WHERE chat_id = ? AND profile_id = ?)" +
			" ORDER BY seq" + dir + " LIMIT ?"
	})
	chat := any(int64(chatID)) // boxed once for its two places
	args := make([]any, 1, 5)
	args[0] = chat
	if after {
		args = append(args, cur)
	}
	return q, append(args, chat, int64(actor), int64(limit+1))
}

// messageListKeys are the statement keys of listSQL's four shapes, by
// order and whether a cursor is given.
var messageListKeys = func() (k [3][2]string) {
	for o := range k {
		for a := range k[o] {
			k[o][a] = fmt.Sprintf("message.list.%d.%t", o, a == 1)
		}
	}
	return k
}()

func (r messageRepo) Delete(ctx context.Context, actor, id snowflake.ID) error {
	q := r.s.d.SQL("message.delete", func() string {
		return "DELETE FROM {message} WHERE id = ? AND (sender_id = ? OR EXISTS (SELECT 1 FROM {member}" +
			" WHERE chat_id = (SELECT chat_id FROM {message} WHERE id = ?) AND profile_id = ? AND role IN " +
			rolesIn(noetl.ActionModerate) + "))"
	})
	what := "delete message " + id.String()
	n, err := r.s.q.Exec(ctx, q, int64(id), int64(actor), int64(id), int64(actor))
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
