package pgtest

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Replica is a streaming replica (a hot standby) of the test binary's
// server, made with pg_basebackup -R and run as a second postgres on a port
// of its own. It replays everything the server writes, to every database.
type Replica struct {
	s       *server
	primary *server
	name    string // its application_name on the primary
	sync    bool
	stopped atomic.Bool
	remove  func()
	stopMu  sync.Mutex
}

var (
	replicas  atomic.Int64
	syncMu    sync.Mutex
	syncInUse bool // one synchronous replica at a time (synchronous_standby_names is server-wide)
)

// NewReplica starts an asynchronous streaming replica of this test binary's
// server (starting the server first if needed): a fresh pg_basebackup -R of
// the whole cluster, started in hot standby (hot_standby_feedback on). A
// read on it may lag the primary. It is stopped and removed when t ends.
//
// Without PostgreSQL binaries the test is skipped, or fails when
// NOETL_REQUIRE_POSTGRES=1.
func NewReplica(t testing.TB) *Replica {
	t.Helper()
	return newReplica(t, "")
}

// NewSyncReplica is NewReplica for a replica that the database of dsn (a
// DSN NewDatabase returned) never runs ahead of: the replica is the server's
// synchronous standby and the database's synchronous_commit is remote_apply,
// so every commit there returns only once the replica has replayed it, and
// a read on the replica right after a write on the primary sees the write.
// Other databases are not slowed. Only one synchronous replica may run at a
// time; stopping it (Stop, or the end of t) first takes it out of
// synchronous_standby_names, so commits do not hang.
func NewSyncReplica(t testing.TB, dsn string) *Replica {
	t.Helper()
	return newReplica(t, dsn)
}

func newReplica(t testing.TB, syncDSN string) *Replica {
	t.Helper()
	p := serverFor(t)
	var db string
	if syncDSN != "" {
		u, err := url.Parse(syncDSN)
		if err != nil {
			t.Fatalf("pgtest.NewSyncReplica: bad DSN: %v", err)
		}
		db = strings.TrimPrefix(u.Path, "/")
		syncMu.Lock()
		busy := syncInUse
		syncInUse = true
		syncMu.Unlock()
		if busy {
			t.Fatal("pgtest.NewSyncReplica: a synchronous replica is already running")
		}
	}
	t0 := time.Now()
	r := &Replica{primary: p, name: fmt.Sprintf("pgtest_replica_%d", replicas.Add(1)), sync: db != ""}
	var err error
	if r.s, err = startReplica(p, r.name); err != nil {
		if r.sync {
			syncMu.Lock()
			syncInUse = false
			syncMu.Unlock()
		}
		t.Fatal(err)
	}
	r.remove = addExtra(r.stop)
	t.Cleanup(r.Stop)
	if r.sync {
		for _, q := range []string{
			"ALTER SYSTEM SET synchronous_standby_names = '" + r.name + "'",
			"SELECT pg_reload_conf()",
			"ALTER DATABASE " + db + " SET synchronous_commit = remote_apply",
		} {
			if out, err := p.psql("postgres", q); err != nil {
				t.Fatalf("pgtest: %s: %v\n%s", q, err, out)
			}
		}
	}
	// Wait until the replica streams from the primary (and, for a
	// synchronous one, is the synchronous standby), so the first commit
	// that waits for it does not wait for its start-up.
	want := "streaming async"
	if r.sync {
		want = "streaming sync"
	}
	deadline := time.Now().Add(readyTimeout)
	for {
		out, err := p.psql("postgres", "SELECT state || ' ' || sync_state FROM pg_stat_replication WHERE application_name = '"+r.name+"'")
		if err == nil && out == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgtest: replica %s not %s after %v (state %q, %v); replica log tail:\n%s",
				r.name, want, readyTimeout, out, err, r.s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("pgtest: started replica %s on 127.0.0.1:%d in %v", r.name, r.s.port, time.Since(t0).Round(time.Millisecond))
	return r
}

// startReplica takes a base backup of p into a new temp directory and
// starts it as a hot standby that streams from p under the name name.
func startReplica(p *server, name string) (_ *server, err error) {
	s, err := newServerDir(p.bins)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	cmd := s.command("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", "postgres", "-w",
		"-D", s.dataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: pg_basebackup failed: %v\n%s", err, tail(out, 30))
	}
	// cluster_name is the application_name the walreceiver gives the
	// primary (pg_basebackup -R wrote primary_conninfo without one).
	s.settings = []string{"cluster_name=" + name, "hot_standby=on", "hot_standby_feedback=on",
		"max_standby_streaming_delay=5s", "wal_receiver_status_interval=1s"}
	if err := s.startRetrying(); err != nil {
		return nil, err
	}
	return s, nil
}

// DSN returns dsn, a DSN NewDatabase returned, rewritten to reach the same
// database on the replica.
func (r *Replica) DSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(fmt.Sprintf("pgtest: Replica.DSN: bad DSN: %v", err))
	}
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.s.port))
	return u.String()
}

// Name is the replica's application_name in the primary's
// pg_stat_replication.
func (r *Replica) Name() string { return r.name }

// Stop stops the replica now (immediate shutdown) and removes its
// directory: a test of a replica going away. A synchronous replica is
// first taken out of synchronous_standby_names. It is safe to call more
// than once.
func (r *Replica) Stop() {
	r.stopMu.Lock()
	defer r.stopMu.Unlock()
	if r.stopped.Swap(true) {
		return
	}
	r.remove()
	r.stop()
}

func (r *Replica) stop() {
	if r.sync {
		_, _ = r.primary.psql("postgres", "ALTER SYSTEM RESET synchronous_standby_names")
		_, _ = r.primary.psql("postgres", "SELECT pg_reload_conf()")
		syncMu.Lock()
		syncInUse = false
		syncMu.Unlock()
	}
	r.s.stop()
}

// psql runs one SQL statement on database db of s and returns its
// unaligned, tuples-only output.
func (s *server) psql(db, sql string) (string, error) {
	return s.client("psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql)
}
