package pgtest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envBouncer names the pgbouncer binary to use instead of the one found in
// $PATH or /usr/sbin.
const envBouncer = "PGBOUNCER"

// bouncerReadyTimeout bounds PgBouncer's start-up.
const bouncerReadyTimeout = 30 * time.Second

var (
	bouncerOnce sync.Once
	bouncerErr  error
	theBouncer  *bouncer
)

// bouncer is a running PgBouncer in front of the test binary's server.
type bouncer struct {
	dir      string
	port     int
	logPath  string
	stopOnce sync.Once
	child
}

// PgBouncer returns dsn, a DSN NewDatabase returned, rewritten to reach the
// same database through a PgBouncer in transaction pooling mode
// (pool_mode=transaction): each transaction, or each statement outside one,
// may run on another server connection, so nothing a session holds (named
// prepared statements, session advisory locks, SET, LISTEN, temp tables)
// outlives the transaction that made it.
//
// One PgBouncer is started per test binary, on first use, from the
// pgbouncer binary named by $PGBOUNCER, else found in $PATH or /usr/sbin
// (Debian's "pgbouncer" package). It listens on 127.0.0.1 on a port of its
// own, serves every database of the server (a "*" entry), trusts the
// "postgres" user (auth_type=trust with an auth_file naming it) and runs as
// the postgres OS user when the tests run as root. Main stops it; if the
// test binary dies it gets SIGQUIT like the server.
//
// Without the binary the test is skipped, or fails when
// NOETL_REQUIRE_POSTGRES=1.
func PgBouncer(t testing.TB, dsn string) string {
	t.Helper()
	s := serverFor(t)
	bin, err := findBouncer()
	if err != nil {
		if Required() {
			t.Fatalf("%v (%s=1 is set, so this is a failure)", err, envRequire)
		}
		t.Skipf("%v; set %s=1 to make this a failure", err, envRequire)
	}
	bouncerOnce.Do(func() {
		t0 := time.Now()
		var b *bouncer
		if b, bouncerErr = startBouncer(bin, s); bouncerErr != nil {
			return
		}
		mu.Lock()
		theBouncer = b
		mu.Unlock()
		addExtra(b.stop)
		t.Logf("pgtest: started PgBouncer on 127.0.0.1:%d in %v", b.port, time.Since(t0).Round(time.Millisecond))
	})
	if bouncerErr != nil {
		t.Fatal(bouncerErr)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest.PgBouncer: bad DSN: %v", err)
	}
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(theBouncer.port))
	return u.String()
}

// findBouncer locates the pgbouncer binary.
func findBouncer() (string, error) {
	if p := os.Getenv(envBouncer); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("pgtest: %s=%s is not an executable", envBouncer, p)
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	if p := "/usr/sbin/pgbouncer"; isExecutable(p) {
		return p, nil
	}
	return "", fmt.Errorf("pgtest: no pgbouncer binary found in $%s, PATH or /usr/sbin", envBouncer)
}

// startBouncer writes PgBouncer's configuration into a new temp directory and
// starts it in front of s, waiting until it accepts connections.
func startBouncer(bin string, s *server) (_ *bouncer, err error) {
	dir, cred, err := newTempDir()
	if err != nil {
		return nil, err
	}
	b := &bouncer{dir: dir, logPath: filepath.Join(dir, "pgbouncer.log")}
	defer func() {
		if err != nil {
			b.stop()
		}
	}()
	if b.port, err = freePort(); err != nil {
		return nil, err
	}
	users := filepath.Join(dir, "users.txt")
	ini := filepath.Join(dir, "pgbouncer.ini")
	conf := fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
reserve_pool_size = 5
server_idle_timeout = 5
server_login_retry = 1
logfile = %s
log_connections = 0
log_disconnections = 0
ignore_startup_parameters = extra_float_digits
admin_users = postgres
`, s.port, b.port, users, b.logPath)
	for path, text := range map[string]string{ini: conf, users: `"postgres" ""` + "\n"} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	cmd := exec.Command(bin, ini)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := os.OpenFile(filepath.Join(dir, "stderr.log"), os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := b.spawn(cmd); err != nil {
		return nil, fmt.Errorf("pgtest: starting pgbouncer: %w", err)
	}
	deadline := time.Now().Add(bouncerReadyTimeout)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)), time.Second)
		if err == nil {
			c.Close()
			return b, nil
		}
		select {
		case <-b.exited:
			return nil, fmt.Errorf("pgtest: pgbouncer exited during startup (%v); log tail:\n%s", b.waitErr, b.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("pgtest: pgbouncer not accepting connections after %v; log tail:\n%s", bouncerReadyTimeout, b.logTail())
		}
	}
}

// logTail returns the end of PgBouncer's log and of its standard error.
func (b *bouncer) logTail() string {
	var out string
	for _, p := range []string{b.logPath, filepath.Join(b.dir, "stderr.log")} {
		if data, err := os.ReadFile(p); err == nil {
			out += tail(data, 20) + "\n"
		}
	}
	return out
}

// stop stops PgBouncer and removes its directory. SIGTERM is an immediate
// shutdown up to PgBouncer 1.22 and waits for clients from 1.23 on; either
// way kill escalates to SIGKILL after stopTimeout.
func (b *bouncer) stop() {
	b.stopOnce.Do(func() {
		b.kill(syscall.SIGTERM)
		if err := os.RemoveAll(b.dir); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: removing %s: %v\n", b.dir, err)
		}
	})
}
