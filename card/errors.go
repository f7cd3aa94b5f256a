package card

import "errors"

// Input errors of the CVV family. The simulator maps each of them to HSM
// error code 15 (invalid input data).
var (
	// ErrKey reports a CVK that is not 16 bytes (or two 8-byte halves), or
	// an empty HMAC key.
	ErrKey = errors.New("card: key has the wrong length")
	// ErrPAN reports a PAN that is not 1 to 19 decimal digits.
	ErrPAN = errors.New("card: PAN must be 1 to 19 digits")
	// ErrExpiry reports an expiry that is not 4 decimal digits.
	ErrExpiry = errors.New("card: expiry must be 4 digits")
	// ErrServiceCode reports a service code that is not 3 decimal digits.
	ErrServiceCode = errors.New("card: service code must be 3 digits")
	// ErrValue reports a CVV (or CVC2) to verify that is not 3 decimal digits.
	ErrValue = errors.New("card: value must be 3 digits")
	// ErrKind reports a card verification value kind other than cvv, cvv2
	// and icvv.
	ErrKind = errors.New("card: kind must be cvv, cvv2 or icvv")
	// ErrTransStatus reports a 3-D Secure transaction status that has no
	// CAVV authentication results code (Visa table D-2 maps Y, A, U, N, R).
	ErrTransStatus = errors.New("card: transaction status has no authentication results code")
)

// ErrCAVV and ErrAAV match (with errors.Is) every *FieldError about a CAVV
// or an AAV respectively.
var (
	ErrCAVV = errors.New("card: invalid CAVV")
	ErrAAV  = errors.New("card: invalid AAV")
)

// FieldError reports a malformed field of a CAVV or an AAV: its length or
// encoding, or one of its fields. It names the field and never carries a
// value, so it is safe to log and to return to a REST caller.
type FieldError struct {
	Value  string // "CAVV" or "AAV"
	Field  string // e.g. "ATN", "length", "encoding", "control byte"
	Reason string // e.g. "is not BCD"
}

func (e *FieldError) Error() string {
	return "card: " + e.Value + " " + e.Field + " " + e.Reason
}

// Is reports whether target is ErrCAVV (for a CAVV field) or ErrAAV (for an
// AAV field).
func (e *FieldError) Is(target error) bool {
	return (target == ErrCAVV && e.Value == "CAVV") || (target == ErrAAV && e.Value == "AAV")
}

func cavvError(field, reason string) error {
	return &FieldError{Value: "CAVV", Field: field, Reason: reason}
}

func aavError(field, reason string) error {
	return &FieldError{Value: "AAV", Field: field, Reason: reason}
}
