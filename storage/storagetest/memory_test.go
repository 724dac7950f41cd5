package storagetest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage/storagetest"
)

func TestNewMemoryStoreIsMigratedAndPrivateUnderParallel(t *testing.T) {
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			s := storagetest.NewMemoryStore(t)
			ctx := context.Background()
			_, err := s.Roles().GetByName(ctx, "admin")
			require.NoError(t, err, "migrated")
			// Every parallel test creates the same username: each must see only its own.
			_, err = s.Profiles().Create(ctx, noetl.NewProfile{Username: "same", Type: noetl.ProfileUser})
			require.NoError(t, err)
			p, err := s.Profiles().List(ctx, noetl.ProfileQuery{})
			require.NoError(t, err)
			assert.Len(t, p.Items, 1)
		})
	}
}

func TestNewMemoryStoreClosesWithTheTest(t *testing.T) {
	var s noetl.Store
	t.Run("inner", func(t *testing.T) { s = storagetest.NewMemoryStore(t) })
	_, err := s.Roles().GetByName(context.Background(), "admin")
	assert.Error(t, err, "the store is closed once its test ended")
}
