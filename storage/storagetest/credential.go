package storagetest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func init() {
	register("credentials", testCredentials)
}

// secretValue is what the credential subtests seal; no part of it may show
// up outside Reveal.
const secretValue = "Zq8-unique-s3cret-value-7Hk"

var secretData = noetl.Secret(`{"user":"etl","password":"` + secretValue + `"}`)

// testKey returns a fixed key for id, so a subtest can rebuild a keyring.
func testKey(id string) []byte {
	k := make([]byte, noetl.KeySize)
	copy(k, "noetldb-test-key-"+id)
	return k
}

func testKeyring(t *testing.T, id string) *noetl.Keyring {
	t.Helper()
	k, err := noetl.NewKeyring(id, testKey(id))
	require.NoError(t, err)
	return k
}

func canonCredential(c noetl.Credential) noetl.Credential {
	c.Meta = canon(c.Meta)
	return c
}

func countCredentials(t *testing.T, s noetl.Store) int {
	t.Helper()
	p, err := s.Credentials().List(ctx(t), noetl.CredentialQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return len(p.Items)
}

func putCredential(t *testing.T, s noetl.Store, name string) noetl.Credential {
	t.Helper()
	c, err := s.Credentials().Put(ctx(t), noetl.NewCredential{Name: name, Type: "postgres",
		Data: noetl.Secret(fmt.Sprintf(`{"user":%q,"password":"%s"}`, name, secretValue))})
	require.NoError(t, err)
	return c
}

// assertNoSecret fails when s shows any part of the secret value.
func assertNoSecret(t *testing.T, s, what string) {
	t.Helper()
	assert.NotContains(t, s, secretValue[:8], what)
	assert.NotContains(t, s, secretValue[8:16], what)
	assert.NotContains(t, s, secretValue[16:], what)
}

func testCredentials(t *testing.T, h Harness) {
	t.Run("PutSealsAndGetReturnsMetadataOnly", func(t *testing.T) {
		s := newWith(t, h, StoreOptions{Keyring: testKeyring(t, "k1")})
		c, err := s.Credentials().Put(ctx(t), noetl.NewCredential{Name: "pg_local", Type: "postgres", Data: secretData,
			Meta: json.RawMessage(`{"host":"db"}`), Tags: []string{"prod", "etl"}, Description: ptr("warehouse")})
		require.NoError(t, err)
		assert.NotZero(t, c.ID)
		assert.Equal(t, "pg_local", c.Name)
		assert.Equal(t, "postgres", c.Type)
		assert.Equal(t, []string{"prod", "etl"}, c.Tags)
		assert.Equal(t, time.UTC, c.CreatedAt.Location())
		assert.Equal(t, c.CreatedAt, c.UpdatedAt)
		for _, get := range []func() (noetl.Credential, error){
			func() (noetl.Credential, error) { return s.Credentials().Get(ctx(t), c.ID) },
			func() (noetl.Credential, error) { return s.Credentials().GetByName(ctx(t), "pg_local") },
		} {
			got, err := get()
			require.NoError(t, err)
			assert.Equal(t, canonCredential(c), canonCredential(got))
		}
		data, err := s.Credentials().Reveal(ctx(t), "pg_local")
		require.NoError(t, err)
		assert.JSONEq(t, secretData.Reveal(), data.Reveal())
	})
	t.Run("PutReplacesByNameKeepingIDAndCreatedAt", func(t *testing.T) {
		clock := newClock(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
		s := newWith(t, h, StoreOptions{Keyring: testKeyring(t, "k1"), Now: clock.Now})
		first, err := s.Credentials().Put(ctx(t), noetl.NewCredential{Name: "api", Type: "http", Data: `{"token":"one"}`,
			Tags: []string{"a"}, Description: ptr("old")})
		require.NoError(t, err)
		later := clock.Add(time.Hour)
		second, err := s.Credentials().Put(ctx(t), noetl.NewCredential{Name: "api", Type: "bearer", Data: `{"token":"two"}`})
		require.NoError(t, err)
		assert.Equal(t, first.ID, second.ID)
		assert.Equal(t, first.CreatedAt, second.CreatedAt)
		assert.Equal(t, later, second.UpdatedAt)
		assert.Equal(t, "bearer", second.Type)
		assert.Nil(t, second.Tags, "put replaces every field")
		assert.Nil(t, second.Description)
		got, err := s.Credentials().GetByName(ctx(t), "api")
		require.NoError(t, err)
		assert.Equal(t, canonCredential(second), canonCredential(got))
		data, err := s.Credentials().Reveal(ctx(t), "api")
		require.NoError(t, err)
		assert.JSONEq(t, `{"token":"two"}`, data.Reveal())
		assert.Equal(t, 1, countCredentials(t, s))
	})
	t.Run("WithoutKeyringPutIsRefusedAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Credentials().Put(ctx(t), noetl.NewCredential{Name: "pg", Type: "postgres", Data: secretData})
		assert.ErrorIs(t, err, noetl.ErrNoKeyring)
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		assert.Contains(t, err.Error(), "keyring")
		assertNoSecret(t, err.Error(), "error text")
		assert.Equal(t, 0, countCredentials(t, s))
		_, err = s.Credentials().Reveal(ctx(t), "pg")
		assert.ErrorIs(t, err, noetl.ErrNoKeyring, "reveal without a keyring is refused before any read")
		n, err := s.Credentials().Rotate(ctx(t))
		assert.ErrorIs(t, err, noetl.ErrNoKeyring)
		assert.Zero(t, n)
	})
	t.Run("BadInputIsInvalidAndWritesNothing", func(t *testing.T) {
		s := newWith(t, h, StoreOptions{Keyring: testKeyring(t, "k1")})
		bad := noetl.Secret(`{"password":"` + secretValue + `"`) // not closed
		for name, in := range map[string]noetl.NewCredential{
			"empty name":      {Type: "postgres", Data: secretData},
			"empty type":      {Name: "pg", Data: secretData},
			"no data":         {Name: "pg", Type: "postgres"},
			"data not JSON":   {Name: "pg", Type: "postgres", Data: bad},
			"data an array":   {Name: "pg", Type: "postgres", Data: noetl.Secret(`["` + secretValue + `"]`)},
			"data a string":   {Name: "pg", Type: "postgres", Data: noetl.Secret(`"` + secretValue + `"`)},
			"meta not object": {Name: "pg", Type: "postgres", Data: secretData, Meta: json.RawMessage(`1`)},
			"empty tag":       {Name: "pg", Type: "postgres", Data: secretData, Tags: []string{"ok", ""}},
		} {
			_, err := s.Credentials().Put(ctx(t), in)
			require.ErrorIs(t, err, noetl.ErrInvalid, name)
			assertNoSecret(t, err.Error(), name)
		}
		assert.Equal(t, 0, countCredentials(t, s))
	})
	t.Run("SecretNeverInStringJSONOrErrors", func(t *testing.T) {
		k := testKeyring(t, "k1")
		s := newWith(t, h, StoreOptions{Keyring: k})
		in := noetl.NewCredential{Name: "pg", Type: "postgres", Data: secretData}
		c, err := s.Credentials().Put(ctx(t), in)
		require.NoError(t, err)
		list, err := s.Credentials().List(ctx(t), noetl.CredentialQuery{})
		require.NoError(t, err)
		for what, v := range map[string]any{"input": in, "credential": c, "page": list, "secret": in.Data, "keyring": k} {
			for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
				out := fmt.Sprintf(f, v)
				assertNoSecret(t, out, what+" "+f)
				assert.NotContains(t, out, "noetldb-test-key", what+" "+f+" shows no key")
			}
			b, err := json.Marshal(v)
			require.NoError(t, err, what)
			assertNoSecret(t, string(b), what+" JSON")
			assert.NotContains(t, string(b), "noetldb-test-key", what+" JSON shows no key")
		}
		_, err = s.Credentials().Put(ctx(t), noetl.NewCredential{Name: "pg", Type: "postgres", Data: secretData + "}"})
		require.Error(t, err)
		assertNoSecret(t, err.Error(), "error")
	})
	t.Run("GetAndRevealUnknownAreNotFound", func(t *testing.T) {
		s := newWith(t, h, StoreOptions{Keyring: testKeyring(t, "k1")})
		_, err := s.Credentials().Get(ctx(t), 31337)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Credentials().GetByName(ctx(t), "ghost")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Credentials().Reveal(ctx(t), "ghost")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "ghost")
	})
	t.Run("ListIsByNameFiltersTypeAndTagAndPages", func(t *testing.T) {
		s := newWith(t, h, StoreOptions{Keyring: testKeyring(t, "k1")})
		for _, c := range []noetl.NewCredential{
			{Name: "pg_b", Type: "postgres", Data: `{"p":1}`, Tags: []string{"prod"}},
			{Name: "gcs", Type: "gcs", Data: `{"p":2}`, Tags: []string{"prod", "storage"}},
			{Name: "pg_a", Type: "postgres", Data: `{"p":3}`},
			{Name: "slack", Type: "http", Data: `{"p":4}`, Tags: []string{"chat"}},
		} {
			_, err := s.Credentials().Put(ctx(t), c)
			require.NoError(t, err)
		}
		all := func(q noetl.CredentialQuery) []string {
			var out []string
			for _, c := range allPages(t, func(after string) (noetl.Page[noetl.Credential], error) {
				q.After = after
				return s.Credentials().List(ctx(t), q)
			}) {
				out = append(out, c.Name)
			}
			return out
		}
		assert.Equal(t, []string{"gcs", "pg_a", "pg_b", "slack"}, all(noetl.CredentialQuery{Limit: 3}))
		assert.Equal(t, []string{"pg_a", "pg_b"}, all(noetl.CredentialQuery{Type: "postgres", Limit: 1}))
		assert.Equal(t, []string{"gcs", "pg_b"}, all(noetl.CredentialQuery{Tag: "prod"}))
		assert.Equal(t, []string{"gcs"}, all(noetl.CredentialQuery{Tag: "prod", Type: "gcs"}))
		assert.Nil(t, all(noetl.CredentialQuery{Tag: "pro"}), "a tag matches whole")
		_, err := s.Credentials().List(ctx(t), noetl.CredentialQuery{After: "bogus"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Credentials().List(ctx(t), noetl.CredentialQuery{Limit: -1})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("DeleteRemovesAndRefusesWhileCatalogUsesIt", func(t *testing.T) {
		s := newWith(t, h, StoreOptions{Keyring: testKeyring(t, "k1")})
		used := putCredential(t, s, "used")
		putCredential(t, s, "spare")
		e, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "p", Type: "playbook", CredentialID: &used.ID})
		require.NoError(t, err)
		require.NotNil(t, e.CredentialID)
		assert.Equal(t, used.ID, *e.CredentialID)
		got, err := s.Catalog().Get(ctx(t), "p", "")
		require.NoError(t, err)
		assert.Equal(t, used.ID, *got.CredentialID)
		err = s.Credentials().Delete(ctx(t), "used")
		assert.ErrorIs(t, err, noetl.ErrReferenced)
		assert.Contains(t, err.Error(), "used")
		_, err = s.Credentials().Reveal(ctx(t), "used")
		assert.NoError(t, err, "the refused delete kept it")
		require.NoError(t, s.Credentials().Delete(ctx(t), "spare"))
		_, err = s.Credentials().GetByName(ctx(t), "spare")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.ErrorIs(t, s.Credentials().Delete(ctx(t), "spare"), noetl.ErrNotFound)
	})
	t.Run("KeyMissingFromKeyringIsUnknownKey", func(t *testing.T) {
		k := testKeyring(t, "k1")
		s := newWith(t, h, StoreOptions{Keyring: k})
		putCredential(t, s, "pg")
		require.NoError(t, k.Add("k2", testKey("k2")))
		require.NoError(t, k.SetPrimary("k2"))
		require.NoError(t, k.Remove("k1"))
		_, err := s.Credentials().Reveal(ctx(t), "pg")
		assert.ErrorIs(t, err, noetl.ErrUnknownKey)
		assert.Contains(t, err.Error(), `"k1"`, "the error names the missing key id")
		assert.Contains(t, err.Error(), "pg")
		assertNoSecret(t, err.Error(), "error")
	})
	t.Run("RotateReSealsEveryCredentialUnderPrimary", func(t *testing.T) {
		k := testKeyring(t, "k1")
		s := newWith(t, h, StoreOptions{Keyring: k})
		for _, n := range []string{"a", "b", "c"} {
			putCredential(t, s, n)
		}
		n, err := s.Credentials().Rotate(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, 0, n, "all are already under the primary key")
		require.NoError(t, k.Add("k2", testKey("k2")))
		require.NoError(t, k.SetPrimary("k2"))
		n, err = s.Credentials().Rotate(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		require.NoError(t, k.Remove("k1"))
		for _, name := range []string{"a", "b", "c"} {
			data, err := s.Credentials().Reveal(ctx(t), name)
			require.NoError(t, err, "%s opens under k2 alone", name)
			assert.Contains(t, data.Reveal(), secretValue)
		}
		n, err = s.Credentials().Rotate(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, 0, n)
	})
	t.Run("RotateIsAllOrNothing", func(t *testing.T) {
		k := testKeyring(t, "k0")
		s := newWith(t, h, StoreOptions{Keyring: k})
		putCredential(t, s, "lost") // under k0, which goes away
		require.NoError(t, k.Add("k1", testKey("k1")))
		require.NoError(t, k.SetPrimary("k1"))
		putCredential(t, s, "kept") // under k1
		require.NoError(t, k.Remove("k0"))
		require.NoError(t, k.Add("k2", testKey("k2")))
		require.NoError(t, k.SetPrimary("k2"))
		_, err := s.Credentials().Rotate(ctx(t))
		assert.ErrorIs(t, err, noetl.ErrUnknownKey)
		assert.Contains(t, err.Error(), "lost")
		require.NoError(t, k.Remove("k1"))
		_, err = s.Credentials().Reveal(ctx(t), "kept")
		assert.ErrorIs(t, err, noetl.ErrUnknownKey, "kept was not re-sealed under k2: the failed rotation changed nothing")
	})
}

// RawCredentials reads and writes the sealed data_encrypted column of the
// credential table directly, for CredentialsAtRest.
type RawCredentials struct {
	// Read returns data_encrypted of the credential named name.
	Read func(t *testing.T, name string) string
	// Write sets data_encrypted of the credential named name.
	Write func(t *testing.T, name, sealed string)
}

// CredentialsAtRest checks what a backend stores for a credential: the
// sealed column holds no part of the secret, and a flipped byte or sealed
// data moved to another credential is detected on Reveal. open returns a
// fresh store using keyring k and raw access to its credential table.
func CredentialsAtRest(t *testing.T, open func(t *testing.T, k *noetl.Keyring) (noetl.Store, RawCredentials)) {
	t.Run("StoredDataHoldsNoByteOfTheSecret", func(t *testing.T) {
		s, raw := open(t, testKeyring(t, "k1"))
		putCredential(t, s, "pg")
		stored := raw.Read(t, "pg")
		require.True(t, strings.HasPrefix(stored, "v1:k1:"), "sealed under key k1: %q", stored)
		body, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(stored, "v1:k1:"))
		require.NoError(t, err)
		plain := fmt.Sprintf(`{"user":%q,"password":"%s"}`, "pg", secretValue)
		assert.Greater(t, len(body), len(plain), "nonce, ciphertext and tag")
		// No run of 6 bytes of the plaintext appears in the column or in the
		// decoded ciphertext (a random match is ~1e-9 likely).
		for i := 0; i+6 <= len(plain); i++ {
			w := plain[i : i+6]
			assert.NotContains(t, stored, w)
			assert.NotContains(t, string(body), w)
		}
	})
	t.Run("EveryFlippedByteIsDetected", func(t *testing.T) {
		s, raw := open(t, testKeyring(t, "k1"))
		putCredential(t, s, "pg")
		stored := raw.Read(t, "pg")
		prefix := "v1:k1:"
		body, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(stored, prefix))
		require.NoError(t, err)
		for i := range body {
			flipped := append([]byte(nil), body...)
			flipped[i] ^= 0x01
			raw.Write(t, "pg", prefix+base64.RawStdEncoding.EncodeToString(flipped))
			_, err := s.Credentials().Reveal(ctx(t), "pg")
			require.ErrorIs(t, err, noetl.ErrTampered, "byte %d flipped", i)
			assert.Contains(t, err.Error(), "tampered")
			assert.Contains(t, err.Error(), "pg")
		}
		// Only junk of the sealed shape v1:<key>:<data>: the schema refuses
		// any other text in data_encrypted (see the contract_schema group).
		for _, junk := range []string{"v1:k1:", "v1:k1:!!!", "v1:k1:plain text", "v1:k1:" + stored[len(prefix):] + ":x"} {
			raw.Write(t, "pg", junk)
			_, err := s.Credentials().Reveal(ctx(t), "pg")
			assert.ErrorIs(t, err, noetl.ErrTampered, "%q", junk)
		}
		raw.Write(t, "pg", stored)
		data, err := s.Credentials().Reveal(ctx(t), "pg")
		require.NoError(t, err, "the original still opens")
		assert.Contains(t, data.Reveal(), secretValue)
	})
	t.Run("SealedDataMovedToAnotherCredentialFails", func(t *testing.T) {
		s, raw := open(t, testKeyring(t, "k1"))
		putCredential(t, s, "a")
		putCredential(t, s, "b")
		raw.Write(t, "b", raw.Read(t, "a"))
		_, err := s.Credentials().Reveal(ctx(t), "b")
		assert.ErrorIs(t, err, noetl.ErrTampered)
		_, err = s.Credentials().Reveal(ctx(t), "a")
		assert.NoError(t, err)
	})
	t.Run("SameKeyIDWithAnotherKeyIsTampered", func(t *testing.T) {
		s, raw := open(t, testKeyring(t, "k1"))
		putCredential(t, s, "pg")
		other, err := noetl.NewKeyring("k1", testKey("another"))
		require.NoError(t, err)
		_, err = other.Open("pg", raw.Read(t, "pg"))
		assert.ErrorIs(t, err, noetl.ErrTampered)
	})
	t.Run("RotationChangesTheStoredKeyID", func(t *testing.T) {
		k := testKeyring(t, "k1")
		s, raw := open(t, k)
		putCredential(t, s, "pg")
		require.NoError(t, k.Add("k2", testKey("k2")))
		require.NoError(t, k.SetPrimary("k2"))
		n, err := s.Credentials().Rotate(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.True(t, strings.HasPrefix(raw.Read(t, "pg"), "v1:k2:"))
	})
}
