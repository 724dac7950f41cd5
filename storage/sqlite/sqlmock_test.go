package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage/sqlite"
	"github.com/noetl/noetldb/storage/storagetest"
)

// Failures a live SQLite cannot produce on demand (an I/O error in the
// middle of reading rows, a COMMIT that fails, a connection gone), injected
// with go-sqlmock under the store's database/sql path: each comes back
// wrapping its sentinel, and the driver's error stays in the chain.

// mockStore opens a store over a mocked *sql.DB: the statements Open sends
// are expected here; the test adds its own.
func mockStore(t *testing.T) (noetl.Store, sqlmock.Sqlmock) {
	t.Helper()
	db, mock, err := sqlmock.New()
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	mock.MatchExpectationsInOrder(true)
	mock.ExpectQuery(`PRAGMA foreign_keys`).WillReturnRows(sqlmock.NewRows([]string{"foreign_keys"}).AddRow(1))
	mock.ExpectQuery(`PRAGMA journal_mode`).WillReturnRows(sqlmock.NewRows([]string{"journal_mode"}).AddRow("memory"))
	mock.ExpectQuery(`pragma_database_list`).WillReturnRows(sqlmock.NewRows([]string{"seq", "name", "file"}).AddRow(0, "main", ""))
	s, err := sqlite.Open(context.Background(), "", sqlite.WithDB(db), sqlite.WithoutMigrate(), sqlite.WithShard(2))
	require.NoError(t, err)
	return s, mock
}

var errDisk = errors.New("disk I/O error (injected)")

func TestInjectedIOErrorWhileReadingRowsWrapsErrStorage(t *testing.T) {
	s, mock := mockStore(t)
	rows := sqlmock.NewRows([]string{"id", "name", "description"}).
		AddRow(int64(1), "admin", nil).
		AddRow(int64(2), "user", nil).
		RowError(1, errDisk)
	mock.ExpectPrepare(`SELECT .* FROM role`).ExpectQuery().WillReturnRows(rows)
	_, err := s.Roles().List(context.Background(), noetl.RoleQuery{})
	require.ErrorIs(t, err, noetl.ErrStorage)
	require.ErrorIs(t, err, errDisk, "the driver's error stays in the chain")
	require.NoError(t, mock.ExpectationsWereMet())
}

func TestInjectedCommitFailureWrapsErrStorage(t *testing.T) {
	s, mock := mockStore(t)
	// The write connection prepares each statement once and runs it.
	mock.ExpectPrepare(`BEGIN IMMEDIATE`).ExpectExec().WillReturnResult(sqlmock.NewResult(0, 0))
	mock.ExpectPrepare(`COMMIT`).ExpectExec().WillReturnError(errDisk)
	mock.ExpectPrepare(`ROLLBACK`).ExpectExec().WillReturnResult(sqlmock.NewResult(0, 0))
	err := s.InTx(context.Background(), func(context.Context, noetl.Store) error { return nil })
	require.ErrorIs(t, err, noetl.ErrStorage)
	require.ErrorIs(t, err, errDisk)
	require.NoError(t, mock.ExpectationsWereMet())
}

func TestInjectedLostConnectionWrapsErrClosedOrTransient(t *testing.T) {
	s, mock := mockStore(t)
	mock.ExpectPrepare(`SELECT .* FROM role`).ExpectQuery().WillReturnError(sql.ErrConnDone)
	_, err := s.Roles().GetByName(context.Background(), "admin")
	require.ErrorIs(t, err, noetl.ErrClosed)
	require.ErrorIs(t, err, sql.ErrConnDone)
}

// Every method of a store whose database fails every statement with an
// error no driver code explains returns an error wrapping a sentinel
// (ErrStorage, or ErrInvalid where the zero input is refused first), with
// the driver's error kept in the chain.
func TestEveryMethodWrapsAnUnknownDriverFailure(t *testing.T) {
	s, mock := mockStore(t)
	mock.MatchExpectationsInOrder(false)
	for range 5000 {
		mock.ExpectPrepare(`.*`).WillReturnError(errDisk)
		mock.ExpectExec(`.*`).WillReturnError(errDisk)
		mock.ExpectQuery(`.*`).WillReturnError(errDisk)
	}
	failed := 0
	n := storagetest.CallEveryMethod(t, s, func(name string, err error) {
		if err == nil {
			return // an empty batch: nothing to send
		}
		require.True(t, storagetest.WrapsSentinel(err), "%s: %v wraps no sentinel", name, err)
		if errors.Is(err, errDisk) {
			failed++
			require.ErrorIs(t, err, noetl.ErrStorage, "%s", name)
		}
	})
	require.Greater(t, n, 100)
	require.GreaterOrEqual(t, failed, 30, "the methods whose zero input passes validation reached the database and failed there")
}

// An event batch whose second statement of literals fails rolls back the
// first: the error wraps ErrStorage and the driver's, and the ROLLBACK runs.
func TestInjectedIOErrorInALaterStatementOfAnEventBatchRollsBack(t *testing.T) {
	s, mock := mockStore(t)
	mock.ExpectPrepare(`BEGIN IMMEDIATE`).ExpectExec().WillReturnResult(sqlmock.NewResult(0, 0))
	mock.ExpectPrepare(`SELECT coalesce\(\(SELECT max\(seq\) FROM event_log`).ExpectQuery().
		WillReturnRows(sqlmock.NewRows([]string{"seq"}).AddRow(int64(0)))
	// Literal statements run unprepared: no Prepare before either.
	mock.ExpectExec(`^INSERT INTO event_log \(execution_id, .*\) VALUES \(7, `).WillReturnResult(sqlmock.NewResult(0, 500))
	mock.ExpectExec(`^INSERT INTO event_log \(execution_id, .*\) VALUES \(7, `).WillReturnError(errDisk)
	mock.ExpectPrepare(`ROLLBACK`).ExpectExec().WillReturnResult(sqlmock.NewResult(0, 0))
	err := s.Events().AppendBatch(context.Background(), eventBatch(noetl.Event{ExecutionID: 7}, 700))
	require.ErrorIs(t, err, noetl.ErrStorage)
	require.ErrorIs(t, err, errDisk)
	require.NoError(t, mock.ExpectationsWereMet())
}
