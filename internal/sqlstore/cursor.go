package sqlstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"

	"github.com/noetl/noetldb/noetl"
)

// Cursors are opaque to callers: base64url of the JSON array [list, v],
// where list names the List method (and order) that made the cursor and v
// is the keyset position (for example [created_at_us, id]). A cursor is
// accepted only by the list that made it, only in the exact spelling
// EncodeCursor gives, and only with a position a stored row can have:
// anything else (another list's cursor, null, a short array, a huge or
// forged value) is ErrInvalid, whose message quotes a short prefix of it.

// MaxCursorLen is the longest cursor accepted, in bytes: more than any
// list's position needs (a catalog path of 1024 characters in JSON).
const MaxCursorLen = 16 << 10

// Time bounds of a cursor position, in microseconds since 1970: years 1 to
// 9999, the times noetl.ValidateTime lets both engines store.
// The upper bound is maxCursorMicros.
const minCursorMicros = -62135596800000000

// EncodeCursor returns the cursor of list at position v.
func EncodeCursor(list string, v any) string {
	b, err := json.Marshal([2]any{list, v})
	if err != nil {
		// v is always a fixed-shape value built by a repository.
		panic("sqlstore: cursor: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads cursor s of list into dst; an empty s leaves dst
// untouched and returns false. dst is one of the position types the lists
// use (a string, an int64, or arrays and structs of those); strings must be
// storable text, ids not negative and times within years 1 to 9999.
func DecodeCursor(list, s string, dst any) (bool, error) {
	if s == "" {
		return false, nil
	}
	bad := func() (bool, error) {
		return false, noetl.Invalidf("cursor %s: not a cursor from this list", noetl.Quote(s))
	}
	if len(s) > MaxCursorLen {
		return bad()
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad()
	}
	var parts [2]json.RawMessage
	var name string
	if json.Unmarshal(b, &parts) != nil || json.Unmarshal(parts[0], &name) != nil || name != list ||
		json.Unmarshal(parts[1], dst) != nil {
		return bad()
	}
	// Only the exact spelling EncodeCursor makes: this refuses null, short
	// or long arrays, floats for integers and anything else the decoder
	// would quietly read.
	again, err := json.Marshal([2]any{list, dst})
	if err != nil || !bytes.Equal(again, b) || !cursorPosition(dst) {
		return bad()
	}
	return true, nil
}

// versionShape is every version the catalog stores: three numbers (leading
// zeros allowed for rows other programs wrote; the schema checks the same).
var versionShape = regexp.MustCompile(`^[0-9]{1,18}\.[0-9]{1,18}\.[0-9]{1,18}$`)

// cursorPosition reports whether a decoded position is one a stored row
// can have. Times come first in [time, id] and [order, time, id] positions.
func cursorPosition(dst any) bool {
	text := func(ss ...string) bool {
		for _, s := range ss {
			if noetl.ValidateString("cursor", s) != nil {
				return false
			}
		}
		return true
	}
	inTime := func(us int64) bool { return us >= minCursorMicros && us <= maxCursorMicros }
	switch v := dst.(type) {
	case *string:
		return text(*v)
	case *int64:
		return *v >= 0
	case *[2]int64:
		return inTime(v[0]) && v[1] >= 0
	case *[3]int64:
		return inTime(v[1]) && v[2] >= 0
	case *[2]string:
		return text(v[0], v[1])
	case *transitionCursor:
		return text(v[0], v[1], v[2])
	case *catalogCursor:
		return text(v.Path) && versionShape.MatchString(v.Version)
	case *versionCursor:
		return versionShape.MatchString(string(*v))
	}
	return false
}
