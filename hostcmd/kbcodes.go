package hostcmd

// Key-block error codes (payShield's error table lists A1..BE; which of our
// conditions answers which code is ours: docs/spec/hostcmd-keyblocks.md §3).
const (
	IncompatibleLMK       Code = "A1" // key or key type does not fit the loaded LMK's kind
	KeyBlockLMKID         Code = "A3" // key block's LMK identifier differs from the command's
	KeyBlockMAC           Code = "A4" // key block MAC does not verify
	KeyBlockLength        Code = "A5" // key block length wrong
	KeyUsageNotAllowed    Code = "A6" // key usage not allowed for the key's role
	KeyAlgorithmMismatch  Code = "A7" // algorithm not allowed, or key length does not fit it
	ModeOfUseNotAllowed   Code = "A8" // mode of use not allowed for the key's role
	KeyBlockVersion       Code = "A9" // key block version not supported here
	ExportNotAllowed      Code = "AA" // exportability forbids the export
	OptionalBlockCount    Code = "AB" // optional block count out of range
	KeyBlockHeader        Code = "AC" // key block header malformed
	OptionalBlockRefused  Code = "B3" // optional block not allowed in this command
	KBPKMismatch          Code = "BB" // wrapping key does not fit the block version
	RepeatedOptionalBlock Code = "BC" // optional block given twice
)

// keyBlockDescription returns the meaning of a key-block code, or "".
func keyBlockDescription(c Code) string {
	switch c {
	case IncompatibleLMK:
		return "incompatible LMK schemes"
	case KeyBlockLMKID:
		return "key block LMK identifier mismatch"
	case KeyBlockMAC:
		return "key block MAC verification failure"
	case KeyBlockLength:
		return "invalid key block length"
	case KeyUsageNotAllowed:
		return "key usage not allowed"
	case KeyAlgorithmMismatch:
		return "invalid algorithm or key length"
	case ModeOfUseNotAllowed:
		return "mode of use not allowed"
	case KeyBlockVersion:
		return "invalid key block version"
	case ExportNotAllowed:
		return "key export not allowed"
	case OptionalBlockCount:
		return "invalid optional block count"
	case KeyBlockHeader:
		return "invalid key block header"
	case OptionalBlockRefused:
		return "optional block not allowed"
	case KBPKMismatch:
		return "wrapping key does not fit the key block version"
	case RepeatedOptionalBlock:
		return "repeated optional block"
	}
	return ""
}

// minKeyBlockLen is the shortest key block: its 16-character header.
const minKeyBlockLen = 16

// parseKeyBlockField delimits an "S" or "R" key field at the start of b
// (b[0] is the tag): the version character, then the block length, 4
// decimal digits counting the whole block without the tag. A length that
// is not digits, is under 16 or runs past b gives InvalidInput; so does a
// block with a character that is not printable ASCII (hostcmd-keyblocks.md §2).
func parseKeyBlockField(b []byte) (KeyField, int, Code) {
	if len(b) < 1+5 || !allDigits(b[2:6]) {
		return KeyField{}, 0, InvalidInput
	}
	n := smallNum(b[2:6])
	if n < minKeyBlockLen || 1+n > len(b) {
		return KeyField{}, 0, InvalidInput
	}
	blk := b[1 : 1+n]
	for _, c := range blk {
		if !isPrint(c) {
			return KeyField{}, 0, InvalidInput
		}
	}
	return KeyField{Scheme: KeyScheme(b[0]), Hex: string(blk)}, 1 + n, OK
}
