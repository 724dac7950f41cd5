package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/sqlite"
	"github.com/noetl/noetldb/storage/storagetest"
)

// The at-rest checks read and write the sealed column with raw SQL, which
// the conformance suite (public API only) cannot do.
func TestCredentialsAtRest(t *testing.T) {
	storagetest.CredentialsAtRest(t, func(t *testing.T, k *noetl.Keyring) (noetl.Store, storagetest.RawCredentials) {
		dsn, err := sqlite.DSN(filepath.Join(t.TempDir(), "cred.db"))
		require.NoError(t, err)
		db, err := sql.Open("sqlite", dsn)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		s, err := sqlite.Open(context.Background(), "", append(testOpts, sqlite.WithDB(db), storage.WithKeyring(k))...)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s, storagetest.RawCredentials{
			Read: func(t *testing.T, name string) string {
				var v string
				require.NoError(t, db.QueryRow("SELECT data_encrypted FROM credential WHERE name = ?", name).Scan(&v))
				return v
			},
			Write: func(t *testing.T, name, sealed string) {
				res, err := db.Exec("UPDATE credential SET data_encrypted = ? WHERE name = ?", sealed, name)
				require.NoError(t, err)
				n, err := res.RowsAffected()
				require.NoError(t, err)
				require.EqualValues(t, 1, n)
			},
		}
	})
}
