package card

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"fmt"
	"log/slog"

	"github.com/payhsm/payhsm-gw/internal/decimalize"
	"github.com/payhsm/payhsm-gw/internal/redact"
)

// Field lengths of the CVV family.
const (
	// MaxPANLen is the longest PAN accepted (ISO/IEC 7812-1; the payShield
	// CW/CY PAN field is up to 19 digits).
	MaxPANLen = 19
	// ValueLen is the number of digits of a CVV, CVC, CVV2, iCVV or CAVV
	// output.
	ValueLen = 3
)

// Service codes that select the CVV variants (the scheme conventions that
// payShield CW/CY hosts follow).
const (
	// ServiceCodeCVV2 replaces the card's service code for CVV2 and CVC2.
	ServiceCodeCVV2 = "000"
	// ServiceCodeICVV replaces it for the iCVV on the chip's track 2
	// equivalent data.
	ServiceCodeICVV = "999"
)

// CVK is a card verification key pair KA‖KB (two single-length DES keys, or
// one double-length key read as its two halves) with its key schedules
// prepared, ready to compute CVVs, CVCs and Visa CAVV outputs. A CVK is
// immutable and safe for concurrent use. Its key material is secret and it
// never prints it.
type CVK struct {
	a, b cipher.Block // single DES under KA and under KB
}

// NewCVK returns the CVK for a 16-byte key KA‖KB. The key bytes are not
// kept (only the DES key schedules) and their parity is not checked.
func NewCVK(key []byte) (*CVK, error) {
	if len(key) != 16 {
		return nil, ErrKey
	}
	return NewCVKPair(key[:8], key[8:])
}

// NewCVKPair returns the CVK for two 8-byte single-length keys KA and KB
// (the payShield "CVK A / CVK B" pair). The key bytes are not kept.
func NewCVKPair(a, b []byte) (*CVK, error) {
	if len(a) != 8 || len(b) != 8 {
		return nil, ErrKey
	}
	ca, err := des.NewCipher(a)
	if err != nil {
		return nil, ErrKey
	}
	cb, err := des.NewCipher(b)
	if err != nil {
		return nil, ErrKey
	}
	return &CVK{a: ca, b: cb}, nil
}

// String implements fmt.Stringer: a CVK prints as redact.Placeholder.
func (CVK) String() string { return redact.Placeholder }

// GoString implements fmt.GoStringer.
func (CVK) GoString() string { return redact.Placeholder }

// Format implements fmt.Formatter so that no verb shows the key schedules.
func (CVK) Format(f fmt.State, _ rune) { f.Write([]byte(redact.Placeholder)) }

// LogValue implements slog.LogValuer.
func (CVK) LogValue() slog.Value { return slog.StringValue(redact.Placeholder) }

// MarshalJSON implements json.Marshaler: a CVK marshals as the placeholder,
// like every other type here that holds a secret.
func (CVK) MarshalJSON() ([]byte, error) { return []byte(`"` + redact.Placeholder + `"`), nil }

// Generate returns the 3-digit Visa CVV / Mastercard CVC of a card: the
// published Visa CVV algorithm over PAN ‖ expiry ‖ service code, as the
// payShield CW command computes it. Pass ServiceCodeCVV2 for a CVV2/CVC2 and
// ServiceCodeICVV for an iCVV. pan is 1 to 19 digits, expiry 4 digits in
// the issuer's order, serviceCode 3 digits; otherwise the error is ErrPAN,
// ErrExpiry or ErrServiceCode.
func (k *CVK) Generate(pan, expiry, serviceCode string) (string, error) {
	v, err := k.cvv(pan, expiry, serviceCode)
	if err != nil {
		return "", err
	}
	return string(v[:]), nil
}

// Verify reports whether value is the CVV (CVC, CVV2, iCVV) of the card, as
// the payShield CY command does. The comparison is constant time
// (crypto/subtle.ConstantTimeCompare). A mismatch is ok == false with a nil
// error; malformed input gives ErrPAN, ErrExpiry, ErrServiceCode or ErrValue
// (value not 3 digits), checked in that order.
func (k *CVK) Verify(pan, expiry, serviceCode, value string) (bool, error) {
	v, err := k.cvv(pan, expiry, serviceCode)
	if err != nil {
		return false, err
	}
	if len(value) != ValueLen || !isDigits(value) {
		return false, ErrValue
	}
	return subtle.ConstantTimeCompare(v[:], []byte(value)) == 1, nil
}

