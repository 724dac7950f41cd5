package sqlstore

import (
	"context"

	"github.com/noetl/noetldb/noetl"
)

// collect runs a query and scans every row with scan. The result is never
// nil: an empty result is an empty slice.
func collect[T any](ctx context.Context, q Querier, query string, args []any, scan func(Row) (T, error)) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// pageOf turns limit+1 fetched items into a page: when there is one more
// than limit, it is dropped and Next points after the last item kept, as
// a cursor of list (see EncodeCursor).
func pageOf[T any](items []T, limit int, list string, cursor func(T) any) noetl.Page[T] {
	if len(items) <= limit {
		return noetl.Page[T]{Items: items}
	}
	items = items[:limit]
	return noetl.Page[T]{Items: items, Next: EncodeCursor(list, cursor(items[limit-1]))}
}

// collectSeqPage reads a page of a list ordered by seq: up to limit+1
// rows scanned straight into the page's slice by scan, which leaves each
// row's seq in *seq. It returns them with the seq of the last row within
// limit, the page's cursor (see seqPage).
func collectSeqPage[T any](ctx context.Context, q Querier, query string, args []any, limit int, seq *int64, scan func(Row, *T) error) ([]T, int64, error) {
	n, last := 0, int64(0)
	items, err := collectInto(ctx, q, query, args, limit+1, func(row Row, v *T) error {
		if err := scan(row, v); err != nil {
			return err
		}
		if n++; n <= limit {
			last = *seq
		}
		return nil
	})
	return items, last, err
}

// seqPage turns up to limit+1 rows, read in a list's order, into a page
// whose cursor is last, the seq of the last row kept. Next is set when there
// was a row beyond limit or, for a list a reader follows as it grows
// (follow: oldest-first messages, events), on every non-empty page, the
// last one included, so a reader at the end continues from it when more
// rows commit; an empty page has no Next and the reader keeps the cursor it
// passed. The rows are the page's own slice; the extra row is dropped.
func seqPage[T any](items []T, limit int, last int64, list string, follow bool) noetl.Page[T] {
	more := len(items) > limit
	if more {
		var zero T
		items[limit] = zero // what the dropped row holds is not kept alive
		items = items[:limit]
	}
	p := noetl.Page[T]{Items: items}
	if more || follow && len(items) > 0 {
		p.Next = EncodeCursor(list, last)
	}
	return p
}

// nullString is an optional text parameter: nil for an empty string.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ptrArg is an optional parameter: nil stays NULL.
func ptrArg[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
