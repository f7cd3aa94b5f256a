package hostcmd

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"github.com/payhsm/payhsm-gw/internal/redact"
)

// FieldType is the kind of a command field, in the notation of the Thales
// manuals (hostcmd.md, Notation).
type FieldType uint8

// Field types.
const (
	FieldA     FieldType = iota + 1 // nA: n printable ASCII characters
	FieldN                          // nN: n decimal digits
	FieldH                          // nH: n hex digits (upper case on output)
	FieldB                          // nB: n raw bytes
	FieldKey                        // key field: scheme tag + hex (hostcmd.md §2)
	FieldDelim                      // the literal delimiter ';'
)

// String returns the manual's notation letter ("A", "N", "H", "B"), "key" or ";".
func (t FieldType) String() string {
	switch t {
	case FieldA:
		return "A"
	case FieldN:
		return "N"
	case FieldH:
		return "H"
	case FieldB:
		return "B"
	case FieldKey:
		return "key"
	case FieldDelim:
		return ";"
	}
	return "?"
}

// KeyForms is the set of key-field forms a field accepts (hostcmd.md §2).
type KeyForms uint8

// Key-field forms.
const (
	KeySingle KeyForms = 1 << iota // bare 16H, single length
	KeyPair                        // bare 32H, two single-length keys A and B (PVK, CVK only)
	KeyU                           // "U" + 32H, double length, variant
	KeyT                           // "T" + 48H, triple length, variant
	KeyX                           // "X" + 32H, double length, ANSI X9.17
	KeyY                           // "Y" + 48H, triple length, ANSI X9.17
	KeyS                           // "S" + Thales key block (hostcmd-keyblocks.md §2)
	KeyR                           // "R" + TR-31 key block (hostcmd-keyblocks.md §2)
)

// Has reports whether s contains every form in f.
func (s KeyForms) Has(f KeyForms) bool { return s&f == f }

// FieldSpec declares one field of a request or response: its wire name (as
// used in errors), type, length, whether it is secret, and the error code a
// bad value yields. It is part of the command table.
type FieldSpec struct {
	Name   string    // lowerCamel name used in errors, e.g. "pinBlock"
	Type   FieldType // A, N, H, B, key or ';'
	Len    int       // fixed length in characters or bytes; 0: variable, see MinLen/MaxLen and Note
	MinLen int       // variable fields: shortest accepted length
	MaxLen int       // variable fields: longest accepted length
	Secret bool      // never logged or shown: PINs, PIN blocks, PANs, CVVs, cryptograms, MACs, keys
	Err    Code      // code for an invalid value; InvalidInput when empty
	Keys   KeyForms  // key fields: accepted forms
	When   string    // condition for presence; "" means always present
	Note   string    // value constraints in words
}

// errCode returns the code a bad value of the field yields.
func (f *FieldSpec) errCode() Code {
	if f.Err == "" {
		return InvalidInput
	}
	return f.Err
}

// KeyScheme identifies the form of a key field (hostcmd.md §2).
type KeyScheme byte

// Key schemes. SchemeSingle and SchemePair have no tag on the wire.
const (
	SchemeSingle KeyScheme = 0   // bare 16H
	SchemePair   KeyScheme = 'P' // bare 32H: keys A and B, each encrypted on its own
	SchemeU      KeyScheme = 'U' // "U" + 32H
	SchemeT      KeyScheme = 'T' // "T" + 48H
	SchemeX      KeyScheme = 'X' // "X" + 32H
	SchemeY      KeyScheme = 'Y' // "Y" + 48H
	SchemeS      KeyScheme = 'S' // "S" + Thales key block, version 0 or 1
	SchemeR      KeyScheme = 'R' // "R" + TR-31 key block, version A-D
)

// IsKeyBlock reports whether s is a key-block scheme (S or R).
func (s KeyScheme) IsKeyBlock() bool { return s == SchemeS || s == SchemeR }

// hexLen returns the number of hex digits of a key in this scheme, 0 if unknown.
func (s KeyScheme) hexLen() int {
	switch s {
	case SchemeSingle:
		return 16
	case SchemePair, SchemeU, SchemeX:
		return 32
	case SchemeT, SchemeY:
		return 48
	}
	return 0
}

