package sqlstore

import (
	"encoding/base64"
	"encoding/json"

	"github.com/noetl/noetldb/noetl"
)

// Cursors are opaque to callers: base64url of a small JSON value holding
// the keyset position (for example [created_at_us, id]). Decoding checks the
// shape, so a cursor from another list or a forged one is ErrInvalid.

// EncodeCursor returns the cursor for position v.
func EncodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// v is always a fixed-shape value built by a repository.
		panic("sqlstore: cursor: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads cursor s into dst; an empty s leaves dst untouched and
// returns false.
func DecodeCursor(s string, dst any) (bool, error) {
	if s == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, dst) != nil {
		return false, noetl.Invalidf("cursor %q: not a cursor from this list", s)
	}
	return true, nil
}
