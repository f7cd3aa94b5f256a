package keys

import (
	"bytes"
	"testing"
)

// oddParity counts bits one at a time, independently of math/bits.
func oddParity(c byte) bool {
	n := 0
	for ; c != 0; c >>= 1 {
		n += int(c & 1)
	}
	return n%2 == 1
}

func TestParityEveryByte(t *testing.T) {
	for v := range 256 {
		c := byte(v)
		if have := CheckParity([]byte{c}); have != oddParity(c) {
			t.Errorf("CheckParity(%02X) = %v, want %v", c, have, !have)
		}
		b := []byte{c}
		AdjustParity(b)
		if !oddParity(b[0]) {
			t.Errorf("AdjustParity(%02X) = %02X, not odd parity", c, b[0])
		}
		if b[0]&^1 != c&^1 {
			t.Errorf("AdjustParity(%02X) = %02X changed more than bit 0", c, b[0])
		}
		if oddParity(c) && b[0] != c {
			t.Errorf("AdjustParity(%02X) changed an odd-parity byte to %02X", c, b[0])
		}
	}
}

func TestParityKeys(t *testing.T) {
	tests := []struct {
		in, adjusted string
		odd          bool
		source       string
	}{
		{"0123456789ABCDEFFEDCBA9876543210", "0123456789ABCDEFFEDCBA9876543210", true, "pyemv/jPOS test key, already odd"},
		{"12345678123456781234567812345678", "13345779133457791334577913345779", false, "jPOS test key; odd form from the shared variant_lmk vectors"},
		{"8765432187654321", "8664432086644320", false, "jPOS cvkB"},
		{"30089565674D73ED", "31089464674C73EC", false, "payment-crypto.md §0: CryptoCarver ICC MK with and without parity"},
		{"", "", true, "empty"},
	}
	for _, tc := range tests {
		b := unhex(t, tc.in)
		if have := CheckParity(b); have != tc.odd {
			t.Errorf("CheckParity(%s) = %v, want %v (%s)", tc.in, have, tc.odd, tc.source)
		}
		AdjustParity(b)
		if want := unhex(t, tc.adjusted); !bytes.Equal(b, want) {
			t.Errorf("AdjustParity(%s) = %X, want %s (%s)", tc.in, b, tc.adjusted, tc.source)
		}
		if !CheckParity(b) {
			t.Errorf("CheckParity after AdjustParity(%s) = false", tc.in)
		}
	}
}
