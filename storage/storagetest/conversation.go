package storagetest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// Helpers of the conversation groups (labels, chats, members, messages,
// attachments), which live in conversation_*.go.

// convo is a small conversation world: four profiles, a label tree
// /team/eng and a chat "general" in eng where ann is owner, bob admin and
// cat member; dan belongs to no chat.
type convo struct {
	s                  noetl.Store
	ann, bob, cat, dan noetl.Profile
	team, eng          noetl.Label
	chat               noetl.Chat
}

func newConvo(t *testing.T, s noetl.Store) *convo {
	t.Helper()
	c := &convo{s: s}
	c.ann = newProfile(t, s, "ann")
	c.bob = newProfile(t, s, "bob")
	c.cat = newProfile(t, s, "cat")
	c.dan = newProfile(t, s, "dan")
	c.team = mkLabel(t, s, nil, "team")
	c.eng = mkLabel(t, s, &c.team.ID, "eng")
	c.chat = c.newChat(t, c.eng.ID, "general")
	return c
}

// newChat creates a chat owned by ann with bob as admin and cat as member.
func (c *convo) newChat(t *testing.T, label snowflake.ID, name string) noetl.Chat {
	t.Helper()
	ch, err := c.s.Chats().Create(ctx(t), c.ann.ID, noetl.NewChat{LabelID: label, Name: name})
	require.NoError(t, err)
	_, err = c.s.Members().Add(ctx(t), c.ann.ID, noetl.NewMember{ChatID: ch.ID, ProfileID: c.bob.ID, Role: noetl.RoleAdmin})
	require.NoError(t, err)
	_, err = c.s.Members().Add(ctx(t), c.ann.ID, noetl.NewMember{ChatID: ch.ID, ProfileID: c.cat.ID, Role: noetl.RoleMember})
	require.NoError(t, err)
	return ch
}

// post posts a user message from sender into chat.
func (c *convo) post(t *testing.T, chat snowflake.ID, sender noetl.Profile, content string) noetl.Message {
	t.Helper()
	m, err := c.s.Messages().Post(ctx(t), noetl.NewMessage{ChatID: chat, SenderType: noetl.SenderUser, SenderID: &sender.ID, Content: content})
	require.NoError(t, err)
	return m
}

func mkLabel(t *testing.T, s noetl.Store, parent *snowflake.ID, name string) noetl.Label {
	t.Helper()
	l, err := s.Labels().Create(ctx(t), noetl.NewLabel{ParentID: parent, Name: name})
	require.NoError(t, err)
	return l
}

// snapshot is every conversation row of a store, read through the public
// API: refusals are checked to leave it exactly as it was.
type snapshot struct {
	Labels      []noetl.LabelNode
	Chats       map[snowflake.ID][]noetl.Chat
	Members     map[snowflake.ID][]noetl.Member
	Messages    map[snowflake.ID][]noetl.Message
	ChatFiles   map[snowflake.ID][]noetl.Attachment
	LabelFiles  map[snowflake.ID][]noetl.Attachment
	ProfileRows int
}

func (s snapshot) String() string {
	return fmt.Sprintf("%d labels, %d chats", len(s.Labels), len(s.Chats))
}

// takeSnapshot reads every label tree from the roots, every chat of every
// label, and every member, message and attachment of those.
func takeSnapshot(t *testing.T, s noetl.Store) snapshot {
	t.Helper()
	snap := snapshot{
		Chats: map[snowflake.ID][]noetl.Chat{}, Members: map[snowflake.ID][]noetl.Member{},
		Messages: map[snowflake.ID][]noetl.Message{}, ChatFiles: map[snowflake.ID][]noetl.Attachment{},
		LabelFiles: map[snowflake.ID][]noetl.Attachment{}, ProfileRows: countProfiles(t, s),
	}
	roots := allPages(t, func(after string) (noetl.Page[noetl.Label], error) {
		return s.Labels().Children(ctx(t), nil, noetl.LabelQuery{Limit: noetl.MaxLimit, After: after})
	})
	for _, r := range roots {
		nodes, err := s.Labels().Subtree(ctx(t), r.ID)
		require.NoError(t, err)
		snap.Labels = append(snap.Labels, nodes...)
	}
	for _, n := range snap.Labels {
		chats := allPages(t, func(after string) (noetl.Page[noetl.Chat], error) {
			return s.Chats().List(ctx(t), noetl.ChatQuery{LabelID: n.ID, Limit: noetl.MaxLimit, After: after})
		})
		snap.Chats[n.ID] = chats
		snap.LabelFiles[n.ID] = allPages(t, func(after string) (noetl.Page[noetl.Attachment], error) {
			return s.Attachments().List(ctx(t), noetl.AttachmentQuery{LabelID: &n.ID, Limit: noetl.MaxLimit, After: after})
		})
		for _, ch := range chats {
			members := allPages(t, func(after string) (noetl.Page[noetl.Member], error) {
				return s.Members().List(ctx(t), ch.ID, noetl.MemberQuery{Limit: noetl.MaxLimit, After: after})
			})
			snap.Members[ch.ID] = members
			snap.ChatFiles[ch.ID] = allPages(t, func(after string) (noetl.Page[noetl.Attachment], error) {
				return s.Attachments().List(ctx(t), noetl.AttachmentQuery{ChatID: &ch.ID, Limit: noetl.MaxLimit, After: after})
			})
			owner := snowflake.ID(0)
			for _, m := range members {
				if m.Role == noetl.RoleOwner {
					owner = m.ProfileID
				}
			}
			require.NotZero(t, owner, "chat %s has no owner", ch.ID)
			snap.Messages[ch.ID] = allPages(t, func(after string) (noetl.Page[noetl.Message], error) {
				return s.Messages().List(ctx(t), owner, ch.ID, noetl.MessageQuery{Order: noetl.OldestFirst, Limit: noetl.MaxLimit, After: after})
			})
		}
	}
	return snap
}

// unchanged runs a refused call and checks that it failed with want and
// that the store is exactly as it was.
func unchanged(t *testing.T, s noetl.Store, want error, call func() error) error {
	t.Helper()
	before := takeSnapshot(t, s)
	err := call()
	require.ErrorIs(t, err, want)
	require.Equal(t, before, takeSnapshot(t, s), "a refused call changed the store")
	return err
}

func ids[T any](items []T, id func(T) snowflake.ID) []snowflake.ID {
	out := make([]snowflake.ID, len(items))
	for i, v := range items {
		out[i] = id(v)
	}
	return out
}
