package snowflake_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/snowflake"
)

var (
	_ sql.Scanner              = (*snowflake.ID)(nil)
	_ driver.Valuer            = snowflake.ID(0)
	_ json.Marshaler           = snowflake.ID(0)
	_ json.Unmarshaler         = (*snowflake.ID)(nil)
	_ encoding.TextMarshaler   = snowflake.ID(0)
	_ encoding.TextUnmarshaler = (*snowflake.ID)(nil)
)

func TestLayoutConstants(t *testing.T) {
	require.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), snowflake.Epoch)
	require.Equal(t, int64(1704067200000), snowflake.Epoch.UnixMilli())
	require.Equal(t, 31, snowflake.MaxShard)
	require.Equal(t, 262143, snowflake.MaxSequence)
	require.Equal(t, int64(1<<40-1), int64(snowflake.MaxMillis))
	require.Equal(t, time.Date(2058, 11, 3, 19, 53, 47, 775e6, time.UTC), snowflake.MaxTime)

	// The largest id is the largest int64 and decodes to the layout's end.
	top := snowflake.ID(math.MaxInt64)
	require.Equal(t, snowflake.MaxTime, top.Time())
	require.Equal(t, snowflake.MaxShard, top.Shard())
	require.Equal(t, snowflake.MaxSequence, top.Sequence())
}

func TestKnownID(t *testing.T) {
	// What noetl.snowflake_id() returns at 2024-01-01T00:00:01Z (shard 1)
	// when its sequence yields 5: (1000 << 23) | (1 << 18) | 5.
	const want = 1000<<23 | 1<<18 | 5
	require.Equal(t, int64(8388870149), int64(want))

	at := time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC)
	id, err := snowflake.Compose(at, 1, 5)
	require.NoError(t, err)
	require.Equal(t, snowflake.ID(want), id)
	require.Equal(t, "8388870149", id.String())
	require.Equal(t, int64(want), id.Int64())
	require.Equal(t, at, id.Time())
	require.Equal(t, time.UTC, id.Time().Location())
	require.Equal(t, 1, id.Shard())
	require.Equal(t, 5, id.Sequence())
	require.False(t, id.IsZero())
	require.True(t, snowflake.ID(0).IsZero())
}

func TestComposeDecode(t *testing.T) {
	cases := []struct {
		at         time.Time
		shard, seq int
	}{
		{snowflake.Epoch, 0, 0},
		{snowflake.Epoch, snowflake.MaxShard, snowflake.MaxSequence},
		{time.Date(2025, 6, 30, 12, 34, 56, 789e6, time.UTC), 7, 12345},
		{time.Date(2040, 2, 29, 23, 59, 59, 999e6, time.UTC), 2, 1},
		{snowflake.MaxTime, 31, snowflake.MaxSequence},
	}
	for _, c := range cases {
		id, err := snowflake.Compose(c.at, c.shard, c.seq)
		require.NoError(t, err)
		require.GreaterOrEqual(t, int64(id), int64(0))
		require.Equal(t, c.at, id.Time())
		require.Equal(t, c.shard, id.Shard())
		require.Equal(t, c.seq, id.Sequence())
	}

	// Sub-millisecond precision is truncated, and the zone does not matter.
	at := time.Date(2030, 1, 2, 3, 4, 5, 678_999_999, time.FixedZone("X", 5*3600))
	id, err := snowflake.Compose(at, 3, 0)
	require.NoError(t, err)
	require.Equal(t, at.Truncate(time.Millisecond).UTC(), id.Time())

	// Later times, shards and sequences give larger ids.
	a, _ := snowflake.Compose(at, 3, 9)
	b, _ := snowflake.Compose(at, 4, 0)
	c, _ := snowflake.Compose(at.Add(time.Millisecond), 0, 0)
	require.Less(t, a, b)
	require.Less(t, b, c)

	// The last sub-millisecond of the layout still fits.
	id, err = snowflake.Compose(snowflake.MaxTime.Add(999*time.Microsecond), 0, 0)
	require.NoError(t, err)
	require.Equal(t, snowflake.MaxTime, id.Time())
}

func TestComposeErrors(t *testing.T) {
	_, err := snowflake.Compose(snowflake.Epoch.Add(-time.Nanosecond), 0, 0)
	require.ErrorIs(t, err, snowflake.ErrTimeOverflow)
	_, err = snowflake.Compose(snowflake.MaxTime.Add(time.Millisecond), 0, 0)
	require.ErrorIs(t, err, snowflake.ErrTimeOverflow)
	_, err = snowflake.Compose(time.Time{}, 0, 0)
	require.ErrorIs(t, err, snowflake.ErrTimeOverflow)

	for _, shard := range []int{-1, 32, math.MaxInt} {
		_, err = snowflake.Compose(snowflake.Epoch, shard, 0)
		require.ErrorIs(t, err, snowflake.ErrShard, "shard %d", shard)
	}
	for _, seq := range []int{-1, snowflake.MaxSequence + 1} {
		_, err = snowflake.Compose(snowflake.Epoch, 0, seq)
		require.ErrorIs(t, err, snowflake.ErrInvalidID, "seq %d", seq)
	}
}

