package tr31

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/mac"
)

// KBPK is a key block protection key with its derived keys precomputed: for
// a Triple DES KBPK the variant keys of versions A, C and Thales 0 and the
// CMAC-derived keys of version B; for an AES KBPK the CMAC-derived keys of
// version D and Thales 1. It is immutable, safe for concurrent use and
// secret: it prints, logs and marshals as a placeholder. Build one with
// NewKBPK; the zero KBPK is not usable.
type KBPK struct {
	s *kbpkState // behind a pointer so that reflection-based printing shows an address
}

// kbpkState holds only ciphers (interfaces), so that nothing fmt reaches by
// dereferencing one pointer is key bytes.
type kbpkState struct {
	alg byte
	// Triple DES: variant binding (A, C, Thales 0) and derivation (B).
	variant, derived binding
}

// binding is the encryption and authentication cipher of one binding method.
type binding struct {
	enc, mac cipher.Block
}

// NewKBPK returns the KBPK of algorithm alg ('T' Triple DES, 16 or 24
// bytes; 'A' AES, 16, 24 or 32 bytes) with key k. Errors wrap ErrKBPK. k is
// not kept; the caller may Destroy it.
func NewKBPK(alg byte, k keys.ClearKey) (*KBPK, error) {
	s := &kbpkState{alg: alg}
	kb := k.Bytes()
	switch alg {
	case 'T':
		if len(kb) != 16 && len(kb) != 24 {
			return nil, &Error{Err: ErrKBPK, Field: "KBPK", Offset: -1, Reason: "Triple DES KBPK must be 16 or 24 bytes"}
		}
		s.variant = variantBinding(kb)
		s.derived = derivedBinding(kb, tdesBlock)
	case 'A':
		if len(kb) != 16 && len(kb) != 24 && len(kb) != 32 {
			return nil, &Error{Err: ErrKBPK, Field: "KBPK", Offset: -1, Reason: "AES KBPK must be 16, 24 or 32 bytes"}
		}
		s.derived = derivedBinding(kb, aesBlock)
	default:
		return nil, &Error{Err: ErrKBPK, Field: "KBPK", Offset: -1, Reason: "algorithm must be T or A"}
	}
	return &KBPK{s: s}, nil
}

// Algorithm returns 'T' or 'A'.
func (p *KBPK) Algorithm() byte { return p.s.alg }

// binding returns the ciphers that protect a block of version v, or an
// error wrapping ErrKBPK (or ErrVersion for an unknown version).
func (p *KBPK) binding(v Version) (*binding, error) {
	want := v.KBPKAlgorithm()
	if want == 0 {
		return nil, &Error{Err: ErrVersion, Field: "version", Offset: 0}
	}
	if p == nil || p.s == nil || p.s.alg != want {
		return nil, &Error{Err: ErrKBPK, Field: "KBPK", Offset: -1, Reason: "version " + v.String() + " needs a " + algName(want) + " KBPK"}
	}
	switch v {
	case VersionA, VersionC, ThalesTDES:
		return &p.s.variant, nil
	}
	return &p.s.derived, nil
}

func algName(a byte) string {
	if a == 'A' {
		return "AES"
	}
	return "Triple DES"
}

// variantBinding returns the ciphers of TR-31 versions A and C (and Thales
// 0): KBEK = KBPK XOR 45.., KBAK = KBPK XOR 4D.. over the whole key
// (TR-31:2018 A.5.1).
func variantBinding(kbpk []byte) binding {
	var e, m [24]byte
	for i, c := range kbpk {
		e[i] = c ^ 0x45
		m[i] = c ^ 0x4D
	}
	b := binding{enc: mustBlock(tdesBlock(e[:len(kbpk)])), mac: mustBlock(tdesBlock(m[:len(kbpk)]))}
	clear(e[:])
	clear(m[:])
	return b
}

// derivedBinding returns the ciphers of TR-31 versions B and D (and the keys
// of Thales 1): KBEK and KBAK are CMACs under the KBPK of 8-byte inputs
// counter || usage (0000 encryption, 0001 MAC) || 00 || algorithm ||
// key length in bits, concatenated and cut to the KBPK's length (TR-31:2018
// A.5.2, A.5.3). The 8-byte input is fed to CMAC as it is: CMAC pads it.
func derivedBinding(kbpk []byte, newBlock func([]byte) (cipher.Block, error)) binding {
	c := mustBlock(newBlock(kbpk))
	var alg uint16
	switch {
	case c.BlockSize() == 8 && len(kbpk) == 16:
		alg = 0x0000
	case c.BlockSize() == 8:
		alg = 0x0001
	case len(kbpk) == 16:
		alg = 0x0002
	case len(kbpk) == 24:
		alg = 0x0003
	default:
		alg = 0x0004
	}
	bits := uint16(len(kbpk) * 8)
	derive := func(usage byte) []byte {
		var out [48]byte
		n := 0
		for i := byte(1); n < len(kbpk); i++ {
			in := [8]byte{i, 0, usage, 0, byte(alg >> 8), byte(alg), byte(bits >> 8), byte(bits)}
			n += copy(out[n:], mac.CMAC(c, in[:]))
		}
		return out[:len(kbpk)]
	}
	ek, ak := derive(0), derive(1)
	b := binding{enc: mustBlock(newBlock(ek)), mac: mustBlock(newBlock(ak))}
	clear(ek)
	clear(ak)
	return b
}

func tdesBlock(k []byte) (cipher.Block, error) { return tdes.New(k) }
func aesBlock(k []byte) (cipher.Block, error)  { return aes.NewCipher(k) }

func mustBlock(b cipher.Block, err error) cipher.Block {
	if err != nil {
		panic("tr31: internal error: a key of checked length was refused")
	}
	return b
}

// String implements fmt.Stringer with a placeholder.
func (KBPK) String() string { return redact.Placeholder }

// GoString implements fmt.GoStringer with a placeholder.
func (KBPK) GoString() string { return redact.Placeholder }

// Format implements fmt.Formatter so that no verb prints the KBPK.
func (KBPK) Format(f fmt.State, _ rune) { f.Write([]byte(redact.Placeholder)) }

// LogValue implements slog.LogValuer with a placeholder.
func (KBPK) LogValue() slog.Value { return slog.StringValue(redact.Placeholder) }

// MarshalJSON implements json.Marshaler with a placeholder string.
func (KBPK) MarshalJSON() ([]byte, error) {
	return []byte(`"` + redact.Placeholder + `"`), nil
}

var (
	_ fmt.Formatter  = KBPK{}
	_ slog.LogValuer = KBPK{}
	_ json.Marshaler = KBPK{}
)
