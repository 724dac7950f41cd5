package sqlstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"

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
	if n, ok := v.(int64); ok && plainList(list) {
		// What json.Marshal writes, without its reflection.
		var buf [64]byte
		return base64.RawURLEncoding.EncodeToString(appendIntCursor(buf[:0], list, n))
	}
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
	if p, ok := dst.(*int64); ok && decodeIntCursor(list, s, p) {
		return true, nil
	}
	return decodeCursor(list, s, dst)
}

// decodeCursor is DecodeCursor's general path, for any position type.
func decodeCursor(list, s string, dst any) (bool, error) {
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

// plainList reports whether json.Marshal writes list unchanged between
// quotes (the lists' names are such).
func plainList(list string) bool {
	for i := 0; i < len(list); i++ {
		c := list[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return list != ""
}

// appendIntCursor appends the JSON of a cursor of list (a plainList) at
// integer position n, exactly as json.Marshal spells it.
func appendIntCursor(b []byte, list string, n int64) []byte {
	b = append(append(append(b, `["`...), list...), `",`...)
	return append(strconv.AppendInt(b, n, 10), ']')
}

// decodeIntCursor is DecodeCursor's path for the integer positions most
// lists use: it reads s into p when s is exactly what EncodeCursor makes
// for list at a position a row can have, and reports whether it did. When
// it did not, DecodeCursor's general path decides (and refuses).
func decodeIntCursor(list, s string, p *int64) bool {
	var src [128]byte
	var b [96]byte
	if len(s) > len(src) || base64.RawURLEncoding.DecodedLen(len(s)) > len(b) || !plainList(list) {
		return false
	}
	n, err := base64.RawURLEncoding.Decode(b[:], src[:copy(src[:], s)])
	if err != nil {
		return false
	}
	js := b[:n]
	head := len(list) + 4 // ["list",
	if len(js) < head+2 || js[len(js)-1] != ']' || string(js[2:head-2]) != list ||
		string(js[:2]) != `["` || string(js[head-2:head]) != `",` {
		return false
	}
	pos, err := strconv.ParseInt(string(js[head:len(js)-1]), 10, 64)
	if err != nil || pos < 0 {
		return false
	}
	// Only the canonical spelling (no sign, no leading zeros).
	var again [64]byte
	if !bytes.Equal(appendIntCursor(again[:0], list, pos), js) {
		return false
	}
	*p = pos
	return true
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
