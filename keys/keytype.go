package keys

import "github.com/payhsm/payhsm-gw/internal/hexdigit"

// KeyType is a variant-LMK key type code vPP: Variant is the key-type variant
// 0-9 and PairCode the LMK pair code 0x00..0x0E (Thales key type table, as
// listed by ThalesSim KeyTypeTable and jPOS; docs/spec/hostcmd.md §3). "402"
// is KeyType{Variant: 4, PairCode: 0x02}.
type KeyType struct {
	Variant  byte
	PairCode byte
}

// The key types of the host-command contract (docs/spec/hostcmd.md §3).
// These are values; treat them as constants.
var (
	ZMK     = KeyType{0, 0x00} // 000, zone master key, LMK 04-05
	ZPK     = KeyType{0, 0x01} // 001, zone PIN key, LMK 06-07
	TPK     = KeyType{0, 0x02} // 002, terminal PIN key, LMK 14-15
	TMK     = KeyType{0, 0x02} // 002, terminal master key, LMK 14-15
	PVK     = KeyType{0, 0x02} // 002, PIN verification key, LMK 14-15
	TAK     = KeyType{0, 0x03} // 003, terminal authentication key, LMK 16-17
	ZAK     = KeyType{0, 0x08} // 008, zone authentication key, LMK 26-27
	BDK     = KeyType{0, 0x09} // 009, DUKPT base derivation key, LMK 28-29
	MKAC    = KeyType{1, 0x09} // 109, EMV issuer master key for cryptograms, LMK 28-29 variant 1
	MKSMI   = KeyType{2, 0x09} // 209, EMV master key for secure messaging integrity, LMK 28-29 variant 2
	MKSMC   = KeyType{3, 0x09} // 309, EMV master key for secure messaging confidentiality, LMK 28-29 variant 3
	MKCVC3  = KeyType{7, 0x09} // 709, master key for CVC3/dCVV, LMK 28-29 variant 7
	ZEK     = KeyType{0, 0x0A} // 00A, zone encryption key, LMK 30-31
	DEK     = KeyType{0, 0x0B} // 00B, data encryption key, LMK 32-33
	CVK     = KeyType{4, 0x02} // 402, card verification key (also Visa CAVV keys), LMK 14-15 variant 4
	HMACKey = KeyType{1, 0x0C} // 10C, HMAC key, LMK 34-35 variant 1
)

// maxPairCode is the highest pair code of the key type table (0E = 38-39).
const maxPairCode = 0x0E

// variantBytes holds the key-type variants 0-9, XORed into byte 0 of the LMK
// pair (ThalesSim Variants.vb; jPOS; CryptoCarver's external vectors settle
// variant 1 as A6).
const variantBytes = "\x00\xA6\x5A\x6A\xDE\x2B\x50\x74\x9C\xFA"

// valid reports whether kt has a variant 0-9 and a pair code 00..0E.
func (kt KeyType) valid() bool {
	return kt.Variant <= 9 && kt.PairCode <= maxPairCode
}

// LMKPair returns the index (0..19) of the LMK pair that protects keys of
// this type: pair code 00 selects pair 04-05 (index 2), 01 selects 06-07 (3),
// 02 .. 0E select 14-15 .. 38-39 (7 .. 19). It returns -1 for an invalid key
// type.
func (kt KeyType) LMKPair() int {
	if !kt.valid() {
		return -1
	}
	// Thales key type table (ThalesSim KeyTypeTable.ParseKeyTypeCode;
	// payment-crypto.md §8.1): 00 -> 04-05, 01 -> 06-07, then 02..0E -> 14-15..38-39.
	// Pairs 00-01, 02-03 and 08-09..12-13 are not addressed by a key type.
	if kt.PairCode < 2 {
		return int(kt.PairCode) + 2
	}
	return int(kt.PairCode) + 5
}

const hexDigits = "0123456789ABCDEF"

// String returns the 3-character code, upper case ("402", "00A"). An
// invalid key type prints as "???".
func (kt KeyType) String() string {
	if !kt.valid() {
		return "???"
	}
	return string([]byte{'0' + kt.Variant, hexDigits[kt.PairCode>>4], hexDigits[kt.PairCode&0x0F]})
}

// ParseKeyType parses a 3-character key type code: a variant digit 0-9 and
// a 2-hex-digit pair code 00..0E, either case ("402", "00A"). Anything else
// gives ErrKeyType.
func ParseKeyType(s string) (KeyType, error) {
	if len(s) != 3 || s[0] < '0' || s[0] > '9' {
		return KeyType{}, ErrKeyType
	}
	pc, ok := parsePairCode(s[1], s[2])
	if !ok {
		return KeyType{}, ErrKeyType
	}
	return KeyType{Variant: s[0] - '0', PairCode: pc}, nil
}

// ParsePairCode parses the 2-character "key type code" of the BU command
// (00..0E, either case: the LMK pair code, variant 0) into a KeyType. BU's
// "FF" (the key type follows in its own field) is not a pair code and gives
// ErrKeyType, as does anything else outside 00..0E (ThalesSim
// GenerateCheckValue_BU).
func ParsePairCode(s string) (KeyType, error) {
	if len(s) != 2 {
		return KeyType{}, ErrKeyType
	}
	pc, ok := parsePairCode(s[0], s[1])
	if !ok {
		return KeyType{}, ErrKeyType
	}
	return KeyType{PairCode: pc}, nil
}

func parsePairCode(hi, lo byte) (byte, bool) {
	h, ok1 := hexNibble(hi)
	l, ok2 := hexNibble(lo)
	if !ok1 || !ok2 {
		return 0, false
	}
	pc := h<<4 | l
	return pc, pc <= maxPairCode
}

func hexNibble(c byte) (byte, bool) { return hexdigit.Value(c) }
