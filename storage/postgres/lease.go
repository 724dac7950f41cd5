package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// leaseCheck is how often a lease's connection is checked; a lost lease
// is noticed within about this long.
const leaseCheck = 500 * time.Millisecond

// leaseRetry bounds the wait between attempts to take a lost lease again.
const leaseRetry = 5 * time.Second

// leasePing bounds a check of the lease's connection. A connection the
// server closed fails its check at once; one that only answers slowly (a
// loaded server) must not be taken for lost, since dropping it is what
// would free the shard.
const leasePing = 10 * time.Second

// errLeaseLost is why a store's generator is suspended while its lease is
// being taken again.
var errLeaseLost = errors.New("the store's id shard lease was lost with its connection; it is being taken again")

// lease is a store's hold on an id shard: a session advisory lock, keyed by
// the schema name and the shard, on a connection of the lease's own. The
// lock goes with its connection, so a crashed process frees its shard at
// once; Close frees it too.
//
// While the store lives, keep checks the connection every leaseCheck. When
// it is gone (the server killed it or restarted, the network dropped it),
// another store may take the shard, so the generator is suspended: calls
// that need a new id fail with ErrTransient. keep then takes the same shard
// again on a new connection, retrying until it has it or the store closes,
// and resumes the generator. Ids issued between the loss and its notice
// (at most about leaseCheck) could collide with those of a store that took
// the shard in that time, in the same millisecond with the same sequence.
type lease struct {
	cc    *pgx.ConnConfig
	key   string
	shard int
	g     *snowflake.Generator
	log   *slog.Logger

	mu   sync.Mutex // holds conn while it is used
	conn *pgx.Conn  // nil while the lease is lost

	ctx    context.Context // ends with the store
	cancel context.CancelFunc
	done   chan struct{}
}

// leaseShard leases a free id shard for a store opened without WithShard or
// WithGenerator, trying shards in snowflake.LeaseOrder, and keeps it until
// the returned function is called (at Close).
//
// cc is the configuration of the lease's connection: the pool's, or, behind
// a transaction pooler (WithPooler), the direct DSN's, since a session lock
// taken through a transaction pooler stays on a server connection that
// other clients then use.
func leaseShard(ctx context.Context, cc *pgx.ConnConfig, name string, o *config.Options) (*snowflake.Generator, func() error, error) {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: lease an id shard: connect: %w", err)
	}
	key := "noetl shard lease " + name
	for _, shard := range snowflake.LeaseOrder {
		got, err := tryLock(ctx, conn, key, shard)
		if err != nil {
			conn.Close(context.Background())
			return nil, nil, fmt.Errorf("postgres: lease an id shard: %w", err)
		}
		if !got {
			continue
		}
		g, err := o.NewGenerator(shard)
		if err != nil {
			conn.Close(context.Background())
			return nil, nil, err
		}
		l := &lease{cc: cc, key: key, shard: shard, g: g, log: o.Logger, conn: conn, done: make(chan struct{})}
		l.ctx, l.cancel = context.WithCancel(context.Background())
		go l.keep()
		return g, l.close, nil
	}
	conn.Close(context.Background())
	return nil, nil, noetl.NewError(noetl.ErrConflict,
		"postgres: every id shard of schema %q is leased by a live store; close one or give WithShard", name)
}

// tryLock takes the lease's session lock on conn if it is free.
func tryLock(ctx context.Context, conn *pgx.Conn, key string, shard int) (bool, error) {
	var got bool
	err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtext($1), $2)", key, shard).Scan(&got)
	return got, err
}

// keep checks the lease's connection until the store closes, taking the
// shard again whenever the connection is lost.
func (l *lease) keep() {
	defer close(l.done)
	t := time.NewTicker(leaseCheck)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
		}
		if l.alive() {
			continue
		}
		l.g.Suspend(errLeaseLost)
		l.warn("noetl: the id shard lease was lost with its connection; new ids are refused until it is taken again")
		if l.retake() {
			l.g.Resume()
			l.info("noetl: the id shard lease was taken again")
		}
	}
}

// alive reports whether the lease's connection answers, dropping it when it
// does not: its session, and the lock with it, is gone or going.
func (l *lease) alive() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Not l.ctx: a ping cut short by Close would break the connection
	// that Close unlocks on.
	ctx, cancel := context.WithTimeout(context.Background(), leasePing)
	defer cancel()
	if l.conn.Ping(ctx) == nil {
		return true
	}
	c, cancelClose := context.WithTimeout(context.Background(), time.Second)
	_ = l.conn.Close(c)
	cancelClose()
	l.conn = nil
	return false
}

// retake connects and takes the same shard again, retrying with a growing
// wait, until it has it (true) or the store closes (false). While another
// store holds the shard it logs an error each attempt: ids stay refused.
func (l *lease) retake() bool {
	wait := leaseCheck / 5
	for {
		conn, err := pgx.ConnectConfig(l.ctx, l.cc)
		if err == nil {
			var got bool
			got, err = tryLock(l.ctx, conn, l.key, l.shard)
			if err == nil && got {
				l.mu.Lock()
				l.conn = conn
				l.mu.Unlock()
				return true
			}
			c, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Close(c)
			cancel()
			if err == nil && l.log != nil {
				l.log.Error("noetl: the id shard is held by another store; new ids stay refused until it is free",
					"shard", l.shard, "lease", l.key)
			}
		}
		select {
		case <-l.ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, leaseRetry)
	}
}

func (l *lease) warn(msg string) {
	if l.log != nil {
		l.log.Warn(msg, "shard", l.shard, "lease", l.key)
	}
}

func (l *lease) info(msg string) {
	if l.log != nil {
		l.log.Info(msg, "shard", l.shard, "lease", l.key)
	}
}

// close stops keep, waiting for a check in flight (which a healthy server
// answers at once, and leasePing bounds), and frees the shard. It unlocks
// before closing: the server drops a closed session's locks only once its
// backend has exited, after Close returns.
func (l *lease) close() error {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, uerr := l.conn.Exec(c, "SELECT pg_advisory_unlock(hashtext($1), $2)", l.key, l.shard)
	return errors.Join(uerr, l.conn.Close(c))
}
