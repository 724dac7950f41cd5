package sqlstore

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The integer cursor path must spell and accept exactly what the general
// (json) path does.

var intCursorLists = []string{"event", "event.children", "message.newest", "message.oldest", "chat", "a"}

func TestEncodeCursorIntegerIsTheJSONSpelling(t *testing.T) {
	for _, list := range intCursorLists {
		for _, n := range []int64{0, 1, 9, 10, 255, 256, 1 << 40, 1<<63 - 1, -1, -1 << 63} {
			b, err := json.Marshal([2]any{list, n})
			require.NoError(t, err)
			require.Equal(t, base64.RawURLEncoding.EncodeToString(b), EncodeCursor(list, n), "%s %d", list, n)
		}
	}
}

func TestDecodeCursorIntegerPathAgreesWithTheGeneralPath(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	cases := []string{
		EncodeCursor("event", int64(0)), EncodeCursor("event", int64(42)), EncodeCursor("event", int64(1<<63-1)),
		EncodeCursor("event", int64(-1)), EncodeCursor("message.newest", int64(7)), EncodeCursor("event.children", int64(7)),
		enc(`["event",042]`), enc(`["event",+42]`), enc(`["event", 42]`), enc(`["event",42 ]`), enc(`["event",4.2]`),
		enc(`["event",42e0]`), enc(`["event",-0]`), enc(`["event",9223372036854775808]`), enc(`["event",null]`),
		enc(`["event"]`), enc(`["event",42,1]`), enc(`["event" ,42]`), enc(`["even",42]`), enc(`["eventx",42]`),
		enc(`["event",""]`), enc(`["event",42]x`), enc(`[event,42]`), enc(`{"event":42}`), enc(`["event",]`),
		enc(`["event",42]`) + "=", "not base64!", enc(`["\u0065vent",42]`),
	}
	for _, list := range intCursorLists {
		for _, s := range cases {
			var fast, general int64
			ok := decodeIntCursor(list, s, &fast)
			has, err := decodeCursor(list, s, &general)
			if ok {
				require.NoError(t, err, "%s %q", list, s)
				require.True(t, has)
				require.Equal(t, general, fast, "%s %q", list, s)
			}
			gotHas, gotErr := DecodeCursor(list, s, &fast)
			require.Equal(t, has, gotHas, "%s %q", list, s)
			require.Equal(t, err == nil, gotErr == nil, "%s %q", list, s)
			if err == nil && has {
				require.Equal(t, general, fast, "%s %q", list, s)
			}
		}
	}
}

func FuzzDecodeCursorIntegerPath(f *testing.F) {
	f.Add("event", EncodeCursor("event", int64(42)))
	f.Add("message.oldest", EncodeCursor("message.oldest", int64(1<<40)))
	f.Add("event", base64.RawURLEncoding.EncodeToString([]byte(`["event",042]`)))
	f.Fuzz(func(t *testing.T, list, s string) {
		var fast, general int64
		if !decodeIntCursor(list, s, &fast) {
			return
		}
		has, err := decodeCursor(list, s, &general)
		if err != nil || !has || fast != general {
			t.Fatalf("%q %q: integer path read %d, general path %d, %v, %v", list, s, fast, general, has, err)
		}
	})
}
