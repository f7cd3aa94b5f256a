package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/mac"
)

// KeyBlockLMK is a Thales key-block LMK: one Triple DES key of 16 or 24
// bytes, which protects Thales key blocks of version 0, or one AES-256 key,
// which protects version 1 (docs/reference/keyblocks.md). Where the variant
// LMK is 20 pairs selected by key type, a key-block LMK is a single key: the
// key block's own header says what the key is for. Package keys/tr31 wraps
// and unwraps the blocks (tr31.FromLMK).
//
// A KeyBlockLMK is immutable, safe for concurrent use and secret: it prints,
// logs and marshals as a placeholder. Build one with NewKeyBlockLMK,
// ParseAnyLMK or the test LMKs; the zero KeyBlockLMK is not usable.
type KeyBlockLMK struct {
	s *kbLMKState // behind a pointer so that reflection-based printing shows an address
}

// kbLMKState holds the key as a ClearKey, whose bytes sit two more pointers
// away, and the (public) check value.
type kbLMKState struct {
	key   ClearKey
	check [8]byte
	pin   cipher.Block // derived PIN key (kbpinlmk.go)
}

// NewKeyBlockLMK returns the key-block LMK with key k: 16 or 24 bytes for a
// Triple DES LMK (every byte odd parity, else the error wraps ErrParity),
// 32 bytes for an AES LMK. Any other length gives ErrKeyLength: payShield's
// AES key-block LMK is AES-256, and a 16-byte key would be ambiguous (ours).
// NewKeyBlockLMK copies k; the caller may Destroy it.
func NewKeyBlockLMK(k ClearKey) (*KeyBlockLMK, error) {
	b := k.Bytes()
	s := &kbLMKState{}
	switch len(b) {
	case 16, 24:
		if !CheckParity(b) {
			return nil, &contextError{ctx: "key-block LMK", err: ErrParity}
		}
		kcv, err := CheckValue(k)
		if err != nil {
			return nil, err
		}
		s.check = kcv
	case 32:
		c, err := aes.NewCipher(b)
		if err != nil {
			return nil, ErrKeyLength
		}
		var zero [aes.BlockSize]byte
		copy(s.check[:], mac.CMAC(c, zero[:]))
	default:
		return nil, &contextError{ctx: "key-block LMK", err: ErrKeyLength}
	}
	key, err := NewClearKey(b)
	if err != nil {
		return nil, err
	}
	if s.pin, err = derivePINCipher(b); err != nil {
		return nil, err
	}
	s.key = key
	return &KeyBlockLMK{s: s}, nil
}

// Version returns the Thales key block version the LMK protects: '0' for a
// Triple DES LMK, '1' for an AES LMK.
func (l *KeyBlockLMK) Version() byte {
	if l.s.key.Len() == 32 {
		return '1'
	}
	return '0'
}

// Algorithm returns the LMK's algorithm as a key block header writes it:
// 'T' (Triple DES) or 'A' (AES).
func (l *KeyBlockLMK) Algorithm() byte {
	if l.s.key.Len() == 32 {
		return 'A'
	}
	return 'T'
}

// Key returns the LMK's clear key, for package keys/tr31 to derive its key
// block keys from. It is the LMK itself: never log, print or keep it, and
// do not Destroy it (the LMK shares it).
func (l *KeyBlockLMK) Key() ClearKey { return l.s.key }

// CheckValue returns the LMK check value that NC reports for a key-block
// LMK (ours, docs/spec/hostcmd-keyblocks.md): for a Triple DES LMK its
// legacy key check value (8 zero bytes encrypted under it), for an AES LMK
// the leftmost 8 bytes of the CMAC of a zero block under it (ANSI X9.24-1
// A.3). NC shows all 8 bytes as 16H, as it does for the variant LMK.
// Compare check values with crypto/subtle.ConstantTimeCompare.
func (l *KeyBlockLMK) CheckValue() [8]byte { return l.s.check }

// TestAESKeyBlockLMK returns the AES-256 key-block LMK that public code
// calls the Thales test AES key-block LMK (chhil/TR31Keyblock, CryptoCarver,
// Andrei-cloud/go_hsm; not confirmed from a Thales document), the default of
// `sim --lmk keyblock-test`. Every call returns the same immutable LMK.
func TestAESKeyBlockLMK() *KeyBlockLMK { return testAESKBLMK() }

// TestTDESKeyBlockLMK returns the triple-length Triple DES key-block LMK
// that CryptoCarver says the payShield manual prints as its test LMK (not
// confirmed from a Thales document). Every call returns the same LMK.
func TestTDESKeyBlockLMK() *KeyBlockLMK { return testTDESKBLMK() }

