package emv

import (
	"fmt"
	"log/slog"
	"math/bits"
)

// redacted is what a Key prints as.
const redacted = "[REDACTED]"

// Key is a clear double-length Triple DES key (KL || KR): an ICC master key
// or a session key. It formats, logs and marshals as "[REDACTED]"; use
// k[:] for the bytes. Call Clear when done with it.
type Key [16]byte

// String implements fmt.Stringer without revealing the key.
func (Key) String() string { return redacted }

// GoString implements fmt.GoStringer without revealing the key.
func (Key) GoString() string { return redacted }

// Format implements fmt.Formatter so that no verb (%x, %v, %#v) prints the key.
func (Key) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (Key) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler without revealing the key.
func (Key) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Clear overwrites the key with zeros (best effort).
func (k *Key) Clear() { clear(k[:]) }

// oddParity sets the least significant bit of each byte of b so that every
// byte has an odd number of one bits (the DES parity convention; EMV 4.3
// Book 2 A1.4 and A1.3 adjust derived keys this way, as PYEMV and JPOS do).
func oddParity(b []byte) {
	for i, x := range b {
		b[i] = x ^ byte(^bits.OnesCount8(x)&1) // flip bit 0 when the count is even
	}
}
