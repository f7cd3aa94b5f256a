package card

import (
	"crypto/subtle"

	"github.com/payhsm/payhsm-gw/internal/redact"
)

// CAVVLen is the length in bytes of a Visa CAVV (Visa table D-7).
const CAVVLen = 20

// CAVV is a Visa Cardholder Authentication Verification Value for 3-D
// Secure, "CVV with ATN" (CAVV algorithm 2, usage 3), as laid out in Visa
// table D-7. Digit fields hold ASCII decimal digits; the byte fields hold
// values 0 to 9, not characters. A CAVV from ParseCAVV is always valid (see
// Validate).
type CAVV struct {
	// AuthResultsCode is the authentication results code, 0..9 (byte 1,
	// BCD 0X); ResultsCode maps a 3-D Secure transaction status to it.
	AuthResultsCode byte
	// SecondFactorCode is the second factor authentication code, 2 digits
	// (byte 2; Visa table D-3).
	SecondFactorCode string
	// KeyIndicator selects the CAVV key, 2 digits (byte 3; 01 or 02 for a
	// standard ACS, 01 to 99 for an attempts ACS). Its mapping to keys is
	// not public; it is carried through unchanged.
	KeyIndicator string
	// Output is the 3-digit CAVV output, the check value (bytes 4-5, BCD
	// 0NNN). It is secret and prints as a placeholder.
	Output redact.String
	// ATN is the 16-digit authentication tracking number (bytes 8-15). Its
	// last four digits are also the unpredictable number of bytes 6-7.
	ATN string
	// Version and Action are the CAVV version and the authentication action,
	// 0..9 each (byte 16, left and right nibble). Only 0 and 0 are
	// publicly described; other values are carried through unchanged.
	Version, Action byte
	// IP is the client IP address (bytes 17-20, binary) for usage 3 version
	// 1; zero otherwise.
	IP [4]byte
}

// ParseCAVV unpacks the 20 raw bytes of a Visa CAVV (Visa table D-7). Every
// BCD nibble must be a decimal digit, the leading nibbles of bytes 1 and 4
// must be zero, and the unpredictable number (bytes 6-7) must equal the last
// four ATN digits (ours: table D-7 defines it so, and CAVV.Append
// re-creates it). Errors are *FieldError values naming the field (errors.Is
// ErrCAVV). ParseCAVV does not keep b.
func ParseCAVV(b []byte) (CAVV, error) {
	if len(b) != CAVVLen {
		return CAVV{}, cavvError("length", "must be 20 bytes")
	}
	switch {
	case b[0]>>4 != 0 || b[0]&0x0F > 9:
		return CAVV{}, cavvError("authentication results code", "is not BCD 0X")
	case !isBCD(b[1:2]):
		return CAVV{}, cavvError("second factor code", "is not BCD")
	case !isBCD(b[2:3]):
		return CAVV{}, cavvError("key indicator", "is not BCD")
	case b[3]>>4 != 0 || !isBCD(b[3:5]):
		return CAVV{}, cavvError("output", "is not BCD 0NNN")
	case !isBCD(b[5:7]):
		return CAVV{}, cavvError("unpredictable number", "is not BCD")
	case !isBCD(b[7:15]):
		return CAVV{}, cavvError("ATN", "is not BCD")
	case b[5] != b[13] || b[6] != b[14]:
		return CAVV{}, cavvError("unpredictable number", "does not match the ATN")
	case !isBCD(b[15:16]):
		return CAVV{}, cavvError("version and action", "is not BCD")
	}
	// One string for all digit fields: SFAC(2) key indicator(2) output(3)
	// ATN(16).
	var d [23]byte
	unpackBCD(d[0:2], b[1:2])
	unpackBCD(d[2:4], b[2:3])
	unpackBCD(d[4:7], b[3:5]) // skips the leading zero nibble
	unpackBCD(d[7:23], b[7:15])
	s := string(d[:])
	clear(d[:])
	return CAVV{
		AuthResultsCode:  b[0],
		SecondFactorCode: s[0:2],
		KeyIndicator:     s[2:4],
		Output:           redact.String(s[4:7]),
		ATN:              s[7:23],
		Version:          b[15] >> 4,
		Action:           b[15] & 0x0F,
		IP:               [4]byte(b[16:20]),
	}, nil
}

