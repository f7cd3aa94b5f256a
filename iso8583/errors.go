package iso8583

import (
	"errors"
	"fmt"
)

// Errors of Pack and Unpack, wrapped in a *FieldError naming the field.
var (
	ErrTruncated    = errors.New("message cut short")
	ErrLength       = errors.New("length does not fit the spec")
	ErrCharacter    = errors.New("character not allowed by the field type")
	ErrBitmap       = errors.New("invalid bitmap")
	ErrUnknownField = errors.New("field not defined by the spec")
	ErrTLV          = errors.New("invalid BER-TLV data")
	ErrMTI          = errors.New("MTI must be 4 digits")
	ErrTrailing     = errors.New("data after the last field")
	ErrSpec         = errors.New("invalid spec")
)

// FieldError locates an error in one field. Field 0 is the MTI and field 1
// the bitmaps (the numbering of moov-io/iso8583); Field -1 is the message as
// a whole. The text names the field and gives lengths or offsets, never a
// value.
type FieldError struct {
	Field  int
	Err    error  // one of the Err* values, or an *emv.TLVError for tlv fields
	Detail string // what was wrong, without data, e.g. "length 20, maximum 19"
}

// Error implements error: "field 52: length 7, want 8".
func (e *FieldError) Error() string {
	what := e.Detail
	if what == "" {
		what = e.Err.Error()
	}
	if e.Field < 0 {
		return "iso8583: " + what
	}
	return fmt.Sprintf("field %d: %s", e.Field, what)
}

// Unwrap returns the Err* value, for errors.Is.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(n int, err error, format string, args ...any) *FieldError {
	return &FieldError{Field: n, Err: err, Detail: fmt.Sprintf(format, args...)}
}
