package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	dirPrefix    = "noetl-pgtest-" // temp directories are named dirPrefix + random
	ownerFile    = "owner.pid"     // pid of the test binary owning a temp directory
	readyTimeout = time.Minute     // how long to wait for the server to accept connections
	stopTimeout  = 10 * time.Second
)

// binaries is a PostgreSQL installation: the directory holding initdb and
// postgres, where the client tools are normally found too.
type binaries struct {
	dir string
}

// findBinaries locates the server binaries once per process.
var findBinaries = sync.OnceValues(func() (binaries, error) {
	if dir := os.Getenv(envBin); dir != "" {
		if hasServer(dir) {
			return binaries{dir: dir}, nil
		}
		return binaries{}, fmt.Errorf("pgtest: no PostgreSQL server binaries (initdb/postgres) found in %s=%s", envBin, dir)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && hasServer(filepath.Dir(real)) {
			return binaries{dir: filepath.Dir(real)}, nil
		}
	}
	// Debian/Ubuntu layout: /usr/lib/postgresql/<major>/bin, newest first.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, dir := range dirs {
		if hasServer(dir) {
			return binaries{dir: dir}, nil
		}
	}
	return binaries{}, errors.New("pgtest: no PostgreSQL server binaries (initdb/pg_ctl) found in PATH or /usr/lib/postgresql/*/bin")
})

// versionOf extracts <major> from /usr/lib/postgresql/<major>/bin.
func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func hasServer(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func (b binaries) path(name string) string { return filepath.Join(b.dir, name) }

// client finds a client tool (createdb, dropdb, psql) next to the server
// binaries, or else in $PATH.
func (b binaries) client(name string) (string, error) {
	if p := b.path(name); isExecutable(p) {
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("pgtest: PostgreSQL client tool %q found neither in %s nor in PATH", name, b.dir)
	}
	return p, nil
}

// server is a running postgres process and its temp directory.
type server struct {
	bins    binaries
	version string // e.g. "15.18"
	major   int    // e.g. 15

	dir     string // temp directory: owner file, log, unix socket, data/
	dataDir string
	logPath string
	port    int
	cred    *syscall.Credential // nil: run as the current user

	settings []string // more "name=value" server settings
	child             // the postgres process

	stopOnce sync.Once
}

// startServer creates a cluster in a new temp directory and starts postgres
// on a free port of 127.0.0.1. On error nothing is left behind.
func startServer(bins binaries) (_ *server, err error) {
	s, err := newServerDir(bins)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	if err := s.initdb(); err != nil {
		return nil, err
	}
	if err := s.startRetrying(); err != nil {
		return nil, err
	}

	// Ctrl-C or SIGTERM would otherwise skip Main's cleanup.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "pgtest: %v: stopping PostgreSQL\n", sig)
		stopServer()
		os.Exit(1)
	}()
	return s, nil
}

// startRetrying starts postgres on a free port, retrying with another port
// when the one picked was taken before postgres bound it.
func (s *server) startRetrying() error {
	for attempt := 1; ; attempt++ {
		err := s.start()
		if err == nil || attempt == 3 || !strings.Contains(s.logTail(), "Address already in use") {
			return err
		}
	}
}

// newServerDir returns a server with its temp directory made (owned by the
// postgres user when running as root) and nothing in it but the owner file.
func newServerDir(bins binaries) (_ *server, err error) {
	s := &server{bins: bins}
	if s.version, s.major, err = serverVersion(bins); err != nil {
		return nil, err
	}
	if s.dir, s.cred, err = newTempDir(); err != nil {
		return nil, err
	}
	s.dataDir = filepath.Join(s.dir, "data")
	s.logPath = filepath.Join(s.dir, "postgres.log")
	return s, nil
}