func TestParseID(t *testing.T) {
	valid := map[string]snowflake.ID{
		"0":                   0,
		"1":                   1,
		"8388870149":          8388870149,
		"007":                 7,
		"9223372036854775807": math.MaxInt64,
	}
	for s, want := range valid {
		id, err := snowflake.ParseID(s)
		require.NoError(t, err, s)
		require.Equal(t, want, id, s)
	}

	invalid := []string{
		"", " ", "-1", "-0", "+1", " 1", "1 ", "1\n", "abc", "12a", "1.0", "1e3",
		"0x10", "1_000", "１", "9223372036854775808", "18446744073709551616",
		"99999999999999999999999999",
	}
	for _, s := range invalid {
		_, err := snowflake.ParseID(s)
		require.ErrorIs(t, err, snowflake.ErrInvalidID, "%q", s)
	}
}

func TestJSON(t *testing.T) {
	type row struct {
		ID  snowflake.ID  `json:"id"`
		Ref *snowflake.ID `json:"ref,omitempty"`
	}
	id := snowflake.ID(8388870149)

	b, err := json.Marshal(row{ID: id})
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"8388870149"}`, string(b))

	b, err = json.Marshal(snowflake.ID(math.MaxInt64))
	require.NoError(t, err)
	require.Equal(t, `"9223372036854775807"`, string(b))

	for _, in := range []string{
		`{"id":"8388870149"}`,
		`{"id":8388870149}`,
		`{"id": 8388870149 }`,
		`{"id":"8388870149","ref":"8388870149"}`,
	} {
		var r row
		require.NoError(t, json.Unmarshal([]byte(in), &r), in)
		require.Equal(t, id, r.ID, in)
	}

	var r row
	require.NoError(t, json.Unmarshal([]byte(`{"id":0}`), &r))
	require.True(t, r.ID.IsZero())

	// null leaves the id as it is: zero for a fresh value.
	r = row{}
	require.NoError(t, json.Unmarshal([]byte(`{"id":null,"ref":null}`), &r))
	require.True(t, r.ID.IsZero())
	require.Nil(t, r.Ref)

	// Map keys use the text encoding.
	m := map[snowflake.ID]int{id: 1}
	b, err = json.Marshal(m)
	require.NoError(t, err)
	require.JSONEq(t, `{"8388870149":1}`, string(b))
	var m2 map[snowflake.ID]int
	require.NoError(t, json.Unmarshal(b, &m2))
	require.Equal(t, m, m2)
}

func TestJSONRejects(t *testing.T) {
	bad := []string{
		`1.5`, `1.0`, `1e3`, `1E3`, `-1`, `-0`, `"-1"`, `"1.5"`, `"1e3"`, `"abc"`,
		`""`, `" 1"`, `true`, `{}`, `[]`, `9223372036854775808`,
		`"9223372036854775808"`, `"\u0031"`,
	}
	for _, in := range bad {
		var r struct{ ID snowflake.ID }
		err := json.Unmarshal([]byte(`{"ID":`+in+`}`), &r)
		require.ErrorIs(t, err, snowflake.ErrInvalidID, in)
		require.True(t, r.ID.IsZero(), in)
	}

	// Inputs encoding/json would refuse before calling UnmarshalJSON, tried
	// directly.
	for _, in := range []string{``, `"`, `"1`, `1"`, `01`, `00`, ` 1`, `NaN`} {
		id := snowflake.ID(42)
		require.ErrorIs(t, id.UnmarshalJSON([]byte(in)), snowflake.ErrInvalidID, in)
		require.Equal(t, snowflake.ID(42), id, in)
	}

	_, err := json.Marshal(snowflake.ID(-1))
	require.ErrorIs(t, err, snowflake.ErrInvalidID)
}

func TestText(t *testing.T) {
	id := snowflake.ID(8388870149)
	b, err := id.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "8388870149", string(b))

	var got snowflake.ID
	require.NoError(t, got.UnmarshalText(b))
	require.Equal(t, id, got)

	require.ErrorIs(t, got.UnmarshalText([]byte("x")), snowflake.ErrInvalidID)
	require.ErrorIs(t, got.UnmarshalText(nil), snowflake.ErrInvalidID)
	require.Equal(t, id, got)

	_, err = snowflake.ID(-1).MarshalText()
	require.ErrorIs(t, err, snowflake.ErrInvalidID)
}

func TestScanValue(t *testing.T) {
	const want = snowflake.ID(8388870149)
	for _, src := range []any{int64(8388870149), []byte("8388870149"), "8388870149"} {
		var id snowflake.ID
		require.NoError(t, id.Scan(src), "%T", src)
		require.Equal(t, want, id, "%T", src)
	}

	id := want
	require.NoError(t, id.Scan(nil))
	require.True(t, id.IsZero())

	for _, src := range []any{int64(-1), "-1", []byte("x"), "", 1.5, true, time.Now(), int32(5)} {
		id := want
		require.ErrorIs(t, id.Scan(src), snowflake.ErrInvalidID, "%T %v", src, src)
		require.Equal(t, want, id, "%T", src)
	}

	v, err := want.Value()
	require.NoError(t, err)
	require.Equal(t, int64(8388870149), v)
	require.True(t, driver.IsValue(v))

	v, err = snowflake.ID(0).Value()
	require.NoError(t, err)
	require.Equal(t, int64(0), v)

	_, err = snowflake.ID(-1).Value()
	require.ErrorIs(t, err, snowflake.ErrInvalidID)

	// Through database/sql's own conversion, as a driver would see it.
	var n sql.Null[snowflake.ID]
	require.NoError(t, n.Scan(int64(8388870149)))
	require.True(t, n.Valid)
	require.Equal(t, want, n.V)
}
