package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/noetl/noetldb/internal/sqlstore"
)

// listener is a store's one LISTEN connection, fanned out in process to
// every follower through the hub. Writes notify sqlstore.NotifyChannel in
// their transaction (delivered only when it commits), naming the chat or
// execution, never a row; the listener wakes that key's followers, which
// re-read from their cursors. The connection is a pgx.Conn of its own,
// outside the pool (a pooler in transaction mode cannot carry LISTEN: the
// store then connects with WithPooler's direct DSN). It is opened when the
// first follower starts and closed with the store. When it breaks (killed,
// the server restarting) it reconnects, with back-off, and then wakes every
// follower: a commit notified while it was away is read then, from each
// follower's cursor, so nothing is lost or repeated.
type listener struct {
	cfg *pgx.ConnConfig
	hub *sqlstore.Hub

	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	started atomic.Bool
	mu      sync.Mutex
	pid     atomic.Uint32 // the connection's server process, 0 when none
	// connects counts the connections made, for tests.
	connects atomic.Int64
}

// Listener back-off between failed connections.
const (
	listenMinBackoff = 20 * time.Millisecond
	listenMaxBackoff = time.Second
)

// ListenerName is the application_name of a store's listener connection,
// as pg_stat_activity shows it.
const ListenerName = "noetl_follow"

// pollWithoutListener is how often followers re-read when the store has no
// connection to LISTEN on (WithPooler without a direct DSN).
const pollWithoutListener = time.Second

// newListener returns a listener on cfg (nil: none, see
// pollWithoutListener) that starts when the hub's first
// follower does.
func newListener(cfg *pgx.ConnConfig) *listener {
	if cfg != nil {
		cfg.RuntimeParams["application_name"] = ListenerName
	}
	l := &listener{cfg: cfg, done: make(chan struct{})}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.hub = sqlstore.NewHub(l.start)
	return l
}

// start runs the listener; the hub calls it once.
func (l *listener) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		return
	}
	l.started.Store(true)
	go l.run()
}

// run connects, listens and wakes followers until the store closes.
func (l *listener) run() {
	defer close(l.done)
	if l.cfg == nil {
		// Behind a pooler without a direct DSN: no LISTEN is possible.
		t := time.NewTicker(pollWithoutListener)
		defer t.Stop()
		for {
			select {
			case <-l.ctx.Done():
				return
			case <-t.C:
				l.hub.WakeAll()
			}
		}
	}
	backoff := listenMinBackoff
	for l.ctx.Err() == nil {
		if l.listen() {
			backoff = listenMinBackoff
		}
		select {
		case <-l.ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenMaxBackoff)
	}
}

// listen holds one connection until it breaks; it reports whether it got
// as far as listening.
func (l *listener) listen() bool {
	c, err := pgx.ConnectConfig(l.ctx, l.cfg)
	if err != nil {
		return false
	}
	defer func() {
		l.pid.Store(0)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = c.Close(ctx)
		cancel()
	}()
	if _, err := c.Exec(l.ctx, "LISTEN "+pgx.Identifier{sqlstore.NotifyChannel}.Sanitize()); err != nil {
		return false
	}
	l.connects.Add(1)
	l.pid.Store(c.PgConn().PID())
	// Commits while no connection listened were not notified here.
	l.hub.WakeAll()
	for {
		n, err := c.WaitForNotification(l.ctx)
		if err != nil {
			return true
		}
		l.hub.WakeNotified(n.Payload)
	}
}

// close stops the listener, waits for it, and wakes every follower: the
// store is closing, so their next read fails with ErrClosed and ends them.
func (l *listener) close() {
	l.mu.Lock()
	l.cancel()
	started := l.started.Load()
	l.mu.Unlock()
	if started {
		<-l.done
	}
	l.hub.WakeAll()
}
