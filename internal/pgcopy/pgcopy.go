// Package pgcopy writes PostgreSQL's binary COPY format into one buffer,
// so a bulk write sends its rows without boxing each value in an
// interface (pgx's CopyFrom takes a []any per row, about two allocations
// per value). It knows the few types noetldb's bulk writes use.
package pgcopy

import (
	"encoding/binary"
	"math"
	"time"
)

// header is the binary COPY signature, then flags and the header extension
// length, both zero.
var header = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// pgEpoch is where PostgreSQL counts timestamps from.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// Writer appends rows in binary COPY format. The zero value is not ready:
// use New.
type Writer struct {
	buf []byte
}

// New returns a Writer whose buffer starts with room for size bytes.
func New(size int) *Writer {
	w := &Writer{buf: make([]byte, 0, max(size, len(header)+2))}
	w.buf = append(w.buf, header...)
	return w
}

// Row starts a row of n fields; the next n calls write them.
func (w *Writer) Row(n int) { w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(n)) }

// Null writes a NULL field.
func (w *Writer) Null() { w.buf = binary.BigEndian.AppendUint32(w.buf, math.MaxUint32) }

// Int8 writes a BIGINT.
func (w *Writer) Int8(v int64) {
	w.buf = binary.BigEndian.AppendUint32(w.buf, 8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(v))
}

// Int4 writes an INTEGER; the caller checks that v fits.
func (w *Writer) Int4(v int32) {
	w.buf = binary.BigEndian.AppendUint32(w.buf, 4)
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(v))
}

// Float8 writes a DOUBLE PRECISION.
func (w *Writer) Float8(v float64) {
	w.buf = binary.BigEndian.AppendUint32(w.buf, 8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, math.Float64bits(v))
}

// Text writes a TEXT value: its bytes, which the server checks are valid
// in the database's encoding.
func (w *Writer) Text(s string) {
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(len(s)))
	w.buf = append(w.buf, s...)
}

// JSONB writes a JSONB value from its JSON text, which the server parses.
func (w *Writer) JSONB(raw []byte) {
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(len(raw)+1))
	w.buf = append(w.buf, 1) // jsonb's binary format version
	w.buf = append(w.buf, raw...)
}

// Timestamptz writes a TIMESTAMPTZ, to the microsecond.
func (w *Writer) Timestamptz(t time.Time) {
	w.buf = binary.BigEndian.AppendUint32(w.buf, 8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(t.UnixMicro()-pgEpoch))
}

// Finish appends the trailer and returns the data, which the Writer no
// longer uses.
func (w *Writer) Finish() []byte {
	w.buf = binary.BigEndian.AppendUint16(w.buf, math.MaxUint16)
	b := w.buf
	w.buf = nil
	return b
}
