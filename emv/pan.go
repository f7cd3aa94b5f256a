package emv

import "errors"

// PAN length limits (ISO/IEC 7812-1:2017: 8 to 19 digits).
const (
	MinPANLen = 8
	MaxPANLen = 19
)

// checkDigits reports whether s is non-empty and all ASCII digits.
func checkDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkPANPSN validates pan and psn and returns the PSN to use ("00" when
// psn is empty, as EMV 4.3 Book 2 A1.4 prescribes for a card without one).
func checkPANPSN(pan, psn string) (string, error) {
	if len(pan) < MinPANLen || len(pan) > MaxPANLen || !checkDigits(pan) {
		return "", errors.New("emv: pan must be 8 to 19 digits")
	}
	if psn == "" {
		return "00", nil
	}
	if len(psn) != 2 || !checkDigits(psn) {
		return "", errors.New("emv: psn must be 2 digits")
	}
	return psn, nil
}

// PANPSNBlock returns the 8-byte BCD block of the right-most 16 digits of
// PAN || PSN, left-padded with zeros when shorter: the value Y of EMV 4.3
// Book 2 A1.4.1 option A, and the "PAN/PSN" field of payShield KQ and KW.
// An empty psn means "00".
func PANPSNBlock(pan, psn string) ([8]byte, error) {
	var y [8]byte
	psn, err := checkPANPSN(pan, psn)
	if err != nil {
		return y, err
	}
	packRight(&y, pan, psn)
	return y, nil
}

// packRight packs the right-most 16 digits of a || b into y, right-aligned,
// leading nibbles zero.
func packRight(y *[8]byte, a, b string) {
	n := len(a) + len(b)
	for i := 0; i < 16 && i < n; i++ {
		j := n - 1 - i // digit index from the left of a || b
		var d byte
		if j >= len(a) {
			d = b[j-len(a)] - '0'
		} else {
			d = a[j] - '0'
		}
		pos := 15 - i // nibble position in y
		if pos%2 == 0 {
			y[pos/2] |= d << 4
		} else {
			y[pos/2] |= d
		}
	}
}

// PANPSNDigits returns the 16 decimal digits of a PAN/PSN block. A nibble
// above 9 is an error, so a block read off the wire can be checked with it.
func PANPSNDigits(y [8]byte) (string, error) {
	var s [16]byte
	for i, b := range y {
		hi, lo := b>>4, b&0x0F
		if hi > 9 || lo > 9 {
			return "", errors.New("emv: pan/psn block is not BCD")
		}
		s[2*i], s[2*i+1] = '0'+hi, '0'+lo
	}
	return string(s[:]), nil
}
