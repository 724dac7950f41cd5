package noetl

// Followed is one row of a followed list (MessageRepo.Follow,
// EventRepo.Follow) with the cursor that resumes after it: a follow started
// again from Cursor yields the rows committed after this one, none twice.
// Cursor is also accepted as the After of the list the follow reads
// (oldest-first messages, events), and a Next from that list is accepted by
// Follow.
type Followed[T any] struct {
	// Item is the row.
	Item T
	// Cursor is the position after Item.
	Cursor string
}
