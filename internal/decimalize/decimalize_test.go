package decimalize

import (
	"encoding/hex"
	"testing"
)

// Cipher outputs and results from the worked examples of the Visa PVV and CVV
// algorithms: psec tests/test_pin.py (PVV 8523 and 4422, the second needing a
// letter) and psec cvv.py (Y = B170E2B8F427BF99 gives CVV 170).
func TestVisa(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"C8FBF5FE2370DDCF", 4, "8523"},
		{"4CCAB42DADCFAAEE", 4, "4422"},
		{"B170E2B8F427BF99", 3, "170"},
		{"FFFFFFFFFFFFFFFF", 4, "5555"},
		{"ABCDEF", 6, "012345"},
		{"0A", 4, "00"},
	}
	for _, tt := range tests {
		src, _ := hex.DecodeString(tt.in)
		if have := string(Visa(nil, src, tt.n)); have != tt.want {
			t.Errorf("Visa(%s, %d): have %s, want %s", tt.in, tt.n, have, tt.want)
		}
	}
}

func BenchmarkVisa(b *testing.B) {
	src := []byte{0x4C, 0xCA, 0xB4, 0x2D, 0xAD, 0xCF, 0xAA, 0xEE}
	dst := make([]byte, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		dst = Visa(dst[:0], src, 4)
	}
}
