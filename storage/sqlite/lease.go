package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// leaseTTL is how long a shard lease lives without renewal: a crashed
// process's shard is free again after it. A live store renews its lease
// every leaseRenew.
const leaseTTL = 30 * time.Second

// leaseRenew is how often a store renews its lease; a store whose renewals
// have failed for two of these suspends its generator, a third before the
// lease expires. Tests shorten it.
var leaseRenew = leaseTTL / 3

// Why a store's generator is suspended.
var (
	errLeaseTaken   = errors.New("the store's id shard lease expired and another store holds the shard")
	errLeaseExpires = errors.New("the store's id shard lease has not been renewed and is about to expire")
)

// leaseTable holds the shard leases of the stores on one database file. It
// is bookkeeping of the stores, not part of the NoETL schema, so it is made
// on first use rather than by a migration.
const leaseTable = `CREATE TABLE IF NOT EXISTS noetl_shard_lease (
	shard INTEGER PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_at INTEGER NOT NULL
)`

// lease is a shard held by one store.
type lease struct {
	db *sql.DB
	// exec runs the renewals and the release once start set it: the store's
	// write path, so they queue with the store's writers instead of meeting
	// SQLite's busy handler (whose retries a busy store may starve past a
	// renewal's deadline, and past the lease's life after three).
	exec   func(ctx context.Context, query string, args ...any) (int64, error)
	shard  int
	holder string
	g      *snowflake.Generator // suspended while the lease is not the store's
	every  time.Duration        // leaseRenew when the lease was taken
	// renewed is when the lease was last written, so it lives until
	// renewed+3*every; only take and then renew touch it.
	renewed time.Time
	stop    chan struct{}
	done    sync.WaitGroup
}

// leaseShard leases a free id shard for a store opened without WithShard or
// WithGenerator: a row of noetl_shard_lease that the store renews while it
// lives and deletes on Close; a crashed process's row expires after
// leaseTTL. Shards are tried in snowflake.LeaseOrder.
func leaseShard(ctx context.Context, db *sql.DB, o *config.Options) (*snowflake.Generator, *lease, error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	l := &lease{db: db, holder: hex.EncodeToString(b[:]), every: leaseRenew, stop: make(chan struct{})}
	shard, err := l.take(ctx)
	if err != nil {
		return nil, nil, err
	}
	l.shard = shard
	g, err := o.NewGenerator(shard)
	if err != nil {
		_ = l.release()
		return nil, nil, err
	}
	l.g = g
	// A shard freed by a store that just closed may have issued ids in
	// this millisecond; start in the next one.
	time.Sleep(2 * time.Millisecond)
	return g, l, nil
}

// start renews the lease through exec until release.
func (l *lease) start(exec func(ctx context.Context, query string, args ...any) (int64, error)) {
	l.exec = exec
	l.done.Add(1)
	go l.renew()
}

// run runs a write of the lease through exec, or the pool before start,
// and returns the rows it changed.
func (l *lease) run(ctx context.Context, query string, args ...any) (int64, error) {
	if l.exec != nil {
		return l.exec(ctx, query, args...)
	}
	res, err := l.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// take claims the first free shard in one immediate transaction.
func (l *lease) take(ctx context.Context) (int, error) {
	fail := func(err error) (int, error) {
		return 0, &noetl.Error{Kind: classifyOr(err, noetl.ErrStorage), Msg: "sqlite: lease an id shard: " + err.Error(), Cause: err}
	}
	if _, err := l.db.ExecContext(ctx, leaseTable); err != nil {
		return fail(err)
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	now := time.Now().UnixMicro()
	if _, err := tx.ExecContext(ctx, "DELETE FROM noetl_shard_lease WHERE expires_at < ?", now); err != nil {
		return fail(err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT shard FROM noetl_shard_lease")
	if err != nil {
		return fail(err)
	}
	taken := map[int]bool{}
	for rows.Next() {
		var s int
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fail(err)
		}
		taken[s] = true
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	for _, s := range snowflake.LeaseOrder {
		if taken[s] {
			continue
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO noetl_shard_lease (shard, holder, expires_at) VALUES (?, ?, ?)",
			s, l.holder, now+(3*l.every).Microseconds()); err != nil {
			return fail(err)
		}
		if err := tx.Commit(); err != nil {
			return fail(err)
		}
		l.renewed = time.UnixMicro(now)
		return s, nil
	}
	return 0, noetl.NewError(noetl.ErrConflict, "sqlite: every id shard of this database is leased by a live store; close one or give WithShard")
}

// renew extends the lease every l.every until release; a lease found
// expired and free is taken back. While the lease is not surely the
// store's, its generator is suspended, so no id is issued on a shard
// another store may hold: when another store holds the shard (the lease
// expired while this process was stalled), or when renewals have failed
// for two intervals (the lease expires after three). A renewal that
// succeeds again resumes it.
func (l *lease) renew() {
	defer l.done.Done()
	t := time.NewTicker(l.every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		if now.Sub(l.renewed) >= 2*l.every {
			// One interval of life left, and this attempt may take it all.
			l.g.Suspend(errLeaseExpires)
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.every)
		n, err := l.run(ctx, "INSERT INTO noetl_shard_lease (shard, holder, expires_at) VALUES (?, ?, ?)"+
			" ON CONFLICT (shard) DO UPDATE SET expires_at = excluded.expires_at WHERE holder = excluded.holder",
			l.shard, l.holder, now.Add(3*l.every).UnixMicro())
		cancel()
		switch {
		case err == nil && n == 1:
			l.renewed = now
			l.g.Resume()
		case err == nil:
			l.g.Suspend(errLeaseTaken)
		}
	}
}

// release stops renewing and frees the shard.
func (l *lease) release() error {
	select {
	case <-l.stop:
		return nil
	default:
		close(l.stop)
	}
	l.done.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.run(ctx, "DELETE FROM noetl_shard_lease WHERE shard = ? AND holder = ?", l.shard, l.holder); err != nil {
		return fmt.Errorf("sqlite: release id shard %d: %w", l.shard, err)
	}
	return nil
}
