package noetl

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValidateText checks an optional free-text value: valid UTF-8 without NUL
// bytes, the text both engines store alike (PostgreSQL refuses the others,
// SQLite would keep them). A nil p is valid. what names the field.
func ValidateText(what string, p *string) error {
	if p == nil {
		return nil
	}
	return ValidateString(what, *p)
}

// ValidateString checks a text value, empty or not, that is stored or
// looked up: valid UTF-8 without NUL bytes. A key or filter that fails it
// cannot match a stored row, and PostgreSQL would refuse it where SQLite
// finds nothing, so both engines refuse it instead. what names the field.
func ValidateString(what, s string) error {
	if !utf8.ValidString(s) {
		return Invalidf("%s: not valid UTF-8", what)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Invalidf("%s: contains a NUL byte", what)
	}
	return nil
}

// textField names an optional text value for validateTexts.
type textField struct {
	what string
	p    *string
}

// validateTexts checks each field with ValidateText, naming it after
// prefix, which is called only to name a field that fails.
func validateTexts(prefix func() string, fields ...textField) error {
	for _, f := range fields {
		if f.p != nil && ValidateString("", *f.p) != nil {
			return ValidateString(prefix()+": "+f.what, *f.p)
		}
	}
	return nil
}

// validateField is ValidateText naming the field prefix+what, a name built
// only when the value fails.
func validateField(prefix, what string, p *string) error {
	if p != nil && ValidateString("", *p) != nil {
		return ValidateString(prefix+what, *p)
	}
	return nil
}

// validateJSONField is ValidateJSON naming the field prefix+what, a name
// built only when the value fails.
func validateJSONField(prefix, what string, raw json.RawMessage) error {
	if ValidateJSON("", raw) != nil {
		return ValidateJSON(prefix+what, raw)
	}
	return nil
}

// JSON limits: what both engines store and read back as the same value.
const (
	// MaxJSONDepth is the deepest nesting of arrays and objects accepted
	// (SQLite's JSON functions stop at 1000 levels).
	MaxJSONDepth = 500
	// MaxJSONFractionDigits is the most digits a JSON number may have after
	// the decimal point once written without an exponent (1e-5 has 5):
	// the bound keeps every accepted number within PostgreSQL's numeric.
	MaxJSONFractionDigits = 1000
	// MaxJSONExponent bounds the exponent of a JSON number (1e1001 is
	// refused): PostgreSQL refuses exponents beyond ±1000.
	MaxJSONExponent = 1000
)

// ValidateJSONText is ValidateJSON; it is kept for callers that name the
// text-level checks explicitly.
func ValidateJSONText(what string, raw json.RawMessage) error { return ValidateJSON(what, raw) }

// ValidateJSON checks an optional JSON value (empty means NULL) against the
// package's JSON contract (see the package doc): one well-formed JSON value
// in valid UTF-8; no \u0000 escape and no unpaired surrogate escape (which
// PostgreSQL's JSONB refuses); no object with the same key twice (JSONB
// keeps the last, SQLite both); every number finite as a float64 (at most
// about 1.8e308 in magnitude) with at most MaxJSONFractionDigits decimal
// places and an exponent within MaxJSONExponent; nesting at most
// MaxJSONDepth deep. what names the field.
func ValidateJSON(what string, raw json.RawMessage) error {
	if len(raw) == 0 || plainJSON(raw) {
		return nil
	}
	return validateJSON(what, raw)
}

// validateJSON is ValidateJSON's full checks, for what plainJSON leaves to
// them; it alone names what is wrong.
func validateJSON(what string, raw []byte) error {
	if !utf8.Valid(raw) {
		return Invalidf("%s: not valid UTF-8", what)
	}
	if !json.Valid(raw) {
		return Invalidf("%s: not valid JSON", what)
	}
	return checkJSON(what, raw)
}

// jsonKey is an object key seen by checkJSON: raw[start:end] when the key
// has no escapes, else its decoded text.
type jsonKey struct {
	start, end int
	decoded    string
	escaped    bool
}

// checkJSON walks well-formed JSON once and applies the contract's checks
// beyond well-formedness: escapes, duplicate keys, numbers and depth.
func checkJSON(what string, raw []byte) error {
	var (
		keyBuf   [64]jsonKey
		keys     = keyBuf[:0] // keys of the open objects, innermost last
		frameBuf [32]int
		frames   = frameBuf[:0] // per open container: index of its first key in keys, or -1 for an array
		wantKey  bool           // the next string is an object key
	)
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '{' || c == '[':
			if len(frames) == MaxJSONDepth {
				return Invalidf("%s: nested deeper than %d levels", what, MaxJSONDepth)
			}
			if c == '{' {
				frames = append(frames, len(keys))
				wantKey = true
			} else {
				frames = append(frames, -1)
			}
		case c == '}' || c == ']':
			if top := frames[len(frames)-1]; top >= 0 {
				keys = keys[:top]
			}
			frames = frames[:len(frames)-1]
			wantKey = false
		case c == ',':
			wantKey = len(frames) > 0 && frames[len(frames)-1] >= 0
		case c == '"':
			end, escaped, err := scanJSONString(what, raw, i)
			if err != nil {
				return err
			}
			if wantKey {
				k := jsonKey{start: i + 1, end: end, escaped: escaped}
				if escaped {
					// json.Valid held, so the key decodes. (A variable of
					// this branch only: k itself stays off the heap.)
					var decoded string
					_ = json.Unmarshal(raw[i:end+1], &decoded)
					k.decoded = decoded
				}
				if dupKey(raw, keys[frames[len(frames)-1]:], k) {
					return Invalidf("%s: key %s appears twice in one object", what, clip(string(raw[i:end+1])))
				}
				keys = append(keys, k)
				wantKey = false
			}
			i = end
		case c == '-' || (c >= '0' && c <= '9'):
			end := i + 1
			for end < len(raw) && strings.IndexByte("0123456789+-.eE", raw[end]) >= 0 {
				end++
			}
			if err := checkJSONNumber(what, raw[i:end]); err != nil {
				return err
			}
			i = end - 1
		}
	}
	return nil
}

