package keys

import (
	"crypto/cipher"
	_ "embed"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/tdes"
)

// NumPairs is the number of double-length pairs in a variant LMK (00-01 ..
// 38-39).
const NumPairs = 20

// Scheme variants XORed into byte 8 (byte 0 of the right half) of the
// key-type-variant LMK pair, one per 8-byte part of the key (ThalesSim
// TripleDES.vb; jPOS; payment-crypto.md §8.1).
const (
	schemeU = "\xA6\x5A"
	schemeT = "\x6A\xDE\x2B"
)

// LMK is a Thales-style variant Local Master Key: 20 double-length Triple DES
// pairs. It is immutable after construction and safe for concurrent use.
// Construction precomputes the key schedule of every pair addressed by a key
// type, under every key-type variant and scheme variant, so Encrypt and
// Decrypt do no key schedule. The LMK is secret: it prints, logs and
// marshals as a placeholder. Build one with TestLMK, ParseLMK or NewLMK; the
// zero LMK is not usable.
type LMK struct {
	s *lmkState // behind a pointer so that reflection-based printing shows an address
}

// lmkState holds the LMK. The pair bytes sit behind a second pointer and the
// ciphers behind interfaces: fmt dereferences a pointer in an unexported
// field once for a verb that does not suit pointers, so nothing that the
// first pointer reaches directly may be secret (the check value is not).
type lmkState struct {
	raw   *[NumPairs][16]byte
	pairs [NumPairs]cipher.Block
	typed [maxPairCode + 1][10]variantCiphers // by pair code, key-type variant
	check [8]byte
}

// variantCiphers are the ciphers of one LMK pair under one key-type variant.
type variantCiphers struct {
	ecb cipher.Block    // single, X, Y and bare pairs
	u   [2]cipher.Block // scheme U, per half
	t   [3]cipher.Block // scheme T, per third
}

// NewLMK returns the LMK with the given pairs (index 0 = 00-01 .. 19 = 38-39,
// each left half then right half). Every byte must be odd parity; otherwise
// the error wraps ErrParity and names the pair. NewLMK copies pairs; the
// caller should clear its copy.
func NewLMK(pairs [NumPairs][16]byte) (*LMK, error) {
	for i := range pairs {
		if !CheckParity(pairs[i][:]) {
			clear(pairs[:])
			return nil, &contextError{ctx: "LMK pair " + pairLabel(i), err: ErrParity}
		}
	}
	s := &lmkState{raw: &pairs}
	for i := range s.raw {
		s.pairs[i] = mustTDES(s.raw[i][:])
	}
	for pc := range s.typed {
		raw := s.raw[KeyType{PairCode: byte(pc)}.LMKPair()]
		for v := range s.typed[pc] {
			s.typed[pc][v] = newVariantCiphers(raw, variantBytes[v])
		}
	}
	s.pairs[0].Encrypt(s.check[:], s.check[:])
	return &LMK{s: s}, nil
}

// newVariantCiphers builds the ciphers of pair under key-type variant v.
func newVariantCiphers(pair [16]byte, v byte) variantCiphers {
	var vc variantCiphers
	k := pair
	k[0] ^= v
	vc.ecb = mustTDES(k[:])
	for i := range vc.u {
		p := k
		p[8] ^= schemeU[i]
		vc.u[i] = mustTDES(p[:])
		clear(p[:])
	}
	for i := range vc.t {
		p := k
		p[8] ^= schemeT[i]
		vc.t[i] = mustTDES(p[:])
		clear(p[:])
	}
	clear(k[:])
	clear(pair[:])
	return vc
}

func mustTDES(key []byte) cipher.Block {
	b, err := tdes.New(key)
	if err != nil {
		panic("keys: internal error: Triple DES of a 16-byte key failed")
	}
	return b
}

// pairLabel returns the name of pair i, "00-01" .. "38-39".
func pairLabel(i int) string {
	return fmt.Sprintf("%02d-%02d", 2*i, 2*i+1)
}

// TestLMK returns the public Thales test variant LMK (ThalesSim
// LMKStorage.vb GenerateTestLMKs, jPOS secret.lmk; payment-crypto.md §8.1), the
// default of the simulator. Every call returns the same immutable LMK.
func TestLMK() *LMK { return testLMK() }

var testLMK = sync.OnceValue(func() *LMK {
	l, err := ParseLMK(strings.NewReader(testLMKFile))
	if err != nil {
		panic("keys: internal error: the built-in test LMK does not parse")
	}
	return l
})

// testLMKFile is the public Thales test LMK in the ParseLMK file format;
// the package example reads the same file.
//
//go:embed test.lmk
var testLMKFile string

// CheckValue returns the LMK check value that the simulator reports in NC:
// 8 zero bytes Triple-DES-encrypted under LMK pair 00-01 (ours,
// docs/spec/hostcmd.md §3). Two HSMs hold the same LMK when their check
// values match; compare them with crypto/subtle.ConstantTimeCompare.
func (l *LMK) CheckValue() [8]byte { return l.s.check }

// Pair returns the Triple DES cipher (EDE2, no variant) of LMK pair i, where
// i is the pair index 0..19 (0 = 00-01, 9 = 18-19, 19 = 38-39). The
// simulator uses it for what the variant scheme does not cover, such as the
// NG reference number under pair 18-19. The cipher is shared, safe for
// concurrent use and secret. Pair panics if i is outside 0..19.
func (l *LMK) Pair(i int) cipher.Block {
	if i < 0 || i >= NumPairs {
		panic("keys: LMK pair index out of range")
	}
	return l.s.pairs[i]
}

// String implements fmt.Stringer with a placeholder.
func (LMK) String() string { return redact.Placeholder }

// GoString implements fmt.GoStringer with a placeholder.
func (LMK) GoString() string { return redact.Placeholder }

// Format implements fmt.Formatter so that no verb prints the LMK.
func (LMK) Format(f fmt.State, _ rune) { f.Write([]byte(redact.Placeholder)) }

// LogValue implements slog.LogValuer with a placeholder.
func (LMK) LogValue() slog.Value { return slog.StringValue(redact.Placeholder) }

// MarshalJSON implements json.Marshaler with a placeholder string.
func (LMK) MarshalJSON() ([]byte, error) {
	return []byte(`"` + redact.Placeholder + `"`), nil
}

var (
	_ fmt.Formatter  = LMK{}
	_ slog.LogValuer = LMK{}
)
