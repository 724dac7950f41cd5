package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// followLimit is how many rows one read of a follower takes; a full page
// is read again at once, a shorter one is the end for now.
const followLimit = 256

// A follower's pauses before reading again after a transient failure.
const (
	followMinRetry = 50 * time.Millisecond
	followMaxRetry = 2 * time.Second
)

// follow yields the rows read(ctx, cursor) returns, from after on, and
// waits on the hub for k between reads (see MessageRepo.Follow). A
// transient failure (ErrTransient: a lost connection, a server restarting)
// is retried from the cursor until ctx ends; any other ends the follow. The
// channel is taken before each read, so a commit after the read closes the
// channel waited on: no wake-up falls between a read and the wait.
func follow[T any](ctx context.Context, s *Store, k HubKey, after string,
	read func(ctx context.Context, after string) ([]noetl.Followed[T], error)) iter.Seq2[noetl.Followed[T], error] {
	return func(yield func(noetl.Followed[T], error) bool) {
		var zero noetl.Followed[T]
		if s.tx != nil || s.joined(ctx) != nil {
			yield(zero, noetl.Invalidf("follow: a store in a transaction cannot follow (follow outside it)"))
			return
		}
		h := s.cfg.Hub
		h.watch(k)
		defer h.unwatch(k)
		cur := after
		retry := followMinRetry
		for {
			woken := h.channel(k)
			rows, err := read(ctx, cur)
			if err != nil && errors.Is(err, noetl.ErrTransient) && ctx.Err() == nil {
				// A lost connection, the server restarting: read again
				// from the cursor, after a pause.
				select {
				case <-time.After(retry):
				case <-ctx.Done():
					return
				}
				retry = min(2*retry, followMaxRetry)
				continue
			}
			if err != nil {
				if ctx.Err() == nil {
					yield(zero, err)
				}
				return
			}
			retry = followMinRetry
			for _, r := range rows {
				if !yield(r, nil) {
					return
				}
				cur = r.Cursor
			}
			if len(rows) == followLimit {
				continue
			}
			select {
			case <-woken:
			case <-ctx.Done():
				return
			}
		}
	}
}

// Follow implements noetl.MessageRepo: List's oldest-first statement, from
// the cursor, at every wake-up.
func (r messageRepo) Follow(ctx context.Context, actor, chatID snowflake.ID, after string) iter.Seq2[noetl.Followed[noetl.Message], error] {
	list := messageLists[cursorOldest]
	return follow(ctx, r.s, ChatKey(chatID), after, func(ctx context.Context, after string) ([]noetl.Followed[noetl.Message], error) {
		var pos int64
		has, err := DecodeCursor(list, after, &pos)
		if err != nil {
			return nil, err
		}
		q, args := r.listSQL(cursorOldest, has, chatID, actor, pos, followLimit-1)
		mr := newMessageRow(r.s.d, true)
		rows, err := collectInto(ctx, r.s.q, q, args, followLimit, func(row Row, v *noetl.Followed[noetl.Message]) error {
			err := mr.scan(row, &v.Item)
			v.Cursor = EncodeCursor(list, mr.seq)
			return err
		})
		what := fmt.Sprintf("follow messages of chat %s", chatID)
		if err != nil {
			return nil, r.s.wrap(err, "%s", what)
		}
		if len(rows) == 0 {
			if err := r.readRefusal(ctx, actor, chatID, what); err != nil {
				return nil, err
			}
		}
		return rows, nil
	})
}

// Follow implements noetl.EventRepo: List's statement, from the cursor, at
// every wake-up.
func (r eventRepo) Follow(ctx context.Context, exec snowflake.ID, after string) iter.Seq2[noetl.Followed[noetl.Event], error] {
	return follow(ctx, r.s, ExecutionKey(exec), after, func(ctx context.Context, after string) ([]noetl.Followed[noetl.Event], error) {
		var pos int64
		if _, err := DecodeCursor("event", after, &pos); err != nil {
			return nil, err
		}
		// List's statement without filters.
		q := r.s.d.SQL("event.follow", func() string {
			return "SELECT " + eventSeqCols + " FROM {event_log} WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?"
		})
		er := newEventRow(r.s.d, true)
		rows, err := collectInto(ctx, r.s.q, q, []any{int64(exec), pos, followLimit}, followLimit, func(row Row, v *noetl.Followed[noetl.Event]) error {
			err := er.scan(row, &v.Item)
			v.Cursor = EncodeCursor("event", er.seq)
			return err
		})
		if err != nil {
			return nil, r.s.wrap(err, "follow events of execution %s", exec)
		}
		return rows, nil
	})
}
