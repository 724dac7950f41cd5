package storagetest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func init() { register("errors_sentinels", testErrorSentinels) }

// sentinels are the errors every method's error wraps one of.
var sentinels = []error{noetl.ErrNotFound, noetl.ErrConflict, noetl.ErrInvalid, noetl.ErrReferenced,
	noetl.ErrForbidden, noetl.ErrTransient, noetl.ErrClosed, noetl.ErrStorage, noetl.ErrNoKeyring,
	context.Canceled, context.DeadlineExceeded}

func wrapsSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// CallEveryMethod calls every method of every repository of s with zero
// arguments (a background context first) and hands each result's error to
// check; it returns how many it called. Methods returning no error are
// skipped by type. A backend uses it to prove that every method wraps a
// sentinel when its database fails in some way the suite cannot cause (see
// storage/sqlite's injected-failure tests).
func CallEveryMethod(t *testing.T, s noetl.Store, check func(name string, err error)) int {
	return everyMethod(t, s, check)
}

// WrapsSentinel reports whether err wraps a noetl sentinel or a context
// error.
func WrapsSentinel(err error) bool { return wrapsSentinel(err) }

func everyMethod(t *testing.T, s noetl.Store, check func(name string, err error)) int {
	t.Helper()
	st := reflect.ValueOf(s)
	errType := reflect.TypeFor[error]()
	calls := 0
	for i := 0; i < st.NumMethod(); i++ {
		m := st.Type().Method(i)
		if m.Type.NumIn() != 1 || m.Type.NumOut() != 1 || m.Type.Out(0).Kind() != reflect.Interface || !strings.HasSuffix(m.Type.Out(0).Name(), "Repo") {
			continue
		}
		repo := st.Method(i).Call(nil)[0]
		for j := 0; j < repo.NumMethod(); j++ {
			rm := repo.Type().Method(j)
			ft := repo.Method(j).Type()
			if ft.NumOut() == 0 || ft.Out(ft.NumOut()-1) != errType {
				continue
			}
			args := make([]reflect.Value, ft.NumIn())
			for k := range args {
				if k == 0 {
					args[k] = reflect.ValueOf(context.Background())
					continue
				}
				args[k] = reflect.Zero(ft.In(k))
			}
			call := repo.Method(j).Call
			if ft.IsVariadic() {
				call = repo.Method(j).CallSlice
			}
			out := call(args)
			err, _ := out[len(out)-1].Interface().(error)
			check(m.Name+"."+rm.Name, err)
			calls++
		}
	}
	return calls
}

func testErrorSentinels(t *testing.T, h Harness) {
	t.Run("EveryMethodOfAClosedStoreFailsWithASentinel", func(t *testing.T) {
		s := h.New(t)
		require.NoError(t, s.Close())
		noop := []string{}
		n := everyMethod(t, s, func(name string, err error) {
			if err == nil {
				noop = append(noop, name) // a call with nothing to do
				return
			}
			require.True(t, wrapsSentinel(err), "%s: %v wraps no sentinel", name, err)
			if !errors.Is(err, noetl.ErrInvalid) && !errors.Is(err, noetl.ErrNoKeyring) {
				require.ErrorIs(t, err, noetl.ErrClosed, "%s", name)
			}
		})
		require.Greater(t, n, 100, "every repository method was called")
		require.ElementsMatch(t, []string{"Events.AppendBatch", "Messages.PostBatch", "Transitions.Add", "Workbooks.Add", "Workflows.Add"}, noop,
			"only the empty batches succeed without the database")
	})
	t.Run("CloseIsIdempotent", func(t *testing.T) {
		s := h.New(t)
		require.NoError(t, s.Close())
		require.NoError(t, s.Close())
	})
	t.Run("InTxOnAClosedStoreFailsWithErrClosed", func(t *testing.T) {
		s := h.New(t)
		require.NoError(t, s.Close())
		err := s.InTx(ctx(t), func(context.Context, noetl.Store) error { return nil })
		require.ErrorIs(t, err, noetl.ErrClosed)
	})
	t.Run("MaintainOnAClosedStoreFailsWithErrClosed", func(t *testing.T) {
		s := h.New(t)
		require.NoError(t, s.Close())
		require.ErrorIs(t, s.Maintain(ctx(t)), noetl.ErrClosed)
	})
	t.Run("DuplicateUsernameAndEmailNameTheirField", func(t *testing.T) {
		s := h.New(t)
		newProfile(t, s, "ann")
		_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
		var ne *noetl.Error
		require.ErrorAs(t, err, &ne)
		require.ErrorIs(t, err, noetl.ErrConflict)
		require.Equal(t, "username", ne.Field)
		_, err = s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "bob", Email: "ann@example.com", Type: noetl.ProfileUser})
		require.ErrorAs(t, err, &ne)
		require.ErrorIs(t, err, noetl.ErrConflict)
		require.Equal(t, "email", ne.Field)
	})
	t.Run("UsernameAndEmailBothTakenNameTheUsernameWhateverIndexTheEngineChecksFirst", func(t *testing.T) {
		s := h.New(t)
		ann := newProfile(t, s, "ann")
		bob := newProfile(t, s, "bob")
		fieldOf := func(err error) string {
			t.Helper()
			var ne *noetl.Error
			require.ErrorAs(t, err, &ne)
			require.ErrorIs(t, err, noetl.ErrConflict)
			return ne.Field
		}
		for _, email := range []string{*ann.Email, *bob.Email} {
			_, err := s.Profiles().Create(ctx(t), noetl.NewProfile{Username: "ann", Email: email, Type: noetl.ProfileUser})
			require.Equal(t, "username", fieldOf(err), "create with ann's username and %s", email)
			_, err = s.Profiles().Update(ctx(t), bob.ID, noetl.ProfileUpdate{Username: ptr("ANN"), Email: ptr(email)})
			require.Equal(t, "username", fieldOf(err), "update bob to ann's username and %s", email)
		}
		err := s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
			_, err := tx.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Email: *bob.Email, Type: noetl.ProfileUser})
			require.Equal(t, "username", fieldOf(err), "inside a transaction")
			_, err = tx.Profiles().Create(ctx, noetl.NewProfile{Username: "cy", Type: noetl.ProfileUser})
			return err
		})
		require.NoError(t, err, "the transaction goes on after the refused call")
	})
}
