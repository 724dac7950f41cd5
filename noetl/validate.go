package noetl

import (
	"encoding/json"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNameLen is the longest name (username, label, chat, role...) accepted.
const MaxNameLen = 255

// ValidateName checks a required, single-line name of at most MaxNameLen
// characters. what names the field in the error.
func ValidateName(what, s string) error { return validateLine(what, s, MaxNameLen) }

// validateLine checks a required, single-line, valid UTF-8 text of at most
// max characters.
func validateLine(what, s string, max int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return Invalidf("%s: must not be empty", what)
	case !utf8.ValidString(s):
		return Invalidf("%s: not valid UTF-8", what)
	case utf8.RuneCountInString(s) > max:
		return Invalidf("%s: longer than %d characters", what, max)
	case strings.ContainsAny(s, "\x00\n\r"):
		return Invalidf("%s %s: must be one line without NUL", what, Quote(s))
	}
	return nil
}

// ValidateEmail checks that s looks like a plain address (local@domain).
func ValidateEmail(s string) error {
	if err := ValidateString("email", s); err != nil {
		return err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return Invalidf("email %s: not an address like name@example.com", Quote(s))
	}
	return nil
}

// ValidateJSONObject checks that raw, when set, is a JSON object.
func ValidateJSONObject(what string, raw json.RawMessage) error {
	if err := ValidateJSON(what, raw); err != nil || len(raw) == 0 {
		return err
	}
	if t := strings.TrimSpace(string(raw)); t == "" || t[0] != '{' {
		return Invalidf("%s: must be a JSON object", what)
	}
	return nil
}

// UTC returns t in UTC truncated to microseconds, the precision both engines
// keep, so stored times compare equal when read back.
func UTC(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ValidateTime checks that t, when set, lies in years 1 to 9999: times both
// engines store and read back unchanged (SQLite's microsecond integers
// overflow past year 294246; PostgreSQL refuses years before 4713 BC). A
// zero t means "not set" and is valid.
func ValidateTime(what string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return Invalidf("%s: year %d outside 1..9999", what, y)
	}
	return nil
}
