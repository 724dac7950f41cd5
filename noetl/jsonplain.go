package noetl

import (
	"bytes"
	"unicode/utf8"
)

// plainJSON is ValidateJSON's quick path: one pass over raw that accepts
// only JSON that the full checks (utf8.Valid, json.Valid, checkJSON) accept
// too, and leaves everything it is not sure of to them: \u escapes, object
// keys with escapes, nesting deeper than plainJSONDepth, more than
// plainJSONKeys keys in the open objects, and numbers with an exponent or
// longer than plainJSONNumber bytes are not read here but checked by
// checkJSONNumber, like every number the full checks read. Measured on an
// event's typical JSON, the full checks took three passes and about a
// microsecond per event; most of an AppendBatch's client time beyond the
// driver's.
func plainJSON(raw []byte) bool {
	p := plainJSONScan{b: raw}
	p.space()
	if !p.value() {
		return false
	}
	p.space()
	return p.i == len(raw)
}

// Bounds of plainJSON: beyond them it defers to the full checks.
const (
	plainJSONDepth  = 64
	plainJSONKeys   = 64
	plainJSONNumber = 300 // a number this long without an exponent is finite with few enough decimals
)

// plainJSONScan is plainJSON's state: the input, the position, the depth
// and the keys of the open objects (as ranges of b), innermost last.
type plainJSONScan struct {
	b     []byte
	i     int
	depth int
	keys  [plainJSONKeys][2]int
	nkeys int
}

func (p *plainJSONScan) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *plainJSONScan) value() bool {
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		_, ok := p.str(true)
		return ok
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	}
	return false
}

func (p *plainJSONScan) literal(lit string) bool {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

func (p *plainJSONScan) object() bool {
	if p.depth++; p.depth > plainJSONDepth {
		return false
	}
	p.i++ // {
	base := p.nkeys
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.depth--
		return true
	}
	for {
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return false
		}
		start := p.i + 1
		end, ok := p.str(false)
		if !ok || p.nkeys == len(p.keys) {
			return false
		}
		key := p.b[start:end]
		for _, k := range p.keys[base:p.nkeys] {
			if bytes.Equal(p.b[k[0]:k[1]], key) {
				return false // the full checks name the key
			}
		}
		p.keys[p.nkeys] = [2]int{start, end}
		p.nkeys++
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return false
		}
		p.i++
		p.space()
		if !p.value() {
			return false
		}
		p.space()
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			p.space()
		case '}':
			p.i++
			p.nkeys = base
			p.depth--
			return true
		default:
			return false
		}
	}
}

func (p *plainJSONScan) array() bool {
	if p.depth++; p.depth > plainJSONDepth {
		return false
	}
	p.i++ // [
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		p.depth--
		return true
	}
	for {
		if !p.value() {
			return false
		}
		p.space()
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			p.space()
		case ']':
			p.i++
			p.depth--
			return true
		default:
			return false
		}
	}
}

// str reads the string at p.i (a quote) and returns the index of its
// closing quote. It takes valid UTF-8 and, when escapes is set, the
// one-character escapes; a \u escape, an escape where escapes is not set,
// a control character or invalid UTF-8 is left to the full checks.
func (p *plainJSONScan) str(escapes bool) (end int, ok bool) {
	i := p.i + 1
	for i < len(p.b) {
		switch c := p.b[i]; {
		case c == '"':
			p.i = i + 1
			return i, true
		case c == '\\':
			if !escapes || i+1 == len(p.b) {
				return 0, false
			}
			switch p.b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			default:
				return 0, false
			}
		case c < 0x20:
			return 0, false
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(p.b[i:])
			if r == utf8.RuneError && n <= 1 {
				return 0, false
			}
			i += n
		}
	}
	return 0, false
}

// number reads a number in JSON's grammar; one with an exponent, or
// longer than plainJSONNumber, must also pass checkJSONNumber.
func (p *plainJSONScan) number() bool {
	b, i := p.b, p.i
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	exp := false
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		exp = true
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	num := b[p.i:i]
	if (exp || len(num) > plainJSONNumber) && checkJSONNumber("", num) != nil {
		return false
	}
	p.i = i
	return true
}
