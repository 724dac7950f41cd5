package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("message_batch", testMessageBatch) }

// batchOf returns n messages to chat, cycling through the sender kinds:
// a user message from each of senders, an ai message without a sender and
// a system message.
func batchOf(chat snowflake.ID, n int, senders ...noetl.Profile) []noetl.NewMessage {
	out := make([]noetl.NewMessage, n)
	for i := range out {
		in := noetl.NewMessage{ChatID: chat, Content: fmt.Sprintf("message %d", i)}
		switch k := i % (len(senders) + 2); {
		case k < len(senders):
			in.SenderType, in.SenderID, in.Role = noetl.SenderUser, &senders[k].ID, "user"
		case k == len(senders):
			in.SenderType, in.Role, in.Metadata = noetl.SenderAI, "assistant", json.RawMessage(fmt.Sprintf(`{"n": %d}`, i))
		default:
			in.SenderType = noetl.SenderSystem
		}
		out[i] = in
	}
	return out
}

func testMessageBatch(t *testing.T, h Harness) {
	t.Run("BatchIsListedOldestFirstInSliceOrderAfterEarlierPosts", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		first := c.post(t, c.chat.ID, c.ann, "before the batch")
		in := batchOf(c.chat.ID, 300, c.ann, c.cat)
		got, err := s.Messages().PostBatch(ctx(t), in)
		require.NoError(t, err)
		require.Len(t, got, len(in))
		for i, m := range got {
			require.NotZero(t, m.ID, "message %d has an id", i)
			require.Equal(t, in[i].ID, m.ID, "the id is filled in the caller's slice")
			require.Equal(t, c.chat.ID, m.ChatID)
			require.Equal(t, in[i].SenderType, m.SenderType)
			require.Equal(t, in[i].SenderID, m.SenderID)
			require.Equal(t, in[i].Content, m.Content)
			require.False(t, m.CreatedAt.IsZero())
		}
		last := c.post(t, c.chat.ID, c.cat, "after the batch")
		want := append(append([]snowflake.ID{first.ID}, msgIDs(got)...), last.ID)
		require.Equal(t, want, listedMessages(t, s, c))
		stored, err := s.Messages().Get(ctx(t), c.ann.ID, got[2].ID)
		require.NoError(t, err)
		assert.Equal(t, "assistant", *stored.Role)
		assert.JSONEq(t, `{"n": 2}`, string(stored.Metadata))
	})
	t.Run("BatchKeepsQuotesAndSeparatorsInContentAndMetadata", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		// More rows than one statement of a batch writes.
		in := batchOf(c.chat.ID, 700, c.ann)
		for i := range in {
			in[i].Content = trickyText[i%len(trickyText)]
			if strings.TrimSpace(in[i].Content) == "" {
				in[i].Content += "." // content is never blank
			}
			in[i].Metadata = trickyJSON[i%len(trickyJSON)]
		}
		got, err := s.Messages().PostBatch(ctx(t), in)
		require.NoError(t, err)
		listed := allPages(t, func(after string) (noetl.Page[noetl.Message], error) {
			return s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{Order: noetl.OldestFirst, Limit: noetl.MaxLimit, After: after})
		})
		require.Len(t, listed, len(in))
		for i := range in {
			require.Equal(t, got[i].ID, listed[i].ID)
			require.Equal(t, in[i].Content, listed[i].Content, "content of message %d", i)
			if len(in[i].Metadata) == 0 {
				require.Empty(t, listed[i].Metadata, "metadata of message %d", i)
			} else {
				require.JSONEq(t, string(in[i].Metadata), string(listed[i].Metadata), "metadata of message %d", i)
			}
		}
	})
	t.Run("BatchOverTwoChatsListsEachChatInSliceOrder", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		other := c.newChat(t, c.eng.ID, "other")
		in := batchOf(c.chat.ID, 10, c.bob)
		for i := range in {
			if i%3 == 0 {
				in[i].ChatID = other.ID
			}
		}
		got, err := s.Messages().PostBatch(ctx(t), in)
		require.NoError(t, err)
		var want = map[snowflake.ID][]snowflake.ID{}
		for _, m := range got {
			want[m.ChatID] = append(want[m.ChatID], m.ID)
		}
		require.Len(t, want[other.ID], 4)
		require.Equal(t, want[c.chat.ID], listedMessages(t, s, c))
		otherList := msgIDs(allPages(t, func(after string) (noetl.Page[noetl.Message], error) {
			return s.Messages().List(ctx(t), c.cat.ID, other.ID, noetl.MessageQuery{Order: noetl.OldestFirst, Limit: 3, After: after})
		}))
		require.Equal(t, want[other.ID], otherList)
	})
	t.Run("GivenIdsAreKept", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := batchOf(c.chat.ID, 5, c.ann)
		given := s.IDs().MustNext()
		in[3].ID = given
		got, err := s.Messages().PostBatch(ctx(t), in)
		require.NoError(t, err)
		require.Equal(t, given, got[3].ID)
		require.Equal(t, msgIDs(got), listedMessages(t, s, c))
	})
	t.Run("EmptyBatchWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		got, err := s.Messages().PostBatch(ctx(t), nil)
		require.NoError(t, err)
		require.Empty(t, got)
		require.Empty(t, listedMessages(t, s, c))
	})
	t.Run("SenderNotMemberIsForbiddenAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := batchOf(c.chat.ID, 200, c.ann)
		in[150].SenderID = &c.dan.ID
		err := unchanged(t, s, noetl.ErrForbidden, func() error { _, err := s.Messages().PostBatch(ctx(t), in); return err })
		require.Contains(t, err.Error(), c.dan.ID.String())
	})
	t.Run("AISenderNotMemberIsForbiddenAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := batchOf(c.chat.ID, 20, c.ann)
		in[7] = noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderAI, SenderID: &c.dan.ID, Content: "speaking for dan"}
		unchanged(t, s, noetl.ErrForbidden, func() error { _, err := s.Messages().PostBatch(ctx(t), in); return err })
	})
	t.Run("UnknownChatIsNotFoundAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := batchOf(c.chat.ID, 20, c.ann)
		in[19] = noetl.NewMessage{ChatID: s.IDs().MustNext(), SenderType: noetl.SenderSystem, Content: "nowhere"}
		unchanged(t, s, noetl.ErrNotFound, func() error { _, err := s.Messages().PostBatch(ctx(t), in); return err })
	})
	t.Run("InvalidMessageIsInvalidNamesItsIndexAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := batchOf(c.chat.ID, 20, c.ann)
		in[5].Content = "  "
		err := unchanged(t, s, noetl.ErrInvalid, func() error { _, err := s.Messages().PostBatch(ctx(t), in); return err })
		require.Contains(t, err.Error(), "message 5")
		require.Zero(t, in[0].ID, "a refused batch fills in no id")
	})
	t.Run("CancelledContextWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		cctx, cancel := context.WithCancel(ctx(t))
		cancel()
		unchanged(t, s, context.Canceled, func() error {
			_, err := s.Messages().PostBatch(cctx, batchOf(c.chat.ID, 50, c.ann))
			return err
		})
	})
	t.Run("DeadlineWhileWaitingForTheChatWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		held := make(chan struct{})
		release := make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
				if _, err := tx.Messages().Post(ctx, noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderSystem, Content: "held"}); err != nil {
					return err
				}
				close(held)
				<-release
				return nil
			})
		}()
		<-held
		dctx, cancel := context.WithTimeout(ctx(t), 300*time.Millisecond)
		defer cancel()
		_, err := s.Messages().PostBatch(dctx, batchOf(c.chat.ID, 50, c.ann))
		close(release)
		require.NoError(t, <-errc)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		listed := listedMessages(t, s, c)
		require.Len(t, listed, 1, "only the held post is stored")
	})
	t.Run("RolledBackTransactionLeavesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		boom := fmt.Errorf("caller gives up")
		err := s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
			if _, err := tx.Messages().PostBatch(ctx, batchOf(c.chat.ID, 100, c.cat)); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Empty(t, listedMessages(t, s, c))
	})
	t.Run("RefusedBatchInsideATransactionLetsTheTransactionGoOn", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		bad := batchOf(c.chat.ID, 10, c.ann)
		bad[9].SenderID = &c.dan.ID
		var ok noetl.Message
		require.NoError(t, s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) (err error) {
			_, err = tx.Messages().PostBatch(ctx, bad)
			require.ErrorIs(t, err, noetl.ErrForbidden)
			ok, err = tx.Messages().Post(ctx, noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderSystem, Content: "still here"})
			return err
		}))
		require.Equal(t, []snowflake.ID{ok.ID}, listedMessages(t, s, c))
	})
	t.Run("RetryOfACommittedBatchReturnsItAndStoresEachMessageOnce", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := batchOf(c.chat.ID, 150, c.ann, c.bob)
		first, err := s.Messages().PostBatch(ctx(t), in)
		require.NoError(t, err)
		again, err := s.Messages().PostBatch(ctx(t), in)
		require.NoError(t, err, "the same slice again, ids filled in")
		require.Equal(t, msgIDs(first), msgIDs(again))
		for i := range first {
			require.True(t, first[i].CreatedAt.Equal(again[i].CreatedAt), "message %d is returned as stored", i)
		}
		require.Equal(t, msgIDs(first), listedMessages(t, s, c))
	})
	t.Run("RetryOverlappingStoredMessagesWritesOnlyTheMissingOnesInSliceOrder", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := batchOf(c.chat.ID, 10, c.ann)
		for i := range in {
			in[i].ID = s.IDs().MustNext()
		}
		_, err := s.Messages().PostBatch(ctx(t), in[3:6])
		require.NoError(t, err)
		got, err := s.Messages().PostBatch(ctx(t), in)
		require.NoError(t, err)
		ids := msgIDs(got)
		want := append(append(append([]snowflake.ID{}, ids[3:6]...), ids[:3]...), ids[6:]...)
		require.Equal(t, want, listedMessages(t, s, c), "stored first, then the rest in slice order")
	})
	t.Run("IdStoredWithOtherContentIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		stored := c.post(t, c.chat.ID, c.ann, "the original")
		in := batchOf(c.chat.ID, 10, c.ann)
		in[4].ID = stored.ID
		unchanged(t, s, noetl.ErrConflict, func() error { _, err := s.Messages().PostBatch(ctx(t), in); return err })
	})
	t.Run("IdTwiceInTheBatchIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := batchOf(c.chat.ID, 10, c.ann)
		in[2].ID = s.IDs().MustNext()
		in[8].ID = in[2].ID
		unchanged(t, s, noetl.ErrConflict, func() error { _, err := s.Messages().PostBatch(ctx(t), in); return err })
	})
	t.Run("FollowerSeesEveryMessageOnceWhileBatchesAndPostsCommit", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		written, done := writers(t, tailWriters, 12, func(w, i int) ([]snowflake.ID, error) {
			if w%2 == 0 {
				in := noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &c.bob.ID, Content: fmt.Sprintf("w%d #%d", w, i)}
				m, err := s.Messages().Post(ctx(t), in)
				return []snowflake.ID{m.ID}, err
			}
			got, err := s.Messages().PostBatch(ctx(t), batchOf(c.chat.ID, 7, c.ann, c.cat))
			return msgIDs(got), err
		})
		f := messageFollower(s, c.cat.ID, c.chat.ID, 5)
		f.follow(t, done)
		requireSeenOnce(t, f.seen, listedMessages(t, s, c), written())
	})
}