// newTempDir makes a temp directory for a server or a pooler, with the
// owner file that lets a later test binary remove it once this one is gone.
// As root, it is owned by the postgres user, and cred runs commands as that
// user.
func newTempDir() (dir string, cred *syscall.Credential, err error) {
	asRoot := os.Geteuid() == 0
	base := os.TempDir()
	if asRoot && !traversableByOthers(base) {
		base = "/tmp" // the postgres user must be able to reach the directory
	}
	removeStaleDirs(base)

	if dir, err = os.MkdirTemp(base, dirPrefix); err != nil {
		return "", nil, fmt.Errorf("pgtest: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	if err = os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return "", nil, fmt.Errorf("pgtest: %w", err)
	}
	if asRoot {
		// PostgreSQL refuses to run as root: run it as the postgres user, who
		// must own the directory (MkdirTemp made it 0700).
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", nil, fmt.Errorf("pgtest: running as root, so the server must run as the \"postgres\" OS user, but: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	return dir, cred, nil
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) ((\d+)[.\w]*)`)

func serverVersion(bins binaries) (string, int, error) {
	out, err := exec.Command(bins.path("postgres"), "--version").CombinedOutput()
	m := versionRE.FindSubmatch(out)
	if err != nil || m == nil {
		return "", 0, fmt.Errorf("pgtest: %s --version: %v: %s", bins.path("postgres"), err, out)
	}
	major, _ := strconv.Atoi(string(m[2]))
	return string(m[1]), major, nil
}

// command builds a command that runs a server binary as the server's user.
func (s *server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(s.bins.path(name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(cleanEnv(), "LC_ALL=C", "HOME="+s.dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

func (s *server) initdb() error {
	cmd := s.command("initdb", "-D", s.dataDir,
		"-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb failed: %v\n%s", err, tail(out, 30))
	}
	return nil
}

// start runs postgres on a free port and waits until it accepts connections.
func (s *server) start() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	return s.startOn(port)
}

// startOn starts postgres on port.
func (s *server) startOn(port int) error {
	s.port = port
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close() // the child has its own copy

	// postgres is run directly rather than through "pg_ctl start" so that it
	// stays our child: Pdeathsig then stops it (SIGQUIT = immediate shutdown)
	// even if the test binary dies without running Main's cleanup.
	args := []string{"-D", s.dataDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + s.dir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "shared_buffers=128MB",
	}
	for _, kv := range s.settings {
		args = append(args, "-c", kv)
	}
	cmd := s.command("postgres", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := s.child.spawn(cmd); err != nil {
		return fmt.Errorf("pgtest: starting postgres: %w", err)
	}

	deadline := time.Now().Add(readyTimeout)
	for !s.ready() {
		select {
		case <-s.exited:
			err := fmt.Errorf("pgtest: postgres exited during startup (%v); server log tail:\n%s", s.waitErr, s.logTail())
			s.cmd, s.exited = nil, nil
			return err
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres not ready after %v; server log tail:\n%s", readyTimeout, s.logTail())
		}
	}
	return nil
}

// child is a process this test binary started and stops.
type child struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's result, valid after exited is closed
}

// spawn starts cmd so that it gets SIGQUIT when the test binary dies
// (Pdeathsig) and terminal signals do not reach it.
func (c *child) spawn(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	cmd.SysProcAttr.Setpgid = true // keep terminal signals away; Main decides when to stop
	c.cmd = cmd
	c.exited = make(chan struct{})
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the *thread* that started the child exits, so
		// pin this goroutine to its thread for as long as the child runs.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return // the locked thread is discarded; nothing runs on it
		}
		started <- nil
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		c.cmd, c.exited = nil, nil
		return err
	}
	return nil
}

// kill sends sig to the process and waits for it to exit, killing its
// process group when it does not exit in time.
func (c *child) kill(sig syscall.Signal) {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	pid := c.cmd.Process.Pid
	_ = syscall.Kill(pid, sig)
	select {
	case <-c.exited:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-pid, syscall.SIGKILL) // the process and its children
		select {
		case <-c.exited:
		case <-time.After(stopTimeout):
		}
	}
}

// ready reports whether the postmaster says it accepts connections: line 8
// of postmaster.pid is "ready" or "standby" (PostgreSQL >= 10; it is what
// pg_ctl -w checks).
func (s *server) ready() bool {
	b, err := os.ReadFile(filepath.Join(s.dataDir, "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) <= 7 {
		return false
	}
	// "standby": a standby without hot_standby, which accepts no queries
	// but is up; a hot standby says "ready" once it accepts them.
	st := strings.TrimSpace(lines[7])
	return st == "ready" || st == "standby"
}

// stop shuts postgres down (immediate mode: there is nothing to keep) and
// removes the temp directory. It is safe to call more than once.
func (s *server) stop() {
	s.stopOnce.Do(func() {
		s.kill(syscall.SIGQUIT)
		if s.dir != "" {
			if err := os.RemoveAll(s.dir); err != nil {
				fmt.Fprintf(os.Stderr, "pgtest: removing %s: %v\n", s.dir, err)
			}
		}
	})
}

// logTail returns the last lines of the server log.
func (s *server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	return tail(b, 30)
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// traversableByOthers reports whether every directory from dir up to / can
// be entered by any user (needed for the postgres user when we are root).
func traversableByOthers(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// removeStaleDirs deletes temp directories left by test binaries that died
// without cleaning up: their owner process and their postmaster are gone.
func removeStaleDirs(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, dir := range dirs {
		owner, ok := readPid(filepath.Join(dir, ownerFile))
		if !ok || alive(owner) {
			continue // being set up, or still in use
		}
		if pm, ok := readPid(filepath.Join(dir, "data", "postmaster.pid")); ok && alive(pm) {
			continue // a postmaster may still be running there; leave it alone
		}
		_ = os.RemoveAll(dir)
	}
}

// readPid reads the number on the first line of a pid file.
func readPid(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	pid, err := strconv.Atoi(strings.TrimSpace(string(first)))
	return pid, err == nil && pid > 0
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
