package noetl

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// KeySize is the length of a keyring key in bytes: AES-256.
const KeySize = 32

// MaxKeyIDLen is the longest key id a Keyring accepts.
const MaxKeyIDLen = 64

// Errors of sealed credential data. Each wraps ErrInvalid where the caller
// gave something wrong (ErrNoKeyring) and stands alone where the stored data
// is at fault (ErrTampered, ErrUnknownKey), so callers can tell them apart.
var (
	// ErrNoKeyring: a secret was to be sealed or opened but the store has
	// no keyring (storage.WithKeyring). Secrets are never stored in plain
	// text. It wraps ErrInvalid.
	ErrNoKeyring = &Error{Kind: ErrInvalid, Msg: "no keyring configured (storage.WithKeyring): secrets are never stored in plain text"}
	// ErrTampered: sealed data failed authentication: it was altered, moved
	// from another credential, or is not sealed data at all.
	ErrTampered = errors.New("sealed data does not open: tampered with, moved from another credential, or not sealed by a noetldb keyring")
	// ErrUnknownKey: sealed data names a key id the keyring does not hold
	// (sealed elsewhere, or under a key since removed).
	ErrUnknownKey = errors.New("sealed under a key id this keyring does not hold")
)

// Keyring holds the AES-256-GCM keys credentials are sealed with, each under
// a key id. One key is primary: new secrets are sealed under it; any key of
// the ring opens what it sealed, so keys can be rotated (add a key, make it
// primary, CredentialRepo.Rotate, then remove the old one).
//
// A Keyring is safe for concurrent use. It never shows its keys: String,
// GoString and every fmt verb print only the key ids.
type Keyring struct {
	mu      sync.RWMutex
	aeads   map[string]cipher.AEAD
	primary string
}

// NewKeyring returns a keyring holding key under id, as its primary key.
func NewKeyring(id string, key []byte) (*Keyring, error) {
	k := &Keyring{}
	if err := k.Add(id, key); err != nil {
		return nil, err
	}
	return k, nil
}

// GenerateKey returns a new random AES-256 key.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return nil, fmt.Errorf("keyring: generate key: %w", err)
	}
	return key, nil
}

// ParseKey decodes a key written as 64 hex digits or as standard or URL
// base64 (with or without padding) of 32 bytes, for keys read from the
// environment or a secret manager. Errors never repeat the text.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, Invalidf("keyring: key is not %d bytes in hex or base64", KeySize)
}

func validateKeyID(id string) error {
	if id == "" || len(id) > MaxKeyIDLen {
		return Invalidf("keyring: key id must be 1 to %d characters", MaxKeyIDLen)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return Invalidf("keyring: key id %q: only letters, digits, '-', '_' and '.'", id)
		}
	}
	return nil
}

// Add puts key under id. The first key added becomes primary. A key must be
// KeySize bytes; an id already in the ring is ErrConflict.
func (k *Keyring) Add(id string, key []byte) error {
	if err := validateKeyID(id); err != nil {
		return err
	}
	if len(key) != KeySize {
		return Invalidf("keyring: key %q: %d bytes, want %d", id, len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return Invalidf("keyring: key %q: %v", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Invalidf("keyring: key %q: %v", id, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.aeads[id]; ok {
		return NewError(ErrConflict, "keyring: key id %q already in the ring", id)
	}
	if k.aeads == nil {
		k.aeads = map[string]cipher.AEAD{}
	}
	k.aeads[id] = aead
	if k.primary == "" {
		k.primary = id
	}
	return nil
}

// SetPrimary makes the key id the one new secrets are sealed under; an id
// not in the ring is ErrNotFound.
func (k *Keyring) SetPrimary(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.aeads[id]; !ok {
		return NewError(ErrNotFound, "keyring: key id %q", id)
	}
	k.primary = id
	return nil
}

// Remove drops the key id; the primary key cannot be removed (ErrConflict).
// Data sealed under a removed key no longer opens (ErrUnknownKey).
func (k *Keyring) Remove(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.aeads[id]; !ok {
		return NewError(ErrNotFound, "keyring: key id %q", id)
	}
	if id == k.primary {
		return NewError(ErrConflict, "keyring: key id %q is primary", id)
	}
	delete(k.aeads, id)
	return nil
}

// Primary returns the id of the key new secrets are sealed under ("" for a
// nil or empty keyring).
func (k *Keyring) Primary() string {
	if k == nil {
		return ""
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.primary
}

// IDs returns the key ids in the ring, sorted.
func (k *Keyring) IDs() []string {
	if k == nil {
		return []string{}
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// sealPrefix starts every sealed value: format version 1.
const sealPrefix = "v1:"

// Seal encrypts plaintext under the primary key with AES-256-GCM, binding
// aad (additional data that must be given again to Open; credentials use
// their name). The result is text: "v1:<key id>:<base64 of nonce and
// ciphertext>", holding no byte of the plaintext. A nil or empty keyring is
// ErrNoKeyring.
func (k *Keyring) Seal(aad string, plaintext []byte) (string, error) {
	if k == nil {
		return "", ErrNoKeyring
	}
	k.mu.RLock()
	id, aead := k.primary, k.aeads[k.primary]
	k.mu.RUnlock()
	if aead == nil {
		return "", ErrNoKeyring
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return "", fmt.Errorf("keyring: nonce: %w", err)
	}
	sealed := aead.Seal(nonce, nonce, plaintext, []byte(aad))
	return sealPrefix + id + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// KeyIDOf returns the key id sealed names, without opening it; malformed
// text is ErrTampered.
func KeyIDOf(sealed string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", ErrTampered
	}
	id, _, ok := strings.Cut(rest, ":")
	if !ok || validateKeyID(id) != nil {
		return "", ErrTampered
	}
	return id, nil
}

// Open decrypts what Seal returned, given the same aad. Altered or moved
// data is ErrTampered; data sealed under a key the ring lacks is
// ErrUnknownKey; a nil keyring is ErrNoKeyring. Errors never carry the data.
func (k *Keyring) Open(aad string, sealed string) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKeyring
	}
	id, err := KeyIDOf(sealed)
	if err != nil {
		return nil, err
	}
	k.mu.RLock()
	aead := k.aeads[id]
	k.mu.RUnlock()
	if aead == nil {
		return nil, fmt.Errorf("key id %q: %w", id, ErrUnknownKey)
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(sealPrefix)+len(id)+1:])
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrTampered
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(aad))
	if err != nil {
		return nil, ErrTampered
	}
	return plain, nil
}

// String describes the keyring by its key ids only, never its keys.
func (k *Keyring) String() string {
	if k == nil {
		return "keyring(none)"
	}
	return fmt.Sprintf("keyring(primary %q, keys %q)", k.Primary(), k.IDs())
}

// GoString is String, so %#v shows no key either.
func (k *Keyring) GoString() string { return k.String() }

// Format prints String for every verb, so no fmt verb reaches the keys.
func (k *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// MarshalText returns String, so a keyring encoded as JSON shows no key.
func (k *Keyring) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
