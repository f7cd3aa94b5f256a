package keys

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/payhsm/payhsm-gw/internal/redact"
)

// maxKeyLen is the longest clear key: AES-256.
const maxKeyLen = 32

// ClearKey holds clear key material: 8, 16 or 24 bytes for DES and Triple
// DES, 16, 24 or 32 bytes for AES. It redacts itself: String, GoString,
// Format (every fmt verb, %x and %#v included), LogValue and MarshalJSON all
// give a placeholder, and the bytes sit two pointers away so that a struct
// holding a ClearKey in an unexported field, printed by reflection with any
// verb, shows addresses, not the key. Bytes is the only way to the key.
//
// A ClearKey is a small value that refers to its bytes; copies share them,
// and Destroy zeroes them for every copy. The zero ClearKey holds no key
// (Len 0). A ClearKey is safe for concurrent reads; Destroy must not run
// concurrently with other use.
type ClearKey struct {
	m *keyMaterial
}

// keyMaterial is the header of a key; the bytes sit one more pointer away.
// For a verb that does not suit a pointer (%s, %q ...), fmt prints a pointer
// found in an unexported field by dereferencing it once, so whatever the
// first pointer reaches directly must not be secret.
type keyMaterial struct {
	b *[maxKeyLen]byte
	n int
}

// keyBox puts the header and the bytes in one allocation.
type keyBox struct {
	m keyMaterial
	b [maxKeyLen]byte
}

// newKeyMaterial returns an empty key of n bytes to be filled in place.
func newKeyMaterial(n int) ClearKey {
	box := new(keyBox)
	box.m = keyMaterial{b: &box.b, n: n}
	return ClearKey{m: &box.m}
}

// NewClearKey returns a ClearKey holding a copy of b, which must be 8, 16,
// 24 or 32 bytes long (else ErrKeyLength). The caller should clear b when
// done with it.
func NewClearKey(b []byte) (ClearKey, error) {
	switch len(b) {
	case 8, 16, 24, 32:
	default:
		return ClearKey{}, ErrKeyLength
	}
	k := newKeyMaterial(len(b))
	copy(k.m.b[:], b)
	return k, nil
}

// GenerateKey returns a random DES or Triple DES key of the length of scheme
// s (8 bytes single, 16 for U/X/pair, 24 for T/Y), odd parity, read from
// crypto/rand (the A0 "generate key" operation).
func GenerateKey(s Scheme) (ClearKey, error) {
	n := s.KeyLen()
	if n == 0 {
		return ClearKey{}, ErrScheme
	}
	k := newKeyMaterial(n)
	rand.Read(k.m.b[:n]) // never returns an error (crypto/rand, Go 1.24+)
	AdjustParity(k.m.b[:n])
	return k, nil
}

// Bytes returns the clear key bytes. The slice aliases the key: callers must
// not modify it, must not keep it past Destroy, and must never log, print or
// marshal it. It is nil for the zero ClearKey.
func (k ClearKey) Bytes() []byte {
	if k.m == nil {
		return nil
	}
	return k.m.b[:k.m.n:k.m.n]
}

// Len returns the key length in bytes (0 for the zero ClearKey or after
// Destroy).
func (k ClearKey) Len() int {
	if k.m == nil {
		return 0
	}
	return k.m.n
}

// Destroy zeroes the key bytes (best effort: the Go runtime may have copied
// them, and slices already returned by Bytes see zeros). Afterwards Len is 0
// for this ClearKey and every copy of it.
func (k ClearKey) Destroy() {
	if k.m == nil {
		return
	}
	clear(k.m.b[:])
	k.m.n = 0
}

// String implements fmt.Stringer with a placeholder.
func (ClearKey) String() string { return redact.Placeholder }

// GoString implements fmt.GoStringer with a placeholder.
func (ClearKey) GoString() string { return redact.Placeholder }

// Format implements fmt.Formatter so that no verb (%x, %d, %#v, %q ...)
// bypasses the redaction.
func (ClearKey) Format(f fmt.State, _ rune) { f.Write([]byte(redact.Placeholder)) }

// LogValue implements slog.LogValuer with a placeholder.
func (ClearKey) LogValue() slog.Value { return slog.StringValue(redact.Placeholder) }

// MarshalJSON implements json.Marshaler with a placeholder string.
func (ClearKey) MarshalJSON() ([]byte, error) {
	return []byte(`"` + redact.Placeholder + `"`), nil
}

var (
	_ fmt.Stringer   = ClearKey{}
	_ fmt.GoStringer = ClearKey{}
	_ fmt.Formatter  = ClearKey{}
	_ slog.LogValuer = ClearKey{}
	_ json.Marshaler = ClearKey{}
)
