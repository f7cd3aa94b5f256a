package mac

import "crypto/subtle"

// Equal reports whether the MACs a and b are equal, in constant time: its
// running time depends on the lengths of a and b and never on their
// contents (crypto/subtle.ConstantTimeCompare). Slices of different lengths,
// and two empty slices, are not equal, so an empty received MAC can never
// verify.
func Equal(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(a, b) == 1
}
