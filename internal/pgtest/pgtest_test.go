package pgtest_test

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/noetl/noetldb/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// parseDSN checks the shape of a DSN returned by NewDatabase and returns its
// database name.
func parseDSN(t *testing.T, dsn string) (u *url.URL, db string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("bad DSN %q: %v", dsn, err)
	}
	if u.Scheme != "postgres" || u.User.Username() != "postgres" || u.Hostname() != "127.0.0.1" || u.Port() == "" ||
		u.Query().Get("sslmode") != "disable" {
		t.Fatalf("unexpected DSN %q", dsn)
	}
	return u, strings.TrimPrefix(u.Path, "/")
}

// psql returns a psql binary, or "" if there is none.
func psql() string {
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql"); len(m) > 0 {
		return m[len(m)-1]
	}
	return ""
}

// query runs one SQL statement through psql and returns its unaligned output.
func query(t *testing.T, psqlPath, dsn, sql string) string {
	t.Helper()
	out, err := exec.Command(psqlPath, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q on %s: %v\n%s", sql, dsn, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestNewDatabase(t *testing.T) {
	a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	ua, nameA := parseDSN(t, a)
	ub, nameB := parseDSN(t, b)
	if nameA == "" || nameA == nameB {
		t.Fatalf("expected two distinct database names, got %q and %q", nameA, nameB)
	}
	if ua.Host != ub.Host {
		t.Fatalf("databases on different servers: %s vs %s", ua.Host, ub.Host)
	}

	p := psql()
	if p == "" {
		// No client: at least check that something listens on the port.
		c, err := net.DialTimeout("tcp", ua.Host, 5*time.Second)
		if err != nil {
			t.Fatalf("server not listening on %s: %v", ua.Host, err)
		}
		c.Close()
		t.Skip("psql not found; only checked that the port is open")
	}
	for _, c := range []struct{ dsn, name string }{{a, nameA}, {b, nameB}} {
		if got := query(t, p, c.dsn, "select current_database()"); got != c.name {
			t.Errorf("current_database() on %s = %q, want %q", c.dsn, got, c.name)
		}
		// Fresh and empty: no user tables.
		if got := query(t, p, c.dsn, "select count(*) from pg_tables where schemaname = 'public'"); got != "0" {
			t.Errorf("new database %s has %s tables in public", c.name, got)
		}
	}
	// The databases are isolated: a table created in one is absent in the other.
	query(t, p, a, "create table only_in_a (id int)")
	if got := query(t, p, b, "select count(*) from pg_tables where tablename = 'only_in_a'"); got != "0" {
		t.Errorf("table created in %s is visible in %s", nameA, nameB)
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	pgtest.NewDatabase(t) // skip (or fail) here, not in the subtest, without binaries
	p := psql()
	if p == "" {
		t.Skip("psql not found")
	}
	var dsn, name string
	t.Run("inner", func(t *testing.T) {
		dsn = pgtest.NewDatabase(t)
		_, name = parseDSN(t, dsn)
		// Leave a connection open: cleanup must still drop the database.
		cmd := exec.Command(p, "-X", "-d", dsn, "-c", "select pg_sleep(60)")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		time.Sleep(300 * time.Millisecond) // let it connect
	})
	if name == "" {
		t.Fatal("inner test did not get a database")
	}
	u, _ := parseDSN(t, dsn)
	u.Path = "/postgres"
	if got := query(t, p, u.String(), "select count(*) from pg_database where datname = '"+name+"'"); got != "0" {
		t.Fatalf("database %s still exists after its test finished", name)
	}
}

func TestParallel(t *testing.T) {
	pgtest.NewDatabase(t) // skip (or fail) here, not in each subtest, without binaries
	p := psql()
	seen := make(chan string, 8)
	t.Run("group", func(t *testing.T) {
		for range 8 {
			t.Run("db", func(t *testing.T) {
				t.Parallel()
				dsn := pgtest.NewDatabase(t)
				_, name := parseDSN(t, dsn)
				if p != "" {
					query(t, p, dsn, "create table x (id int); insert into x values (1)")
				}
				seen <- name
			})
		}
	})
	close(seen)
	names := map[string]bool{}
	for n := range seen {
		if names[n] {
			t.Errorf("database name %s handed out twice", n)
		}
		names[n] = true
	}
	if len(names) != 8 {
		t.Errorf("got %d databases, want 8", len(names))
	}
}

// TestMissingBinaries re-runs this test binary with PG_BIN pointing nowhere
// and checks that NewDatabase skips, or fails with NOETL_REQUIRE_POSTGRES=1.
func TestMissingBinaries(t *testing.T) {
	if os.Getenv("PGTEST_HELPER") == "1" {
		t.Skip("running as helper")
	}
	const reason = "pgtest: no PostgreSQL server binaries"
	for _, tc := range []struct {
		require  string
		wantFail bool
		want     string
	}{
		{"", false, "--- SKIP: TestHelperNoBinaries"},
		{"1", true, "--- FAIL: TestHelperNoBinaries"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNoBinaries$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "PGTEST_HELPER=1", "PG_BIN="+t.TempDir(), "NOETL_REQUIRE_POSTGRES="+tc.require)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tc.wantFail {
			t.Errorf("NOETL_REQUIRE_POSTGRES=%q: failed=%v, want %v\n%s", tc.require, failed, tc.wantFail, out)
		}
		if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), reason) {
			t.Errorf("NOETL_REQUIRE_POSTGRES=%q: output lacks %q and %q:\n%s", tc.require, tc.want, reason, out)
		}
	}
}

