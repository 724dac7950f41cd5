package storagetest

import (
	"context"

	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("labels", testLabels) }

func labelNames(ls []noetl.Label) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Name
	}
	return out
}

// tree draws a subtree as "name@depth" lines, in the order Subtree returns.
func tree(nodes []noetl.LabelNode) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = fmt.Sprintf("%s%s", strings.Repeat("  ", n.Depth), n.Name)
	}
	return out
}

func testLabels(t *testing.T, h Harness) {
	t.Run("CreateAtRootAndUnderParentAndGet", func(t *testing.T) {
		s := h.New(t)
		ann := newProfile(t, s, "ann")
		root, err := s.Labels().Create(ctx(t), noetl.NewLabel{Name: "team", OwnerID: &ann.ID})
		require.NoError(t, err)
		assert.Nil(t, root.ParentID)
		assert.Equal(t, ann.ID, *root.OwnerID)
		assert.Equal(t, root.CreatedAt, noetl.UTC(root.CreatedAt))
		child := mkLabel(t, s, &root.ID, "eng")
		assert.Equal(t, root.ID, *child.ParentID)
		assert.Nil(t, child.OwnerID)
		for _, l := range []noetl.Label{root, child} {
			got, err := s.Labels().Get(ctx(t), l.ID)
			require.NoError(t, err)
			assert.Equal(t, l, got)
		}
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Labels().Get(ctx(t), 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("SiblingNameClashAtRootIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		mkLabel(t, s, nil, "team")
		err := unchanged(t, s, noetl.ErrConflict, func() error {
			_, err := s.Labels().Create(ctx(t), noetl.NewLabel{Name: "team"})
			return err
		})
		assert.Contains(t, err.Error(), `"team"`)
	})
	t.Run("SiblingNameClashUnderParentIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		root := mkLabel(t, s, nil, "team")
		mkLabel(t, s, &root.ID, "eng")
		unchanged(t, s, noetl.ErrConflict, func() error {
			_, err := s.Labels().Create(ctx(t), noetl.NewLabel{ParentID: &root.ID, Name: "eng"})
			return err
		})
	})
	t.Run("SameNameUnderDifferentParentsIsAllowed", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		b := mkLabel(t, s, nil, "b")
		mkLabel(t, s, &a.ID, "docs")
		mkLabel(t, s, &b.ID, "docs")
		mkLabel(t, s, nil, "docs")
	})
	t.Run("UnknownParentIsReferencedAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		mkLabel(t, s, nil, "team")
		unchanged(t, s, noetl.ErrReferenced, func() error {
			_, err := s.Labels().Create(ctx(t), noetl.NewLabel{ParentID: ptr(snowflake.ID(999)), Name: "x"})
			return err
		})
	})
	t.Run("UnknownOwnerIsReferencedAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		unchanged(t, s, noetl.ErrReferenced, func() error {
			_, err := s.Labels().Create(ctx(t), noetl.NewLabel{Name: "x", OwnerID: ptr(snowflake.ID(999))})
			return err
		})
	})
	for _, name := range []string{"", "  ", "a/b", "/", ".", "..", "two\nlines", "nul\x00", strings.Repeat("x", noetl.MaxNameLen+1)} {
		t.Run(fmt.Sprintf("InvalidName%qWritesNothing", name), func(t *testing.T) {
			s := h.New(t)
			root := mkLabel(t, s, nil, "team")
			unchanged(t, s, noetl.ErrInvalid, func() error {
				_, err := s.Labels().Create(ctx(t), noetl.NewLabel{ParentID: &root.ID, Name: name})
				return err
			})
		})
	}
	t.Run("NamesHoldAnyCharacterButSlash", func(t *testing.T) {
		s := h.New(t)
		for _, name := range []string{"a b", "...", "ünïcødé ✓", `quote"back\slash`, "?%_*", " lead", "<&>", "tab\there", `$[0]`} {
			l := mkLabel(t, s, nil, name)
			got, err := s.Labels().Resolve(ctx(t), "/"+name)
			require.NoError(t, err, name)
			assert.Equal(t, l.ID, got.ID, name)
		}
	})
	t.Run("ChildrenAreSortedByNameAndPage", func(t *testing.T) {
		s := h.New(t)
		root := mkLabel(t, s, nil, "root")
		other := mkLabel(t, s, nil, "other")
		mkLabel(t, s, &other.ID, "not mine")
		for _, n := range []string{"pear", "Apple", "banana", "apple", "Zed", "cherry", "ä"} {
			mkLabel(t, s, &root.ID, n)
		}
		got := labelNames(allPages(t, func(after string) (noetl.Page[noetl.Label], error) {
			p, err := s.Labels().Children(ctx(t), &root.ID, noetl.LabelQuery{Limit: 3, After: after})
			assert.LessOrEqual(t, len(p.Items), 3)
			return p, err
		}))
		// Byte order, the same on both engines whatever the database locale.
		assert.Equal(t, []string{"Apple", "Zed", "apple", "banana", "cherry", "pear", "ä"}, got)
		roots, err := s.Labels().Children(ctx(t), nil, noetl.LabelQuery{})
		require.NoError(t, err)
		assert.Equal(t, []string{"other", "root"}, labelNames(roots.Items))
	})
	t.Run("ChildrenOfLeafOrUnknownIsEmptyNonNil", func(t *testing.T) {
		s := h.New(t)
		leaf := mkLabel(t, s, nil, "leaf")
		for _, id := range []snowflake.ID{leaf.ID, 777} {
			p, err := s.Labels().Children(ctx(t), &id, noetl.LabelQuery{})
			require.NoError(t, err)
			assert.NotNil(t, p.Items)
			assert.Empty(t, p.Items)
			assert.Empty(t, p.Next)
		}
	})
	t.Run("ChildrenBadCursorOrLimitIsInvalid", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Labels().Children(ctx(t), nil, noetl.LabelQuery{After: "%%%"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Labels().Children(ctx(t), nil, noetl.LabelQuery{Limit: -1})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("AncestorsAreRootFirstWithoutTheLabel", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		b := mkLabel(t, s, &a.ID, "b")
		c := mkLabel(t, s, &b.ID, "c")
		d := mkLabel(t, s, &c.ID, "d")
		got, err := s.Labels().Ancestors(ctx(t), d.ID)
		require.NoError(t, err)
		assert.Equal(t, []noetl.Label{a, b, c}, got)
		got, err = s.Labels().Ancestors(ctx(t), a.ID)
		require.NoError(t, err)
		assert.NotNil(t, got)
		assert.Empty(t, got, "a root label has no ancestors")
		_, err = s.Labels().Ancestors(ctx(t), 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("PathOfLabel", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		b := mkLabel(t, s, &a.ID, "b c")
		c := mkLabel(t, s, &b.ID, "ç")
		for want, id := range map[string]snowflake.ID{"/a": a.ID, "/a/b c": b.ID, "/a/b c/ç": c.ID} {
			got, err := s.Labels().Path(ctx(t), id)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		}
		_, err := s.Labels().Path(ctx(t), 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("ResolvePathFindsLabelAndRoundTripsPath", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		b := mkLabel(t, s, &a.ID, "b")
		c := mkLabel(t, s, &b.ID, "c")
		mkLabel(t, s, nil, "b") // a root "b" must not match the second segment
		x := mkLabel(t, s, &a.ID, "c")
		for path, want := range map[string]noetl.Label{"/a": a, "/a/b": b, "/a/b/c": c, "/a/c": x} {
			got, err := s.Labels().Resolve(ctx(t), path)
			require.NoError(t, err, path)
			assert.Equal(t, want, got, path)
			back, err := s.Labels().Path(ctx(t), got.ID)
			require.NoError(t, err)
			assert.Equal(t, path, back)
		}
	})
	t.Run("ResolveUnknownPathIsNotFound", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		b := mkLabel(t, s, &a.ID, "b")
		mkLabel(t, s, &b.ID, "c")
		for _, path := range []string{"/b", "/a/c", "/a/b/c/d", "/x/b/c", "/A"} {
			_, err := s.Labels().Resolve(ctx(t), path)
			assert.ErrorIs(t, err, noetl.ErrNotFound, path)
		}
	})
	for _, path := range []string{"", "a/b", "/", "//", "//a", "/a//b", "/a/", "/a/./b", "/a/../b", "/.", "/..", "/a/\n"} {
		t.Run(fmt.Sprintf("ResolveMalformedPath%qIsInvalid", path), func(t *testing.T) {
			s := h.New(t)
			a := mkLabel(t, s, nil, "a")
			mkLabel(t, s, &a.ID, "b")
			_, err := s.Labels().Resolve(ctx(t), path)
			assert.ErrorIs(t, err, noetl.ErrInvalid)
		})
	}
	t.Run("SubtreeIsDepthFirstWithDepthsAndSiblingsByName", func(t *testing.T) {
		s := h.New(t)
		top := mkLabel(t, s, nil, "top")
		mkLabel(t, s, nil, "elsewhere")
		b := mkLabel(t, s, &top.ID, "b")
		a := mkLabel(t, s, &top.ID, "a")
		mkLabel(t, s, &b.ID, "b2")
		b1 := mkLabel(t, s, &b.ID, "b1")
		mkLabel(t, s, &b1.ID, "deep")
		mkLabel(t, s, &a.ID, "a1")
		// "a b" sorts between "a" and its children's paths as a string, but
		// must come after a's whole subtree.
		mkLabel(t, s, &top.ID, "a b")
		nodes, err := s.Labels().Subtree(ctx(t), top.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"top", "  a", "    a1", "  a b", "  b", "    b1", "      deep", "    b2"}, tree(nodes))
		assert.Equal(t, top.ID, nodes[0].ID)
		assert.Equal(t, 0, nodes[0].Depth)
		sub, err := s.Labels().Subtree(ctx(t), b1.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"b1", "  deep"}, tree(sub))
		_, err = s.Labels().Subtree(ctx(t), 4242)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("RenameChangesNameAndPath", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		b := mkLabel(t, s, &a.ID, "b")
		got, err := s.Labels().Rename(ctx(t), b.ID, "beta")
		require.NoError(t, err)
		assert.Equal(t, "beta", got.Name)
		assert.Equal(t, b.CreatedAt, got.CreatedAt)
		path, err := s.Labels().Path(ctx(t), b.ID)
		require.NoError(t, err)
		assert.Equal(t, "/a/beta", path)
		same, err := s.Labels().Rename(ctx(t), b.ID, "beta")
		require.NoError(t, err, "renaming to its own name is allowed")
		assert.Equal(t, got, same)
	})
	t.Run("RenameToSiblingNameIsConflictAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		mkLabel(t, s, &a.ID, "x")
		y := mkLabel(t, s, &a.ID, "y")
		root := mkLabel(t, s, nil, "r")
		unchanged(t, s, noetl.ErrConflict, func() error { _, err := s.Labels().Rename(ctx(t), y.ID, "x"); return err })
		unchanged(t, s, noetl.ErrConflict, func() error { _, err := s.Labels().Rename(ctx(t), root.ID, "a"); return err })
	})
	t.Run("RenameInvalidOrUnknownChangesNothing", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		for _, name := range []string{"", "x/y", ".."} {
			unchanged(t, s, noetl.ErrInvalid, func() error { _, err := s.Labels().Rename(ctx(t), a.ID, name); return err })
		}
		unchanged(t, s, noetl.ErrNotFound, func() error { _, err := s.Labels().Rename(ctx(t), 4242, "b"); return err })
	})
	t.Run("MoveUnderAnotherParentCarriesSubtree", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		b := mkLabel(t, s, nil, "b")
		x := mkLabel(t, s, &a.ID, "x")
		y := mkLabel(t, s, &x.ID, "y")
		moved, err := s.Labels().Move(ctx(t), x.ID, &b.ID)
		require.NoError(t, err)
		assert.Equal(t, b.ID, *moved.ParentID)
		path, err := s.Labels().Path(ctx(t), y.ID)
		require.NoError(t, err)
		assert.Equal(t, "/b/x/y", path)
		kids, err := s.Labels().Children(ctx(t), &a.ID, noetl.LabelQuery{})
		require.NoError(t, err)
		assert.Empty(t, kids.Items)
	})
	t.Run("MoveToRoot", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		x := mkLabel(t, s, &a.ID, "x")
		moved, err := s.Labels().Move(ctx(t), x.ID, nil)
		require.NoError(t, err)
		assert.Nil(t, moved.ParentID)
		got, err := s.Labels().Resolve(ctx(t), "/x")
		require.NoError(t, err)
		assert.Equal(t, x.ID, got.ID)
	})
	t.Run("MoveToSameParentIsANoOp", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		x := mkLabel(t, s, &a.ID, "x")
		moved, err := s.Labels().Move(ctx(t), x.ID, &a.ID)
		require.NoError(t, err)
		assert.Equal(t, x, moved)
	})
	t.Run("MoveIntoOwnSubtreeIsInvalidAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		b := mkLabel(t, s, &a.ID, "b")
		c := mkLabel(t, s, &b.ID, "c")
		for _, dest := range []snowflake.ID{a.ID, b.ID, c.ID} {
			err := unchanged(t, s, noetl.ErrInvalid, func() error { _, err := s.Labels().Move(ctx(t), a.ID, &dest); return err })
			assert.Contains(t, err.Error(), "subtree")
		}
	})
	t.Run("MoveNameClashAtDestinationIsConflictAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		b := mkLabel(t, s, nil, "b")
		x := mkLabel(t, s, &a.ID, "x")
		mkLabel(t, s, &b.ID, "x")
		mkLabel(t, s, nil, "x")
		unchanged(t, s, noetl.ErrConflict, func() error { _, err := s.Labels().Move(ctx(t), x.ID, &b.ID); return err })
		unchanged(t, s, noetl.ErrConflict, func() error { _, err := s.Labels().Move(ctx(t), x.ID, nil); return err })
	})
	t.Run("MoveToUnknownParentIsReferencedAndUnknownLabelNotFound", func(t *testing.T) {
		s := h.New(t)
		a := mkLabel(t, s, nil, "a")
		unchanged(t, s, noetl.ErrReferenced, func() error { _, err := s.Labels().Move(ctx(t), a.ID, ptr(snowflake.ID(999))); return err })
		unchanged(t, s, noetl.ErrNotFound, func() error { _, err := s.Labels().Move(ctx(t), 4242, &a.ID); return err })
	})
	t.Run("ConcurrentCrossMovesNeverMakeACycle", func(t *testing.T) {
		s := h.New(t)
		for round := range 8 {
			a := mkLabel(t, s, nil, fmt.Sprintf("a%d", round))
			b := mkLabel(t, s, nil, fmt.Sprintf("b%d", round))
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pair := range [][2]snowflake.ID{{a.ID, b.ID}, {b.ID, a.ID}} {
				wg.Go(func() { _, errs[i] = s.Labels().Move(ctx(t), pair[0], &pair[1]) })
			}
			wg.Wait()
			failed := 0
			for _, err := range errs {
				if err != nil {
					require.ErrorIs(t, err, noetl.ErrInvalid)
					failed++
				}
			}
			assert.Equal(t, 1, failed, "exactly one of two crossing moves is refused")
			for _, id := range []snowflake.ID{a.ID, b.ID} {
				anc, err := s.Labels().Ancestors(ctx(t), id)
				require.NoError(t, err)
				assert.LessOrEqual(t, len(anc), 1)
			}
		}
	})
	t.Run("DeleteRemovesSubtreeChatsMessagesMembersAttachments", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		deep := mkLabel(t, s, &c.eng.ID, "deep")
		deepChat := c.newChat(t, deep.ID, "deep chat")
		msg := c.post(t, deepChat.ID, c.cat, "hello")
		c.post(t, c.chat.ID, c.bob, "hi")
		att, err := s.Attachments().Add(ctx(t), noetl.NewAttachment{LabelID: &deep.ID, Filename: "a.txt", Filepath: "/f/a.txt", UploadedBy: c.ann.ID})
		require.NoError(t, err)
		keep := mkLabel(t, s, &c.team.ID, "keep")
		keepChat := c.newChat(t, keep.ID, "kept")
		kept := c.post(t, keepChat.ID, c.ann, "stays")

		require.NoError(t, s.Labels().Delete(ctx(t), c.eng.ID))

		for _, id := range []snowflake.ID{c.eng.ID, deep.ID} {
			_, err := s.Labels().Get(ctx(t), id)
			assert.ErrorIs(t, err, noetl.ErrNotFound)
		}
		for _, id := range []snowflake.ID{c.chat.ID, deepChat.ID} {
			_, err := s.Chats().Get(ctx(t), id)
			assert.ErrorIs(t, err, noetl.ErrNotFound)
			_, err = s.Members().Get(ctx(t), id, c.ann.ID)
			assert.ErrorIs(t, err, noetl.ErrNotFound)
		}
		_, err = s.Messages().Get(ctx(t), c.ann.ID, msg.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Attachments().Get(ctx(t), att.ID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		got, err := s.Messages().Get(ctx(t), c.ann.ID, kept.ID)
		require.NoError(t, err, "a sibling label's chat is untouched")
		assert.Equal(t, kept, got)
		snap := takeSnapshot(t, s)
		assert.Equal(t, []string{"team", "  keep"}, tree(snap.Labels))
		assert.Equal(t, 4, snap.ProfileRows, "profiles are not part of the tree")
	})
	t.Run("DeleteUnknownIsNotFoundAndChangesNothing", func(t *testing.T) {
		s := h.New(t)
		newConvo(t, s)
		unchanged(t, s, noetl.ErrNotFound, func() error { return s.Labels().Delete(ctx(t), 4242) })
	})
	t.Run("DeleteInRolledBackTransactionRestoresEverything", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		c.post(t, c.chat.ID, c.cat, "still here")
		boom := errors.New("changed my mind")
		unchanged(t, s, boom, func() error {
			return s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
				if err := tx.Labels().Delete(ctx(t), c.team.ID); err != nil {
					return err
				}
				return boom
			})
		})
	})
}
