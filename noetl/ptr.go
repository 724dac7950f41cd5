package noetl

// Ptr returns a pointer to a copy of v, for the optional fields of inputs
// and queries: NewRole{Name: "ops", Description: noetl.Ptr("operators")},
// Event{Status: noetl.Ptr(noetl.EventCompleted)}.
func Ptr[T any](v T) *T { return &v }