func TestHelperNoBinaries(t *testing.T) {
	if os.Getenv("PGTEST_HELPER") != "1" {
		t.Skip("helper for TestMissingBinaries")
	}
	if pgtest.Available() {
		t.Fatal("Available() = true with PG_BIN pointing to an empty directory")
	}
	if pgtest.Required() != (os.Getenv("NOETL_REQUIRE_POSTGRES") == "1") {
		t.Fatal("Required() disagrees with NOETL_REQUIRE_POSTGRES")
	}
	pgtest.NewDatabase(t)
	t.Error("NewDatabase returned although no binaries are available")
}

// The DSN PgBouncer returns reaches the same database through a PgBouncer
// whose pool_mode is transaction.
func TestPgBouncer(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	pooled := pgtest.PgBouncer(t, dsn)
	u, name := parseDSN(t, pooled)
	d, _ := parseDSN(t, dsn)
	if u.Host == d.Host {
		t.Fatalf("PgBouncer DSN %s points at the server itself", pooled)
	}
	p := psql()
	if p == "" {
		t.Fatal("psql not found beside the server binaries")
	}
	query(t, p, dsn, "create table through (id int)")
	query(t, p, pooled, "insert into through values (1)")
	if got := query(t, p, pooled, "select current_database() || ' ' || count(*) from through"); got != name+" 1" {
		t.Fatalf("through PgBouncer: got %q, want %q", got, name+" 1")
	}
	u.Path = "/pgbouncer" // the admin console
	if got := query(t, p, u.String(), "show config"); !strings.Contains(got, "pool_mode|transaction") {
		t.Fatalf("PgBouncer's pool_mode is not transaction:\n%s", got)
	}
	if again := pgtest.PgBouncer(t, dsn); again != pooled {
		t.Fatalf("a second call gave %s, want the same PgBouncer %s", again, pooled)
	}
}

// An asynchronous replica replays what the primary writes and refuses
// writes; once stopped, nothing listens on its port.
func TestReplica(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	r := pgtest.NewReplica(t)
	rdsn := r.DSN(dsn)
	p := psql()
	if p == "" {
		t.Fatal("psql not found beside the server binaries")
	}
	if got := query(t, p, rdsn, "select pg_is_in_recovery()"); got != "t" {
		t.Fatalf("replica: pg_is_in_recovery() = %q", got)
	}
	query(t, p, dsn, "create table r (id int); insert into r values (42)")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command(p, "-X", "-A", "-t", "-d", rdsn, "-c", "select id from r").CombinedOutput()
		if err == nil && strings.TrimSpace(string(out)) == "42" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica never showed the primary's row: %v %s", err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, err := exec.Command(p, "-X", "-d", rdsn, "-c", "insert into r values (1)").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "read-only") {
		t.Fatalf("replica accepted a write: %v %s", err, out)
	}
	u, _ := parseDSN(t, rdsn)
	r.Stop()
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Fatalf("replica still listening on %s after Stop", u.Host)
	}
	query(t, p, dsn, "insert into r values (43)") // the primary goes on
}

// A synchronous replica has every commit of its database replayed before
// the commit returns: a read right after a write sees it.
func TestSyncReplica(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	r := pgtest.NewSyncReplica(t, dsn)
	p := psql()
	if p == "" {
		t.Fatal("psql not found beside the server binaries")
	}
	query(t, p, dsn, "create table s (id int)")
	for i := range 20 {
		query(t, p, dsn, fmt.Sprintf("insert into s values (%d)", i))
		if got := query(t, p, r.DSN(dsn), "select count(*) from s"); got != fmt.Sprint(i+1) {
			t.Fatalf("after insert %d the replica counts %s rows", i+1, got)
		}
	}
	r.Stop()
	query(t, p, dsn, "insert into s values (100)") // does not wait for the stopped replica
}
