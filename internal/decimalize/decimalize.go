// Package decimalize turns cipher output into decimal digits the way payment
// schemes do.
//
// Visa decimalisation is used by the Visa PVV, the CVV family (CVV, CVC, CVV2,
// iCVV, Visa CAVV) and EMV master key derivation option B: the hex digits of
// the input are scanned twice, first keeping the digits 0-9 in order, then
// keeping A-F mapped to 0-5.
package decimalize

// Visa appends to dst the first n decimal digits of the Visa decimalisation
// of src (read as 2*len(src) hex nibbles, high nibble first) and returns the
// extended slice. If src holds fewer than n nibbles, all of them are used.
// Visa does not allocate when dst has room for n more bytes.
func Visa(dst, src []byte, n int) []byte {
	got := 0
	for pass := 0; pass < 2 && got < n; pass++ {
		for _, b := range src {
			for _, v := range [2]byte{b >> 4, b & 0x0F} {
				if got == n {
					break
				}
				switch {
				case pass == 0 && v <= 9:
					dst = append(dst, '0'+v)
					got++
				case pass == 1 && v >= 10:
					dst = append(dst, '0'+v-10)
					got++
				}
			}
		}
	}
	return dst
}
