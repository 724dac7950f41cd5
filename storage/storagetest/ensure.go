package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	register("ensure", testEnsure)
}

// ensured is what one get-or-create caller got.
type ensured struct {
	id      snowflake.ID
	created bool
	err     error
}

// race runs n callers of ensure at once (released together) and checks
// they all got the same row, and that exactly one of them created it when
// wantCreated.
func race(t *testing.T, n int, wantCreated bool, ensure func(i int) (snowflake.ID, bool, error)) snowflake.ID {
	t.Helper()
	got := make([]ensured, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id, created, err := ensure(i)
			got[i] = ensured{id, created, err}
		}()
	}
	close(start)
	wg.Wait()
	creators := 0
	for i, g := range got {
		require.NoError(t, g.err, "caller %d", i)
		require.Equal(t, got[0].id, g.id, "caller %d got another row", i)
		if g.created {
			creators++
		}
	}
	if wantCreated {
		require.Equal(t, 1, creators, "exactly one caller creates the row")
	} else {
		require.Zero(t, creators)
	}
	return got[0].id
}

func testEnsure(t *testing.T, h Harness) {
	t.Run("Profiles.Ensure", func(t *testing.T) { testEnsureProfile(t, h) })
	t.Run("Labels.EnsurePath", func(t *testing.T) { testEnsureLabelPath(t, h) })
	t.Run("Schedules.Ensure", func(t *testing.T) { testEnsureSchedule(t, h) })
}

func testEnsureProfile(t *testing.T, h Harness) {
	t.Run("CreatesAMissingProfile", func(t *testing.T) {
		s := h.New(t)
		p, created, err := s.Profiles().Ensure(ctx(t), noetl.NewProfile{Username: "ann", Email: "ann@example.com", Type: noetl.ProfileUser})
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "ann", p.Username)
		got, err := s.Profiles().GetByUsername(ctx(t), "ann")
		require.NoError(t, err)
		require.Equal(t, p, got)
	})
	t.Run("ReturnsTheExistingProfileUnchanged", func(t *testing.T) {
		s := h.New(t)
		ann := newProfile(t, s, "ann")
		p, created, err := s.Profiles().Ensure(ctx(t), noetl.NewProfile{Username: "ann", Email: "other@example.com", Type: noetl.ProfileBot})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, ann, p)
		require.Equal(t, 1, countProfiles(t, s))
	})
	t.Run("IsIdempotent", func(t *testing.T) {
		s := h.New(t)
		in := noetl.NewProfile{Username: "bot-7", Type: noetl.ProfileBot}
		first, created, err := s.Profiles().Ensure(ctx(t), in)
		require.NoError(t, err)
		require.True(t, created)
		again, created, err := s.Profiles().Ensure(ctx(t), in)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, first, again)
		require.Equal(t, 1, countProfiles(t, s))
	})
	t.Run("ConcurrentCallersGetTheSameProfile", func(t *testing.T) {
		s := h.New(t)
		race(t, 8, true, func(int) (snowflake.ID, bool, error) {
			p, created, err := s.Profiles().Ensure(ctx(t), noetl.NewProfile{Username: "worker", Type: noetl.ProfileBot})
			return p.ID, created, err
		})
		require.Equal(t, 1, countProfiles(t, s))
	})
	if h.NewShared != nil {
		t.Run("SeparateStoresGetTheSameProfile", func(t *testing.T) {
			open := h.NewShared(t)
			stores := []noetl.Store{open(t), open(t)}
			race(t, 8, true, func(i int) (snowflake.ID, bool, error) {
				p, created, err := stores[i%2].Profiles().Ensure(ctx(t), noetl.NewProfile{Username: "worker", Type: noetl.ProfileBot})
				return p.ID, created, err
			})
			require.Equal(t, 1, countProfiles(t, stores[0]))
		})
	}
	t.Run("BadInputWritesNothing", func(t *testing.T) {
		s := h.New(t)
		_, _, err := s.Profiles().Ensure(ctx(t), noetl.NewProfile{Username: "", Type: noetl.ProfileUser})
		require.ErrorIs(t, err, noetl.ErrInvalid)
		_, _, err = s.Profiles().Ensure(ctx(t), noetl.NewProfile{Username: "ann", Type: "alien"})
		require.ErrorIs(t, err, noetl.ErrInvalid)
		require.Zero(t, countProfiles(t, s))
	})
	t.Run("AnEmailOfAnotherProfileIsAConflict", func(t *testing.T) {
		s := h.New(t)
		newProfile(t, s, "ann")
		_, _, err := s.Profiles().Ensure(ctx(t), noetl.NewProfile{Username: "bob", Email: "ann@example.com", Type: noetl.ProfileUser})
		require.ErrorIs(t, err, noetl.ErrConflict)
		_, err = s.Profiles().GetByUsername(ctx(t), "bob")
		require.ErrorIs(t, err, noetl.ErrNotFound)
		require.Equal(t, 1, countProfiles(t, s))
	})
	t.Run("AConflictInsideATransactionLeavesItUsable", func(t *testing.T) {
		s := h.New(t)
		newProfile(t, s, "ann")
		err := s.InTx(ctx(t), func(c context.Context, tx noetl.Store) error {
			_, _, err := tx.Profiles().Ensure(c, noetl.NewProfile{Username: "bob", Email: "ann@example.com", Type: noetl.ProfileUser})
			require.ErrorIs(t, err, noetl.ErrConflict)
			_, created, err := tx.Profiles().Ensure(c, noetl.NewProfile{Username: "bob", Type: noetl.ProfileUser})
			require.True(t, created)
			return err
		})
		require.NoError(t, err)
		bob, err := s.Profiles().GetByUsername(ctx(t), "bob")
		require.NoError(t, err)
		require.Nil(t, bob.Email)
		require.Equal(t, 2, countProfiles(t, s))
	})
}