// Validate reports whether every field of c is in range (see CAVV); the
// error is a *FieldError naming the first bad field.
func (c CAVV) Validate() error {
	if err := c.checkInput(); err != nil {
		return err
	}
	switch {
	case len(c.KeyIndicator) != 2 || !isDigits(c.KeyIndicator):
		return cavvError("key indicator", "must be 2 digits")
	case len(c.Output) != ValueLen || !isDigits(c.Output.Reveal()):
		return cavvError("output", "must be 3 digits")
	case c.Version > 9 || c.Action > 9:
		return cavvError("version and action", "must be 0 to 9 each")
	}
	return nil
}

// checkInput checks the fields that feed the CAVV algorithm.
func (c CAVV) checkInput() error {
	switch {
	case c.AuthResultsCode > 9:
		return cavvError("authentication results code", "must be 0 to 9")
	case len(c.SecondFactorCode) != 2 || !isDigits(c.SecondFactorCode):
		return cavvError("second factor code", "must be 2 digits")
	case len(c.ATN) != 16 || !isDigits(c.ATN):
		return cavvError("ATN", "must be 16 digits")
	}
	return nil
}

// Append appends the 20-byte Visa table D-7 encoding of c to dst and returns
// the extended slice; for a CAVV from ParseCAVV it gives back the parsed
// bytes exactly. c must be valid: Append panics (with a message that holds
// no value) if Validate fails, since writing a wrong CAVV silently would be
// worse. Check hand-built values with Validate first.
func (c CAVV) Append(dst []byte) []byte {
	if err := c.Validate(); err != nil {
		panic("card: CAVV.Append of an invalid CAVV: " + err.Error())
	}
	out := c.Output.Reveal()
	var b [CAVVLen]byte
	b[0] = c.AuthResultsCode
	packBCD(b[1:2], c.SecondFactorCode)
	packBCD(b[2:3], c.KeyIndicator)
	b[3] = out[0] - '0'
	packBCD(b[4:5], out[1:])
	packBCD(b[5:7], c.ATN[12:])
	packBCD(b[7:15], c.ATN)
	b[15] = c.Version<<4 | c.Action
	copy(b[16:], c.IP[:])
	dst = append(dst, b[:]...)
	clear(b[:])
	return dst
}

// DecodeCAVV decodes a CAVV as sent in 3-D Secure and authorisation
// messages: 40 hex digits (either case) or base64 (RFC 4648 standard or URL
// alphabet, padded or not) of exactly 20 bytes. It returns the raw bytes for
// ParseCAVV. Non-canonical base64 (non-zero unused bits) is refused. The
// error is a *FieldError (errors.Is ErrCAVV) naming the encoding.
func DecodeCAVV(s string) ([]byte, error) {
	b, ok := decode20(s)
	if !ok {
		return nil, cavvError("encoding", "must be 40 hex digits or the base64 of 20 bytes")
	}
	return b, nil
}

// CAVVInput returns the CVV-algorithm inputs that stand for a Visa CAVV
// (CAVV algorithm 2, "CVV with ATN"; Visa tables D-2 to D-7, as transcribed
// by pablom/go-cavv): the PAN right-justified and zero-padded on the left to
// 16 digits, or its rightmost 16 digits when longer; in the expiry slot the
// last four ATN digits; in the service-code slot the authentication results
// code followed by the second factor code. With these a host verifies a CAVV
// through the payShield CY command (CVV = c.Output, CVK = the CAVV key
// pair), or generates its output with CW.
//
// This is the normalisation of the Visa text and of our host-command
// contract. jPOS (calculateCAVVImpl) passes a PAN shorter than 16 digits
// unpadded; both agree for PANs of 16 digits or more.
//
// pan is 1 to 19 digits (ErrPAN); c's results code, second factor code and
// ATN must be valid (*FieldError); its other fields are not used.
func CAVVInput(pan string, c CAVV) (pan16, expiry, serviceCode string, err error) {
	if err := checkCAVVInput(pan, c); err != nil {
		return "", "", "", err
	}
	if len(pan) >= 16 {
		pan16 = pan[len(pan)-16:]
	} else {
		pan16 = "0000000000000000"[:16-len(pan)] + pan
	}
	sc := [3]byte{'0' + c.AuthResultsCode, c.SecondFactorCode[0], c.SecondFactorCode[1]}
	return pan16, c.ATN[12:], string(sc[:]), nil
}

