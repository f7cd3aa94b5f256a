// Package redact keeps secrets out of text: a string type that never prints
// its value, and the PAN mask used by logs and the audit trail.
package redact

import (
	"fmt"
	"log/slog"
)

// Placeholder is what a redacted value prints as.
const Placeholder = "[REDACTED]"

// String holds a secret value (a PIN block, a CVV, a cryptogram, a key under
// the LMK) that must not reach a log line. It prints, formats, logs and
// marshals as Placeholder; Reveal returns the value for the code that needs it.
// It unmarshals from JSON normally, so request structs can use it directly.
type String string

// Reveal returns the secret value.
func (s String) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (String) String() string { return Placeholder }

// GoString implements fmt.GoStringer.
func (String) GoString() string { return Placeholder }

// Format implements fmt.Formatter so that no verb (%d, %x, %#v) bypasses String.
func (String) Format(f fmt.State, _ rune) { f.Write([]byte(Placeholder)) }

// LogValue implements slog.LogValuer.
func (String) LogValue() slog.Value { return slog.StringValue(Placeholder) }

// MarshalJSON implements json.Marshaler.
func (String) MarshalJSON() ([]byte, error) { return []byte(`"` + Placeholder + `"`), nil }

// MaskPAN returns pan with all but its first six and last four characters
// replaced by '*' (PCI DSS 3.4 display rule). Values of ten characters or
// fewer are masked whole, since showing 6+4 of them would show everything.
func MaskPAN(pan string) string {
	if len(pan) <= 10 {
		b := make([]byte, len(pan))
		for i := range b {
			b[i] = '*'
		}
		return string(b)
	}
	b := []byte(pan)
	for i := 6; i < len(b)-4; i++ {
		b[i] = '*'
	}
	return string(b)
}
