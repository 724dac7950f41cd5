package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/storagetest"
)

// The at-rest checks read and write the sealed column with raw SQL, which
// the conformance suite (public API only) cannot do.
func TestCredentialsAtRest(t *testing.T) {
	pool := sharedPool(t)
	storagetest.CredentialsAtRest(t, func(t *testing.T, k *noetl.Keyring) (noetl.Store, storagetest.RawCredentials) {
		name := fmt.Sprintf("t%d", schemas.Add(1))
		s := storeIn(t, pool, name, storage.WithKeyring(k))
		return s, storagetest.RawCredentials{
			Read: func(t *testing.T, cred string) string {
				var v string
				require.NoError(t, pool.QueryRow(context.Background(),
					"SELECT data_encrypted FROM "+name+".credential WHERE name = $1", cred).Scan(&v))
				return v
			},
			Write: func(t *testing.T, cred, sealed string) {
				tag, err := pool.Exec(context.Background(),
					"UPDATE "+name+".credential SET data_encrypted = $1 WHERE name = $2", sealed, cred)
				require.NoError(t, err)
				require.EqualValues(t, 1, tag.RowsAffected())
			},
		}
	})
}
