package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/noetl/noetldb/internal/config"
	"github.com/noetl/noetldb/internal/sqlstore"
	"github.com/noetl/noetldb/storage/trace"
)

// Read replicas (WithReplicas).
//
// Which statements go to a replica is decided per repository call, not by
// a statement's text alone: a call such as Messages().Post reads (is the
// sender a member? does the chat exist?) before it writes, and those reads
// must see the primary. The store is wrapped (package observe) so each call
// names its operation; the operations listed in laggingReads are the reads
// that tolerate lag, and their call's ctx is marked with the replica chosen
// for the whole call (one replica per call, so the call's statements see
// one replica's replay, never going back in time between them). The pool's
// querier then sends a marked statement to that replica when the statement
// also reads only (readOnly). Everything else runs on the primary: writes,
// the other calls' reads, the statements of a transaction (the sqlstore
// router runs a ctx carrying a transaction in it before the pool sees the
// statement), and calls made with a PrimaryRead ctx.
//
// Reads that decide access or hand out secrets are not in laggingReads and
// stay on the primary: a session just closed, a password just changed or a
// credential just rotated must not be seen in its old state.
var laggingReads = map[string]bool{
	"roles.get": true, "roles.get_by_name": true, "roles.list": true,
	"profiles.get": true, "profiles.get_by_username": true, "profiles.get_by_email": true, "profiles.list": true,
	"labels.get": true, "labels.children": true, "labels.ancestors": true, "labels.path": true,
	"labels.resolve": true, "labels.subtree": true,
	"chats.get": true, "chats.list": true, "chats.list_for_profile": true,
	"members.get": true, "members.list": true,
	"messages.get": true, "messages.count": true, "messages.list": true,
	"attachments.get": true, "attachments.list": true,
	"resources.get": true, "resources.list": true,
	"catalog.get": true, "catalog.versions": true, "catalog.list": true,
	"credentials.get": true, "credentials.get_by_name": true, "credentials.list": true,
	"runtimes.get": true, "runtimes.get_by_name": true, "runtimes.list": true,
	"schedules.get": true, "schedules.list": true,
	"workloads.get": true,
	"workflows.get": true, "workflows.list": true,
	"workbooks.get": true, "workbooks.list": true,
	"transitions.get": true, "transitions.list": true, "transitions.list_from": true,
	"events.get": true, "events.list": true, "events.children": true,
	"errors.get": true, "errors.list": true,
	"executions.summary": true, "executions.list": true,
}

// replicaBackoff is how long a replica that failed is left out before a
// read tries it again.
const replicaBackoff = 2 * time.Second

// replicaSet is the store's replicas.
type replicaSet struct {
	rs   []*replica
	next atomic.Uint64
	hook trace.Hook // the store's hook and logger: fallbacks are reported there
	// readOnly caches readOnly by statement text.
	readOnly sync.Map
	cached   atomic.Int64
}

// replica is one replica's pool and health.
type replica struct {
	pool      *pgxpool.Pool
	name      string       // host:port, for reports
	downUntil atomic.Int64 // unix nanoseconds; 0 when healthy
}

func newReplicaSet(pools []*pgxpool.Pool, hook trace.Hook) *replicaSet {
	s := &replicaSet{hook: hook}
	for _, p := range pools {
		c := p.Config().ConnConfig
		s.rs = append(s.rs, &replica{pool: p, name: net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port)))})
	}
	return s
}

// pick returns the next healthy replica, round robin, or nil when every
// replica is down.
func (s *replicaSet) pick() *replica {
	now := time.Now().UnixNano()
	n := uint64(len(s.rs))
	start := s.next.Add(1)
	for i := range n {
		r := s.rs[(start+i)%n]
		if r.downUntil.Load() <= now {
			return r
		}
	}
	return nil
}

type routeKey struct{}

// route returns the replica a statement under ctx may run on, or nil for
// the primary.
func (s *replicaSet) route(ctx context.Context, sql string) *replica {
	if s == nil {
		return nil
	}
	r, _ := ctx.Value(routeKey{}).(*replica)
	if r == nil || config.IsPrimaryRead(ctx) || r.downUntil.Load() > time.Now().UnixNano() || !s.isReadOnly(sql) {
		return nil
	}
	return r
}

// isReadOnly is readOnly, cached by statement text (up to a bound: the
// statement shapes number in the hundreds).
func (s *replicaSet) isReadOnly(sql string) bool {
	if v, ok := s.readOnly.Load(sql); ok {
		return v.(bool)
	}
	ro := readOnly(sql)
	if s.cached.Add(1) < 4096 {
		s.readOnly.Store(sql, ro)
	}
	return ro
}

// readOnly reports whether sql is a plain query a hot standby can run: a
// SELECT (or WITH) that locks no rows, writes nothing and calls nothing
// that writes or takes locks. A statement it does not recognise runs on the
// primary.
func readOnly(sql string) bool {
	u := strings.ToUpper(strings.TrimLeft(sql, " \t\r\n("))
	if !strings.HasPrefix(u, "SELECT") && !strings.HasPrefix(u, "WITH") {
		return false
	}
	for _, w := range []string{" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE", " FOR KEY SHARE",
		"INSERT ", "UPDATE ", "DELETE ", "NEXTVAL(", "SETVAL(", "SNOWFLAKE_ID(", "PG_ADVISORY", "PG_TRY_ADVISORY"} {
		if strings.Contains(u, w) {
			return false
		}
	}
	return true
}

