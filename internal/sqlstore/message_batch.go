package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/noetl/noetldb/internal/pgcopy"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// messageSeqColumns are messageSeqCols as a list, for COPY.
var messageSeqColumns = strings.Split(messageSeqCols, ", ")

// messagesPerStmt is how many messages one prepared multi-row insert
// writes on SQLite (9 parameters each).
const messagesPerStmt = 128

// messageInsertMulti inserts n messages with their seqs.
func messageInsertMulti(n int) string {
	row := In(len(messageSeqColumns))
	return "INSERT INTO {message} (" + messageSeqCols + ") VALUES " + strings.Repeat(row+", ", n-1) + row
}

// PostBatch validates every message, fills in ids and checks each chat and
// sender once, then writes the batch in one transaction, keeping the
// commit-order design of Post: the chats are locked (PostgreSQL: their
// advisory locks, in key order, so two batches never wait for each other
// in a cycle; SQLite: the write lock) and only then are seqs taken, in
// slice order (PostgreSQL: message_seq; SQLite: from chat.last_message_seq,
// which the trigger raises row by row). The rows go in by COPY where the
// querier has it, else by a prepared multi-row insert, else row by row.
//
// When the write meets stored ids, the batch is compared with what is
// stored, as AppendBatch does: the same content is a retry and is returned
// as stored, the rest is written; other content is ErrConflict.
func (r messageRepo) PostBatch(ctx context.Context, in []noetl.NewMessage) ([]noetl.Message, error) {
	if len(in) == 0 {
		return []noetl.Message{}, ctx.Err()
	}
	zero := 0
	for i := range in {
		if err := in[i].Validate(); err != nil {
			return nil, invalidAt("message", i, err)
		}
		if in[i].ID == 0 {
			zero++
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var next snowflake.ID
	left := 0
	now := r.s.now()
	out := make([]noetl.Message, len(in))
	roles := make([]string, len(in)) // the returned roles, not the caller's
	for i := range in {
		m := &in[i]
		if m.ID == 0 {
			if left == 0 {
				n := min(zero, maxBlock)
				first, err := r.s.cfg.IDs.Block(n)
				if err != nil {
					return nil, idError("message batch: new ids", err)
				}
				next, left, zero = first, n, zero-n
			}
			m.ID = next
			next++
			left--
		}
		v := noetl.Message{ID: m.ID, ChatID: m.ChatID, SenderType: m.SenderType, SenderID: m.SenderID,
			Content: m.Content, Metadata: m.Metadata, CreatedAt: now}
		if m.Role != "" {
			roles[i] = m.Role
			v.Role = &roles[i]
		}
		out[i] = v
	}
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error { return ts.postMessages(ctx, out) })
	for attempt := 0; err != nil && attempt < 3; attempt++ {
		if kind, _ := r.s.constraint(err); kind != noetl.ErrConflict {
			break
		}
		// Some ids are stored: a retry of a batch that committed, or a
		// conflict. Compare and write what is missing.
		err = r.s.inTx(ctx, func(ctx context.Context, ts *Store) error { return ts.postMissingMessages(ctx, out) })
	}
	if err == nil {
		return out, nil
	}
	var ne *noetl.Error
	if errors.As(err, &ne) {
		return nil, err
	}
	what := "post " + strconv.Itoa(len(in)) + " messages"
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return nil, fmt.Errorf("%s: %w (%w)", what, cerr, err)
	}
	if kind, _ := r.s.constraint(err); kind == noetl.ErrConflict {
		return nil, &noetl.Error{Kind: kind, Cause: err,
			Msg: what + ": a message id was stored by another writer meanwhile; nothing was written"}
	}
	return nil, r.s.wrap(err, "%s", what)
}

// postMessages checks, numbers and writes msgs in ts's transaction.
func (ts *Store) postMessages(ctx context.Context, msgs []noetl.Message) error {
	if err := ts.checkPosters(ctx, msgs); err != nil {
		return err
	}
	seqs, err := ts.reserveMessageSeqs(ctx, msgs)
	if err != nil {
		return err
	}
	return ts.writeMessages(ctx, msgs, seqs)
}

