package storagetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("idempotent_retries", testIdempotentRetries) }

// A write whose outcome is unknown (a deadline at COMMIT, a lost
// connection) is retried with the same input: the retry completes it or
// finds it stored, and never stores anything twice.
func testIdempotentRetries(t *testing.T, h Harness) {
	newBatch := func(exec snowflake.ID, n int) []noetl.Event {
		batch := make([]noetl.Event, n)
		for i := range batch {
			batch[i] = noetl.Event{ExecutionID: exec, Status: ptr("COMPLETED"), CurrentIndex: ptr(i),
				Metadata: json.RawMessage(`{"attempt": 1, "n": 1.50}`)}
		}
		return batch
	}
	t.Run("BatchRetriedAfterItCommittedSucceedsAndStoresEachEventOnce", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		batch := newBatch(exec, 300)
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch), "the same slice again, ids filled in")
		assert.Equal(t, eventIDs(batch), listedEvents(t, s, exec))
	})
	t.Run("BatchRetriedInsideATransactionFindsItStoredAndTheTransactionGoesOn", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		batch := newBatch(exec, 20)
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		var more noetl.Event
		require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) (err error) {
			if err := tx.Events().AppendBatch(ctx, batch); err != nil {
				return err
			}
			more, err = tx.Events().Append(ctx, noetl.Event{ExecutionID: exec})
			return err
		}))
		assert.Equal(t, append(eventIDs(batch), more.EventID), listedEvents(t, s, exec))
	})
	t.Run("BatchOverlappingStoredEventsWritesOnlyTheMissingOnesInSliceOrder", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		batch := newBatch(exec, 10)
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch[3:6]))
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		ids := eventIDs(batch)
		want := append(append(append([]snowflake.ID{}, ids[3:6]...), ids[:3]...), ids[6:]...)
		assert.Equal(t, want, listedEvents(t, s, exec), "stored first, then the rest in slice order")
	})
	t.Run("BatchReusingAStoredIDWithOtherContentIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		batch := newBatch(exec, 6)
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch[:3]))
		batch[1].Status = ptr("FAILED")
		err := s.Events().AppendBatch(ctx(t), batch)
		require.ErrorIs(t, err, noetl.ErrConflict)
		assert.Contains(t, err.Error(), batch[1].EventID.String())
		assert.Equal(t, eventIDs(batch[:3]), listedEvents(t, s, exec))
		got, err := s.Events().Get(ctx(t), exec, batch[1].EventID)
		require.NoError(t, err)
		assert.Equal(t, "COMPLETED", *got.Status)
	})
	t.Run("BatchRetriedWithEveryFieldSetFindsItStored", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		batch := []noetl.Event{fullEvent(exec, s.IDs().MustNext()), fullEvent(exec, s.IDs().MustNext())}
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		assert.Equal(t, eventIDs(batch), listedEvents(t, s, exec))
	})
	t.Run("AppendRetriedWithItsIDAndContentReturnsTheStoredEvent", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		in := fullEvent(exec, s.IDs().MustNext())
		first, err := s.Events().Append(ctx(t), in)
		require.NoError(t, err)
		again, err := s.Events().Append(ctx(t), in)
		require.NoError(t, err)
		assertEventEqual(t, first, again)
		assert.Equal(t, []snowflake.ID{in.EventID}, listedEvents(t, s, exec))
	})
	t.Run("PostWithACallerIDKeepsIt", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		id := s.IDs().MustNext()
		m, err := s.Messages().Post(ctx(t), noetl.NewMessage{ID: id, ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &c.ann.ID, Content: "hi"})
		require.NoError(t, err)
		assert.Equal(t, id, m.ID)
		got, err := s.Messages().Get(ctx(t), c.bob.ID, id)
		require.NoError(t, err)
		assert.Equal(t, m, got)
	})
	t.Run("PostRetriedWithTheSameIDReturnsTheStoredMessageOnce", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := noetl.NewMessage{ID: s.IDs().MustNext(), ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &c.ann.ID,
			Role: "user", Content: "hi", Metadata: json.RawMessage(`{"b": 2, "a": [1.0]}`)}
		first, err := s.Messages().Post(ctx(t), in)
		require.NoError(t, err)
		again, err := s.Messages().Post(ctx(t), in)
		require.NoError(t, err)
		assert.JSONEq(t, string(first.Metadata), string(again.Metadata))
		again.Metadata = first.Metadata
		assert.Equal(t, first, again, "the stored message, created once")
		n, err := s.Messages().Count(ctx(t), c.ann.ID, c.chat.ID)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
	})
	t.Run("PostReusingAnIDWithOtherContentIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		other := c.newChat(t, c.eng.ID, "other")
		in := noetl.NewMessage{ID: s.IDs().MustNext(), ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &c.ann.ID, Content: "hi"}
		_, err := s.Messages().Post(ctx(t), in)
		require.NoError(t, err)
		for _, edit := range []func(m *noetl.NewMessage){
			func(m *noetl.NewMessage) { m.Content = "hello" },
			func(m *noetl.NewMessage) { m.SenderID = &c.bob.ID },
			func(m *noetl.NewMessage) { m.Role = "assistant" },
			func(m *noetl.NewMessage) { m.Metadata = json.RawMessage(`{}`) },
			func(m *noetl.NewMessage) { m.ChatID = other.ID },
		} {
			changed := in
			edit(&changed)
			_, err = s.Messages().Post(ctx(t), changed)
			require.ErrorIs(t, err, noetl.ErrConflict)
			assert.Contains(t, err.Error(), in.ID.String())
		}
		for _, chat := range []snowflake.ID{c.chat.ID, other.ID} {
			n, err := s.Messages().Count(ctx(t), c.ann.ID, chat)
			require.NoError(t, err)
			assert.EqualValues(t, map[snowflake.ID]int64{c.chat.ID: 1, other.ID: 0}[chat], n)
		}
		got, err := s.Messages().Get(ctx(t), c.ann.ID, in.ID)
		require.NoError(t, err)
		assert.Equal(t, "hi", got.Content)
	})
}
