package noetl

import (
	"bytes"
	"encoding/json"
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
	if !utf8.ValidString(*p) {
		return Invalidf("%s: not valid UTF-8", what)
	}
	if strings.IndexByte(*p, 0) >= 0 {
		return Invalidf("%s: contains a NUL byte", what)
	}
	return nil
}

// textField names an optional text value for validateTexts.
type textField struct {
	what string
	p    *string
}

// validateTexts checks each field with ValidateText, naming it after prefix.
func validateTexts(prefix string, fields ...textField) error {
	for _, f := range fields {
		if err := ValidateText(prefix+": "+f.what, f.p); err != nil {
			return err
		}
	}
	return nil
}

// ValidateJSONText checks an optional JSON value (empty means NULL) the way
// both engines accept it alike: one well-formed JSON value, valid UTF-8,
// without the \u0000 escape or an unpaired surrogate escape, which
// PostgreSQL's JSONB refuses.
func ValidateJSONText(what string, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	if !utf8.Valid(raw) {
		return Invalidf("%s: not valid UTF-8", what)
	}
	if err := ValidateJSON(what, raw); err != nil {
		return err
	}
	if !bytes.Contains(raw, []byte(`\u`)) {
		return nil
	}
	return checkEscapes(what, raw)
}

// checkEscapes walks the \uXXXX escapes of well-formed JSON and refuses
// \u0000 and surrogates that are not a high one followed by a low one.
func checkEscapes(what string, raw []byte) error {
	highPending := false
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			if highPending {
				return Invalidf("%s: unpaired surrogate escape", what)
			}
			continue
		}
		i++ // the escaped character; json.Valid guarantees it exists
		if raw[i] != 'u' {
			if highPending {
				return Invalidf("%s: unpaired surrogate escape", what)
			}
			continue
		}
		var r rune
		for _, c := range raw[i+1 : i+5] {
			r <<= 4
			switch {
			case c >= '0' && c <= '9':
				r |= rune(c - '0')
			case c >= 'a' && c <= 'f':
				r |= rune(c-'a') + 10
			default:
				r |= rune(c-'A') + 10
			}
		}
		i += 4
		switch {
		case r == 0:
			return Invalidf(`%s: \u0000 (NUL) is not storable`, what)
		case r >= 0xD800 && r < 0xDC00:
			if highPending {
				return Invalidf("%s: unpaired surrogate escape", what)
			}
			highPending = true
		case r >= 0xDC00 && r < 0xE000:
			if !highPending {
				return Invalidf("%s: unpaired surrogate escape", what)
			}
			highPending = false
		default:
			if highPending {
				return Invalidf("%s: unpaired surrogate escape", what)
			}
		}
	}
	if highPending {
		return Invalidf("%s: unpaired surrogate escape", what)
	}
	return nil
}
