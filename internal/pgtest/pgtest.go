// Package pgtest runs a throwaway PostgreSQL server for the tests of one
// package and hands every test its own fresh, empty database.
//
// Usage: add a TestMain to the package's tests and ask for a database in each
// test that needs one:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.NewDatabase(t) // postgres://postgres@127.0.0.1:PORT/t_1_ab12cd34?sslmode=disable
//		db, err := sql.Open("pgx", dsn)
//		...
//	}
//
// One server is started per test binary, lazily, on the first NewDatabase
// call, so packages whose tests never ask for a database never start one.
// Each test binary picks its own free port and data directory, so the
// binaries that "go test ./..." runs in parallel do not collide. The server
// is tuned for speed, not durability (fsync=off and friends), listens on
// 127.0.0.1 only and trusts every connection as superuser "postgres".
//
// The server is built from the local PostgreSQL binaries (initdb and
// postgres), looked up in this order:
//
//  1. the directory named by $PG_BIN (if set, it is the only place searched);
//  2. the directory of "initdb" found in $PATH (symlinks resolved);
//  3. /usr/lib/postgresql/*/bin, highest major version first.
//
// The client tools createdb and dropdb are taken from the same directory
// (falling back to $PATH). When no server binaries are found, NewDatabase
// skips the test with a one-line reason, unless NOETL_REQUIRE_POSTGRES=1 is
// set (as in CI), in which case the test fails. A server that is found but
// fails to start always fails the test, with the tail of the server log.
//
// PostgreSQL refuses to run as root. When the tests run as root, initdb and
// postgres are run as the "postgres" OS user, which must exist (the Debian
// "postgresql" package creates it).
//
// Beside the server, a test can get a DSN through a PgBouncer in
// transaction pooling mode (PgBouncer), an asynchronous streaming replica
// (NewReplica) or a synchronous one its database's commits wait for
// (NewSyncReplica); each runs as the server does, as the postgres user, and
// is stopped by Main or at the end of its test.
//
// Cleanup: Main stops the server and removes its data directory after the
// tests, also when they fail. If the test binary dies abruptly (a panicking
// test, a -timeout, SIGKILL) the kernel stops the server anyway (it gets
// SIGQUIT when the test binary exits, via PR_SET_PDEATHSIG), and the data
// directory left behind is removed by the next test binary that starts a
// server.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Environment variables understood by this package.
const (
	envRequire = "NOETL_REQUIRE_POSTGRES" // "1": missing binaries fail instead of skip
	envBin     = "PG_BIN"                 // directory holding initdb and postgres
)

var (
	mainCalled atomic.Bool   // Main is running
	dbCounter  atomic.Uint64 // numbers the databases handed out

	startOnce sync.Once
	startErr  error

	mu      sync.Mutex // guards running and extras
	running *server    // the server of this test binary, nil when none
	// extras stop what runs beside the server (a pooler, replicas); Main
	// runs them before stopping the server.
	extras = map[*int]func(){}
)

// addExtra registers stop to run at Main's cleanup unless the returned
// function, which removes it, is called first.
func addExtra(stop func()) (remove func()) {
	key := new(int)
	mu.Lock()
	extras[key] = stop
	mu.Unlock()
	return func() {
		mu.Lock()
		delete(extras, key)
		mu.Unlock()
	}
}

// Main runs the tests of a package and then stops the PostgreSQL server that
// NewDatabase may have started, removing its data directory. Call it from the
// package's TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Main does not return: it exits the process with the tests' exit code after
// the cleanup, which also runs when m.Run panics.
func Main(m *testing.M) {
	mainCalled.Store(true)
	os.Exit(run(m))
}

func run(m *testing.M) int {
	defer stopServer()
	return m.Run()
}

// NewDatabase creates a new, empty database on this test binary's PostgreSQL
// server (starting the server on first use) and returns its DSN:
//
//	postgres://postgres@127.0.0.1:PORT/NAME?sslmode=disable
//
// The user is the superuser "postgres" and no password is needed. The
// database is dropped when the test and its subtests finish (t.Cleanup),
// forcibly closing connections that are still open.
//
// Without PostgreSQL binaries the test is skipped, or fails when
// NOETL_REQUIRE_POSTGRES=1. If the server cannot be started or the database
// cannot be created the test fails. The package's TestMain must call Main.
func NewDatabase(t testing.TB) string {
	t.Helper()
	s := serverFor(t)

	name := fmt.Sprintf("t_%d_%s", dbCounter.Add(1), randomHex(4))
	if out, err := s.client("createdb", name); err != nil {
		t.Fatalf("pgtest: createdb %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		args := []string{"--if-exists"}
		if s.major >= 13 {
			args = append(args, "--force") // terminate connections left open by the test
		}
		if out, err := s.client("dropdb", append(args, name)...); err != nil {
			t.Logf("pgtest: dropdb %s (ignored): %v\n%s", name, err, out)
		}
	})
	return s.dsn(name)
}

// Available reports whether PostgreSQL server binaries (initdb and postgres)
// were found, i.e. whether NewDatabase can try to start a server.
func Available() bool {
	_, err := findBinaries()
	return err == nil
}

// Required reports whether NOETL_REQUIRE_POSTGRES=1 is set, in which case a
// missing PostgreSQL installation fails the tests instead of skipping them.
func Required() bool {
	return os.Getenv(envRequire) == "1"
}

// serverFor returns the running server, starting it on first use. It skips or
// fails t when that is not possible.
func serverFor(t testing.TB) *server {
	t.Helper()
	bins, err := findBinaries()
	if err != nil {
		if Required() {
			t.Fatalf("%v (%s=1 is set, so this is a failure)", err, envRequire)
		}
		t.Skipf("%v; set %s=1 to make this a failure", err, envRequire)
	}
	if !mainCalled.Load() {
		t.Fatal("pgtest: the package's tests must call pgtest.Main: add `func TestMain(m *testing.M) { pgtest.Main(m) }`")
	}
	startOnce.Do(func() {
		t0 := time.Now()
		var s *server
		s, startErr = startServer(bins)
		if startErr != nil {
			return
		}
		mu.Lock()
		running = s
		mu.Unlock()
		t.Logf("pgtest: started PostgreSQL %s on 127.0.0.1:%d in %v (data in %s)",
			s.version, s.port, time.Since(t0).Round(time.Millisecond), s.dir)
	})
	if startErr != nil {
		t.Fatal(startErr)
	}
	mu.Lock()
	s := running
	mu.Unlock()
	if s == nil {
		t.Fatal("pgtest: the PostgreSQL server has already been stopped")
	}
	return s
}

// stopServer stops the running server, if any, and removes its directory.
func stopServer() {
	mu.Lock()
	s := running
	running = nil
	stops := make([]func(), 0, len(extras))
	for k, f := range extras {
		stops = append(stops, f)
		delete(extras, k)
	}
	mu.Unlock()
	for _, f := range stops {
		f()
	}
	if s != nil {
		s.stop()
	}
}

// client runs one of the PostgreSQL client tools against the server as the
// "postgres" superuser and returns its combined output.
func (s *server) client(tool string, args ...string) (string, error) {
	path, err := s.bins.client(tool)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-U", "postgres", "-w"}, args...)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(cleanEnv(), "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (s *server) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// cleanEnv returns the environment without PG* variables, so that settings
// meant for another server (PGHOST, PGPASSWORD, PGDATABASE, ...) do not leak
// into the commands run here.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