func (s KeyScheme) form() KeyForms {
	switch s {
	case SchemeSingle:
		return KeySingle
	case SchemePair:
		return KeyPair
	case SchemeU:
		return KeyU
	case SchemeT:
		return KeyT
	case SchemeX:
		return KeyX
	case SchemeY:
		return KeyY
	case SchemeS:
		return KeyS
	case SchemeR:
		return KeyR
	}
	return 0
}

// KeyField is a key encrypted under the LMK (or a ZMK) as it appears in a
// command: a scheme and its hex ciphertext, upper case, without the tag
// (hostcmd.md §2). For the key-block schemes S and R, Hex holds the whole
// block as on the wire after the tag (header, optional blocks, encrypted
// key and MAC), unchanged (hostcmd-keyblocks.md §2). It redacts itself in fmt, slog
// and JSON output.
type KeyField struct {
	Scheme KeyScheme
	Hex    string // 16, 32 or 48 upper-case hex digits; S and R: the key block
}

// WireLen returns the length of the field on the wire, tag included.
func (k KeyField) WireLen() int {
	if k.Scheme == SchemeSingle || k.Scheme == SchemePair {
		return len(k.Hex)
	}
	return 1 + len(k.Hex)
}

// AppendWire appends the field as it goes on the wire: tag (if any) + hex.
func (k KeyField) AppendWire(dst []byte) []byte {
	if k.Scheme != SchemeSingle && k.Scheme != SchemePair {
		dst = append(dst, byte(k.Scheme))
	}
	return append(dst, k.Hex...)
}

// Ciphertext returns the raw encrypted key bytes (8, 16 or 24).
func (k KeyField) Ciphertext() ([]byte, error) {
	if k.Scheme.hexLen() == 0 || len(k.Hex) != k.Scheme.hexLen() {
		return nil, errors.New("hostcmd: key field: bad scheme or length")
	}
	b, err := hex.DecodeString(k.Hex)
	if err != nil {
		return nil, errors.New("hostcmd: key field: not hex")
	}
	return b, nil
}

// String returns the scheme tag followed by a placeholder.
func (k KeyField) String() string {
	switch k.Scheme {
	case SchemeSingle, SchemePair:
		return redact.Placeholder
	}
	return string(rune(k.Scheme)) + redact.Placeholder
}

// GoString implements fmt.GoStringer without the key.
func (k KeyField) GoString() string { return k.String() }

// Format implements fmt.Formatter so that no verb prints the ciphertext.
func (k KeyField) Format(f fmt.State, _ rune) { f.Write([]byte(k.String())) }

// LogValue implements slog.LogValuer.
func (k KeyField) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON implements json.Marshaler without the key.
func (k KeyField) MarshalJSON() ([]byte, error) { return []byte(`"` + k.String() + `"`), nil }

// ParseKeyField parses a key field at the start of b, accepting the given
// forms, and returns it with the number of bytes used. A first character that
// is neither a hex digit nor an accepted tag gives InvalidKeyScheme (26); a
// short or non-hex key gives InvalidInput (15). Hex is accepted in either case.
// An S or R key block is delimited by its header's length field and kept
// as it is; a block that cannot be delimited gives InvalidInput (hostcmd-keyblocks.md
// §2); its contents are checked by whoever unwraps it.
func ParseKeyField(b []byte, forms KeyForms) (KeyField, int, Code) {
	if len(b) == 0 {
		return KeyField{}, 0, InvalidInput
	}
	var s KeyScheme
	off := 0
	switch c := b[0]; {
	case isHex(c):
		s = SchemeSingle
		if forms&KeyPair != 0 {
			s = SchemePair
		}
	case c == 'U' || c == 'T' || c == 'X' || c == 'Y':
		s = KeyScheme(c)
		off = 1
	case c == 'S' || c == 'R':
		if forms&KeyScheme(c).form() == 0 {
			return KeyField{}, 0, InvalidKeyScheme
		}
		return parseKeyBlockField(b)
	default:
		return KeyField{}, 0, InvalidKeyScheme
	}
	if forms&s.form() == 0 {
		return KeyField{}, 0, InvalidKeyScheme
	}
	n := s.hexLen()
	if len(b) < off+n {
		return KeyField{}, 0, InvalidInput
	}
	h, ok := upperHex(b[off : off+n])
	if !ok {
		return KeyField{}, 0, InvalidInput
	}
	return KeyField{Scheme: s, Hex: h}, off + n, OK
}

