// Package sqlitelit writes rows of values as the text of one SQLite
// statement: a multi-row VALUES list whose values are literals. A batch
// insert sent this way passes no parameters, so no value is boxed in an
// interface and converted by database/sql (about one allocation per value),
// and SQLite reads each value straight from the text.
//
// Every value reads back exactly as the same value bound as a parameter
// would: text is quoted with its quotes doubled (SQLite's string literals
// have no other escape), text holding a NUL byte is written as hexadecimal,
// and a float is written in the shortest decimal form that reads back as the
// same float, which SQLite's parser rounds correctly. The statement text
// carries the values, so it must never be logged or reported: report a
// shape without them instead.
package sqlitelit

import (
	"bytes"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
)

// Writer appends rows after a head such as "INSERT INTO t (a, b) VALUES ".
// The zero value is not ready: use New.
type Writer struct {
	buf    []byte
	head   int  // length of the head
	rows   int  // rows started
	opened bool // a value was written in the current row
}

// New returns a Writer over head, whose buffer starts with room for size
// bytes.
func New(head string, size int) *Writer {
	w := &Writer{buf: make([]byte, 0, max(size, len(head)+64))}
	w.buf = append(w.buf, head...)
	w.head = len(head)
	return w
}

// Reset drops the rows written, keeping the head and the buffer.
func (w *Writer) Reset() {
	w.buf, w.rows, w.opened = w.buf[:w.head], 0, false
}

// Rows is how many rows were started since New or Reset.
func (w *Writer) Rows() int { return w.rows }

// Len is the length of the statement so far, in bytes.
func (w *Writer) Len() int { return len(w.buf) }

// Row starts a row; the values written next are its columns.
func (w *Writer) Row() {
	if w.rows > 0 {
		w.buf = append(w.buf, "),("...)
	} else {
		w.buf = append(w.buf, '(')
	}
	w.rows++
	w.opened = false
}

// sep separates a value from the one before it in its row. Rows and values
// are separated without spaces: SQLite's tokenizer reads each space as a
// token of its own.
func (w *Writer) sep() {
	if w.opened {
		w.buf = append(w.buf, ',')
	}
	w.opened = true
}

// Null writes NULL.
func (w *Writer) Null() {
	w.sep()
	w.buf = append(w.buf, "NULL"...)
}

// Int writes an integer.
func (w *Writer) Int(v int64) {
	w.sep()
	w.buf = strconv.AppendInt(w.buf, v, 10)
}

// Float writes a float as SQLite stores a bound one: NaN as NULL (SQLite
// has no NaN), an infinity as a literal past the largest float, and a
// whole number with a fractional part, so it stays a float.
func (w *Writer) Float(v float64) {
	w.sep()
	switch {
	case math.IsNaN(v):
		w.buf = append(w.buf, "NULL"...)
		return
	case math.IsInf(v, 1):
		w.buf = append(w.buf, "9e999"...)
		return
	case math.IsInf(v, -1):
		w.buf = append(w.buf, "-9e999"...)
		return
	}
	start := len(w.buf)
	w.buf = strconv.AppendFloat(w.buf, v, 'g', -1, 64)
	for _, c := range w.buf[start:] {
		if c == '.' || c == 'e' {
			return
		}
	}
	w.buf = append(w.buf, ".0"...)
}

// Text writes s as a string literal. Text with a NUL byte, which would end
// the statement's text where SQLite reads it, is written as the bytes of a
// blob cast to text.
func (w *Writer) Text(s string) {
	w.sep()
	w.buf = appendText(w.buf, s, strings.IndexByte)
}

// TextBytes writes b as Text writes a string (JSON text, for one), without
// converting it to a string first.
func (w *Writer) TextBytes(b []byte) {
	w.sep()
	w.buf = appendText(w.buf, b, bytes.IndexByte)
}

// appendText appends s as a string literal; index is IndexByte for S.
func appendText[S ~string | ~[]byte](buf []byte, s S, index func(S, byte) int) []byte {
	if index(s, 0) >= 0 {
		buf = append(buf, "CAST(X'"...)
		buf = hex.AppendEncode(buf, []byte(s))
		return append(buf, "' AS TEXT)"...)
	}
	buf = append(buf, '\'')
	for {
		i := index(s, '\'')
		if i < 0 {
			break
		}
		buf = append(buf, s[:i+1]...)
		buf = append(buf, '\'')
		s = s[i+1:]
	}
	buf = append(buf, s...)
	return append(buf, '\'')
}

// SQL ends the last row and returns the statement, with tail (such as an
// ON CONFLICT clause) after the rows. Writing may go on after Reset.
func (w *Writer) SQL(tail string) string {
	if w.rows > 0 {
		w.buf = append(w.buf, ')')
	}
	w.buf = append(w.buf, tail...)
	sql := string(w.buf)
	w.buf = w.buf[:len(w.buf)-len(tail)]
	if w.rows > 0 {
		w.buf = w.buf[:len(w.buf)-1]
	}
	return sql
}
