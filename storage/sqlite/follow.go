package sqlite

import (
	"context"
	"sync"
	"time"

	"github.com/noetl/noetldb/internal/sqlstore"
)

// versionWatch notices commits of other connections to the store's
// database (another store on the file, another process, a caller's own
// transaction) for the live feed, with one loop per store: every
// versionPoll it reads PRAGMA data_version on the write connection, whose
// value changes exactly when another connection committed (the store's own
// commits, made on that connection, do not change it: their followers are
// woken directly after the commit), and wakes every follower when it
// changed. The loop starts with the first follower and ends with the store.
type versionWatch struct {
	q   *querier
	hub *sqlstore.Hub

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	started bool
}

// versionPoll is how often the loop reads data_version: the delay before
// another process's commit reaches a follower. One read costs a few
// microseconds under the write lock.
const versionPoll = 20 * time.Millisecond

func newVersionWatch(q *querier) *versionWatch {
	w := &versionWatch{q: q, done: make(chan struct{})}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.hub = sqlstore.NewHub(w.start)
	return w
}

func (w *versionWatch) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx.Err() != nil {
		return
	}
	w.started = true
	go w.run()
}

func (w *versionWatch) run() {
	defer close(w.done)
	last, err := w.q.dataVersion(w.ctx)
	// A follower may have read before the first version was taken.
	w.hub.WakeAll()
	t := time.NewTicker(versionPoll)
	defer t.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-t.C:
		}
		v, verr := w.q.dataVersion(w.ctx)
		if verr != nil {
			err = verr
			continue
		}
		if err != nil || v != last {
			// Changed, or unknown since the last read failed.
			w.hub.WakeAll()
		}
		last, err = v, nil
	}
}

// close stops the loop, waits for it, and wakes every follower: the store
// is closing, so their next read fails with ErrClosed and ends them.
func (w *versionWatch) close() {
	w.mu.Lock()
	w.cancel()
	started := w.started
	w.mu.Unlock()
	if started {
		<-w.done
	}
	w.hub.WakeAll()
}

// dataVersion reads PRAGMA data_version on the write connection, under the
// write lock.
func (q *querier) dataVersion(ctx context.Context) (int64, error) {
	if err := q.gate.lock(ctx); err != nil {
		return 0, err
	}
	defer q.gate.unlock()
	var v int64
	err := q.w.queryRow(ctx, "PRAGMA data_version").Scan(&v)
	return v, err
}
