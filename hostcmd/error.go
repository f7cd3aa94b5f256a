package hostcmd

// Code is a 2-character HSM error code, the ERR field of every response
// (payShield error-code table, hsm-protocol.md §6; hostcmd.md §1). Command-specific
// meanings override the general ones (for example 04/05 in KQ and KW).
type Code string

// Error codes used by the contract (hostcmd.md). The general meaning is given;
// commands may reuse a code with the meaning stated in hostcmd.md §4.
const (
	OK                    Code = "00" // no error
	VerifyFailed          Code = "01" // verification failure (PIN, CVV, MAC, ARQC)
	InvalidKeyTypeCode    Code = "04" // invalid key type code; KQ/KW: invalid mode
	InvalidKeyLengthFlag  Code = "05" // invalid key length flag; KQ/KW: invalid scheme
	SourceKeyParity       Code = "10" // parity error in the first key of the command
	DestKeyParity         Code = "11" // parity error in the second key, or key all zeros
	InvalidLMKID          Code = "13" // invalid LMK identifier (%nn)
	InvalidLMKPIN         Code = "14" // PIN encrypted under LMK pair 02-03 is invalid
	InvalidInput          Code = "15" // invalid input data (format, characters, length)
	NotAuthorised         Code = "17" // HSM not authorised / prohibited by security settings
	InvalidPINBlock       Code = "20" // PIN block does not contain valid values
	InvalidAccount        Code = "22" // invalid account number
	InvalidPINFormat      Code = "23" // invalid or disabled PIN block format code
	InvalidPINLength      Code = "24" // PIN fewer than 4 or more than 12 digits
	DecimalizationError   Code = "25" // decimalisation table error
	InvalidKeyScheme      Code = "26" // invalid key scheme
	IncompatibleKeyLength Code = "27" // incompatible key length
	InvalidKeyType        Code = "28" // invalid key type
	KeyFunctionNotAllowed Code = "29" // key function not permitted
	InternalError         Code = "41" // internal error; gateway: no HSM could serve in time (ours)
	CommandNotLicensed    Code = "67" // command not licensed
	CommandDisabled       Code = "68" // unknown or disabled command (ours, hostcmd.md §1)
	DataLengthError       Code = "80" // data length error
)

// Description returns the general meaning of the code from the payShield
// error-code table (hsm-protocol.md §6), or "unknown error code".
func (c Code) Description() string {
	switch c {
	case OK:
		return "no error"
	case VerifyFailed:
		return "verification failure"
	case "02":
		return "key inappropriate length for algorithm"
	case "03":
		return "invalid number of components"
	case InvalidKeyTypeCode:
		return "invalid key type code"
	case InvalidKeyLengthFlag:
		return "invalid key length flag"
	case SourceKeyParity:
		return "source key parity error"
	case DestKeyParity:
		return "destination key parity error"
	case "12":
		return "contents of user storage not available"
	case InvalidLMKID:
		return "invalid LMK identifier"
	case InvalidLMKPIN:
		return "PIN encrypted under LMK pair 02-03 is invalid"
	case InvalidInput:
		return "invalid input data"
	case NotAuthorised:
		return "HSM not authorised"
	case InvalidPINBlock:
		return "PIN block does not contain valid values"
	case InvalidAccount:
		return "invalid account number"
	case InvalidPINFormat:
		return "invalid PIN block format code"
	case InvalidPINLength:
		return "PIN length outside 4..12"
	case DecimalizationError:
		return "decimalisation table error"
	case InvalidKeyScheme:
		return "invalid key scheme"
	case IncompatibleKeyLength:
		return "incompatible key length"
	case InvalidKeyType:
		return "invalid key type"
	case KeyFunctionNotAllowed:
		return "key function not permitted"
	case InternalError:
		return "internal error"
	case "42":
		return "DES failure"
	case CommandNotLicensed:
		return "command not licensed"
	case CommandDisabled:
		return "command disabled or unknown"
	case "69":
		return "PIN block format disabled"
	case DataLengthError:
		return "data length error"
	}
	if d := keyBlockDescription(c); d != "" {
		return d
	}
	return "unknown error code"
}

// Valid reports whether c has the shape of an error code: two printable
// ASCII characters (digits, or the key-block codes A1..BE).
func (c Code) Valid() bool {
	return len(c) == 2 && isCodeChar(c[0]) && isCodeChar(c[1])
}

func isCodeChar(b byte) bool { return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' }

// Error is an HSM answer carrying an error code: the ERR field of a response,
// or a request field that fails validation (hostcmd.md §1). Callers reach it
// with errors.As through %w wrapping. Error() names the command and field,
// never a value.
type Error struct {
	Cmd   string // command code, e.g. "CA"; may be empty
	Code  Code   // HSM error code, e.g. InvalidPINBlock
	Field string // request field at fault, e.g. "pinBlock"; may be empty
}

// Error returns "hostcmd: CA: pinBlock: error 20 (PIN block does not contain
// valid values)", leaving out the parts that are empty.
func (e *Error) Error() string {
	s := "hostcmd: "
	if e.Cmd != "" {
		s += e.Cmd + ": "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + "error " + string(e.Code) + " (" + e.Code.Description() + ")"
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &hostcmd.Error{Code: hostcmd.VerifyFailed}) matches any
// command and field (ours).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Cmd == "" || t.Cmd == e.Cmd) && (t.Field == "" || t.Field == e.Field)
}
