package dukpt

import (
	"fmt"
	"strings"

	"github.com/payhsm/payhsm-gw/internal/hexdigit"
)

// KSNDescriptor is the 3-hex-digit KSN descriptor that payShield's DUKPT
// commands (CI, G0) send before the KSN. The public record has two
// readings (docs/reference/dukpt.md):
//
//   - XYZ, which this package follows and always writes: X is the length
//     of the base derivation key ID, Y of the sub-key (0 in every example
//     seen), Z of the device ID, all in hex digits; the counter takes the
//     5 digits that follow, so the KSN proper has X+Y+Z+5 digits. "605" is
//     a 16-digit KSN (6-digit BDK ID, 5-digit device ID), "A05" the full
//     20-digit ANSI layout (10-digit key set ID, 5-digit device ID).
//   - a key type digit then the KSN length in hex digits, as a hex byte:
//     "014" (20 digits) and "018" (24 digits), read from one proxy that was
//     tested against a cloud HSM service, not a payShield. Under XYZ both
//     would have a sub-key length of 1, which no example uses, so
//     ParseKSNDescriptor accepts exactly these two as the length reading:
//     "014" means the same as "A05", and "018" marks an AES DUKPT KSN of
//     24 digits (that use is ours: no public source shows how payShield
//     describes an AES KSN).
//
// On the wire the TDES KSN field is always 20 hex digits (ThalesSim; ours
// where the manual's "12-20H" suggests otherwise): a KSN proper of fewer
// digits is right-justified and left-padded with F, as terminals send it.
// The AES KSN field is 24 hex digits.
type KSNDescriptor struct {
	// BDKIDLen is X, the hex digits of the base derivation key ID.
	BDKIDLen int
	// SubKeyLen is Y; always 0 here.
	SubKeyLen int
	// DeviceIDLen is Z, the hex digits of the device ID.
	DeviceIDLen int
	// AES marks the AES DUKPT descriptor "018" (ours).
	AES bool
}

// ParseKSNDescriptor parses a KSN descriptor: three hex digits XYZ with
// Y = 0 and X+Z+5 at most 20, or the length reading "014" or "018" (see
// KSNDescriptor). Anything else gives an error wrapping ErrDescriptor.
func ParseKSNDescriptor(s string) (KSNDescriptor, error) {
	if len(s) != 3 {
		return KSNDescriptor{}, fmt.Errorf("%w: %d characters, want 3 hex digits", ErrDescriptor, len(s))
	}
	var n [3]int
	for i := range 3 {
		v, ok := hexdigit.Value(s[i])
		if !ok {
			return KSNDescriptor{}, fmt.Errorf("%w: character %d is not hex", ErrDescriptor, i+1)
		}
		n[i] = int(v)
	}
	switch s {
	case "014":
		return KSNDescriptor{BDKIDLen: 10, DeviceIDLen: 5}, nil
	case "018":
		return KSNDescriptor{AES: true}, nil
	}
	d := KSNDescriptor{BDKIDLen: n[0], SubKeyLen: n[1], DeviceIDLen: n[2]}
	if d.SubKeyLen != 0 {
		return KSNDescriptor{}, fmt.Errorf("%w: sub-key length %d, only 0 is supported", ErrDescriptor, d.SubKeyLen)
	}
	if d.KSNLen() > 20 {
		return KSNDescriptor{}, fmt.Errorf("%w: describes a %d-digit KSN, at most 20", ErrDescriptor, d.KSNLen())
	}
	return d, nil
}

// KSNLen returns the hex digits of the KSN proper: X+Y+Z+5, or 24 for AES.
func (d KSNDescriptor) KSNLen() int {
	if d.AES {
		return 24
	}
	return d.BDKIDLen + d.SubKeyLen + d.DeviceIDLen + 5
}

// FieldLen returns the length in hex digits of the KSN field that follows
// the descriptor on the wire: 20 for TDES (the KSN left-padded with F), 24
// for AES.
func (d KSNDescriptor) FieldLen() int {
	if d.AES {
		return 24
	}
	return 20
}

// String returns the descriptor as written on the wire: XYZ in upper-case
// hex ("605", "A05"), or "018" for AES.
func (d KSNDescriptor) String() string {
	if d.AES {
		return "018"
	}
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[d.BDKIDLen&0xF], digits[d.SubKeyLen&0xF], digits[d.DeviceIDLen&0xF]})
}

// ParseTDES parses the 20-hex-digit KSN field of a TDES descriptor: the
// digits left of the KSN proper must be F. Errors wrap ErrDescriptor (an
// AES descriptor, non-F padding) or those of ParseKSN.
func (d KSNDescriptor) ParseTDES(field string) (KSN, error) {
	if d.AES {
		return KSN{}, fmt.Errorf("%w: AES descriptor for a TDES KSN", ErrDescriptor)
	}
	k, err := ParseKSN(field)
	if err != nil {
		return KSN{}, err
	}
	pad := 20 - d.KSNLen()
	if pad > 0 && strings.TrimLeft(field[:pad], "Ff") != "" {
		return KSN{}, fmt.Errorf("%w: descriptor %s leaves %d padding digits, and they are not all F", ErrDescriptor, d, pad)
	}
	return k, nil
}

// ParseAES parses the 24-hex-digit KSN field of the AES descriptor. Errors
// wrap ErrDescriptor (a TDES descriptor) or those of ParseAESKSN.
func (d KSNDescriptor) ParseAES(field string) (AESKSN, error) {
	if !d.AES {
		return AESKSN{}, fmt.Errorf("%w: TDES descriptor %s for an AES KSN", ErrDescriptor, d)
	}
	return ParseAESKSN(field)
}

// BDKID returns the base derivation key ID that d marks out in k, in
// upper-case hex (for choosing the BDK; not secret): the X digits after
// the F padding. For AES it is the left 8 digits of the initial key ID;
// use AESKSN.InitialKeyID for an AES KSN.
func (d KSNDescriptor) BDKID(k KSN) string {
	if d.AES {
		return ""
	}
	s := k.String()
	start := 20 - d.KSNLen()
	return s[start : start+d.BDKIDLen]
}
