package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage/sqlite"
	"github.com/noetl/noetldb/storage/storagetest"
)

// openShortBusy opens path through the caller's *sql.DB with a busy timeout
// of 50 ms instead of DSN's 10 s, so a writer that reached SQLite's busy
// handler would fail fast.
func openShortBusy(t *testing.T, path string) noetl.Store {
	t.Helper()
	dsn, err := sqlite.DSN(path)
	require.NoError(t, err)
	short := strings.Replace(dsn, "busy_timeout%2810000%29", "busy_timeout%2850%29", 1)
	require.NotEqual(t, dsn, short, "the DSN carries the busy timeout")
	db, err := sql.Open("sqlite", short)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	keep, err := db.Conn(context.Background()) // an in-memory database lives while a connection does
	require.NoError(t, err)
	t.Cleanup(func() { keep.Close() })
	s, err := sqlite.Open(context.Background(), "", append(testOpts, sqlite.WithDB(db))...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// In-process writers wait for each other in Go, however long a transaction
// holds the write lock: none reaches SQLite's busy timeout.
func TestWritersInOneProcessOutwaitTheBusyTimeout(t *testing.T) {
	for name, path := range map[string]string{"memory": sqlite.Memory, "file": filepath.Join(t.TempDir(), "busy.db")} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := openShortBusy(t, path)
			holding, release := make(chan struct{}), make(chan struct{})
			held := make(chan error, 1)
			go func() {
				held <- s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
					_, err := tx.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: "held", Type: "playbook"})
					close(holding)
					<-release
					return err
				})
			}()
			<-holding
			const waiters = 4
			done := make(chan error, waiters)
			for i := range waiters {
				go func() {
					_, err := s.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: fmt.Sprintf("waiter%d", i), Type: "playbook"})
					done <- err
				}()
			}
			time.Sleep(300 * time.Millisecond) // six busy timeouts
			close(release)
			require.NoError(t, <-held)
			for range waiters {
				require.NoError(t, <-done, "a writer waiting behind a transaction is not refused")
			}
		})
	}
}

// With WAL, a reader does not wait for an open write transaction.
func TestReadersDoNotWaitForAWriterOnAFile(t *testing.T) {
	ctx := context.Background()
	s := openShortBusy(t, filepath.Join(t.TempDir(), "read.db"))
	_, err := s.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: "before", Type: "playbook"})
	require.NoError(t, err)
	holding, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
			_, err := tx.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: "inside", Type: "playbook"})
			close(holding)
			<-release
			return err
		})
	}()
	<-holding
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = s.Catalog().Get(c, "before", "")
	require.NoError(t, err, "the committed entry is read while the writer holds its transaction")
	_, err = s.Catalog().Get(c, "inside", "")
	require.ErrorIs(t, err, noetl.ErrNotFound, "the open transaction's entry is not seen")
	close(release)
	require.NoError(t, <-held)
}

// On SQLite (WAL or in memory) a transaction's outcome is known: when InTx
// returns an error, whatever the deadline, nothing was committed.
func TestFailedTransactionCommittedNothingWhateverTheDeadline(t *testing.T) {
	for name, path := range map[string]string{"memory": sqlite.Memory, "file": filepath.Join(t.TempDir(), "outcome.db")} {
		t.Run(name, func(t *testing.T) {
			s := openWith(t, path, storagetest.StoreOptions{})
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
			var failed int
			for i := range 400 {
				d := time.Duration(float64(time.Microsecond) * math.Pow(2000, rng.Float64()))
				ctx, cancel := context.WithTimeout(context.Background(), d)
				p1, p2 := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
				err := s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
					if _, err := tx.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: p1, Type: "playbook"}); err != nil {
						return err
					}
					_, err := tx.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: p2, Type: "playbook"})
					return err
				})
				cancel()
				n := 0
				for _, p := range []string{p1, p2} {
					if _, gerr := s.Catalog().Get(context.Background(), p, ""); gerr == nil {
						n++
					} else {
						require.ErrorIs(t, gerr, noetl.ErrNotFound)
					}
				}
				if err != nil {
					failed++
					require.ErrorIs(t, err, context.DeadlineExceeded, "call %d", i)
					require.Zero(t, n, "call %d failed (%v) yet committed", i, err)
				} else {
					require.Equal(t, 2, n, "call %d", i)
				}
			}
			require.NotZero(t, failed)
			t.Logf("%d of 400 transactions failed at their deadline, none committed", failed)
		})
	}
}

