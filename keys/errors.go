package keys

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Callers match them with errors.Is; the errors this package
// returns may wrap them with context (the key type, the scheme), never with a
// key, PIN or cryptogram.
var (
	// ErrKeyLength reports a key or cryptogram whose length does not fit
	// the algorithm or key scheme.
	ErrKeyLength = errors.New("keys: invalid key length")
	// ErrParity reports a key that is not odd parity after decryption under
	// the LMK (payShield error 10 for the first key of a command, 11 for the
	// second).
	ErrParity = errors.New("keys: key parity error")
	// ErrKeyType reports a key type code that is not a variant digit 0-9
	// followed by a pair code 00..0E.
	ErrKeyType = errors.New("keys: invalid key type")
	// ErrScheme reports an unknown key scheme.
	ErrScheme = errors.New("keys: invalid key scheme")
	// ErrPINUnderLMK reports a PIN under the LMK that does not decrypt: wrong
	// length, a non-digit, a check digit that does not match (a corrupted
	// value or the wrong account) (payShield error 14).
	ErrPINUnderLMK = errors.New("keys: invalid PIN under LMK")
	// ErrPINLength reports a clear PIN of fewer than 4 or more than 12
	// digits (payShield error 24).
	ErrPINLength = errors.New("keys: PIN length outside 4..12")
	// ErrPINFormat reports a clear PIN with a character other than 0-9.
	ErrPINFormat = errors.New("keys: PIN has a non-digit character")
	// ErrAccount reports an account field that is not 12 decimal digits.
	ErrAccount = errors.New("keys: account field is not 12 digits")
)

// LMKFileError describes a problem in an LMK file read by ParseLMK. It names
// the line (1-based; 0 for a problem with the file as a whole, such as a
// missing pair) and never carries key material or the line's text.
type LMKFileError struct {
	Line   int    // 1-based; 0 for the file as a whole
	Reason string // what is wrong, naming the field and at most the pair
	Err    error  // a sentinel the problem also matches (ErrParity), or nil
}

// Unwrap returns e.Err.
func (e *LMKFileError) Unwrap() error { return e.Err }

// Error implements error.
func (e *LMKFileError) Error() string {
	if e.Line == 0 {
		return "keys: LMK file: " + e.Reason
	}
	return "keys: LMK file line " + strconv.Itoa(e.Line) + ": " + e.Reason
}

// contextError adds a short context phrase to a sentinel without repeating
// the package prefix: "keys: decrypting key type 002 scheme U: key parity
// error".
type contextError struct {
	ctx string
	err error
}

func (e *contextError) Error() string {
	return "keys: " + e.ctx + ": " + strings.TrimPrefix(e.err.Error(), "keys: ")
}

func (e *contextError) Unwrap() error { return e.err }

// keyError wraps err with the operation, key type and scheme.
func keyError(op string, kt KeyType, s Scheme, err error) error {
	return &contextError{ctx: op + " key type " + kt.String() + " scheme " + s.String(), err: err}
}
