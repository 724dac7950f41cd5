package observe

import (
	"context"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage/trace"
)

// Store returns next reporting every repository call to h and naming the
// operation each call's statements belong to; next itself when h is nil.
// Wrap the store's DB with [DB] and the same hook for its statements.
func Store(next noetl.Store, h trace.Hook) noetl.Store {
	if h == nil || next == nil {
		return next
	}
	return store{next: next, h: h}
}

// store is the instrumented noetl.Store; its repository accessors are in
// store_gen.go.
type store struct {
	next noetl.Store
	h    trace.Hook
}

// InTxOp is the operation name of Store.InTx.
const InTxOp = "store.in_tx"

// InTx implements noetl.Store: the transaction is one call named InTxOp,
// and fn gets an instrumented store of it.
func (s store) InTx(ctx context.Context, fn func(ctx context.Context, tx noetl.Store) error) (err error) {
	ctx, end := s.h.OnCall(trace.WithOp(ctx, InTxOp), InTxOp)
	defer func() { end(err) }()
	return s.next.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
		return fn(ctx, store{next: tx, h: s.h})
	})
}

// MaintainOp is the operation name of Store.Maintain.
const MaintainOp = "store.maintain"

// Maintain implements noetl.Store, reported as one call named MaintainOp.
func (s store) Maintain(ctx context.Context) (err error) {
	ctx, end := s.h.OnCall(trace.WithOp(ctx, MaintainOp), MaintainOp)
	defer func() { end(err) }()
	return s.next.Maintain(ctx)
}

// IDs implements noetl.Store.
func (s store) IDs() *snowflake.Generator { return s.next.IDs() }

// Dialect implements noetl.Store.
func (s store) Dialect() string { return s.next.Dialect() }

// Close implements noetl.Store.
func (s store) Close() error { return s.next.Close() }

// Unwrap returns the uninstrumented store.
func (s store) Unwrap() noetl.Store { return s.next }

var _ noetl.Store = store{}
