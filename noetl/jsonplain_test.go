package noetl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// plainJSON may leave any input to the full checks, but must never accept
// one they refuse; and it should take the JSON a workflow typically writes.

var plainJSONSamples = []string{
	`{"url":"https://example.com/cities","page":3}`, `{"attempt":1}`, `[]`, `{}`, `0`, `-0`, `1.5`, `-12.25e3`,
	`"text"`, `"caf\u00e9"`, `"line\nbreak \"quoted\" \\ \/"`, `"é ü 日本"`, `true`, `false`, `null`,
	` { "a" : [ 1 , 2 , { "b" : null } ] , "c" : "d" } `, `{"a":{"a":{"a":1}}}`, `[[[[[]]]]]`,
	`{"a":1,"a":2}`, `{"a":1,"b":{"a":2},"a":3}`, `{"a\u0062":1,"ab":2}`, `"\u0000"`, `"\ud800"`, `"\ud800\udc00"`,
	`1e1001`, `1e-5`, `1E+2`, `0.` + strings.Repeat("1", 1001), strings.Repeat("9", 400), `1e309`,
	`01`, `1.`, `.5`, `+1`, `-`, `1e`, `1e+`, `tru`, `nulll`, `[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{,}`, `[,1]`,
	`"unterminated`, "\"tab\there\"", "\"\xff\"", "[1]\xff", `{"a":1}{}`, `[1] 2`, "\u00a0[]", `{'a':1}`,
	strings.Repeat("[", 65) + strings.Repeat("]", 65), strings.Repeat("[", 501) + strings.Repeat("]", 501),
	"\"\xef\xbf\xbd\"", "\"\xed\xa0\x80\"", `{"k":"\q"}`, `"\"`,
}

func fullJSONChecks(raw string) error { return validateJSON("v", []byte(raw)) }

func TestPlainJSONAcceptsNothingTheFullChecksRefuse(t *testing.T) {
	for _, s := range plainJSONSamples {
		if plainJSON([]byte(s)) {
			require.NoError(t, fullJSONChecks(s), "%q", s)
		}
	}
}

func TestPlainJSONTakesTypicalJSON(t *testing.T) {
	for _, s := range []string{`{"url":"https://example.com/cities","page":3}`, `{"attempt":1}`,
		` { "a" : [ 1 , 2.5 , { "b" : null } ] , "c" : "d\n" , "e": true, "f": false } `, `"é ü 日本"`, `-12.25e3`} {
		require.True(t, plainJSON([]byte(s)), "%q", s)
	}
}

func TestValidateJSONRefusalsAreTheFullChecks(t *testing.T) {
	for _, s := range plainJSONSamples {
		require.Equal(t, fullJSONChecks(s), ValidateJSON("v", []byte(s)), "%q", s)
	}
}

func FuzzPlainJSON(f *testing.F) {
	for _, s := range plainJSONSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainJSON([]byte(s)) {
			if err := fullJSONChecks(s); err != nil {
				t.Fatalf("%q: plainJSON accepts what the full checks refuse: %v", s, err)
			}
		}
	})
}