// fallback reports that r failed a read with err and, when err says r is
// gone (not merely behind), leaves r out for replicaBackoff.
func (s *replicaSet) fallback(ctx context.Context, r *replica, err error, down bool) {
	if down {
		r.downUntil.Store(time.Now().Add(replicaBackoff).UnixNano())
	}
	if s.hook != nil {
		s.hook.OnRetry(ctx, trace.Retry{Op: trace.Op(ctx), Attempt: 2,
			Err: fmt.Errorf("postgres: read replica %s failed, read sent to the primary: %w", r.name, err)})
	}
}

// replicaFailed reports whether a read on a replica failed for a reason the
// primary does not have, and whether the replica should be left out for a
// while: a lost or refused connection, a server shutting down or starting,
// a query cancelled by a recovery conflict, or an object the replica has
// not replayed yet (a schema or table created moments ago).
func replicaFailed(ctx context.Context, err error) (retry, down bool) {
	if err == nil || ctx.Err() != nil || errors.Is(err, pgx.ErrNoRows) {
		return false, false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "08"), pg.Code == "57P01", pg.Code == "57P02", pg.Code == "57P03", pg.Code == "53300":
			return true, true
		case pg.Code == "40001", pg.Code == "3D000", pg.Code == "3F000", pg.Code == "42P01", pg.Code == "42883":
			// recovery conflict; database, schema, table or function not replayed yet
			return true, false
		}
		return false, false
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) || isConnError(err) {
		return true, true
	}
	return false, false
}

// replicaQuery runs a query on r, falling back to primary when r fails
// before returning its first row.
func (s *replicaSet) replicaQuery(ctx context.Context, r *replica, primary pgxQuerier, sql string, args []any) (sqlstore.Rows, error) {
	rows, err := r.pool.Query(ctx, sql, args...)
	if retry, down := replicaFailed(ctx, err); retry {
		s.fallback(ctx, r, err, down)
		return primary.Query(ctx, sql, args...)
	}
	if err != nil {
		return nil, err
	}
	return &fallbackRows{Rows: rows, retry: func(err error, down bool) (pgx.Rows, error) {
		s.fallback(ctx, r, err, down)
		return primary.Query(ctx, sql, args...)
	}, ctx: ctx}, nil
}

// fallbackRows are a replica's rows that switch to the primary's when the
// replica fails before the first row.
type fallbackRows struct {
	pgx.Rows
	ctx     context.Context
	retry   func(err error, down bool) (pgx.Rows, error)
	started bool
	err     error
}

func (f *fallbackRows) Next() bool {
	if f.err != nil {
		return false
	}
	if f.Rows.Next() {
		f.started = true
		return true
	}
	if f.started || f.retry == nil {
		return false
	}
	retry, down := replicaFailed(f.ctx, f.Rows.Err())
	if !retry {
		return false
	}
	f.Rows.Close()
	again := f.retry
	f.retry = nil
	rows, err := again(f.Rows.Err(), down)
	if err != nil {
		f.err = err
		return false
	}
	f.Rows = rows
	return f.Next()
}

func (f *fallbackRows) Err() error {
	if f.err != nil {
		return f.err
	}
	return f.Rows.Err()
}

// fallbackRow is a replica's row that is read again from the primary when
// the replica fails.
type fallbackRow struct {
	row   pgx.Row
	ctx   context.Context
	retry func(err error, down bool) pgx.Row
}

func (f fallbackRow) Scan(dest ...any) error {
	err := f.row.Scan(dest...)
	if retry, down := replicaFailed(f.ctx, err); retry {
		return f.retry(err, down).Scan(dest...)
	}
	return err
}

func (s *replicaSet) replicaQueryRow(ctx context.Context, r *replica, primary pgxQuerier, sql string, args []any) sqlstore.Row {
	return fallbackRow{row: r.pool.QueryRow(ctx, sql, args...), ctx: ctx, retry: func(err error, down bool) pgx.Row {
		s.fallback(ctx, r, err, down)
		return primary.QueryRow(ctx, sql, args...)
	}}
}

// router is the trace hook that marks the calls whose reads may go to a
// replica.
type router struct{ s *replicaSet }

func (h router) OnCall(ctx context.Context, op string) (context.Context, func(error)) {
	if !laggingReads[op] || config.IsPrimaryRead(ctx) {
		return ctx, noEnd
	}
	r := h.s.pick()
	if r == nil {
		return ctx, noEnd
	}
	return context.WithValue(ctx, routeKey{}, r), noEnd
}

func (router) OnStatement(context.Context, trace.Statement) {}

func (router) OnRetry(context.Context, trace.Retry) {}

func noEnd(error) {}

var _ trace.Hook = router{}
