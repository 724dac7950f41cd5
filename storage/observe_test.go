package storage_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/trace"
)

// TestNoHookIsThePlainStore checks that a store opened without a logger or
// hook is the uninstrumented one on both engines: no wrapper around the
// store nor around its statements.
func TestNoHookIsThePlainStore(t *testing.T) {
	dsns := map[string]string{"sqlite": "sqlite::memory:", "postgres": pgtest.NewDatabase(t)}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			s := openOK(t, dsn, name)
			st, ok := s.(*sqlstore.Store)
			require.True(t, ok, "got %T", s)
			require.False(t, strings.HasPrefix(fmt.Sprintf("%T", st.Querier()), "observe."), "statements are not wrapped: %T", st.Querier())

			hooked := openOK(t, dsn, name, storage.WithLogger(slog.New(slog.DiscardHandler)))
			_, ok = hooked.(*sqlstore.Store)
			require.False(t, ok, "a logger instruments the store")

			var calls int
			traced := openOK(t, dsn, name, storage.WithHook(trace.Funcs{Call: func(ctx context.Context, op string) (context.Context, func(error)) {
				calls++
				return ctx, func(error) {}
			}}))
			_, err := traced.Roles().GetByName(context.Background(), "user")
			require.NoError(t, err)
			require.Positive(t, calls)
		})
	}
}
