package pin

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/payhsm/payhsm-gw/internal/redact"
)

// Shortest and longest PIN, ISO 9564-1 (and payShield error 24 outside).
const (
	MinLen = 4
	MaxLen = 12
)

// PIN is a clear PIN of 4 to 12 decimal digits. It is a value (no pointers,
// no heap) that redacts itself: String, GoString, every fmt verb, slog and
// JSON show "[REDACTED]". The zero PIN has no digits and is refused by every
// function that takes a PIN.
//
// A PIN held in an unexported field of another struct is printed by fmt with
// reflection, bypassing its methods; keep PINs in local variables.
type PIN struct {
	d [MaxLen]byte // ASCII digits; unused bytes are zero
	n uint8
}

// ParsePIN returns the PIN with the given decimal digits. A PIN shorter than
// 4 or longer than 12 digits gives an error wrapping ErrPINLength (it is
// never truncated); a character other than 0-9, ErrPINDigits.
func ParsePIN(digits string) (PIN, error) {
	return parsePIN(digits)
}

// ParsePINBytes is ParsePIN for a byte slice, as read off the wire.
func ParsePINBytes(digits []byte) (PIN, error) {
	return parsePIN(digits)
}

func parsePIN[S ~string | ~[]byte](digits S) (PIN, error) {
	var p PIN
	if len(digits) < MinLen || len(digits) > MaxLen {
		return p, errPINLength
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			clear(p.d[:])
			return PIN{}, errPINDigits
		}
		p.d[i] = c
	}
	p.n = uint8(len(digits))
	return p, nil
}

// Len returns the number of digits, 0 for the zero PIN.
func (p PIN) Len() int { return int(p.n) }

// AppendDigits appends the PIN's ASCII digits to dst and returns the
// extended slice. It is the one way to read the clear PIN.
func (p PIN) AppendDigits(dst []byte) []byte { return append(dst, p.d[:p.n]...) }

// Equal reports whether p and o are the same PIN, in time that does not
// depend on the digits (crypto/subtle.ConstantTimeCompare).
func (p PIN) Equal(o PIN) bool {
	return subtle.ConstantTimeCompare(p.d[:], o.d[:])&subtle.ConstantTimeByteEq(p.n, o.n) == 1
}

// digit returns the value (0-9) of digit i.
func (p *PIN) digit(i int) byte { return p.d[i] - '0' }

// wipe clears the digits (best effort: the compiler may have copied them).
func (p *PIN) wipe() {
	clear(p.d[:])
	p.n = 0
}

// String implements fmt.Stringer; it never shows the digits.
func (PIN) String() string { return redact.Placeholder }

// GoString implements fmt.GoStringer; it never shows the digits.
func (PIN) GoString() string { return redact.Placeholder }

// Format implements fmt.Formatter so that no verb (%d, %x, %#v) shows the
// digits.
func (PIN) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redact.Placeholder)) }

// LogValue implements slog.LogValuer.
func (PIN) LogValue() slog.Value { return slog.StringValue(redact.Placeholder) }

// MarshalJSON implements json.Marshaler; the digits never reach JSON.
func (PIN) MarshalJSON() ([]byte, error) { return []byte(`"` + redact.Placeholder + `"`), nil }

var (
	_ fmt.Stringer   = PIN{}
	_ fmt.GoStringer = PIN{}
	_ fmt.Formatter  = PIN{}
	_ slog.LogValuer = PIN{}
	_ json.Marshaler = PIN{}
)
