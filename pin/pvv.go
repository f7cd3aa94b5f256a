package pin

import (
	"crypto/cipher"
	"crypto/subtle"

	"github.com/payhsm/payhsm-gw/internal/decimalize"
)

// PVV returns the Visa PIN verification value of p as 4 ASCII digits (Visa
// PIN Verification Value method, as payShield DC/EC and CCA VISA-PVV compute
// it):
//
//  1. TSP = the 11 right-most PAN digits excluding the check digit (account
//     characters 2 to 12) ‖ PVKI ‖ the 4 left-most PIN digits;
//  2. encrypt the 8-byte TSP under pvk (double-length TDES in practice);
//  3. Visa-decimalise the result (digits left to right, then A-F as 0-5) and
//     keep 4 digits.
//
// account is the 12-digit account field (AccountFromPAN), pvki 0 to 9. The
// PVV is secret: compare it with VerifyPVV.
func PVV(pvk cipher.Block, account string, pvki int, p PIN) ([4]byte, error) {
	var out [4]byte
	if pvk == nil || pvk.BlockSize() != 8 {
		return out, errKeyVerify
	}
	if len(account) != 12 || !decimal(account) {
		return out, errAccount
	}
	if pvki < 0 || pvki > 9 {
		return out, errPVKI
	}
	if err := checkPIN(&p); err != nil {
		return out, err
	}
	var nib [16]byte
	for i := range 11 {
		nib[i] = account[1+i] - '0'
	}
	nib[11] = byte(pvki)
	for i := range 4 {
		nib[12+i] = p.digit(i)
	}
	// Encrypting through the cipher.Block interface needs heap memory.
	buf := new([8]byte)
	packNibbles(buf[:], nib[:])
	clear(nib[:])
	pvk.Encrypt(buf[:], buf[:])
	decimalize.Visa(out[:0], buf[:], 4)
	clear(buf[:])
	return out, nil
}

// VerifyPVV reports whether pvv (4 decimal digits) is the Visa PVV of p
// under pvk, account and pvki (see PVV). The PVVs are compared in constant
// time (crypto/subtle.ConstantTimeCompare). A mismatch is an outcome
// (false, nil), not an error; malformed arguments give an error.
func VerifyPVV(pvk cipher.Block, account string, pvki int, p PIN, pvv string) (bool, error) {
	if len(pvv) != 4 || !decimal(pvv) {
		return false, errPVV
	}
	want, err := PVV(pvk, account, pvki, p)
	if err != nil {
		return false, err
	}
	ok := subtle.ConstantTimeCompare(want[:], []byte(pvv)) == 1
	clear(want[:])
	return ok, nil
}
