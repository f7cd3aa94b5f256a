package emv

import (
	"crypto/cipher"
	"crypto/sha1"
	"errors"

	"github.com/payhsm/payhsm-gw/internal/decimalize"
	"github.com/payhsm/payhsm-gw/mac"
)

// Option selects the ICC master key derivation method of EMV 4.3 Book 2
// Annex A1.4.
type Option byte

const (
	// OptionA derives from the right-most 16 digits of PAN || PSN (A1.4.1).
	OptionA Option = 'A'
	// OptionB hashes PAN || PSN with SHA-1 when the PAN has more than 16
	// digits (A1.4.2); for shorter PANs it is option A.
	OptionB Option = 'B'
)

// String returns "A" or "B".
func (o Option) String() string {
	switch o {
	case OptionA, OptionB:
		return string(rune(o))
	}
	return "Option(?)"
}

// errBlockSize is returned when an issuer master key is not a 64-bit block
// cipher.
var errBlockSize = errors.New("emv: issuer master key must be a Triple DES (64-bit block) cipher")

// DeriveICCMK derives the ICC master key from the issuer master key imk (a
// Triple DES cipher.Block) with option A or B of EMV 4.3 Book 2 A1.4. An
// empty psn means "00". The result is adjusted to odd parity (ours: the
// public record leaves this open; PYEMV and JPOS adjust, and DES ignores
// parity, so session keys and cryptograms are the same either way).
func DeriveICCMK(imk cipher.Block, pan, psn string, opt Option) (Key, error) {
	if imk.BlockSize() != 8 {
		return Key{}, errBlockSize
	}
	y, err := cardY(pan, psn, opt)
	if err != nil {
		return Key{}, err
	}
	return deriveFromY(imk, &y), nil
}

// cardY validates pan and psn and returns Y of A1.4.1 (option A) or A1.4.2
// (option B).
func cardY(pan, psn string, opt Option) ([8]byte, error) {
	var y [8]byte
	psn, err := checkPANPSN(pan, psn)
	if err != nil {
		return y, err
	}
	switch {
	case opt == OptionA || (opt == OptionB && len(pan) <= 16):
		packRight(&y, pan, psn)
	case opt == OptionB:
		y = optionBY(pan, psn)
	default:
		return y, errors.New("emv: derivation option must be A or B")
	}
	return y, nil
}

// DeriveICCMKFromBlock derives the ICC master key with option A from the
// 8-byte PAN/PSN block Y as carried by payShield KQ and KW (see
// PANPSNBlock). The block must be BCD.
func DeriveICCMKFromBlock(imk cipher.Block, y [8]byte) (Key, error) {
	if imk.BlockSize() != 8 {
		return Key{}, errBlockSize
	}
	if _, err := PANPSNDigits(y); err != nil {
		return Key{}, err
	}
	return deriveFromY(imk, &y), nil
}

// optionBY computes Y of option B: SHA-1 over PAN || PSN packed as BCD (a
// leading 0 when the digit count is odd), Visa-decimalised to 16 digits.
func optionBY(pan, psn string) [8]byte {
	var x [11]byte // up to 21 digits
	n := len(pan) + len(psn)
	nb := (n + 1) / 2
	i := 2*nb - n // start nibble: 1 when a leading 0 pads an odd count
	for _, s := range [2]string{pan, psn} {
		for k := 0; k < len(s); k++ {
			d := s[k] - '0'
			if i%2 == 0 {
				x[i/2] = d << 4
			} else {
				x[i/2] |= d
			}
			i++
		}
	}
	h := sha1.Sum(x[:nb])
	var digits [16]byte
	decimalize.Visa(digits[:0], h[:], 16)
	var y [8]byte
	for k := range y {
		y[k] = (digits[2*k]-'0')<<4 | (digits[2*k+1] - '0')
	}
	return y
}

// deriveFromY is A1.4.1 steps 3-4: ZL = E(Y), ZR = E(Y XOR FF..FF), odd parity.
func deriveFromY(imk cipher.Block, y *[8]byte) Key {
	var k Key
	deriveInto(imk, y[:], k[:])
	return k
}

// deriveInto writes the ICC master key for the 8-byte y into out[:16]. It
// uses no other memory, so a caller that owns heap scratch space (Keys)
// derives without allocating.
func deriveInto(imk cipher.Block, y, out []byte) {
	for i := range 8 {
		out[8+i] = ^y[i]
	}
	imk.Encrypt(out[:8], y[:8])
	imk.Encrypt(out[8:16], out[8:16])
	oddParity(out[:16])
}

// ACDiversifier returns R = ATC || 00 00 00 00 00 00, the diversifier of the
// EMV common session key for application cryptograms (EMV 4.3 Book 2
// A1.3.1).
func ACDiversifier(atc [2]byte) [8]byte {
	return [8]byte{atc[0], atc[1]}
}

// CommonSessionKey derives the EMV common session key (EMV 4.3 Book 2
// A1.3.1) from the ICC master key mk and the 8-byte diversifier r:
// SKL = TDES_MK(R with byte 2 set to F0), SKR = TDES_MK(R with byte 2 set to
// 0F), odd parity. For application cryptograms R = ACDiversifier(ATC); for
// secure messaging R = the ARQC.
func CommonSessionKey(mk Key, r [8]byte) Key {
	var c mac.Retail
	c.SetKey(mk[:]) // 16 bytes: cannot fail
	sk := commonSK(c.Block(), r)
	c.Clear()
	return sk
}

func commonSK(mk cipher.Block, r [8]byte) Key {
	var sk Key
	commonSKInto(mk, &r, sk[:])
	return sk
}

// commonSKInto writes the common session key for r into out[:16]; r is
// used as scratch.
func commonSKInto(mk cipher.Block, r *[8]byte, out []byte) {
	copy(out[:8], r[:])
	copy(out[8:16], r[:])
	out[2], out[10] = 0xF0, 0x0F
	mk.Encrypt(out[:8], out[:8])
	mk.Encrypt(out[8:16], out[8:16])
	oddParity(out[:16])
}

// mcDiversifier returns ATC || 00 00 || UN, the Mastercard SKD diversifier.
func mcDiversifier(atc [2]byte, un [4]byte) [8]byte {
	return [8]byte{atc[0], atc[1], 0, 0, un[0], un[1], un[2], un[3]}
}

// MastercardSessionKey derives the Mastercard proprietary session key (M/Chip
// "MC SKD", used by CVN 16/17 and payShield KQ scheme 1): the common session
// key construction with R = ATC || 00 00 || UN, UN being the unpredictable
// number (tag 9F37).
func MastercardSessionKey(mk Key, atc [2]byte, un [4]byte) Key {
	return CommonSessionKey(mk, mcDiversifier(atc, un))
}

// VisaSMSessionKey derives the Visa secure-messaging session key (Visa CVN
// 10/18 issuer scripts; payment-crypto.md §5.3 after PYEMV kd.py): no encryption,
// SKL = MK_L XOR (00..00 || ATC), SKR = MK_R XOR (00..00 || ATC XOR FFFF),
// odd parity.
func VisaSMSessionKey(mk Key, atc [2]byte) Key {
	sk := mk
	sk[6] ^= atc[0]
	sk[7] ^= atc[1]
	sk[14] ^= ^atc[0]
	sk[15] ^= ^atc[1]
	oddParity(sk[:])
	return sk
}
