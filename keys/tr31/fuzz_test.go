package tr31

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseHeader checks that ParseHeader never panics, that its errors wrap
// a sentinel, and that an accepted header marshals to a header that parses
// to the same fields (optional blocks but PB the same, in order).
func FuzzParseHeader(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range append(vf.TR31, vf.Thales...) {
		f.Add(v.Block)
	}
	for _, v := range append(vf.Headers, vf.BadHeaders...) {
		f.Add(v.Input)
	}
	f.Add("D0000P0TE00N0100LB00040136" + strings.Repeat("x", 300))
	f.Fuzz(func(t *testing.T, s string) {
		h, n, declared, err := ParseHeader(s)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		if n < HeaderLen || n > len(s) || declared < 0 || declared > 9999 {
			t.Fatalf("n %d, declared %d, len %d", n, declared, len(s))
		}
		m, err := h.Marshal(0)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		h2, n2, _, err := ParseHeader(m)
		if err != nil || n2 != len(m) {
			t.Fatalf("marshalled header %q does not parse back: %v", m, err)
		}
		if h2.Version != h.Version || h2.KeyUsage != h.KeyUsage || h2.Algorithm != h.Algorithm || h2.ModeOfUse != h.ModeOfUse ||
			h2.KeyVersion != h.KeyVersion || h2.Exportability != h.Exportability || h2.LMKID != h.LMKID ||
			h2.KeyContext != h.KeyContext || h2.Reserved != h.Reserved {
			t.Fatalf("fields changed: %+v -> %+v", h, h2)
		}
		if !sameBlocksButPB(h.Blocks, h2.Blocks) {
			t.Fatalf("blocks changed: %+v -> %+v", h.Blocks, h2.Blocks)
		}
	})
}

func sameBlocksButPB(a, b []Block) bool {
	strip := func(bs []Block) []Block {
		var out []Block
		for _, x := range bs {
			if x.ID != "PB" {
				out = append(out, x)
			}
		}
		return out
	}
	return slices.Equal(strip(a), strip(b))
}

// FuzzUnwrap unwraps arbitrary strings under the KBPKs of the vectors (TDES
// 2-key, AES-256 and the AES test LMK) as TR-31 and Thales blocks. It checks
// that nothing panics, that errors wrap a sentinel, and that a block that
// does unwrap wraps back to itself given its own padding.
func FuzzUnwrap(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range append(vf.TR31, vf.Thales...) {
		f.Add(v.Block)
		f.Add(v.Block[:len(v.Block)-2])
		f.Add(strings.Replace(v.Block, v.Block[1:5], "0000", 1))
	}
	ps := []*KBPK{}
	for _, v := range []blockVector{vf.TR31[0], vf.TR31[4], vf.Thales[0], vf.Thales[3]} {
		ps = append(ps, v.kbpk(f))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range ps {
			for _, thales := range []bool{false, true} {
				unwrap, wrap := p.Unwrap, p.Wrap
				if thales {
					unwrap, wrap = p.UnwrapThales, p.WrapThales
				}
				h, k, err := unwrap(s)
				if err != nil {
					checkSentinel(t, err)
					continue
				}
				_, payload, err := p.open(s)
				if err != nil {
					t.Fatalf("open after a successful unwrap: %v", err)
				}
				kl := k.Len()
				bs := h.Version.BlockSize()
				masked := len(payload) > (2+kl+bs-1)/bs*bs
				if masked || strings.ToUpper(s) != s {
					continue // not in the form Wrap writes
				}
				again, err := wrap(h, k, &WrapOptions{Rand: bytes.NewReader(payload[2+kl:])})
				if err == nil && again != s && canonicalHeader(t, s) {
					t.Fatalf("accepted block does not wrap back to itself")
				}
			}
		}
	})
}

// canonicalHeader reports whether s's header is what Marshal writes.
func canonicalHeader(t *testing.T, s string) bool {
	h, n, _, err := ParseHeader(s)
	if err != nil {
		return false
	}
	m, err := h.Marshal(len(s) - n)
	return err == nil && m == s[:n]
}

func checkSentinel(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *Error", err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) && strings.HasPrefix(err.Error(), "tr31: ") {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}
