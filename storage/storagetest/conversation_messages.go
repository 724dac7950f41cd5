package storagetest

import (
	"context"

	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	register("messages", testMessages)
	register("attachments", testAttachments)
}

func msgIDs(ms []noetl.Message) []snowflake.ID {
	return ids(ms, func(m noetl.Message) snowflake.ID { return m.ID })
}

func testMessages(t *testing.T, h Harness) {
	t.Run("PostAndGetWithRoleAndMetadata", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		in := noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &c.cat.ID, Role: "user",
			Content: "hello, world", Metadata: json.RawMessage(`{"lang":"en","ids":[12345678901234567]}`)}
		m, err := s.Messages().Post(ctx(t), in)
		require.NoError(t, err)
		assert.Equal(t, c.chat.ID, m.ChatID)
		assert.Equal(t, noetl.SenderUser, m.SenderType)
		assert.Equal(t, c.cat.ID, *m.SenderID)
		assert.Equal(t, "user", *m.Role)
		assert.Equal(t, m.CreatedAt, noetl.UTC(m.CreatedAt))
		got, err := s.Messages().Get(ctx(t), c.bob.ID, m.ID)
		require.NoError(t, err)
		assert.JSONEq(t, string(in.Metadata), string(got.Metadata))
		got.Metadata = m.Metadata
		assert.Equal(t, m, got)
	})
	t.Run("PostEverySenderType", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		bot, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "helper", Type: noetl.ProfileBot})
		require.NoError(t, err)
		_, err = s.Members().Add(ctx(t), c.bob.ID, noetl.NewMember{ChatID: c.chat.ID, ProfileID: bot.ID})
		require.NoError(t, err)
		for _, in := range []noetl.NewMessage{
			{SenderType: noetl.SenderUser, SenderID: &c.ann.ID, Content: "from a user"},
			{SenderType: noetl.SenderBot, SenderID: &bot.ID, Content: "from a bot"},
			{SenderType: noetl.SenderAI, Role: "assistant", Content: "from an AI", Metadata: json.RawMessage(`"free JSON"`)},
			{SenderType: noetl.SenderAI, SenderID: &c.cat.ID, Content: "an AI speaking for a member"},
			{SenderType: noetl.SenderSystem, Content: "ann joined"},
		} {
			in.ChatID = c.chat.ID
			m, err := s.Messages().Post(ctx(t), in)
			require.NoError(t, err, in.Content)
			got, err := s.Messages().Get(ctx(t), c.ann.ID, m.ID)
			require.NoError(t, err)
			assert.Equal(t, in.SenderType, got.SenderType)
			assert.Equal(t, in.SenderID, got.SenderID)
			assert.Equal(t, in.Content, got.Content)
		}
		n, err := s.Messages().Count(ctx(t), c.cat.ID, c.chat.ID)
		require.NoError(t, err)
		assert.EqualValues(t, 5, n)
	})
	t.Run("UserOrBotSenderNotMemberIsForbiddenAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		bot, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "stray", Type: noetl.ProfileBot})
		require.NoError(t, err)
		for _, in := range []noetl.NewMessage{
			{SenderType: noetl.SenderUser, SenderID: &c.dan.ID, Content: "let me in"},
			{SenderType: noetl.SenderBot, SenderID: &bot.ID, Content: "beep"},
			{SenderType: noetl.SenderUser, SenderID: ptr(snowflake.ID(999)), Content: "nobody"},
		} {
			in.ChatID = c.chat.ID
			err := unchanged(t, s, noetl.ErrForbidden, func() error { _, err := s.Messages().Post(ctx(t), in); return err })
			assert.Contains(t, err.Error(), "not a member")
		}
	})
	for name, in := range map[string]noetl.NewMessage{
		"EmptyContent":      {SenderType: noetl.SenderSystem, Content: ""},
		"BlankContent":      {SenderType: noetl.SenderSystem, Content: " \n\t"},
		"UnknownSenderType": {SenderType: "alien", Content: "hi"},
		"UserWithoutSender": {SenderType: noetl.SenderUser, Content: "hi"},
		"BotWithoutSender":  {SenderType: noetl.SenderBot, Content: "hi"},
		"MetadataNotJSON":   {SenderType: noetl.SenderSystem, Content: "hi", Metadata: json.RawMessage(`{oops`)},
		"ContentWithNUL":    {SenderType: noetl.SenderSystem, Content: "a\x00b"},
		"ContentNotUTF8":    {SenderType: noetl.SenderSystem, Content: "\xff\xfe"},
		"NoChat":            {SenderType: noetl.SenderSystem, Content: "hi"},
	} {
		t.Run("Invalid"+name+"WritesNothing", func(t *testing.T) {
			s := h.New(t)
			c := newConvo(t, s)
			if name != "NoChat" {
				in.ChatID = c.chat.ID
			}
			unchanged(t, s, noetl.ErrInvalid, func() error { _, err := s.Messages().Post(ctx(t), in); return err })
		})
	}
	t.Run("PostToUnknownChatIsNotFound", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		for _, in := range []noetl.NewMessage{
			{ChatID: 4242, SenderType: noetl.SenderUser, SenderID: &c.ann.ID, Content: "x"},
			{ChatID: 4242, SenderType: noetl.SenderSystem, Content: "x"},
		} {
			unchanged(t, s, noetl.ErrNotFound, func() error { _, err := s.Messages().Post(ctx(t), in); return err })
		}
	})
	t.Run("AIWithUnknownSenderIsForbiddenAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		unchanged(t, s, noetl.ErrForbidden, func() error {
			_, err := s.Messages().Post(ctx(t), noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderAI, SenderID: ptr(snowflake.ID(999)), Content: "x"})
			return err
		})
	})
	t.Run("ReadsByOutsiderAreForbiddenAndUnknownNotFound", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		m := c.post(t, c.chat.ID, c.cat, "secret")
		_, err := s.Messages().Get(ctx(t), c.dan.ID, m.ID)
		assert.ErrorIs(t, err, noetl.ErrForbidden)
		_, err = s.Messages().Count(ctx(t), c.dan.ID, c.chat.ID)
		assert.ErrorIs(t, err, noetl.ErrForbidden)
		_, err = s.Messages().List(ctx(t), c.dan.ID, c.chat.ID, noetl.MessageQuery{})
		assert.ErrorIs(t, err, noetl.ErrForbidden)
		_, err = s.Messages().Get(ctx(t), c.ann.ID, 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Messages().Count(ctx(t), c.ann.ID, 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Messages().List(ctx(t), c.ann.ID, 4242, noetl.MessageQuery{})
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("EmptyChatListsEmptyNonNilAndCountsZero", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		p, err := s.Messages().List(ctx(t), c.cat.ID, c.chat.ID, noetl.MessageQuery{})
		require.NoError(t, err)
		assert.NotNil(t, p.Items)
		assert.Empty(t, p.Items)
		assert.Empty(t, p.Next)
		n, err := s.Messages().Count(ctx(t), c.cat.ID, c.chat.ID)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
	t.Run("ListNewestFirstAndOldestFirstInPages", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		other := c.newChat(t, c.eng.ID, "other")
		var want []snowflake.ID
		for i := range 11 {
			want = append(want, c.post(t, c.chat.ID, []noetl.Profile{c.ann, c.bob, c.cat}[i%3], fmt.Sprintf("m%d", i)).ID)
			c.post(t, other.ID, c.ann, "elsewhere")
		}
		list := func(order noetl.MessageOrder) []noetl.Message {
			return allPages(t, func(after string) (noetl.Page[noetl.Message], error) {
				p, err := s.Messages().List(ctx(t), c.cat.ID, c.chat.ID, noetl.MessageQuery{Order: order, Limit: 4, After: after})
				assert.LessOrEqual(t, len(p.Items), 4)
				return p, err
			})
		}
		assert.Equal(t, want, msgIDs(list(noetl.OldestFirst)))
		newest := slices.Clone(want)
		slices.Reverse(newest)
		assert.Equal(t, newest, msgIDs(list(noetl.NewestFirst)))
		assert.Equal(t, newest, msgIDs(list("")), "newest first is the default")
		n, err := s.Messages().Count(ctx(t), c.cat.ID, c.chat.ID)
		require.NoError(t, err)
		assert.EqualValues(t, 11, n)
	})
	t.Run("ListBadQueriesAreInvalid", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		for range 3 {
			c.post(t, c.chat.ID, c.ann, "x")
		}
		p, err := s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{Order: noetl.NewestFirst, Limit: 1})
		require.NoError(t, err)
		require.NotEmpty(t, p.Next)
		_, err = s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{Order: noetl.OldestFirst, After: p.Next})
		assert.ErrorIs(t, err, noetl.ErrInvalid, "a cursor from the other order")
		_, err = s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{After: "bm90IGEgY3Vyc29y"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		// A well-formed cursor holding a time no engine can store.
		forged := base64.RawURLEncoding.EncodeToString([]byte(`[1,9223372036854775807,1]`))
		_, err = s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{After: forged})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{Order: "sideways"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{Limit: -1})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("ListCapsThePageSize", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		require.NoError(t, s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			for i := range noetl.MaxLimit + 5 {
				if _, err := tx.Messages().Post(ctx(t), noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderSystem, Content: fmt.Sprint(i)}); err != nil {
					return err
				}
			}
			return nil
		}))
		p, err := s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{Limit: 1 << 20})
		require.NoError(t, err)
		assert.Len(t, p.Items, noetl.MaxLimit)
		assert.NotEmpty(t, p.Next)
		p, err = s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{})
		require.NoError(t, err)
		assert.Len(t, p.Items, noetl.DefaultLimit)
	})
	t.Run("PagingWhileOthersPostNeverRepeatsOrSkips", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		var before []snowflake.ID
		for i := range 40 {
			before = append(before, c.post(t, c.chat.ID, c.ann, fmt.Sprint(i)).ID)
		}
		var stop atomic.Bool
		var posted atomic.Int64
		var wg sync.WaitGroup
		for _, p := range []noetl.Profile{c.bob, c.cat} {
			wg.Go(func() {
				for !stop.Load() {
					if _, err := s.Messages().Post(ctx(t), noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderUser, SenderID: &p.ID, Content: "meanwhile"}); err != nil {
						t.Error(err)
						return
					}
					posted.Add(1)
					time.Sleep(200 * time.Microsecond)
				}
			})
		}
		defer func() { stop.Store(true); wg.Wait() }()
		pages := map[noetl.MessageOrder][]noetl.Message{}
		for _, order := range []noetl.MessageOrder{noetl.NewestFirst, noetl.OldestFirst} {
			// Newest first walks back to the oldest message and ends; oldest
			// first may follow the posters for ever, so it stops a few pages
			// after it has passed every message posted before it began.
			var got []noetl.Message
			seen := map[snowflake.ID]bool{}
			olds, extra := 0, 0
			after := ""
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100000, "%s: paging does not end", order)
				p, err := s.Messages().List(ctx(t), c.cat.ID, c.chat.ID, noetl.MessageQuery{Order: order, Limit: 3, After: after})
				require.NoError(t, err)
				for _, m := range p.Items {
					require.False(t, seen[m.ID], "%s: message %s repeated", order, m.ID)
					seen[m.ID] = true
					if slices.Contains(before, m.ID) {
						olds++
					}
				}
				got = append(got, p.Items...)
				if p.Next == "" {
					break
				}
				if order == noetl.OldestFirst && olds == len(before) {
					if extra++; extra == 5 {
						break
					}
				}
				after = p.Next
				time.Sleep(100 * time.Microsecond)
			}
			pages[order] = got
			for _, id := range before {
				assert.True(t, seen[id], "%s skipped %s, posted before paging began", order, id)
			}
			if order == noetl.NewestFirst {
				assert.Equal(t, before[0], got[len(got)-1].ID, "newest first ends at the oldest message")
			}
		}
		assert.Positive(t, posted.Load(), "others posted while the pages were read")
		// Both orders agree with a fresh listing taken once the posters stop.
		stop.Store(true)
		wg.Wait()
		rank := map[snowflake.ID]int{}
		for i, id := range listedMessages(t, s, c) {
			rank[id] = i
		}
		for order, got := range pages {
			for i := 1; i < len(got); i++ {
				ascending := rank[got[i-1].ID] < rank[got[i].ID]
				require.Equal(t, order == noetl.OldestFirst, ascending, "%s: out of order at %d", order, i)
			}
		}
	})
	t.Run("DeleteBySenderAndByAdmin", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		mine := c.post(t, c.chat.ID, c.cat, "oops")
		theirs := c.post(t, c.chat.ID, c.cat, "rude")
		require.NoError(t, s.Messages().Delete(ctx(t), c.cat.ID, mine.ID))
		require.NoError(t, s.Messages().Delete(ctx(t), c.bob.ID, theirs.ID))
		n, err := s.Messages().Count(ctx(t), c.ann.ID, c.chat.ID)
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.ErrorIs(t, s.Messages().Delete(ctx(t), c.ann.ID, mine.ID), noetl.ErrNotFound)
	})
	t.Run("DeleteOthersMessageByMemberIsForbiddenAndKeepsIt", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		m := c.post(t, c.chat.ID, c.ann, "mine")
		for _, p := range []noetl.Profile{c.cat, c.dan} {
			unchanged(t, s, noetl.ErrForbidden, func() error { return s.Messages().Delete(ctx(t), p.ID, m.ID) })
		}
	})
}

