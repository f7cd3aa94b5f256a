package keys

// Scheme is how a key is represented under the variant LMK (Thales key scheme
// table; docs/spec/hostcmd.md §2-§3). The tagged schemes use their tag letter
// as value, so Scheme(field[0]) is the scheme of a tagged key field; use
// ParseScheme to validate a letter read off the wire.
type Scheme byte

// The key schemes.
const (
	// SchemeSingle is a single-length DES key, 16H on the wire with no
	// prefix (payShield scheme "Z"), ECB under the key-type-variant pair.
	SchemeSingle Scheme = 'Z'
	// SchemeU is a double-length key, "U" + 32H: each half is encrypted
	// under the key-type-variant pair with the right half's byte 0 XORed
	// with A6 (left half of the key) and 5A (right half).
	SchemeU Scheme = 'U'
	// SchemeT is a triple-length key, "T" + 48H: the thirds are encrypted
	// with right-half byte-0 variants 6A, DE and 2B.
	SchemeT Scheme = 'T'
	// SchemeX is a double-length key, ANSI X9.17 form, "X" + 32H: plain ECB
	// under the key-type-variant pair.
	SchemeX Scheme = 'X'
	// SchemeY is a triple-length key, ANSI X9.17 form, "Y" + 48H: plain ECB.
	SchemeY Scheme = 'Y'
	// SchemePair is the bare 32H field that PVK and CVK fields accept: two
	// single-length keys A then B, each 16H encrypted on its own under the
	// key-type-variant pair with no scheme variant (docs/spec/hostcmd.md §2;
	// the value 'P' is ours and is not a payShield tag).
	SchemePair Scheme = 'P'
)

// KeyLen returns the clear key length in bytes: 8 for single, 16 for U, X
// and pair, 24 for T and Y; 0 for an invalid scheme. The cryptogram has the
// same length.
func (s Scheme) KeyLen() int {
	switch s {
	case SchemeSingle:
		return 8
	case SchemeU, SchemeX, SchemePair:
		return 16
	case SchemeT, SchemeY:
		return 24
	}
	return 0
}

// Prefix returns the tag that precedes the hex cryptogram in a key field
// ('U', 'T', 'X' or 'Y'), or 0 for single keys and bare pairs, which have
// none.
func (s Scheme) Prefix() byte {
	switch s {
	case SchemeU, SchemeT, SchemeX, SchemeY:
		return byte(s)
	}
	return 0
}

// String returns the scheme letter ("Z", "U", "T", "X", "Y"), "pair" for
// SchemePair, "invalid" otherwise.
func (s Scheme) String() string {
	switch s {
	case SchemeSingle, SchemeU, SchemeT, SchemeX, SchemeY:
		return string(rune(s))
	case SchemePair:
		return "pair"
	}
	return "invalid"
}

// ParseScheme returns the scheme of a payShield key-scheme letter: 'Z'
// (single), 'U', 'T', 'X' or 'Y', upper case only (the "key scheme" fields
// of A0 and the key option block). Anything else gives ErrScheme.
func ParseScheme(c byte) (Scheme, error) {
	switch s := Scheme(c); s {
	case SchemeSingle, SchemeU, SchemeT, SchemeX, SchemeY:
		return s, nil
	}
	return 0, ErrScheme
}
