package pgtest

import (
	"syscall"
	"testing"
	"time"
)

// Private is a PostgreSQL server of one test, for tests that stop or
// restart the server under a store without disturbing the other tests of
// the binary.
type Private struct {
	s *server
}

// NewPrivate starts a server for t alone, stopped (and its directory
// removed) when t ends. Without PostgreSQL binaries the test is skipped, or
// fails when NOETL_REQUIRE_POSTGRES=1.
func NewPrivate(t testing.TB) *Private {
	t.Helper()
	bins, err := findBinaries()
	if err != nil {
		if Required() {
			t.Fatalf("%v (%s=1 is set, so this is a failure)", err, envRequire)
		}
		t.Skipf("%v; set %s=1 to make this a failure", err, envRequire)
	}
	s, err := startServer(bins)
	if err != nil {
		t.Fatal(err)
	}
	remove := addExtra(s.stop)
	t.Cleanup(func() {
		remove()
		s.stop()
	})
	return &Private{s: s}
}

// DSN returns the DSN of the server's "postgres" database, as the
// superuser.
func (p *Private) DSN() string { return p.s.dsn("postgres") }

// Restart stops the server (fast shutdown: every connection is cut; not
// immediate, which would lose the commits the test servers' asynchronous
// commit has not flushed) and starts it again on the same port, waiting
// until it accepts connections; pause is how long it stays down.
func (p *Private) Restart(t testing.TB, pause time.Duration) {
	t.Helper()
	p.s.kill(syscall.SIGINT)
	time.Sleep(pause)
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		if err = p.s.startOn(p.s.port); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond) // the port may still be held
	}
	t.Fatalf("pgtest: restart: %v", err)
}
