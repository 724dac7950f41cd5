package sqlitelit

import (
	"context"
	"database/sql"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

func TestStatementText(t *testing.T) {
	w := New("INSERT INTO t (a, b, c) VALUES ", 0)
	require.Equal(t, "INSERT INTO t (a, b, c) VALUES ", w.SQL(""), "no rows yet")
	w.Row()
	w.Int(-7)
	w.Text("it's")
	w.Null()
	w.Row()
	w.Float(2)
	w.Float(0.1)
	w.TextBytes([]byte("a\x00'b"))
	require.Equal(t, 2, w.Rows())
	want := `INSERT INTO t (a, b, c) VALUES (-7,'it''s',NULL),(2.0,0.1,CAST(X'61002762' AS TEXT)) ON CONFLICT DO NOTHING`
	require.Equal(t, want, w.SQL(" ON CONFLICT DO NOTHING"))
	require.Equal(t, want, w.SQL(" ON CONFLICT DO NOTHING"), "SQL leaves the rows open for more")
	w.Row()
	w.Int(1)
	w.TextBytes([]byte("it's"))
	w.Float(math.Inf(-1))
	require.Equal(t, 3, w.Rows())
	require.True(t, strings.HasSuffix(w.SQL(""), `(2.0,0.1,CAST(X'61002762' AS TEXT)),(1,'it''s',-9e999)`))
	w.Reset()
	require.Zero(t, w.Rows())
	w.Row()
	w.Float(math.NaN())
	w.Float(math.Inf(1))
	w.Float(1e21)
	require.Equal(t, "INSERT INTO t (a, b, c) VALUES (NULL,9e999,1e+21)", w.SQL(""))
}

// roundTrip writes vals as one row of literals and as bound parameters into
// a table whose columns have no type (so SQLite keeps each value as given),
// and requires the same storage class and value back from both.
func roundTrip(t *testing.T, db *sql.DB, vals []any) {
	t.Helper()
	ctx := context.Background()
	cols := make([]string, len(vals))
	marks := make([]string, len(vals))
	for i := range vals {
		cols[i] = "c" + string(rune('a'+i))
		marks[i] = "?"
	}
	_, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS lit; DROP TABLE IF EXISTS bound; CREATE TABLE lit ("+strings.Join(cols, ", ")+"); CREATE TABLE bound ("+strings.Join(cols, ", ")+")")
	require.NoError(t, err)
	w := New("INSERT INTO lit ("+strings.Join(cols, ", ")+") VALUES ", 0)
	w.Row()
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			w.Null()
		case int64:
			w.Int(x)
		case float64:
			w.Float(x)
		case string:
			w.Text(x)
		default:
			t.Fatalf("no literal for %T", v)
		}
	}
	_, err = db.ExecContext(ctx, w.SQL(""))
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "INSERT INTO bound VALUES ("+strings.Join(marks, ", ")+")", vals...)
	require.NoError(t, err)
	read := func(table string) ([]any, []string) {
		got := make([]any, len(vals))
		types := make([]string, len(vals))
		dest := make([]any, 0, 2*len(vals))
		for i := range vals {
			dest = append(dest, &got[i])
		}
		for i := range vals {
			dest = append(dest, &types[i])
		}
		sel := make([]string, 0, 2*len(vals))
		sel = append(sel, cols...)
		for _, c := range cols {
			sel = append(sel, "typeof("+c+")")
		}
		require.NoError(t, db.QueryRowContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+table).Scan(dest...))
		return got, types
	}
	lit, litTypes := read("lit")
	bound, boundTypes := read("bound")
	require.Equal(t, boundTypes, litTypes, "storage classes of %q", w.SQL(""))
	for i := range vals {
		if f, ok := bound[i].(float64); ok {
			require.Equal(t, math.Float64bits(f), math.Float64bits(lit[i].(float64)), "float %v written as %q", vals[i], w.SQL(""))
			continue
		}
		require.Equal(t, bound[i], lit[i], "value %d of %q", i, w.SQL(""))
	}
}

func openDB(t testing.TB) *sql.DB {
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestValuesReadBackAsBound(t *testing.T) {
	db := openDB(t)
	roundTrip(t, db, []any{int64(0), int64(math.MaxInt64), int64(math.MinInt64), int64(-1), nil})
	roundTrip(t, db, []any{0.0, 0.1, 1.0 / 3, 2.0, 5e-324, math.MaxFloat64, -2.5, 1e21, 1e-7, 123456.78901234567})
	roundTrip(t, db, []any{math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1)})
	roundTrip(t, db, []any{"", "'", "''", "it's", "'); DROP TABLE lit; --", `\`, "a\x00b", "\x00", "tab\tnew\nline", "é 漢字 🙂", "\xff\xfe not UTF-8", "NULL", "?1", "$1"})
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "'", "a'b''c", "\x00'\x00", "\xff", "é", "--", "/*", "X'00'"} {
		f.Add(s)
	}
	db := openDB(f)
	f.Fuzz(func(t *testing.T, s string) { roundTrip(t, db, []any{s}) })
}

func FuzzFloat(f *testing.F) {
	for _, v := range []float64{0, 0.1, 2, 5e-324, 1e21, 1e22, 9007199254740993, math.MaxFloat64} {
		f.Add(math.Float64bits(v))
	}
	db := openDB(f)
	f.Fuzz(func(t *testing.T, bits uint64) { roundTrip(t, db, []any{math.Float64frombits(bits)}) })
}

func TestTextBytesWritesAsText(t *testing.T) {
	for _, s := range []string{"", "'", "a''b'", "\x00", "x\x00'", "é 🙂", "\xff"} {
		a, b := New("", 0), New("", 0)
		a.Row()
		a.Text(s)
		b.Row()
		b.TextBytes([]byte(s))
		require.Equal(t, a.SQL(""), b.SQL(""), "%q", s)
	}
}
