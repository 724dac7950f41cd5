package noetl

// List limits shared by every List method.
const (
	// DefaultLimit is the page size when a query's Limit is zero.
	DefaultLimit = 50
	// MaxLimit is the largest page a List returns; a larger Limit is capped.
	MaxLimit = 1000
)

// Page is one page of a list. Items is never nil (empty on an empty result).
// Next is an opaque cursor for the following page, passed back as a query's
// After; it is empty on the last page, except in the lists a reader can
// follow as they grow (messages oldest first, events), where every
// non-empty page has one: see [MessageRepo.List] and [EventRepo.List].
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// ClampLimit returns the effective page size for a requested limit: the
// default for zero, the cap for anything above it. A negative limit is invalid.
func ClampLimit(limit int) (int, error) {
	switch {
	case limit < 0:
		return 0, Invalidf("limit %d: must not be negative", limit)
	case limit == 0:
		return DefaultLimit, nil
	case limit > MaxLimit:
		return MaxLimit, nil
	}
	return limit, nil
}
