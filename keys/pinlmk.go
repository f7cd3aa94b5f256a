package keys

import (
	"crypto/cipher"
	"crypto/subtle"

	"github.com/payhsm/payhsm-gw/internal/decimalize"
)

// pinPair is the LMK pair that protects PINs: 02-03.
const pinPair = 1

// EncryptPIN encrypts a clear PIN under LMK pair 02-03, bound to the account
// field, and returns the "PIN under LMK" of the host commands (BA, JE, NG;
// docs/spec/hostcmd.md §2): len(pin)+1 ASCII digits. pin is 4 to 12 ASCII
// digits and account the 12-digit account field (the 12 right-most PAN
// digits excluding the check digit).
//
// The payShield algorithm is not public; this one is ours. With K = LMK pair
// 02-03 (Triple DES EDE2, no variant), n = len(pin), PIN digits p1..pn and
// account digits a1..a12:
//
//  1. T = the 8 bytes of the 16 nibbles a1 .. a12, n/10, n%10, F, F.
//  2. Z = E_K(T).
//  3. d0 .. dn = the first n+1 digits of the Visa decimalisation of Z (its
//     decimal nibbles left to right, then its nibbles A-F as 0-5), and
//     keystream digits si = 1 + (di mod 9), each in 1..9.
//  4. P = the 8 bytes of the nibbles p1 .. pn padded with F to 16 nibbles.
//  5. c = the first digit of the Visa decimalisation of E_K(Z XOR P) (a
//     CBC-MAC over T and P): the check digit.
//  6. With x0 = c and xi = pi, the result is yi = (xi + si) mod 10 for
//     i = 0 .. n, as ASCII digits: the encrypted check digit first, then the
//     encrypted PIN digits.
//
// The result is deterministic (the same PIN and account give the same value),
// format-preserving (decimal, one digit longer than the PIN), and reversible
// only with the LMK and the account. It never equals the clear PIN and never
// shows a PIN digit in its place: every si is non-zero, so every yi differs
// from xi. DecryptPIN detects a wrong account or a changed PIN digit unless
// the recomputed check digit matches by chance (about 1 in 10), and a changed
// check digit always.
//
// Errors: ErrPINLength, ErrPINFormat, ErrAccount.
func (l *LMK) EncryptPIN(pin []byte, account string) ([]byte, error) {
	return encryptPIN(l.s.pairs[pinPair], pin, account)
}

// encryptPIN is EncryptPIN under the PIN cipher c. With a 16-byte block
// cipher (the key-block LMK's PIN key) T and P are 16 bytes: the same nibbles
// padded with F to 32.
func encryptPIN(c cipher.Block, pin []byte, account string) ([]byte, error) {
	n := len(pin)
	if n < 4 || n > 12 {
		return nil, ErrPINLength
	}
	if !allDigits(pin) {
		return nil, ErrPINFormat
	}
	if len(account) != 12 || !allDigits(account) {
		return nil, ErrAccount
	}
	// One allocation: the result, then two blocks of cipher scratch (a
	// buffer passed to a cipher.Block escapes to the heap anyway).
	buf := make([]byte, n+1+2*c.BlockSize())
	out, scratch := buf[:n+1:n+1], buf[n+1:]
	var s [16]byte // keystream digits s0..sn
	pinKeystream(c, s[:n+1], account, scratch)
	cd := pinCheckDigit(c, pin, scratch)
	out[0] = '0' + (cd+s[0])%10
	for i, p := range pin {
		out[i+1] = '0' + (p-'0'+s[i+1])%10
	}
	clear(scratch)
	clear(s[:])
	return out, nil
}

// DecryptPIN reverses EncryptPIN: enc is the PIN under LMK (5 to 13 ASCII
// digits) and account the account field it was encrypted with. It returns
// the clear PIN as ASCII digits. A value of the wrong length, with a
// non-digit, or whose check digit does not match (a corrupted value or the
// wrong account) gives ErrPINUnderLMK (payShield error 14); a malformed
// account gives ErrAccount. The check digit is compared in constant time.
func (l *LMK) DecryptPIN(enc []byte, account string) ([]byte, error) {
	return decryptPIN(l.s.pairs[pinPair], enc, account)
}

// decryptPIN is DecryptPIN under the PIN cipher c.
func decryptPIN(c cipher.Block, enc []byte, account string) ([]byte, error) {
	n := len(enc) - 1
	if n < 4 || n > 12 || !allDigits(enc) {
		return nil, ErrPINUnderLMK
	}
	if len(account) != 12 || !allDigits(account) {
		return nil, ErrAccount
	}
	buf := make([]byte, n+2*c.BlockSize()) // the PIN, then cipher scratch
	pin, scratch := buf[:n:n], buf[n:]
	var s [16]byte
	pinKeystream(c, s[:n+1], account, scratch)
	for i := range pin {
		pin[i] = '0' + (enc[i+1]-'0'+10-s[i+1])%10
	}
	x0 := (enc[0] - '0' + 10 - s[0]) % 10
	cd := pinCheckDigit(c, pin, scratch)
	ok := subtle.ConstantTimeByteEq(x0, cd)
	clear(scratch)
	clear(s[:])
	if ok != 1 {
		clear(pin)
		return nil, ErrPINUnderLMK
	}
	return pin, nil
}

// pinKeystream fills s with keystream digits 1..9 (steps 1-3 of EncryptPIN)
// for a PIN of len(s)-1 digits, leaving Z in the first block of scratch
// (two blocks of c).
func pinKeystream(c cipher.Block, s []byte, account string, scratch []byte) {
	n := len(s) - 1
	t := scratch[:c.BlockSize()]
	for i := range 6 {
		t[i] = (account[2*i]-'0')<<4 | (account[2*i+1] - '0')
	}
	t[6] = byte(n/10)<<4 | byte(n%10)
	for i := 7; i < len(t); i++ {
		t[i] = 0xFF
	}
	c.Encrypt(t, t)
	var d [16]byte
	decimalize.Visa(d[:0], t, len(s))
	for i := range s {
		s[i] = 1 + (d[i]-'0')%9
	}
	clear(d[:])
}

// pinCheckDigit returns the check digit c (steps 4-5 of EncryptPIN) as a
// value 0..9, given Z in the first block of scratch.
func pinCheckDigit(c cipher.Block, pin []byte, scratch []byte) byte {
	bs := c.BlockSize()
	z, p := scratch[:bs], scratch[bs:2*bs]
	for i := range p {
		p[i] = 0xFF
	}
	for i, c := range pin {
		if i%2 == 0 {
			p[i/2] = (c-'0')<<4 | 0x0F
		} else {
			p[i/2] = p[i/2]&0xF0 | (c - '0')
		}
	}
	for i := range p {
		p[i] ^= z[i]
	}
	c.Encrypt(p, p)
	var d [1]byte
	decimalize.Visa(d[:0], p, 1)
	return d[0] - '0'
}

func allDigits[T string | []byte](b T) bool {
	for i := range len(b) {
		if c := b[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}
