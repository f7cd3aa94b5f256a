package pin

import (
	"crypto/cipher"
	"crypto/subtle"

	"github.com/payhsm/payhsm-gw/internal/hexdigit"
)

// DecTable is an IBM 3624 decimalisation table: 16 decimal digits, entry i
// replacing hex digit i of the enciphered validation data. The usual table
// is 0123456789012345. Make one with ParseDecTable; the zero DecTable is
// refused.
type DecTable struct {
	t  [16]byte // digit values 0-9
	ok bool
}

// ParseDecTable parses a decimalisation table of 16 decimal digits. As the
// payShield checks plaintext tables by default (host command manual, DE and
// DG notes, error 25), a table must hold at least 8 different digits and no
// digit more than 4 times, which defeats decimalisation-table attacks that
// use degenerate tables. Errors wrap ErrDecTable.
func ParseDecTable(s string) (DecTable, error) {
	var dt DecTable
	if len(s) != 16 || !decimal(s) {
		return dt, errDecTableDigits
	}
	var count [10]int
	distinct := 0
	for i := range 16 {
		d := s[i] - '0'
		dt.t[i] = d
		if count[d] == 0 {
			distinct++
		}
		count[d]++
		if count[d] > 4 {
			return DecTable{}, errDecTableWeak
		}
	}
	if distinct < 8 {
		return DecTable{}, errDecTableWeak
	}
	dt.ok = true
	return dt, nil
}

// intermediatePIN enciphers the 16 hex digits of validationData under pvk
// and replaces each nibble of the result through the table (IBM 3624 PIN
// generation algorithm, steps 1-2): 16 decimal digit values.
func intermediatePIN(pvk cipher.Block, validationData string, table *DecTable) (ip [16]byte, err error) {
	if pvk == nil || pvk.BlockSize() != 8 {
		return ip, errKeyVerify
	}
	if !table.ok {
		return ip, errDecTableZero
	}
	if len(validationData) != 16 {
		return ip, errValidationData
	}
	// Enciphering through the cipher.Block interface needs heap memory.
	buf := new([8]byte)
	for i := range 8 {
		hi, ok1 := fromHex(validationData[2*i])
		lo, ok2 := fromHex(validationData[2*i+1])
		if !ok1 || !ok2 {
			return ip, errValidationData
		}
		buf[i] = hi<<4 | lo
	}
	pvk.Encrypt(buf[:], buf[:])
	for i := range 16 {
		ip[i] = table.t[buf[i/2]>>(4*(1-i%2))&0xF]
	}
	clear(buf[:])
	return ip, nil
}

// NaturalPIN returns the IBM 3624 natural PIN of length n (4 to 12): the n
// left-most digits of the decimalised encipherment of validationData under
// pvk (IBM 3624 PIN generation algorithm). validationData is 16 hex digits:
// build it with ExpandValidationData (payShield) or PadValidationData.
func NaturalPIN(pvk cipher.Block, validationData string, table DecTable, n int) (PIN, error) {
	if n < MinLen || n > MaxLen {
		return PIN{}, errNaturalLength
	}
	ip, err := intermediatePIN(pvk, validationData, &table)
	if err != nil {
		return PIN{}, err
	}
	var p PIN
	for i := range n {
		p.d[i] = '0' + ip[i]
	}
	p.n = uint8(n)
	clear(ip[:])
	return p, nil
}

// Offset returns the IBM 3624 offset of p: for each of its digits,
// PIN digit minus natural PIN digit, modulo 10 without borrow (IBM 3624
// offset generation, as payShield DE). The offset has as many digits as p;
// PadOffset gives the payShield 12H form.
func Offset(pvk cipher.Block, validationData string, table DecTable, p PIN) (string, error) {
	if err := checkPIN(&p); err != nil {
		return "", err
	}
	ip, err := intermediatePIN(pvk, validationData, &table)
	if err != nil {
		return "", err
	}
	var off [MaxLen]byte
	for i := range int(p.n) {
		off[i] = '0' + (p.digit(i)+10-ip[i])%10
	}
	clear(ip[:])
	return string(off[:p.n]), nil
}

