package sqlstore

import "github.com/noetl/noetldb/noetl"

// followPage is pageOf for the lists a reader follows as they grow
// (oldest-first messages, events): Next is the cursor after the page's last
// item on every non-empty page, the last one included, so a reader at the
// end continues from it when more rows commit. An empty page has no Next;
// the reader keeps the cursor it passed.
func followPage[T any](items []T, limit int, list string, cursor func(T) any) noetl.Page[T] {
	if len(items) > limit {
		items = items[:limit]
	}
	if len(items) == 0 {
		return noetl.Page[T]{Items: items}
	}
	return noetl.Page[T]{Items: items, Next: EncodeCursor(list, cursor(items[len(items)-1]))}
}