func testAttachments(t *testing.T, h Harness) {
	t.Run("AddToChatLabelOrBothAndGet", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		for _, in := range []noetl.NewAttachment{
			{ChatID: &c.chat.ID, Filename: "chat.png", Filepath: "/uploads/chat.png", UploadedBy: c.cat.ID},
			{LabelID: &c.team.ID, Filename: "label.pdf", Filepath: "s3://bucket/label.pdf", UploadedBy: c.dan.ID},
			{LabelID: &c.eng.ID, ChatID: &c.chat.ID, Filename: "both.txt", Filepath: "both.txt", UploadedBy: c.ann.ID},
		} {
			a, err := s.Attachments().Add(ctx(t), in)
			require.NoError(t, err, in.Filename)
			assert.Equal(t, in.LabelID, a.LabelID)
			assert.Equal(t, in.ChatID, a.ChatID)
			assert.Equal(t, in.Filename, a.Filename)
			assert.Equal(t, in.Filepath, a.Filepath)
			assert.Equal(t, in.UploadedBy, a.UploadedBy)
			assert.Equal(t, a.CreatedAt, noetl.UTC(a.CreatedAt))
			got, err := s.Attachments().Get(ctx(t), a.ID)
			require.NoError(t, err)
			assert.Equal(t, a, got)
		}
		_, err := s.Attachments().Get(ctx(t), 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	for name, in := range map[string]noetl.NewAttachment{
		"NeitherLabelNorChat": {Filename: "f", Filepath: "/f"},
		"EmptyFilename":       {Filename: "", Filepath: "/f"},
		"EmptyFilepath":       {Filename: "f", Filepath: ""},
		"MultilineFilepath":   {Filename: "f", Filepath: "/a\n/b"},
		"HugeFilepath":        {Filename: "f", Filepath: "/" + strings.Repeat("p", noetl.MaxFilepathLen)},
		"NoUploader":          {Filename: "f", Filepath: "/f"},
	} {
		t.Run("Invalid"+name+"WritesNothing", func(t *testing.T) {
			s := h.New(t)
			c := newConvo(t, s)
			if name != "NeitherLabelNorChat" {
				in.ChatID = &c.chat.ID
			}
			if name != "NoUploader" {
				in.UploadedBy = c.ann.ID
			}
			unchanged(t, s, noetl.ErrInvalid, func() error { _, err := s.Attachments().Add(ctx(t), in); return err })
		})
	}
	t.Run("ChatOutsideTheLabelIsInvalidAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		err := unchanged(t, s, noetl.ErrInvalid, func() error {
			_, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{LabelID: &c.team.ID, ChatID: &c.chat.ID, Filename: "f", Filepath: "/f", UploadedBy: c.ann.ID})
			return err
		})
		assert.Contains(t, err.Error(), "not in label")
	})
	t.Run("UploaderNotInChatIsForbiddenAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		unchanged(t, s, noetl.ErrForbidden, func() error {
			_, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{ChatID: &c.chat.ID, Filename: "f", Filepath: "/f", UploadedBy: c.dan.ID})
			return err
		})
	})
	t.Run("UnknownReferencesAreReferencedAndWriteNothing", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		for _, in := range []noetl.NewAttachment{
			{LabelID: ptr(snowflake.ID(999)), Filename: "f", Filepath: "/f", UploadedBy: c.ann.ID},
			{ChatID: ptr(snowflake.ID(999)), Filename: "f", Filepath: "/f", UploadedBy: c.ann.ID},
			{LabelID: &c.team.ID, Filename: "f", Filepath: "/f", UploadedBy: 999},
		} {
			unchanged(t, s, noetl.ErrReferenced, func() error { _, err := s.Attachments().Add(ctx(t), in); return err })
		}
	})
	t.Run("ListByChatOrLabelNewestFirstInPages", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		var onChat, onLabel []snowflake.ID
		for i := range 5 {
			a, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{ChatID: &c.chat.ID, Filename: fmt.Sprintf("c%d", i), Filepath: "/c", UploadedBy: c.cat.ID})
			require.NoError(t, err)
			onChat = append(onChat, a.ID)
			a, err = s.Attachments().Add(ctx(t), noetl.NewAttachment{LabelID: &c.eng.ID, Filename: fmt.Sprintf("l%d", i), Filepath: "/l", UploadedBy: c.dan.ID})
			require.NoError(t, err)
			onLabel = append(onLabel, a.ID)
		}
		both, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{LabelID: &c.eng.ID, ChatID: &c.chat.ID, Filename: "both", Filepath: "/b", UploadedBy: c.ann.ID})
		require.NoError(t, err)
		onChat = append(onChat, both.ID)
		onLabel = append(onLabel, both.ID)
		slices.Reverse(onChat)
		slices.Reverse(onLabel)
		list := func(q noetl.AttachmentQuery) []snowflake.ID {
			return ids(allPages(t, func(after string) (noetl.Page[noetl.Attachment], error) {
				q.Limit, q.After = 2, after
				return s.Attachments().List(ctx(t), q)
			}), func(a noetl.Attachment) snowflake.ID { return a.ID })
		}
		assert.Equal(t, onChat, list(noetl.AttachmentQuery{ChatID: &c.chat.ID}))
		assert.Equal(t, onLabel, list(noetl.AttachmentQuery{LabelID: &c.eng.ID}))
		assert.Empty(t, list(noetl.AttachmentQuery{LabelID: &c.team.ID}))
	})
	t.Run("ListNeedsExactlyOneOfChatAndLabel", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Attachments().List(ctx(t), noetl.AttachmentQuery{})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Attachments().List(ctx(t), noetl.AttachmentQuery{ChatID: ptr(snowflake.ID(1)), LabelID: ptr(snowflake.ID(2))})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Attachments().List(ctx(t), noetl.AttachmentQuery{ChatID: ptr(snowflake.ID(1)), After: "?"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("DeleteByUploaderOrChatAdmin", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		a1, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{ChatID: &c.chat.ID, Filename: "a1", Filepath: "/a1", UploadedBy: c.cat.ID})
		require.NoError(t, err)
		a2, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{ChatID: &c.chat.ID, Filename: "a2", Filepath: "/a2", UploadedBy: c.cat.ID})
		require.NoError(t, err)
		a3, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{LabelID: &c.team.ID, Filename: "a3", Filepath: "/a3", UploadedBy: c.dan.ID})
		require.NoError(t, err)
		require.NoError(t, s.Attachments().Delete(ctx(t), c.cat.ID, a1.ID))
		require.NoError(t, s.Attachments().Delete(ctx(t), c.bob.ID, a2.ID))
		require.NoError(t, s.Attachments().Delete(ctx(t), c.dan.ID, a3.ID))
		for _, id := range []snowflake.ID{a1.ID, a2.ID, a3.ID} {
			_, err := s.Attachments().Get(ctx(t), id)
			assert.ErrorIs(t, err, noetl.ErrNotFound)
		}
		assert.ErrorIs(t, s.Attachments().Delete(ctx(t), c.ann.ID, a1.ID), noetl.ErrNotFound)
	})
	t.Run("DeleteByOthersIsForbiddenAndKeepsIt", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		onChat, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{ChatID: &c.chat.ID, Filename: "x", Filepath: "/x", UploadedBy: c.bob.ID})
		require.NoError(t, err)
		onLabel, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{LabelID: &c.team.ID, Filename: "y", Filepath: "/y", UploadedBy: c.cat.ID})
		require.NoError(t, err)
		for _, tc := range []struct {
			actor noetl.Profile
			id    snowflake.ID
		}{{c.cat, onChat.ID}, {c.dan, onChat.ID}, {c.ann, onLabel.ID}} {
			unchanged(t, s, noetl.ErrForbidden, func() error { return s.Attachments().Delete(ctx(t), tc.actor.ID, tc.id) })
		}
	})
}