// Trailer is the optional end-of-message trailer exactly as on the wire: ""
// when absent, else 0x19 followed by up to 32 printable characters. A server
// echoes it back only if the request carried one (hostcmd.md §1).
type Trailer string

// MaxTrailerLen is the longest trailer text after 0x19 (hostcmd.md §1).
const MaxTrailerLen = 32

// Present reports whether the trailer was sent.
func (t Trailer) Present() bool { return t != "" }

// Text returns the trailer without its 0x19 delimiter.
func (t Trailer) Text() string {
	if t == "" {
		return ""
	}
	return string(t[1:])
}

// MakeTrailer returns the Trailer carrying text (which should be at most 32
// printable characters).
func MakeTrailer(text string) Trailer { return Trailer("\x19" + text) }

// Envelope holds the optional parts common to every request, after the
// last field: the "%nn" LMK identifier and the trailer (hostcmd.md §1).
// Each is re-encoded only if present.
type Envelope struct {
	LMKID   string  // "" absent, else two digits ("00")
	Trailer Trailer // "" absent
}

// envelope lets EnvelopeOf reach the Envelope every typed request embeds.
func (e *Envelope) envelope() *Envelope { return e }

// EnvelopeOf returns the LMK identifier and trailer of req, or nil if req
// is not one of this package's typed requests.
func EnvelopeOf(req Request) *Envelope {
	if r, ok := req.(interface{ envelope() *Envelope }); ok {
		return r.envelope()
	}
	return nil
}

// appendEnvelope appends "%nn" and the trailer when present.
func (e *Envelope) appendEnvelope(dst []byte) []byte {
	if e.LMKID != "" {
		dst = append(dst, '%')
		dst = append(dst, e.LMKID...)
	}
	return append(dst, e.Trailer...)
}

// SecretBytes holds binary secret data (a PAN in BCD, a cryptogram, MAC
// input). It redacts itself in fmt, slog and JSON output.
type SecretBytes []byte

// String returns a placeholder.
func (SecretBytes) String() string { return redact.Placeholder }

// GoString implements fmt.GoStringer.
func (SecretBytes) GoString() string { return redact.Placeholder }

// Format implements fmt.Formatter so that no verb prints the bytes.
func (SecretBytes) Format(f fmt.State, _ rune) { f.Write([]byte(redact.Placeholder)) }

// LogValue implements slog.LogValuer.
func (SecretBytes) LogValue() slog.Value { return slog.StringValue(redact.Placeholder) }

// MarshalJSON implements json.Marshaler.
func (SecretBytes) MarshalJSON() ([]byte, error) {
	return []byte(`"` + redact.Placeholder + `"`), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func isPrint(c byte) bool { return c >= 0x20 && c <= 0x7E }

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// upperHex checks that b is hex and returns it as an upper-case string with
// one allocation.
func upperHex(b []byte) (string, bool) {
	lower := false
	for _, c := range b {
		if !isHex(c) {
			return "", false
		}
		if c >= 'a' {
			lower = true
		}
	}
	if !lower {
		return string(b), true
	}
	var tmp [64]byte
	u := tmp[:0]
	if len(b) > len(tmp) {
		u = make([]byte, 0, len(b))
	}
	for _, c := range b {
		if c >= 'a' {
			c -= 'a' - 'A'
		}
		u = append(u, c)
	}
	return string(u), true
}

// smallNum returns the value of 1..4 decimal digits.
func smallNum(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// hexNum returns the value of 1..4 hex digits (already checked).
func hexNum(b []byte) int {
	n := 0
	for _, c := range b {
		n <<= 4
		switch {
		case c <= '9':
			n |= int(c - '0')
		case c >= 'a':
			n |= int(c-'a') + 10
		default:
			n |= int(c-'A') + 10
		}
	}
	return n
}

const hexDigits = "0123456789ABCDEF"

// appendNum appends v as exactly width decimal digits.
func appendNum(dst []byte, v, width int) []byte {
	var tmp [8]byte
	for i := width - 1; i >= 0; i-- {
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, tmp[:width]...)
}

// appendHexNum appends v as exactly width upper-case hex digits.
func appendHexNum(dst []byte, v, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(4*i))&0xF])
	}
	return dst
}

// appendHexBytes appends b as upper-case hex.
func appendHexBytes(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xF])
	}
	return dst
}
