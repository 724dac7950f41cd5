package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// start runs f in a goroutine; its result arrives on the channel.
func start(f func() error) chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// pending reports whether the call behind ch is still waiting after a
// short while.
func pending(ch chan error) bool {
	select {
	case err := <-ch:
		ch <- err
		return false
	case <-time.After(50 * time.Millisecond):
		return true
	}
}

func TestGateWritersQueueFirstComeFirstServed(t *testing.T) {
	g := newGate(false)
	ctx := context.Background()
	require.NoError(t, g.lock(ctx))
	order := make(chan int, 3)
	var waits []chan error
	for i := range 3 {
		waits = append(waits, start(func() error {
			if err := g.lock(ctx); err != nil {
				return err
			}
			order <- i
			g.unlock()
			return nil
		}))
		require.True(t, pending(waits[i]), "writer %d waits", i)
	}
	g.unlock()
	for i := range 3 {
		require.NoError(t, <-waits[i])
		require.Equal(t, i, <-order, "writers go in the order they came")
	}
}

func TestGateWriterGivesUpWithItsContext(t *testing.T) {
	g := newGate(false)
	require.NoError(t, g.lock(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	w := start(func() error { return g.lock(ctx) })
	require.True(t, pending(w))
	cancel()
	require.ErrorIs(t, <-w, context.Canceled)
	g.unlock()
	require.NoError(t, g.lock(context.Background()), "the lock is free again")
}

func TestGateSharedReadersAndWritersTakeTurns(t *testing.T) {
	g := newGate(true)
	ctx := context.Background()
	require.NoError(t, g.rlock(ctx))
	w1 := start(func() error { return g.lock(ctx) })
	require.True(t, pending(w1), "a writer waits for the reader already in")
	r2 := start(func() error { return g.rlock(ctx) })
	require.True(t, pending(r2), "a reader arriving behind a waiting writer waits for it")
	g.runlock()
	require.NoError(t, <-w1, "the writer goes once the reader leaves")
	w2 := start(func() error { return g.lock(ctx) })
	require.True(t, pending(w2))
	g.unlock()
	require.NoError(t, <-r2, "the waiting reader goes before the next writer")
	require.True(t, pending(w2), "the next writer waits for that reader")
	g.runlock()
	require.NoError(t, <-w2)
	g.unlock()
}

func TestGateWriterGivingUpLetsWaitingReadersIn(t *testing.T) {
	g := newGate(true)
	require.NoError(t, g.rlock(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	w := start(func() error { return g.lock(ctx) })
	require.True(t, pending(w))
	r := start(func() error { return g.rlock(context.Background()) })
	require.True(t, pending(r))
	cancel()
	require.ErrorIs(t, <-w, context.Canceled)
	require.NoError(t, <-r, "the reader no longer waits for a writer that gave up")
	g.runlock()
	g.runlock()
	require.NoError(t, g.lock(context.Background()))
}