// checkPosters checks each chat and sender of msgs once, in the order
// they first appear: a named sender must be a member allowed to post, and
// a chat posted to without one must exist.
func (ts *Store) checkPosters(ctx context.Context, msgs []noetl.Message) error {
	type poster struct{ chat, sender snowflake.ID }
	seen := map[poster]bool{}
	var anonymous []snowflake.ID     // chats posted to without a sender, in order
	named := map[snowflake.ID]bool{} // chats whose existence a check showed
	for i := range msgs {
		m := &msgs[i]
		p := poster{chat: m.ChatID}
		if m.SenderID != nil {
			p.sender = *m.SenderID
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		if p.sender == 0 {
			anonymous = append(anonymous, p.chat)
			continue
		}
		what := "post " + string(m.SenderType) + " message " + strconv.Itoa(i) + " to chat " + m.ChatID.String()
		if err := ts.check(ctx, p.sender, p.chat, noetl.ActionPost, what); err != nil {
			return err
		}
		named[p.chat] = true
	}
	for _, chat := range anonymous {
		if named[chat] {
			continue
		}
		if _, _, found, err := ts.roleIn(ctx, chat, 0, false); err != nil {
			return err
		} else if !found {
			return noetl.NewError(noetl.ErrNotFound, "post messages: chat %s", chat)
		}
		named[chat] = true
	}
	return nil
}

// reserveMessageSeqs locks msgs' chats and returns each message's seq,
// increasing per chat in slice order.
func (ts *Store) reserveMessageSeqs(ctx context.Context, msgs []noetl.Message) ([]int64, error) {
	d := ts.d
	seqs := make([]int64, len(msgs))
	if d.Postgres() {
		keys := make([]int32, 0, 4)
		for i := range msgs {
			if k := lockKey(msgs[i].ChatID); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		q := d.SQL("message.reserve", func() string {
			// The notify rides the locking statement, delivered on commit.
			return fmt.Sprintf("SELECT nextval('{message_seq}') FROM (SELECT count(pg_advisory_xact_lock(%d, k)) + count(CAST(%s AS TEXT)) AS n"+
				" FROM unnest(CAST(? AS INT[])) AS k) l, generate_series(1, CAST(? AS BIGINT))", messageLockClass, notifySQL(KindChat, "k"))
		})
		rows, err := ts.q.Query(ctx, q, keys, int64(len(msgs)))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			if n == len(seqs) {
				return nil, fmt.Errorf("message seq: more values than %d messages", len(msgs))
			}
			if err := rows.Scan(&seqs[n]); err != nil {
				return nil, err
			}
			n++
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n != len(msgs) {
			return nil, fmt.Errorf("message seq: %d values for %d messages", n, len(msgs))
		}
		// Values taken under the locks, handed out in slice order.
		slices.Sort(seqs)
		return seqs, nil
	}
	q := d.SQL("message.lastseq", func() string { return "SELECT last_message_seq FROM {chat} WHERE id = ?" })
	next := map[snowflake.ID]int64{}
	for i := range msgs {
		c := msgs[i].ChatID
		n, ok := next[c]
		if !ok {
			if err := ts.q.QueryRow(ctx, q, int64(c)).Scan(&n); err != nil {
				return nil, ts.wrap(err, "chat %s", c)
			}
		}
		n++
		seqs[i], next[c] = n, n
	}
	return seqs, nil
}

// messageArgs appends m's parameters and seq, in messageSeqColumns order.
func (d *Dialect) messageArgs(dst []any, m *noetl.Message, seq int64) []any {
	var role any
	if m.Role != nil {
		role = *m.Role
	}
	return append(dst, int64(m.ID), int64(m.ChatID), string(m.SenderType), idArg(m.SenderID), role, m.Content,
		d.JSON(m.Metadata), d.Time(m.CreatedAt), seq)
}

// messagesCopy encodes checked messages, each with its seq, as the binary
// COPY data of messageSeqColumns (see eventsCopy).
func messagesCopy(msgs []noetl.Message, seqs []int64) []byte {
	w := pgcopy.New(len(msgs) * 96)
	for i := range msgs {
		m := &msgs[i]
		w.Row(len(messageSeqColumns))
		w.Int8(int64(m.ID))
		w.Int8(int64(m.ChatID))
		w.Text(string(m.SenderType))
		if m.SenderID == nil {
			w.Null()
		} else {
			w.Int8(int64(*m.SenderID))
		}
		if m.Role == nil {
			w.Null()
		} else {
			w.Text(string(*m.Role))
		}
		w.Text(m.Content)
		if len(m.Metadata) == 0 {
			w.Null()
		} else {
			w.JSONB(m.Metadata)
		}
		w.Timestamptz(m.CreatedAt)
		w.Int8(seqs[i])
	}
	return w.Finish()
}

// writeMessages writes checked messages with their seqs on the
// transaction's querier.
func (ts *Store) writeMessages(ctx context.Context, msgs []noetl.Message, seqs []int64) (err error) {
	all := msgs // the loops below consume msgs
	defer func() {
		if err == nil {
			ts.wroteMessages(ctx, all)
		}
	}()
	d := ts.d
	width := len(messageSeqColumns)
	if c, ok := ts.q.(Copier); ok {
		_, err := c.CopyBinary(ctx, "message", messageSeqColumns, messagesCopy(msgs, seqs))
		return err
	}
	args := make([]any, 0, min(len(msgs), messagesPerStmt)*width)
	if p, ok := ts.q.(Preparer); ok {
		for len(msgs) > 0 {
			n := min(len(msgs), messagesPerStmt)
			var q string
			if n == messagesPerStmt {
				q = d.SQL("message.insert.multi", func() string { return messageInsertMulti(messagesPerStmt) })
			} else {
				q = d.Rebind(d.tables(messageInsertMulti(n))) // the batch's tail
			}
			st, err := p.Prepare(ctx, q)
			if err != nil {
				return err
			}
			for len(msgs) >= n {
				args = args[:0]
				for i := range n {
					args = d.messageArgs(args, &msgs[i], seqs[i])
				}
				if err := st.Exec(ctx, args...); err != nil {
					st.Close()
					return err
				}
				msgs, seqs = msgs[n:], seqs[n:]
				if n < messagesPerStmt {
					break
				}
			}
			if err := st.Close(); err != nil {
				return err
			}
		}
		return nil
	}
	q := d.SQL("message.insert.one", func() string { return messageInsertMulti(1) })
	for i := range msgs {
		if _, err := ts.q.Exec(ctx, q, d.messageArgs(args[:0], &msgs[i], seqs[i])...); err != nil {
			return err
		}
	}
	return nil
}

// postMissingMessages writes the messages of a batch that are not stored,
// after checking that the stored ones hold the same input, and puts the
// stored ones in their place in msgs; an id given twice in the batch, or
// stored with other input, is ErrConflict.
func (ts *Store) postMissingMessages(ctx context.Context, msgs []noetl.Message) error {
	what := "post " + strconv.Itoa(len(msgs)) + " messages"
	at := make(map[snowflake.ID]int, len(msgs))
	for i := range msgs {
		if _, ok := at[msgs[i].ID]; ok {
			return noetl.NewError(noetl.ErrConflict, "%s: message %s is twice in the batch; nothing was written", what, msgs[i].ID)
		}
		at[msgs[i].ID] = i
	}
	q := ts.d.SQL("message.stored", func() string {
		return "SELECT " + messageCols + " FROM {message} WHERE id IN " + In(storedChunk)
	})
	args := make([]any, storedChunk)
	stored := map[snowflake.ID]noetl.Message{}
	for start := 0; start < len(msgs); start += storedChunk {
		chunk := msgs[start:min(len(msgs), start+storedChunk)]
		for i := range storedChunk {
			args[i] = int64(chunk[min(i, len(chunk)-1)].ID) // padded with the last id
		}
		found, err := collect(ctx, ts.q, q, args, messageRepo{ts}.scanOne)
		if err != nil {
			return err
		}
		for _, m := range found {
			stored[m.ID] = m
		}
	}
	var missing []noetl.Message
	for i := range msgs {
		st, ok := stored[msgs[i].ID]
		switch {
		case !ok:
			missing = append(missing, msgs[i])
		case !sameMessage(st, msgs[i]):
			return noetl.NewError(noetl.ErrConflict, "%s: message %s is stored with other content; nothing was written", what, msgs[i].ID)
		}
	}
	if len(missing) > 0 {
		if err := ts.postMessages(ctx, missing); err != nil {
			return err
		}
	}
	for id, m := range stored {
		msgs[at[id]] = m
	}
	return nil
}

// wroteMessages is wrote for a batch of messages: each chat's followers
// wake once.
func (ts *Store) wroteMessages(ctx context.Context, msgs []noetl.Message) {
	if ts.d.Postgres() {
		return
	}
	var last snowflake.ID
	for i := range msgs {
		if c := msgs[i].ChatID; i == 0 || c != last {
			ts.wrote(ctx, ChatKey(c))
			last = c
		}
	}
}