// VerifyOffset reports whether p is the PIN that offset gives under pvk,
// validationData and table, following the IBM 3624 PIN verification
// algorithm (IBM z/OS ICSF, "3624 PIN Verification algorithm"): with n the
// length of p and m the check length, the n left-most digits of the
// intermediate PIN are added to the offset digit by digit modulo 10, and the
// m right-most digits of the sum are compared with the m right-most digits
// of p, in constant time (crypto/subtle.ConstantTimeCompare).
//
// offset is 4 to 12 decimal digits, or the payShield 12H form (left-
// justified, padded with F); checkLen is 4 to 12. A PIN shorter than the
// check length, or whose length differs from the offset's, does not verify
// (ours: the offset is aligned with the PIN, left-justified as payShield
// carries it). A mismatch is an outcome (false, nil), not an error.
func VerifyOffset(pvk cipher.Block, validationData string, table DecTable, checkLen int, offset string, p PIN) (bool, error) {
	if checkLen < MinLen || checkLen > MaxLen {
		return false, errCheckLength
	}
	off, k, err := parseOffset(offset)
	if err != nil {
		return false, err
	}
	if err := checkPIN(&p); err != nil {
		return false, err
	}
	ip, err := intermediatePIN(pvk, validationData, &table)
	if err != nil {
		return false, err
	}
	n := p.Len()
	if n < checkLen || n != k {
		clear(ip[:])
		return false, nil
	}
	var want [MaxLen]byte
	for i := range n {
		want[i] = '0' + (ip[i]+off[i])%10
	}
	ok := subtle.ConstantTimeCompare(want[n-checkLen:n], p.d[n-checkLen:n]) == 1
	clear(ip[:])
	clear(want[:])
	return ok, nil
}

// parseOffset accepts 4 to 12 decimal digits, or exactly 12 characters of
// 4 or more digits padded with F (either case); it returns digit values.
func parseOffset(s string) (off [MaxLen]byte, k int, err error) {
	if len(s) < MinLen || len(s) > MaxLen {
		return off, 0, errOffset
	}
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		off[k] = s[k] - '0'
		k++
	}
	if k == len(s) {
		return off, k, nil
	}
	if k < MinLen || len(s) != MaxLen {
		return off, 0, errOffset
	}
	for i := k; i < len(s); i++ {
		if s[i] != 'F' && s[i] != 'f' {
			return off, 0, errOffset
		}
	}
	return off, k, nil
}

// PadOffset returns offset (4 to 12 decimal digits) in the payShield 12H
// form: left-justified and padded with F to 12 characters.
func PadOffset(offset string) (string, error) {
	if len(offset) < MinLen || len(offset) > MaxLen || !decimal(offset) {
		return "", errOffset
	}
	var b [MaxLen]byte
	n := copy(b[:], offset)
	for i := n; i < MaxLen; i++ {
		b[i] = 'F'
	}
	return string(b[:]), nil
}

// UnpadOffset returns the digits of a payShield 12H offset field (digits
// left-justified and padded with F, either case). A field of 4 to 12 digits
// and no padding is returned as it is.
func UnpadOffset(field string) (string, error) {
	_, k, err := parseOffset(field)
	if err != nil {
		return "", err
	}
	return field[:k], nil
}

// ExpandValidationData turns payShield PIN validation data into the 16 hex
// digits the IBM 3624 algorithm enciphers. This is the payShield convention
// (host commands DA, EA, DE, EE): data is 12 characters, hex digits and
// exactly one N, and the N is replaced by the last 5 digits of account (the
// 12-digit account field). Hex digits are returned upper case.
func ExpandValidationData(data, account string) (string, error) {
	if len(account) != 12 || !decimal(account) {
		return "", errAccountVal
	}
	if len(data) != 12 {
		return "", errValidationN
	}
	var b [16]byte
	j, ns := 0, 0
	for i := range len(data) {
		c := data[i]
		if c == 'N' {
			ns++
			j += copy(b[j:], account[7:])
			continue
		}
		v, ok := fromHex(c)
		if !ok || j >= 16 {
			return "", errValidationN
		}
		b[j] = hexDigits[v]
		j++
	}
	if ns != 1 {
		return "", errValidationN
	}
	return string(b[:]), nil
}

// PadValidationData right-pads data (1 to 16 hex digits, such as a slice of
// the PAN) with the hex digit pad to 16 hex digits, upper case: the
// validation data convention of IBM CCA, AWS Payment Cryptography
// (PinValidationData and PinValidationDataPadCharacter) and psec.
func PadValidationData(data string, pad byte) (string, error) {
	p, ok := fromHex(pad)
	if !ok || len(data) < 1 || len(data) > 16 {
		return "", errValidationPad
	}
	var b [16]byte
	for i := range 16 {
		v := p
		if i < len(data) {
			if v, ok = fromHex(data[i]); !ok {
				return "", errValidationPad
			}
		}
		b[i] = hexDigits[v]
	}
	return string(b[:]), nil
}

const hexDigits = "0123456789ABCDEF"

// fromHex returns the value of hex digit c (either case).
func fromHex(c byte) (byte, bool) { return hexdigit.Value(c) }
