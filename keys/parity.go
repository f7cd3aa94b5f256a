package keys

import "math/bits"

// CheckParity reports whether every byte of b has odd parity, the DES key
// parity rule (FIPS 46-3 §"DES key"; ANSI X9.52). It is true for an empty b.
// Its time depends only on len(b).
func CheckParity(b []byte) bool {
	var even byte
	for _, c := range b {
		even |= ^byte(bits.OnesCount8(c)) & 1
	}
	return even == 0
}

// AdjustParity sets b to odd parity in place by flipping bit 0 (the DES
// parity bit) of each byte with an even number of 1 bits.
func AdjustParity(b []byte) {
	for i, c := range b {
		b[i] = c ^ (^byte(bits.OnesCount8(c)) & 1)
	}
}
