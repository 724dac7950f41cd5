package snowflake_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/noetl/noetldb/snowflake"
)

func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"0", "1", "8388870149", "007", "9223372036854775807", "9223372036854775808",
		"", "-1", "+1", " 1", "1e3", "1.5", "0x1f", "1_0", "abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := snowflake.ParseID(s)
		want, werr := strconv.ParseUint(s, 10, 63)
		if err != nil {
			if !errors.Is(err, snowflake.ErrInvalidID) {
				t.Fatalf("ParseID(%q) error %v does not wrap ErrInvalidID", s, err)
			}
			if werr == nil {
				t.Fatalf("ParseID(%q) failed (%v), want %d", s, err, want)
			}
			return
		}
		if werr != nil || uint64(id) != want || id < 0 {
			t.Fatalf("ParseID(%q) = %d, want %d (%v)", s, id, want, werr)
		}

		// Every parsed id round-trips through all of its encodings and
		// decodes to in-range fields.
		back, err := snowflake.ParseID(id.String())
		if err != nil || back != id {
			t.Fatalf("ParseID(%q) = %d, %v; want %d", id.String(), back, err, id)
		}
		if sh, sq := id.Shard(), id.Sequence(); sh < 0 || sh > snowflake.MaxShard || sq < 0 || sq > snowflake.MaxSequence {
			t.Fatalf("%d decodes to shard %d, sequence %d", id, sh, sq)
		}
		if tm := id.Time(); tm.Before(snowflake.Epoch) || tm.After(snowflake.MaxTime) {
			t.Fatalf("%d decodes to time %v", id, tm)
		}
		composed, err := snowflake.Compose(id.Time(), id.Shard(), id.Sequence())
		if err != nil || composed != id {
			t.Fatalf("Compose of %d's fields = %d, %v", id, composed, err)
		}
		text, err := id.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var fromText snowflake.ID
		if err := fromText.UnmarshalText(text); err != nil || fromText != id {
			t.Fatalf("text round trip of %d: %d, %v", id, fromText, err)
		}
	})
}

func FuzzUnmarshalJSON(f *testing.F) {
	for _, s := range []string{
		`"8388870149"`, `8388870149`, `0`, `"0"`, `null`, `"007"`, `007`,
		`9223372036854775807`, `"9223372036854775808"`, `1.5`, `1e3`, `-1`,
		`"-1"`, `""`, `"`, `true`, `{}`, `[]`, `"\u0031"`, ` 1 `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const sentinel = snowflake.ID(42)
		id := sentinel
		err := id.UnmarshalJSON(data)
		if err != nil {
			if !errors.Is(err, snowflake.ErrInvalidID) {
				t.Fatalf("UnmarshalJSON(%q) error %v does not wrap ErrInvalidID", data, err)
			}
			if id != sentinel {
				t.Fatalf("failed UnmarshalJSON(%q) changed the id to %d", data, id)
			}
			return
		}
		if string(data) == "null" {
			if id != sentinel {
				t.Fatalf("null changed the id to %d", id)
			}
			return
		}
		if id < 0 {
			t.Fatalf("UnmarshalJSON(%q) = %d", data, id)
		}
		// Accepted numbers are valid JSON, and encoding/json agrees.
		if data[0] != '"' {
			if !json.Valid(data) {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			var viaJSON snowflake.ID
			if err := json.Unmarshal(data, &viaJSON); err != nil || viaJSON != id {
				t.Fatalf("json.Unmarshal(%q) = %d, %v; want %d", data, viaJSON, err, id)
			}
		}
		// Re-encoding gives the canonical string, which decodes to the same id.
		out, err := id.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if want := `"` + id.String() + `"`; string(out) != want {
			t.Fatalf("MarshalJSON(%d) = %s, want %s", id, out, want)
		}
		var back snowflake.ID
		if err := json.Unmarshal(out, &back); err != nil || back != id {
			t.Fatalf("round trip of %d through %s: %d, %v", id, out, back, err)
		}
	})
}