// cvv checks the three inputs and runs the CVV algorithm over them.
func (k *CVK) cvv(pan, expiry, serviceCode string) ([ValueLen]byte, error) {
	if err := checkCVVInput(pan, expiry, serviceCode); err != nil {
		return [ValueLen]byte{}, err
	}
	var d digitBlock
	d.put(pan)
	d.put(expiry)
	d.put(serviceCode)
	return k.value(&d.b), nil
}

func checkCVVInput(pan, expiry, serviceCode string) error {
	switch {
	case !validPAN(pan):
		return ErrPAN
	case len(expiry) != 4 || !isDigits(expiry):
		return ErrExpiry
	case len(serviceCode) != 3 || !isDigits(serviceCode):
		return ErrServiceCode
	}
	return nil
}

// value runs the CVV algorithm over the packed input D (32 digits, zero
// padded on the right) and returns the three decimal digits:
// X = DES_KA(B1) XOR B2; Y = E_KA(D_KB(E_KA(X))); Visa-decimalise Y and keep
// the leftmost three digits (reference payment-crypto.md §4). Y holds 16 nibbles,
// so decimalisation always yields at least three digits.
func (k *CVK) value(d *[16]byte) [ValueLen]byte {
	// One array for the input and the working block: whatever goes through
	// the cipher.Block interface escapes, so keep it to one allocation.
	var w [24]byte
	copy(w[:16], d[:])
	x := w[16:24]
	k.a.Encrypt(x, w[:8])
	subtle.XORBytes(x, x, w[8:16])
	k.a.Encrypt(x, x)
	k.b.Decrypt(x, x)
	k.a.Encrypt(x, x)
	var out [ValueLen]byte
	decimalize.Visa(out[:0], x, ValueLen)
	clear(w[:])
	return out
}

// digitBlock packs decimal digits two per byte, high nibble first, into the
// 16-byte CVV input; unused nibbles stay zero (the algorithm's padding).
// Callers check that the digits fit (at most 32).
type digitBlock struct {
	b [16]byte
	n int // nibbles written
}

func (d *digitBlock) put(s string) {
	for i := 0; i < len(s); i++ {
		d.nibble(s[i] - '0')
	}
}

func (d *digitBlock) nibble(v byte) {
	if d.n&1 == 0 {
		d.b[d.n>>1] = v << 4
	} else {
		d.b[d.n>>1] |= v
	}
	d.n++
}

// isDigits reports whether s is non-empty and all ASCII decimal digits.
func isDigits(s string) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validPAN(pan string) bool {
	return len(pan) <= MaxPANLen && isDigits(pan)
}

// Kind is a member of the CVV family. The kinds differ only in the service
// code fed to the algorithm.
type Kind uint8

// The kinds, named as in the REST API (/v1/card/generate, /v1/card/verify).
const (
	CVV  Kind = iota + 1 // CVV / CVC (CVV1) over the card's own service code
	CVV2                 // CVV2 / CVC2, service code ServiceCodeCVV2
	ICVV                 // iCVV, service code ServiceCodeICVV
)

// ParseKind returns the Kind for its REST name: "cvv", "cvv2" or "icvv"
// (exact, lower case (ours)); anything else is ErrKind.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "cvv":
		return CVV, nil
	case "cvv2":
		return CVV2, nil
	case "icvv":
		return ICVV, nil
	}
	return 0, ErrKind
}

// String returns the REST name of k, or "unknown".
func (k Kind) String() string {
	switch k {
	case CVV:
		return "cvv"
	case CVV2:
		return "cvv2"
	case ICVV:
		return "icvv"
	}
	return "unknown"
}

// ServiceCode returns the service code the algorithm uses for kind k: given
// (the card's service code) for CVV, ServiceCodeCVV2 for CVV2,
// ServiceCodeICVV for ICVV, and "" for an unknown kind. It does not check
// given; Generate and Verify do.
func (k Kind) ServiceCode(given string) string {
	switch k {
	case CVV:
		return given
	case CVV2:
		return ServiceCodeCVV2
	case ICVV:
		return ServiceCodeICVV
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler with the REST name.
func (k Kind) MarshalText() ([]byte, error) {
	if k < CVV || k > ICVV {
		return nil, ErrKind
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (see ParseKind).
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}
