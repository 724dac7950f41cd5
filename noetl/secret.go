package noetl

import (
	"fmt"
	"io"
	"strconv"
)

// Secret is a string that never shows itself: String, GoString, JSON and
// text marshalling all print "[redacted]", so a password in an input struct
// cannot leak through %v, %+v, %#v, logs or JSON. Use Reveal to read it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]" (or "" for an empty secret).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the redacted form for %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalText returns the redacted form, never the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Format prints the redacted form for every verb (%d and %x included), so no
// fmt verb reaches the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, s.GoString())
	case verb == 'q':
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
	default:
		_, _ = io.WriteString(f, s.String())
	}
}