var (
	testAESKBLMK  = sync.OnceValue(func() *KeyBlockLMK { return mustKBLMK(testAESKBLMKFile) })
	testTDESKBLMK = sync.OnceValue(func() *KeyBlockLMK { return mustKBLMK(testTDESKBLMKFile) })
)

func mustKBLMK(file string) *KeyBlockLMK {
	a, err := ParseAnyLMK(strings.NewReader(file))
	if err != nil || a.KeyBlock == nil {
		panic("keys: internal error: a built-in test key-block LMK does not parse")
	}
	return a.KeyBlock
}

// The public test key-block LMKs in the ParseAnyLMK file format.
const (
	testAESKBLMKFile = `# Test AES key-block LMK seen in public code (not secret; never use it in production).
key-block AES 9B71333A13F9FAE72F9D0E2DAB4AD678 4718012F9244033F3F26A2DE0C8AA11A
`
	testTDESKBLMKFile = `# Test Triple DES key-block LMK seen in public code (not secret; never use it in production).
key-block TDES 0123456789ABCDEF 8080808080808080 FEDCBA9876543210
`
)

// String implements fmt.Stringer with a placeholder.
func (KeyBlockLMK) String() string { return redact.Placeholder }

// GoString implements fmt.GoStringer with a placeholder.
func (KeyBlockLMK) GoString() string { return redact.Placeholder }

// Format implements fmt.Formatter so that no verb prints the LMK.
func (KeyBlockLMK) Format(f fmt.State, _ rune) { f.Write([]byte(redact.Placeholder)) }

// LogValue implements slog.LogValuer with a placeholder.
func (KeyBlockLMK) LogValue() slog.Value { return slog.StringValue(redact.Placeholder) }

// MarshalJSON implements json.Marshaler with a placeholder string.
func (KeyBlockLMK) MarshalJSON() ([]byte, error) {
	return []byte(`"` + redact.Placeholder + `"`), nil
}

var (
	_ fmt.Formatter  = KeyBlockLMK{}
	_ slog.LogValuer = KeyBlockLMK{}
)

// AnyLMK is an LMK of either kind, as an LMK file holds it: exactly one of
// Variant and KeyBlock is set.
type AnyLMK struct {
	Variant  *LMK
	KeyBlock *KeyBlockLMK
}

// CheckValue returns the check value NC reports for the LMK it holds.
func (a AnyLMK) CheckValue() [8]byte {
	if a.KeyBlock != nil {
		return a.KeyBlock.CheckValue()
	}
	return a.Variant.CheckValue()
}

// parseKeyBlockLine parses the fields of a "key-block" line (the keyword
// already checked): the algorithm, "TDES" or "AES" (either case), then the
// key in hex, in one field or in groups.
func parseKeyBlockLine(f [][]byte, line int) (*KeyBlockLMK, error) {
	if len(f) < 3 {
		return nil, &LMKFileError{Line: line, Reason: "want key-block, the algorithm (TDES or AES) and the key in hex"}
	}
	alg := strings.ToUpper(string(f[1]))
	var hexKey []byte
	for _, g := range f[2:] {
		hexKey = append(hexKey, g...)
	}
	defer clear(hexKey)
	var want []int
	switch alg {
	case "TDES", "3DES":
		want = []int{32, 48}
	case "AES":
		want = []int{64}
	default:
		return nil, &LMKFileError{Line: line, Reason: "key-block algorithm is not TDES or AES"}
	}
	if len(hexKey) != want[0] && (len(want) == 1 || len(hexKey) != want[1]) {
		reason := "AES key-block LMK is not 64 hex digits"
		if len(want) == 2 {
			reason = "TDES key-block LMK is not 32 or 48 hex digits"
		}
		return nil, &LMKFileError{Line: line, Reason: reason}
	}
	raw := make([]byte, len(hexKey)/2)
	defer clear(raw)
	if _, err := hex.Decode(raw, hexKey); err != nil {
		return nil, &LMKFileError{Line: line, Reason: "key-block LMK is not hex"}
	}
	k, err := NewClearKey(raw)
	if err != nil {
		return nil, &LMKFileError{Line: line, Reason: "key-block LMK has the wrong length"}
	}
	defer k.Destroy()
	l, err := NewKeyBlockLMK(k)
	if err != nil {
		if len(want) == 2 {
			return nil, &LMKFileError{Line: line, Reason: "TDES key-block LMK is not odd parity", Err: ErrParity}
		}
		return nil, &LMKFileError{Line: line, Reason: "key-block LMK refused", Err: err}
	}
	return l, nil
}