// dupKey reports whether k equals one of seen, comparing decoded text
// ("\u0061" is "a"). Unescaped keys compare without copying.
func dupKey(raw []byte, seen []jsonKey, k jsonKey) bool {
	for _, s := range seen {
		switch {
		case !s.escaped && !k.escaped:
			if bytes.Equal(raw[s.start:s.end], raw[k.start:k.end]) {
				return true
			}
		case s.escaped && k.escaped:
			if s.decoded == k.decoded {
				return true
			}
		case s.escaped:
			if string(raw[k.start:k.end]) == s.decoded {
				return true
			}
		default:
			if string(raw[s.start:s.end]) == k.decoded {
				return true
			}
		}
	}
	return false
}

// scanJSONString reads the string starting at raw[start] (a quote) and
// returns the index of its closing quote and whether it holds escapes. It
// refuses \u0000 and surrogate escapes that are not a high one directly
// followed by a low one.
func scanJSONString(what string, raw []byte, start int) (end int, escaped bool, err error) {
	highPending := false
	for i := start + 1; i < len(raw); i++ {
		c := raw[i]
		if c == '"' {
			if highPending {
				return 0, false, Invalidf("%s: unpaired surrogate escape", what)
			}
			return i, escaped, nil
		}
		if c != '\\' {
			if highPending {
				return 0, false, Invalidf("%s: unpaired surrogate escape", what)
			}
			continue
		}
		escaped = true
		i++ // the escaped character; json.Valid guarantees it exists
		if raw[i] != 'u' {
			if highPending {
				return 0, false, Invalidf("%s: unpaired surrogate escape", what)
			}
			continue
		}
		var r rune
		for _, h := range raw[i+1 : i+5] {
			r <<= 4
			switch {
			case h >= '0' && h <= '9':
				r |= rune(h - '0')
			case h >= 'a' && h <= 'f':
				r |= rune(h-'a') + 10
			default:
				r |= rune(h-'A') + 10
			}
		}
		i += 4
		switch {
		case r == 0:
			return 0, false, Invalidf(`%s: \u0000 (NUL) is not storable`, what)
		case r >= 0xD800 && r < 0xDC00:
			if highPending {
				return 0, false, Invalidf("%s: unpaired surrogate escape", what)
			}
			highPending = true
		case r >= 0xDC00 && r < 0xE000:
			if !highPending {
				return 0, false, Invalidf("%s: unpaired surrogate escape", what)
			}
			highPending = false
		default:
			if highPending {
				return 0, false, Invalidf("%s: unpaired surrogate escape", what)
			}
		}
	}
	return 0, false, Invalidf("%s: unterminated string", what) // unreachable after json.Valid
}

// checkJSONNumber refuses a number that is not finite as a float64, whose
// exponent is beyond MaxJSONExponent, or that has more than
// MaxJSONFractionDigits decimal places written out.
func checkJSONNumber(what string, num []byte) error {
	mant, exp := num, 0
	if e := bytes.IndexAny(num, "eE"); e >= 0 {
		mant = num[:e]
		x, err := strconv.Atoi(strings.TrimPrefix(string(num[e+1:]), "+"))
		if err != nil || x > MaxJSONExponent || x < -MaxJSONExponent {
			return Invalidf("%s: number %s: exponent outside ±%d", what, clip(string(num)), MaxJSONExponent)
		}
		exp = x
	}
	frac := 0
	if dot := bytes.IndexByte(mant, '.'); dot >= 0 {
		frac = len(mant) - dot - 1
	}
	if frac-exp > MaxJSONFractionDigits {
		return Invalidf("%s: number %s has more than %d decimal places", what, clip(string(num)), MaxJSONFractionDigits)
	}
	if f, err := strconv.ParseFloat(string(num), 64); err != nil && math.IsInf(f, 0) {
		return Invalidf("%s: number %s is out of range (beyond a float64)", what, clip(string(num)))
	}
	return nil
}

// maxQuoted is how many bytes of an input an error message quotes.
const maxQuoted = 64

// clip returns s cut to a short prefix for an error message, marked with
// "..." when cut (at a rune boundary).
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// Quote returns s quoted for an error message, cut to a short prefix: no
// error repeats more than a few dozen bytes of any input.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(clip(s))
}
