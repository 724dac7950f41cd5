package noetl

import "iter"

// All walks every page of a list and yields each item in order, fetching a
// page only when the loop needs it; breaking out of the loop fetches no
// more. list gets the cursor to pass as the query's After ("" for the
// first page). When list fails, All yields its error once, with a zero
// item, and stops; a page whose Next repeats the cursor it was fetched
// with is an error too (the walk would never end).
//
//	for p, err := range noetl.All(func(after string) (noetl.Page[noetl.Profile], error) {
//		return store.Profiles().List(ctx, noetl.ProfileQuery{After: after})
//	}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(p.Username)
//	}
func All[T any](list func(after string) (Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		after := ""
		for {
			p, err := list(after)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, v := range p.Items {
				if !yield(v, nil) {
					return
				}
			}
			if p.Next == "" {
				return
			}
			if p.Next == after {
				yield(zero, Invalidf("list: page cursor %.16q does not advance", after))
				return
			}
			after = p.Next
		}
	}
}

// Collect returns every item seq yields (an empty, non-nil slice when it
// yields none), or the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	out := []T{}
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
