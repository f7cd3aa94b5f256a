package pin

import "strconv"

// Format is a PIN block format. The ISO formats have the value of their ISO
// 9564-1 format number, so ISO0 is 0 and ISO4 is 4.
type Format int

const (
	// ISO0 is ISO 9564-1 format 0 (ANSI X9.8, Visa-1): control 0, length,
	// PIN, F fill, XORed with the account field. 8 bytes.
	ISO0 Format = iota
	// ISO1 is ISO 9564-1 format 1: control 1, length, PIN, random fill;
	// not bound to an account. 8 bytes.
	ISO1
	// ISO2 is ISO 9564-1 format 2 (ICC offline PIN): control 2, length,
	// PIN, F fill; not bound to an account. 8 bytes.
	ISO2
	// ISO3 is ISO 9564-1 format 3: as format 0 with control 3 and random
	// fill from A-F. 8 bytes.
	ISO3
	// ISO4 is ISO 9564-1 format 4: a 16-byte PIN field and a 16-byte PAN
	// field under AES with two-step encipherment. 16 bytes.
	ISO4
	// IBM3624 is the IBM 3624 (Diebold) format: the PIN left-justified and
	// padded with F, no length and no account. 8 bytes.
	IBM3624
)

var formatNames = [...]string{
	ISO0:    "ISO0",
	ISO1:    "ISO1",
	ISO2:    "ISO2",
	ISO3:    "ISO3",
	ISO4:    "ISO4",
	IBM3624: "IBM3624",
}

// payShield PIN block format codes (payShield host command manual, PIN block
// formats; docs/spec/hostcmd.md §2).
var payShieldCodes = [...]string{
	ISO0:    "01",
	ISO1:    "05",
	ISO2:    "34",
	ISO3:    "47",
	ISO4:    "48",
	IBM3624: "03",
}

func (f Format) valid() bool { return f >= ISO0 && f <= IBM3624 }

// String returns the format's name: "ISO0" to "ISO4" or "IBM3624", and
// "Format(n)" for a value that is not a format.
func (f Format) String() string {
	if !f.valid() {
		return "Format(" + strconv.Itoa(int(f)) + ")"
	}
	return formatNames[f]
}

// BlockSize returns the length in bytes of a PIN block of format f: 16 for
// ISO4, 8 for the others, 0 for a value that is not a format.
func (f Format) BlockSize() int {
	switch {
	case f == ISO4:
		return 16
	case f.valid():
		return 8
	}
	return 0
}

// PayShieldCode returns the 2-digit payShield PIN block format code of f
// ("01" ISO0, "05" ISO1, "34" ISO2, "47" ISO3, "48" ISO4, "03" IBM3624), or ""
// for a value that is not a format.
func (f Format) PayShieldCode() string {
	if !f.valid() {
		return ""
	}
	return payShieldCodes[f]
}

// ParseFormat returns the format named name, one of the names String
// returns ("ISO0" to "ISO4", "IBM3624"; exact case). Any other name gives an
// error wrapping ErrFormat.
func ParseFormat(name string) (Format, error) {
	for f, n := range formatNames {
		if n == name {
			return Format(f), nil
		}
	}
	return 0, errFormatName
}

// ParsePayShieldCode returns the format of a payShield PIN block format code
// (see PayShieldCode). Any other code, including the payShield formats this
// package does not implement (02 Docutel, 04 PLUS, 35, 41, 42), gives an
// error wrapping ErrFormat (HSM error 23).
func ParsePayShieldCode(code string) (Format, error) {
	for f, c := range payShieldCodes {
		if c == code {
			return Format(f), nil
		}
	}
	return 0, errFormatCode
}
