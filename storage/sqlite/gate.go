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
// COMMIT waits for readers), but in Go, fairly: readers hold the shared
// side while their statement runs; a writer waits for the readers already
// in, and readers that arrive meanwhile wait for that writer, then all go
// in together before the next writer. So neither side starves the other.
// A reader must not open a second statement while its first is still open
// (the store never does): a writer queued between the two would wait for
// the first while the second waited for it.
type gate struct {
	w      chan struct{} // capacity 1: full while a writer holds the lock
	shared bool

	mu      sync.Mutex
	writer  bool          // a writer holds w (waiting for readers, or writing)
	readers int           // readers holding the shared side
	waiters int           // readers waiting for the writer to finish
	phase   uint64        // counts writers finished: a waiter let in sees it change
	changed chan struct{} // closed and replaced when readers reach 0 or a phase ends
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
	g.mu.Lock()
	g.writer = true
	for g.readers > 0 {
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			g.mu.Lock()
			g.endPhase()
			g.mu.Unlock()
			<-g.w
			return ctx.Err()
		}
		g.mu.Lock()
	}
	g.mu.Unlock()
	return nil
}

// unlock releases the write lock.
func (g *gate) unlock() {
	if g.shared {
		g.mu.Lock()
		g.endPhase()
		g.mu.Unlock()
	}
	<-g.w
}

// endPhase lets in the readers that waited for the writer; g.mu is held.
func (g *gate) endPhase() {
	g.writer = false
	g.readers += g.waiters
	g.waiters = 0
	g.phase++
	g.notify()
}

// rlock takes the shared side (shared mode only).
func (g *gate) rlock(ctx context.Context) error {
	g.mu.Lock()
	if !g.writer {
		g.readers++
		g.mu.Unlock()
		return nil
	}
	g.waiters++
	phase := g.phase
	for g.phase == phase {
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			g.mu.Lock()
			if g.phase == phase {
				g.waiters--
			} else { // let in just now: leave again
				g.readers--
				if g.readers == 0 {
					g.notify()
				}
			}
			g.mu.Unlock()
			return ctx.Err()
		}
		g.mu.Lock()
	}
	g.mu.Unlock() // endPhase counted this reader in
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