func testEnsureLabelPath(t *testing.T, h Harness) {
	t.Run("CreatesEveryMissingLabel", func(t *testing.T) {
		s := h.New(t)
		owner := newProfile(t, s, "ann")
		l, err := s.Labels().EnsurePath(ctx(t), "/acme/eng/infra", &owner.ID)
		require.NoError(t, err)
		require.Equal(t, "infra", l.Name)
		path, err := s.Labels().Path(ctx(t), l.ID)
		require.NoError(t, err)
		require.Equal(t, "/acme/eng/infra", path)
		for _, p := range []string{"/acme", "/acme/eng", "/acme/eng/infra"} {
			got, err := s.Labels().Resolve(ctx(t), p)
			require.NoError(t, err, p)
			require.Equal(t, &owner.ID, got.OwnerID, "%s is owned by the caller's owner", p)
		}
	})
	t.Run("ReusesTheLabelsThatExist", func(t *testing.T) {
		s := h.New(t)
		acme := mkLabel(t, s, nil, "acme")
		l, err := s.Labels().EnsurePath(ctx(t), "/acme/eng", nil)
		require.NoError(t, err)
		require.Equal(t, &acme.ID, l.ParentID)
		require.Nil(t, l.OwnerID)
		tree, err := s.Labels().Subtree(ctx(t), acme.ID)
		require.NoError(t, err)
		require.Len(t, tree, 2)
		got, err := s.Labels().Get(ctx(t), acme.ID)
		require.NoError(t, err)
		require.Equal(t, acme, got, "an existing label is left as it was")
	})
	t.Run("AnExistingPathWritesNothing", func(t *testing.T) {
		s := h.New(t)
		first, err := s.Labels().EnsurePath(ctx(t), "/acme/eng", nil)
		require.NoError(t, err)
		before := takeSnapshot(t, s)
		again, err := s.Labels().EnsurePath(ctx(t), "/acme/eng", nil)
		require.NoError(t, err)
		require.Equal(t, first, again)
		require.Equal(t, before, takeSnapshot(t, s))
	})
	t.Run("ConcurrentCallersGetTheSameLabels", func(t *testing.T) {
		s := h.New(t)
		race(t, 8, false, func(i int) (snowflake.ID, bool, error) {
			// Half the callers ask for a prefix first, so creations interleave.
			if i%2 == 1 {
				if _, err := s.Labels().EnsurePath(ctx(t), "/a/b", nil); err != nil {
					return 0, false, err
				}
			}
			l, err := s.Labels().EnsurePath(ctx(t), "/a/b/c/d", nil)
			return l.ID, false, err
		})
		a, err := s.Labels().Resolve(ctx(t), "/a")
		require.NoError(t, err)
		tree, err := s.Labels().Subtree(ctx(t), a.ID)
		require.NoError(t, err)
		require.Len(t, tree, 4, "one label per segment")
		roots, err := s.Labels().Children(ctx(t), nil, noetl.LabelQuery{})
		require.NoError(t, err)
		require.Len(t, roots.Items, 1)
	})
	t.Run("AMalformedPathWritesNothing", func(t *testing.T) {
		s := h.New(t)
		for _, p := range []string{"", "acme", "/", "/acme//eng", "/acme/../eng"} {
			err := unchanged(t, s, noetl.ErrInvalid, func() error {
				_, err := s.Labels().EnsurePath(ctx(t), p, nil)
				return err
			})
			require.ErrorIs(t, err, noetl.ErrInvalid, "%q", p)
		}
	})
	t.Run("AnUnknownOwnerWritesNothing", func(t *testing.T) {
		s := h.New(t)
		mkLabel(t, s, nil, "acme")
		err := unchanged(t, s, noetl.ErrReferenced, func() error {
			_, err := s.Labels().EnsurePath(ctx(t), "/acme/eng/infra", noetl.Ptr(snowflake.ID(424242)))
			return err
		})
		require.ErrorIs(t, err, noetl.ErrReferenced)
	})
}

