package noetl_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, noetl.KeySize) }

func TestKeyringSealOpenRoundTrip(t *testing.T) {
	k, err := noetl.NewKeyring("k1", key(1))
	require.NoError(t, err)
	plain := []byte(`{"password":"hunter2hunter2"}`)
	a, err := k.Seal("pg", plain)
	require.NoError(t, err)
	b, err := k.Seal("pg", plain)
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "a fresh nonce each time")
	assert.True(t, strings.HasPrefix(a, "v1:k1:"))
	assert.NotContains(t, a, "hunter2")
	id, err := noetl.KeyIDOf(a)
	require.NoError(t, err)
	assert.Equal(t, "k1", id)
	got, err := k.Open("pg", a)
	require.NoError(t, err)
	assert.Equal(t, plain, got)
}

func TestKeyringDetectsEveryFlippedByteAndWrongAAD(t *testing.T) {
	k, err := noetl.NewKeyring("k1", key(1))
	require.NoError(t, err)
	sealed, err := k.Seal("pg", []byte(`{"a":"b"}`))
	require.NoError(t, err)
	body, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:k1:"))
	require.NoError(t, err)
	for i := range body {
		for _, bit := range []byte{0x01, 0x80} {
			f := append([]byte(nil), body...)
			f[i] ^= bit
			_, err := k.Open("pg", "v1:k1:"+base64.RawStdEncoding.EncodeToString(f))
			assert.ErrorIs(t, err, noetl.ErrTampered, "byte %d bit %x", i, bit)
		}
	}
	_, err = k.Open("other", sealed)
	assert.ErrorIs(t, err, noetl.ErrTampered, "sealed for another name")
	for _, junk := range []string{"", "v1:", "v1:k1", "v1:k1:", "v1:k1:%%%", "v1:bad id:xx", "v9:k1:" + sealed[6:], sealed[:len(sealed)-4]} {
		_, err = k.Open("pg", junk)
		assert.ErrorIs(t, err, noetl.ErrTampered, "%q", junk)
	}
}

func TestKeyringUnknownKeyAndSameIDOtherKey(t *testing.T) {
	k1, err := noetl.NewKeyring("k1", key(1))
	require.NoError(t, err)
	sealed, err := k1.Seal("pg", []byte(`{}`))
	require.NoError(t, err)
	k2, err := noetl.NewKeyring("k2", key(2))
	require.NoError(t, err)
	_, err = k2.Open("pg", sealed)
	assert.ErrorIs(t, err, noetl.ErrUnknownKey)
	assert.Contains(t, err.Error(), `"k1"`)
	other, err := noetl.NewKeyring("k1", key(9))
	require.NoError(t, err)
	_, err = other.Open("pg", sealed)
	assert.ErrorIs(t, err, noetl.ErrTampered, "same id, another key")
}

func TestNilKeyringIsErrNoKeyring(t *testing.T) {
	var k *noetl.Keyring
	_, err := k.Seal("pg", []byte(`{}`))
	assert.ErrorIs(t, err, noetl.ErrNoKeyring)
	assert.ErrorIs(t, err, noetl.ErrInvalid)
	_, err = k.Open("pg", "v1:k1:AAAA")
	assert.ErrorIs(t, err, noetl.ErrNoKeyring)
	assert.Equal(t, "", k.Primary())
	assert.Equal(t, "keyring(none)", k.String())
}

func TestKeyringManagesKeys(t *testing.T) {
	k, err := noetl.NewKeyring("k1", key(1))
	require.NoError(t, err)
	assert.ErrorIs(t, k.Add("k1", key(2)), noetl.ErrConflict)
	assert.ErrorIs(t, k.Add("k2", key(2)[:16]), noetl.ErrInvalid, "AES-256 only")
	assert.ErrorIs(t, k.Add("bad id", key(2)), noetl.ErrInvalid)
	assert.ErrorIs(t, k.Add("", key(2)), noetl.ErrInvalid)
	require.NoError(t, k.Add("k2", key(2)))
	assert.Equal(t, "k1", k.Primary(), "adding keeps the primary")
	assert.ErrorIs(t, k.SetPrimary("k3"), noetl.ErrNotFound)
	require.NoError(t, k.SetPrimary("k2"))
	assert.ErrorIs(t, k.Remove("k2"), noetl.ErrConflict, "the primary stays")
	require.NoError(t, k.Remove("k1"))
	assert.ErrorIs(t, k.Remove("k1"), noetl.ErrNotFound)
	assert.Equal(t, []string{"k2"}, k.IDs())
}

func TestKeyringNeverPrintsKeys(t *testing.T) {
	k, err := noetl.NewKeyring("k1", []byte("0123456789abcdef0123456789ABCDEF"))
	require.NoError(t, err)
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
		out := fmt.Sprintf(f, k)
		assert.NotContains(t, out, "0123456789", f)
		assert.NotContains(t, out, "30313233", f, "not even in hex")
	}
	b, err := json.Marshal(struct{ K *noetl.Keyring }{k})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "0123456789")
	assert.Contains(t, k.String(), "k1")
}

func TestParseKey(t *testing.T) {
	raw := key(7)
	for _, s := range []string{
		fmt.Sprintf("%x", raw),
		base64.StdEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		" " + base64.StdEncoding.EncodeToString(raw) + "\n",
	} {
		got, err := noetl.ParseKey(s)
		require.NoError(t, err, s)
		assert.Equal(t, raw, got)
	}
	for _, s := range []string{"", "short", base64.StdEncoding.EncodeToString(raw[:16])} {
		_, err := noetl.ParseKey(s)
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		if s != "" {
			assert.NotContains(t, err.Error(), s, "the key text is not repeated")
		}
	}
	k, err := noetl.GenerateKey()
	require.NoError(t, err)
	assert.Len(t, k, noetl.KeySize)
}

func TestSecretNeverPrintsWithAnyVerb(t *testing.T) {
	s := noetl.Secret("hunter2hunter2")
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q", "%10s"} {
		assert.NotContains(t, fmt.Sprintf(f, s), "hunter2", f)
		assert.NotContains(t, fmt.Sprintf(f, struct{ S noetl.Secret }{s}), "hunter2", f)
	}
	assert.Equal(t, `"[redacted]"`, fmt.Sprintf("%#v", s))
	assert.Equal(t, "hunter2hunter2", s.Reveal())
}

func TestParseVersion(t *testing.T) {
	for s, want := range map[string]noetl.Version{"0.1.0": {0, 1, 0}, "10.20.30": {10, 20, 30}, "999999999.0.1": {999999999, 0, 1}} {
		v, err := noetl.ParseVersion(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, v)
		assert.Equal(t, s, v.String())
	}
	for _, s := range []string{"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "a.b.c", "-1.2.3", "+1.2.3", "1.2.3 ", "1000000000.0.0", "1..3"} {
		_, err := noetl.ParseVersion(s)
		assert.ErrorIs(t, err, noetl.ErrInvalid, "%q", s)
	}
	a, _ := noetl.ParseVersion("0.1.10")
	b, _ := noetl.ParseVersion("0.1.9")
	assert.Equal(t, 1, a.Compare(b))
	assert.Equal(t, -1, b.Compare(a))
	assert.Equal(t, 0, a.Compare(a))
	assert.Equal(t, "0.1.11", a.NextPatch().String())
}
