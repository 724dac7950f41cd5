package sqlite

import (
	"context"
	"sync"
)

// gate is a store's write lock: one writer at a time in the process, so
// in-process writers queue in Go (first come, first served) and never meet
// SQLite's busy handler, which only other processes reach.
//
// In shared mode (a database without WAL: the in-memory one, or a file in
// rollback-journal mode) a writer also excludes readers, as SQLite would
// (readers cannot start while a write transaction holds the database, and
// COMMIT waits for readers), but in Go: readers hold the shared side while
// their statement runs. Readers go first: a writer waits until no reader
// holds or awaits the shared side, and a reader waits only for a writer
// that holds the database, so a reader that opens a second statement while
// its first is still open never waits for a writer queued behind it.
type gate struct {
	w      chan struct{} // capacity 1: full while a writer holds the lock
	shared bool

	mu      sync.Mutex
	readers int           // readers holding the shared side
	waiting int           // readers waiting for the writer to finish
	writing bool          // a writer holds the database (shared mode)
	changed chan struct{} // closed and replaced when readers, waiting or writing change
}

func newGate(shared bool) *gate {
	return &gate{w: make(chan struct{}, 1), shared: shared, changed: make(chan struct{})}
}

// lock takes the write lock, waiting in line; it gives up with ctx's error
// once ctx is done.
func (g *gate) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case g.w <- struct{}{}:
	default:
		select {
		case g.w <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !g.shared {
		return nil
	}
	for {
		g.mu.Lock()
		if g.readers == 0 && g.waiting == 0 {
			g.writing = true
			g.mu.Unlock()
			return nil
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			<-g.w
			return ctx.Err()
		}
	}
}

// unlock releases the write lock.
func (g *gate) unlock() {
	if g.shared {
		g.mu.Lock()
		g.writing = false
		g.notify()
		g.mu.Unlock()
	}
	<-g.w
}

// rlock takes the shared side (shared mode only).
func (g *gate) rlock(ctx context.Context) error {
	g.mu.Lock()
	for g.writing {
		g.waiting++
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			g.mu.Lock()
			g.waiting--
			g.notify()
			g.mu.Unlock()
			return ctx.Err()
		}
		g.mu.Lock()
		g.waiting--
	}
	g.readers++
	g.mu.Unlock()
	return nil
}

// runlock releases the shared side.
func (g *gate) runlock() {
	g.mu.Lock()
	g.readers--
	if g.readers == 0 {
		g.notify()
	}
	g.mu.Unlock()
}

// notify wakes every waiter; g.mu is held.
func (g *gate) notify() {
	close(g.changed)
	g.changed = make(chan struct{})
}