// A writer waiting for the write lock gives up with its context's error,
// wrapped, and writes nothing.
func TestWriterWaitingForTheLockGivesUpWithItsContext(t *testing.T) {
	ctx := context.Background()
	s := openMemory(t)
	holding, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	c, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := s.Catalog().Register(c, noetl.NewCatalogEntry{Path: "gave-up", Type: "playbook"})
	require.ErrorIs(t, err, context.Canceled)
	assert.True(t, errors.Unwrap(err) != nil, "wrapped: %v", err)
	close(release)
	require.NoError(t, <-held)
	_, err = s.Catalog().Get(ctx, "gave-up", "")
	require.ErrorIs(t, err, noetl.ErrNotFound)
}

// openDB opens path with DSN's pragmas as a caller's *sql.DB.
func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	dsn, err := sqlite.DSN(path)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// mixedLoad runs writers and a reader on s at once and returns their errors.
func mixedLoad(t *testing.T, s noetl.Store) []error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	owner, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "owner", Type: noetl.ProfileUser})
	require.NoError(t, err)
	label, err := s.Labels().Create(ctx, noetl.NewLabel{Name: "l"})
	require.NoError(t, err)
	chat, err := s.Chats().Create(ctx, owner.ID, noetl.NewChat{LabelID: label.ID, Name: "c"})
	require.NoError(t, err)
	errs := make(chan error, 1000)
	done := make(chan struct{})
	var readers, writers sync.WaitGroup
	readers.Add(1)
	go func() { // a reader paging the chat while the writers post
		defer readers.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := s.Messages().List(ctx, owner.ID, chat.ID, noetl.MessageQuery{Limit: 20}); err != nil {
				errs <- err
			}
		}
	}()
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range 20 {
				_, err := s.Messages().Post(ctx, noetl.NewMessage{ChatID: chat.ID, SenderType: noetl.SenderUser, SenderID: &owner.ID, Content: "m"})
				errs <- err
				_, err = s.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: fmt.Sprintf("w%d", w), Type: "playbook"})
				errs <- err
				errs <- s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
					_, err := tx.Profiles().Create(ctx, noetl.NewProfile{Username: fmt.Sprintf("p%d-%d", w, i), Type: noetl.ProfileBot})
					return err
				})
			}
		}()
	}
	writers.Wait()
	close(done)
	readers.Wait()
	close(errs)
	var out []error
	for err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	p, err := s.Messages().List(ctx, owner.ID, chat.ID, noetl.MessageQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	require.Len(t, p.Items, 80, "every message stored")
	return out
}

// A caller's *sql.DB limited to one connection: reads share the write
// connection behind the lock instead of waiting for a pool connection the
// writer holds.
func TestStoreOnASingleConnectionDB(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "one.db"))
	db.SetMaxOpenConns(1)
	s, err := sqlite.Open(context.Background(), "", append(testOpts, sqlite.WithDB(db))...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.Empty(t, mixedLoad(t, s))
}

// A file in rollback-journal mode: readers and writers of the store exclude
// each other in Go, as SQLite would make them, without busy errors.
func TestStoreOnARollbackJournalFile(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "journal.db")+
		"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(DELETE)")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "delete", mode)
	s, err := sqlite.Open(context.Background(), "", append(testOpts, sqlite.WithDB(db))...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.Empty(t, mixedLoad(t, s))
}

// The in-memory database: readers paging while writers write.
func TestMemoryStoreReadersAndWriters(t *testing.T) {
	require.Empty(t, mixedLoad(t, openMemory(t)))
}
