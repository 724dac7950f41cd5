package pgcopy

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"
)

// One row of every type, byte by byte as PostgreSQL's binary COPY format
// lays it out (the documentation's "Binary Format" section).
func TestLayout(t *testing.T) {
	w := New(0)
	w.Row(7)
	w.Int8(-2)
	w.Int4(7)
	w.Float8(1.5)
	w.Text("hé")
	w.JSONB([]byte(`{}`))
	w.Timestamptz(time.Date(2000, 1, 1, 0, 0, 1, 0, time.UTC))
	w.Null()
	got := w.Finish()
	want := "5047434f50590aff0d0a00" + "00000000" + "00000000" + // signature, flags, extension
		"0007" +
		"00000008" + "fffffffffffffffe" +
		"00000004" + "00000007" +
		"00000008" + "3ff8000000000000" +
		"00000003" + "68c3a9" +
		"00000003" + "01" + "7b7d" +
		"00000008" + "00000000000f4240" + // one second after 2000-01-01, in microseconds
		"ffffffff" +
		"ffff"
	if h := hex.EncodeToString(got); h != want {
		t.Fatalf("layout\n got %s\nwant %s", h, want)
	}
	if !bytes.HasPrefix(got, []byte("PGCOPY\n\xff\r\n\x00")) {
		t.Fatal("signature")
	}
}
