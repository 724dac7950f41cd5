package noetl_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

// pages serves items in pages of size, with the index of the next item as
// the cursor.
func pages(items []string, size int, calls *int) func(after string) (noetl.Page[string], error) {
	return func(after string) (noetl.Page[string], error) {
		*calls++
		from := 0
		if after != "" {
			from, _ = strconv.Atoi(after)
		}
		to := min(from+size, len(items))
		p := noetl.Page[string]{Items: items[from:to]}
		if to < len(items) {
			p.Next = strconv.Itoa(to)
		}
		return p, nil
	}
}

func TestAllWalksEveryPage(t *testing.T) {
	calls := 0
	got, err := noetl.Collect(noetl.All(pages([]string{"a", "b", "c", "d", "e"}, 2, &calls)))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c", "d", "e"}, got)
	require.Equal(t, 3, calls)
}

func TestAllRefusesACursorThatDoesNotAdvance(t *testing.T) {
	calls := 0
	stuck := func(after string) (noetl.Page[int], error) {
		calls++
		return noetl.Page[int]{Items: []int{calls}, Next: "same"}, nil
	}
	got, err := noetl.Collect(noetl.All(stuck))
	require.ErrorIs(t, err, noetl.ErrInvalid)
	require.Nil(t, got)
	require.Equal(t, 2, calls, "the second page repeats its cursor and ends the walk")
}

func TestAllStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	var seen []string
	for v, err := range noetl.All(func(after string) (noetl.Page[string], error) {
		calls++
		if after != "" {
			return noetl.Page[string]{}, boom
		}
		return noetl.Page[string]{Items: []string{"a"}, Next: "1"}, nil
	}) {
		if err != nil {
			require.ErrorIs(t, err, boom)
			require.Empty(t, v)
			seen = append(seen, "error")
			continue
		}
		seen = append(seen, v)
	}
	require.Equal(t, []string{"a", "error"}, seen)
	require.Equal(t, 2, calls)
}

func TestPtr(t *testing.T) {
	p := noetl.Ptr(noetl.EventCompleted)
	require.Equal(t, "COMPLETED", *p)
	x := 3
	q := noetl.Ptr(x)
	x = 4
	require.Equal(t, 3, *q, "Ptr points to a copy")
}

func ExampleAll() {
	calls := 0
	list := pages([]string{"ann", "bob", "cat"}, 2, &calls) // e.g. a List call with After set
	for name, err := range noetl.All(list) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(name)
	}
	fmt.Println(calls, "pages")
	// Output:
	// ann
	// bob
	// cat
	// 2 pages
}
