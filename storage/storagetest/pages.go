package storagetest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func init() {
	register("pages", testPages)
}

func testPages(t *testing.T, h Harness) {
	profilesPaged := func(t *testing.T, s noetl.Store, limit int, calls *int) func(after string) (noetl.Page[noetl.Profile], error) {
		return func(after string) (noetl.Page[noetl.Profile], error) {
			*calls++
			return s.Profiles().List(ctx(t), noetl.ProfileQuery{Limit: limit, After: after})
		}
	}
	t.Run("All/WalksEveryPageInOrder", func(t *testing.T) {
		s := h.New(t)
		for i := range 7 {
			newProfile(t, s, fmt.Sprintf("p%d", i))
		}
		want := allPages(t, func(after string) (noetl.Page[noetl.Profile], error) {
			return s.Profiles().List(ctx(t), noetl.ProfileQuery{Limit: noetl.MaxLimit, After: after})
		})
		require.Len(t, want, 7)
		calls := 0
		got, err := noetl.Collect(noetl.All(profilesPaged(t, s, 3, &calls)))
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, 3, calls, "pages of 3, 3 and 1")
	})
	t.Run("All/AnEmptyListYieldsNothing", func(t *testing.T) {
		s := h.New(t)
		calls := 0
		got, err := noetl.Collect(noetl.All(profilesPaged(t, s, 3, &calls)))
		require.NoError(t, err)
		require.NotNil(t, got)
		require.Empty(t, got)
		require.Equal(t, 1, calls)
	})
	t.Run("All/BreakingStopsFetching", func(t *testing.T) {
		s := h.New(t)
		for i := range 10 {
			newProfile(t, s, fmt.Sprintf("p%d", i))
		}
		calls, seen := 0, 0
		for _, err := range noetl.All(profilesPaged(t, s, 3, &calls)) {
			require.NoError(t, err)
			seen++
			if seen == 4 {
				break
			}
		}
		require.Equal(t, 4, seen)
		require.Equal(t, 2, calls, "the third page is never fetched")
	})
	t.Run("All/YieldsAListErrorOnceAndStops", func(t *testing.T) {
		s := h.New(t)
		newProfile(t, s, "ann")
		calls, yields := 0, 0
		for p, err := range noetl.All(profilesPaged(t, s, -1, &calls)) {
			yields++
			require.ErrorIs(t, err, noetl.ErrInvalid)
			require.Zero(t, p)
		}
		require.Equal(t, 1, yields)
		require.Equal(t, 1, calls)
		_, err := noetl.Collect(noetl.All(profilesPaged(t, s, -1, &calls)))
		require.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("All/WalksMessagesNewestFirstLikeTheirPages", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		for i := range 5 {
			c.post(t, c.chat.ID, c.bob, fmt.Sprintf("m%d", i))
		}
		list := func(limit int) func(after string) (noetl.Page[noetl.Message], error) {
			return func(after string) (noetl.Page[noetl.Message], error) {
				return s.Messages().List(ctx(t), c.cat.ID, c.chat.ID, noetl.MessageQuery{Limit: limit, After: after})
			}
		}
		want := allPages(t, list(noetl.MaxLimit))
		got, err := noetl.Collect(noetl.All(list(2)))
		require.NoError(t, err)
		require.Len(t, got, 5)
		require.Equal(t, want, got)
	})
}