func checkCAVVInput(pan string, c CAVV) error {
	if !validPAN(pan) {
		return ErrPAN
	}
	return c.checkInput()
}

// CAVVValue returns the 3-digit CAVV output for pan and c under k, a Visa
// CAVV key pair: the CVV algorithm over the inputs of CAVVInput. c.Output,
// c.KeyIndicator, the version, action and IP are not used, so an ACS can
// fill c.Output with the result and Append the CAVV.
func (k *CVK) CAVVValue(pan string, c CAVV) (string, error) {
	v, err := k.cavv(pan, c)
	if err != nil {
		return "", err
	}
	return string(v[:]), nil
}

// VerifyCAVV reports whether c.Output is the CAVV output for pan and c under
// the CAVV key pair k, comparing in constant time
// (crypto/subtle.ConstantTimeCompare). A mismatch is ok == false with a nil
// error; a bad PAN is ErrPAN and a bad field of c a *FieldError.
func (k *CVK) VerifyCAVV(pan string, c CAVV) (bool, error) {
	v, err := k.cavv(pan, c)
	if err != nil {
		return false, err
	}
	out := c.Output.Reveal()
	if len(out) != ValueLen || !isDigits(out) {
		return false, cavvError("output", "must be 3 digits")
	}
	return subtle.ConstantTimeCompare(v[:], []byte(out)) == 1, nil
}

// cavv packs the CAVVInput substitution straight into the CVV block.
func (k *CVK) cavv(pan string, c CAVV) ([ValueLen]byte, error) {
	if err := checkCAVVInput(pan, c); err != nil {
		return [ValueLen]byte{}, err
	}
	var d digitBlock
	d.putPAN16(pan)
	d.put(c.ATN[12:])
	d.nibble(c.AuthResultsCode)
	d.put(c.SecondFactorCode)
	return k.value(&d.b), nil
}

// ResultsCode returns the CAVV authentication results code for a 3-D Secure
// transaction status (Visa table D-2): Y (authenticated) → 0, A (attempt) →
// 7, U (could not be performed) → 5, N (failed) and R (rejected) → 9. Other
// statuses (C, D, I, …) have no code: ErrTransStatus.
func ResultsCode(transStatus byte) (byte, error) {
	switch transStatus {
	case 'Y':
		return 0, nil
	case 'A':
		return 7, nil
	case 'U':
		return 5, nil
	case 'N', 'R':
		return 9, nil
	}
	return 0, ErrTransStatus
}

// putPAN16 puts the PAN normalised to 16 digits as in CAVVInput: the
// rightmost 16 digits, or the PAN after 16-len(pan) zero nibbles.
func (d *digitBlock) putPAN16(pan string) {
	if len(pan) >= 16 {
		d.put(pan[len(pan)-16:])
		return
	}
	d.n += 16 - len(pan) // the block is zero: skipping writes zeros
	d.put(pan)
}

// isBCD reports whether every nibble of b is a decimal digit.
func isBCD(b []byte) bool {
	for _, v := range b {
		if v>>4 > 9 || v&0x0F > 9 {
			return false
		}
	}
	return true
}

// unpackBCD writes the last len(dst) nibbles of b to dst as ASCII digits.
func unpackBCD(dst, b []byte) {
	skip := 2*len(b) - len(dst)
	for i := range dst {
		n := skip + i
		v := b[n>>1]
		if n&1 == 0 {
			v >>= 4
		}
		dst[i] = '0' + v&0x0F
	}
}

// packBCD packs the 2*len(dst) ASCII digits of s into dst.
func packBCD(dst []byte, s string) {
	for i := range dst {
		dst[i] = (s[2*i]-'0')<<4 | (s[2*i+1] - '0')
	}
}