func testEnsureSchedule(t *testing.T, h Harness) {
	in := noetl.NewSchedule{PlaybookPath: "flows/nightly", Cron: "0 3 * * *"}
	countOf := func(t *testing.T, s noetl.Store, path string) int {
		t.Helper()
		p, err := s.Schedules().List(ctx(t), noetl.ScheduleQuery{PlaybookPath: path, Limit: noetl.MaxLimit})
		require.NoError(t, err)
		return len(p.Items)
	}
	t.Run("CreatesTheScheduleOfAPlaybook", func(t *testing.T) {
		s := h.New(t)
		v, created, err := s.Schedules().Ensure(ctx(t), in)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "flows/nightly", v.PlaybookPath)
		got, err := s.Schedules().Get(ctx(t), v.ScheduleID)
		require.NoError(t, err)
		require.Equal(t, v, got)
	})
	t.Run("ReturnsTheExistingScheduleUnchanged", func(t *testing.T) {
		s := h.New(t)
		first := newSchedule(t, s, in)
		v, created, err := s.Schedules().Ensure(ctx(t), noetl.NewSchedule{PlaybookPath: in.PlaybookPath, IntervalSec: 60})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, first, v)
		require.Equal(t, 1, countOf(t, s, in.PlaybookPath))
	})
	t.Run("ARestartedWorkerKeepsOneSchedule", func(t *testing.T) {
		s := h.New(t)
		for range 3 {
			_, _, err := s.Schedules().Ensure(ctx(t), in)
			require.NoError(t, err)
		}
		require.Equal(t, 1, countOf(t, s, in.PlaybookPath))
	})
	t.Run("ReturnsTheOldestOfSeveral", func(t *testing.T) {
		s := h.New(t)
		first := newSchedule(t, s, in)
		newSchedule(t, s, noetl.NewSchedule{PlaybookPath: in.PlaybookPath, IntervalSec: 60})
		v, created, err := s.Schedules().Ensure(ctx(t), in)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, first.ScheduleID, v.ScheduleID)
	})
	t.Run("OtherPlaybooksDoNotCount", func(t *testing.T) {
		s := h.New(t)
		other := newSchedule(t, s, noetl.NewSchedule{PlaybookPath: "flows/nightly-2", Cron: "0 3 * * *"})
		v, created, err := s.Schedules().Ensure(ctx(t), in)
		require.NoError(t, err)
		require.True(t, created)
		require.NotEqual(t, other.ScheduleID, v.ScheduleID)
	})
	t.Run("ConcurrentCallersCreateOneSchedule", func(t *testing.T) {
		s := h.New(t)
		race(t, 8, true, func(int) (snowflake.ID, bool, error) {
			v, created, err := s.Schedules().Ensure(ctx(t), in)
			return v.ScheduleID, created, err
		})
		require.Equal(t, 1, countOf(t, s, in.PlaybookPath))
	})
	if h.NewShared != nil {
		t.Run("SeparateStoresCreateOneSchedule", func(t *testing.T) {
			open := h.NewShared(t)
			stores := []noetl.Store{open(t), open(t)}
			for round := range 3 {
				path := fmt.Sprintf("flows/shared-%d", round)
				race(t, 8, true, func(i int) (snowflake.ID, bool, error) {
					v, created, err := stores[i%2].Schedules().Ensure(ctx(t), noetl.NewSchedule{PlaybookPath: path, IntervalSec: 60})
					return v.ScheduleID, created, err
				})
				require.Equal(t, 1, countOf(t, stores[0], path))
			}
		})
	}
	t.Run("BadInputWritesNothing", func(t *testing.T) {
		s := h.New(t)
		for _, bad := range []noetl.NewSchedule{
			{PlaybookPath: in.PlaybookPath},
			{PlaybookPath: in.PlaybookPath, Cron: "not a cron"},
			{PlaybookPath: "", Cron: "0 3 * * *"},
		} {
			_, _, err := s.Schedules().Ensure(ctx(t), bad)
			require.ErrorIs(t, err, noetl.ErrInvalid, "%+v", bad)
		}
		p, err := s.Schedules().List(ctx(t), noetl.ScheduleQuery{})
		require.NoError(t, err)
		require.Empty(t, p.Items)
	})
}
