package storage_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
)

// Open a store on in-memory SQLite (use "sqlite:PATH" for a file or a
// postgres:// URL for PostgreSQL), create a profile, and see a refusal.
func ExampleOpen() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite::memory:", storage.WithShard(2))
	if err != nil {
		panic(err)
	}
	defer store.Close()

	ann, err := store.Profiles().Create(ctx, noetl.NewProfile{
		Username: "ann", Email: "ann@example.com", Type: noetl.ProfileUser,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(ann.Username, ann.Type, "shard", ann.ID.Shard())

	_, err = store.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileBot})
	fmt.Println(errors.Is(err, noetl.ErrConflict), err)
	// Output:
	// ann user shard 2
	// true profile "ann": username already used: conflict
}

// InTx runs several repositories in one transaction: all or nothing.
func Example_transaction() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()

	err = store.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
		p, err := tx.Profiles().Create(ctx, noetl.NewProfile{Username: "bot7", Type: noetl.ProfileBot})
		if err != nil {
			return err
		}
		_, err = tx.Sessions().Open(ctx, noetl.NewSession{ProfileID: p.ID, SessionType: "robot"})
		return err // invalid session type: the profile is rolled back too
	})
	fmt.Println(errors.Is(err, noetl.ErrInvalid))
	_, err = store.Profiles().GetByUsername(ctx, "bot7")
	fmt.Println(errors.Is(err, noetl.ErrNotFound))
	// Output:
	// true
	// true
}
