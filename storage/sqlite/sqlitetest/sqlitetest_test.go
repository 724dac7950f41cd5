package sqlitetest_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage/sqlite/sqlitetest"
)

func TestNewIsMigratedAndPrivateUnderParallel(t *testing.T) {
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			s := sqlitetest.New(t)
			ctx := context.Background()
			if _, err := s.Roles().GetByName(ctx, "admin"); err != nil {
				t.Fatalf("not migrated: %v", err)
			}
			// Every parallel test creates the same username: each must see only its own.
			if _, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "same", Type: noetl.ProfileUser}); err != nil {
				t.Fatal(err)
			}
			p, err := s.Profiles().List(ctx, noetl.ProfileQuery{})
			if err != nil || len(p.Items) != 1 {
				t.Fatalf("want 1 profile, got %d (%v)", len(p.Items), err)
			}
		})
	}
}

func TestNewClosesWithTheTest(t *testing.T) {
	var s noetl.Store
	t.Run("inner", func(t *testing.T) { s = sqlitetest.New(t) })
	if _, err := s.Roles().GetByName(context.Background(), "admin"); err == nil {
		t.Fatal("the store is still open after its test ended")
	}
}

// A program's test binary that uses sqlitetest links neither testify, the
// conformance suite nor pgx; the SQLite backend does not link pgx.
func TestImportsStayLean(t *testing.T) {
	for pkg, banned := range map[string][]string{
		"github.com/noetl/noetldb/storage/sqlite":            {"jackc/pgx"},
		"github.com/noetl/noetldb/storage/sqlite/sqlitetest": {"jackc/pgx", "testify", "storagetest"},
	} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range banned {
				if strings.Contains(dep, b) {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		}
	}
}

// BenchmarkNew measures what New does per test: open a private in-memory
// database, migrate it, and close it.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s, err := sqlitetest.Open()
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
