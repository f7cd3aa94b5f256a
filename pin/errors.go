package pin

import "errors"

// Sentinel errors. Every error this package returns wraps at least one of
// them; test with errors.Is. The HSM error code each one stands for is given
// in the package documentation. Messages never carry a PIN, a PAN, an
// account number or a block.
var (
	// ErrInvalidBlock: a PIN block does not decode (wrong length, control
	// nibble, fill or PIN digits). payShield error 20.
	ErrInvalidBlock = errors.New("pin: invalid PIN block")
	// ErrPINLength: a PIN, or the length a block declares, is outside 4..12
	// digits. payShield error 24.
	ErrPINLength = errors.New("pin: PIN length outside 4 to 12")
	// ErrFormat: a format name, code or value this package does not
	// implement. payShield error 23.
	ErrFormat = errors.New("pin: unsupported PIN block format")
	// ErrPINDigits: a PIN digit is not 0-9. Decoding errors wrap it together
	// with ErrInvalidBlock (payShield 20); ParsePIN returns it alone (15).
	ErrPINDigits = errors.New("pin: PIN digit not decimal")
	// ErrAccount: an account number or PAN is malformed. payShield error 22
	// (or 15).
	ErrAccount = errors.New("pin: invalid account number")
	// ErrDecTable: a decimalisation table is malformed or too weak.
	// payShield error 25 (or 15).
	ErrDecTable = errors.New("pin: invalid decimalisation table")
	// ErrKey: a cipher's block size does not fit the format or algorithm
	// (ISO4 needs AES, the others and PVV/IBM 3624 a 64-bit cipher) (ours).
	// payShield error 27.
	ErrKey = errors.New("pin: key does not fit the algorithm")
	// ErrInvalidInput: another malformed argument (PVKI, PVV, offset, check
	// length, validation data). payShield error 15.
	ErrInvalidInput = errors.New("pin: invalid input")
)

// pinError is an error with a fixed message that wraps one or two sentinels.
type pinError struct {
	msg  string
	errs []error
}

func (e *pinError) Error() string   { return e.msg }
func (e *pinError) Unwrap() []error { return e.errs }

// newError builds an error that reads "<first sentinel>: detail" and wraps
// every sentinel given.
func newError(detail string, sentinels ...error) error {
	return &pinError{msg: sentinels[0].Error() + ": " + detail, errs: sentinels}
}

// Errors built once, so that failing paths do not allocate either.
var (
	errFormatName  = newError("unknown format name", ErrFormat)
	errFormatCode  = newError("unknown payShield format code", ErrFormat)
	errFormatValue = newError("format value out of range", ErrFormat)

	errKeyISO4   = newError("ISO4 needs a 128-bit block cipher (AES)", ErrKey)
	errKey64     = newError("format needs a 64-bit block cipher (DES/TDES)", ErrKey)
	errKeyVerify = newError("PIN verification key must be a 64-bit block cipher (DES/TDES)", ErrKey)

	errBlockLength = newError("wrong length for the format", ErrInvalidBlock)
	errControl     = newError("control nibble does not match the format", ErrInvalidBlock)
	errLengthField = newError("length nibble outside 4 to 12", ErrPINLength)
	errBlockDigit  = newError("PIN digit not decimal", ErrInvalidBlock, ErrPINDigits)
	errFill        = newError("fill nibble invalid for the format", ErrInvalidBlock)
	err3624Pad     = newError("IBM 3624 pad not all F", ErrInvalidBlock)
	err3624Length  = newError("IBM 3624 PIN outside 4 to 12 digits", ErrPINLength)

	errPINLength = newError("PIN must have 4 to 12 digits", ErrPINLength)
	errPINDigits = newError("PIN must be decimal digits", ErrPINDigits)

	errAccount    = newError("account must be 12 decimal digits", ErrAccount)
	errPAN        = newError("PAN must be 8 to 19 decimal digits", ErrAccount)
	errPANISO4    = newError("ISO4 PAN must be 1 to 19 decimal digits", ErrAccount)
	errAccountVal = newError("account needed for the validation data must be 12 decimal digits", ErrAccount)

	errDecTableDigits = newError("must be 16 decimal digits", ErrDecTable)
	errDecTableWeak   = newError("needs at least 8 different digits, none more than 4 times", ErrDecTable)
	errDecTableZero   = newError("table not parsed with ParseDecTable", ErrDecTable)

	errPVKI           = newError("pvki must be one digit 0 to 9", ErrInvalidInput)
	errPVV            = newError("pvv must be 4 decimal digits", ErrInvalidInput)
	errValidationData = newError("validation data must be 16 hex digits", ErrInvalidInput)
	errValidationN    = newError("payShield validation data must be 12 hex characters with one N", ErrInvalidInput)
	errValidationPad  = newError("validation data must be 1 to 16 hex digits and pad one hex digit", ErrInvalidInput)
	errOffset         = newError("offset must be 4 to 12 decimal digits, optionally F-padded to 12", ErrInvalidInput)
	errCheckLength    = newError("check length must be 4 to 12", ErrInvalidInput)
	errNaturalLength  = newError("natural PIN length must be 4 to 12", ErrPINLength)
)
