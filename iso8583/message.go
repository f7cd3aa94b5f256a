package iso8583

import (
	"encoding/hex"
	"sort"
)

// Message is one ISO 8583 message: its MTI and its fields' values. A value
// is the field's characters (types n, a, an, ans, z, padding included) or
// its bytes (type b), whatever the wire encoding; so a message unpacked with
// one spec can be packed with another.
type Message struct {
	// MTI is the message type indicator, 4 digits, e.g. "0100".
	MTI    string
	fields map[int][]byte
}

// NewMessage returns an empty message with the given MTI.
func NewMessage(mti string) *Message {
	return &Message{MTI: mti, fields: make(map[int][]byte)}
}

// Set sets field n to v (kept, not copied). Fields 1 and 65 are the
// bitmaps' own and cannot be set; Pack checks v against the spec.
func (m *Message) Set(n int, v []byte) {
	if m.fields == nil {
		m.fields = make(map[int][]byte)
	}
	if v == nil {
		v = []byte{}
	}
	m.fields[n] = v
}

// SetString sets field n to the characters of s.
func (m *Message) SetString(n int, s string) { m.Set(n, []byte(s)) }

// Unset removes field n.
func (m *Message) Unset(n int) { delete(m.fields, n) }

// Field returns field n's value and whether the message has it.
func (m *Message) Field(n int) ([]byte, bool) {
	v, ok := m.fields[n]
	return v, ok
}

// FieldString returns field n's value as a string ("" when absent).
func (m *Message) FieldString(n int) string { return string(m.fields[n]) }

// Has reports whether the message has field n.
func (m *Message) Has(n int) bool {
	_, ok := m.fields[n]
	return ok
}

// Numbers returns the numbers of the fields present, ascending.
func (m *Message) Numbers() []int {
	ns := make([]int, 0, len(m.fields))
	for n := range m.fields {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	return ns
}

// Pack encodes the message with spec s.
func (m *Message) Pack(s *Spec) ([]byte, error) {
	return m.AppendPack(make([]byte, 0, 256), s)
}

// AppendPack appends the message encoded with spec s to dst. The spec must
// be valid (Validate); Lookup and ParseSpec return only valid specs.
func (m *Message) AppendPack(dst []byte, s *Spec) ([]byte, error) {
	var err error
	if dst, err = appendMTI(dst, s.MTIEncoding, m.MTI); err != nil {
		return dst, err
	}
	var bm [3][8]byte
	last := 0
	for n := range m.fields {
		if n < 2 || n > MaxField || n == 65 {
			return dst, fieldErr(n, ErrUnknownField, "not a data field number")
		}
		if s.Fields[n] == nil {
			return dst, fieldErr(n, ErrUnknownField, "not defined by spec %s", s.Name)
		}
		setBit(&bm, n)
		last = max(last, n)
	}
	maps := 1
	if last > 64 {
		setBit(&bm, 1)
		maps = 2
	}
	if last > 128 {
		setBit(&bm, 65)
		maps = 3
	}
	for i := range maps {
		if s.BitmapEncoding == EncodingHex {
			dst = hex.AppendEncode(dst, bm[i][:])
			upper(dst[len(dst)-16:])
		} else {
			dst = append(dst, bm[i][:]...)
		}
	}
	for n := 2; n <= last; n++ {
		if !bit(&bm, n) || n == 65 {
			continue
		}
		if dst, err = s.Fields[n].appendField(dst, n, m.fields[n]); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func upper(b []byte) {
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
}

func setBit(bm *[3][8]byte, n int) {
	i := n - 1
	bm[i/64][i%64/8] |= 0x80 >> (i % 8)
}

func bit(bm *[3][8]byte, n int) bool {
	i := n - 1
	return bm[i/64][i%64/8]&(0x80>>(i%8)) != 0
}

func appendMTI(dst []byte, enc Encoding, mti string) ([]byte, error) {
	if len(mti) != 4 || !isDigits(mti) {
		return dst, &FieldError{Field: 0, Err: ErrMTI}
	}
	if enc == EncodingBCD {
		return append(dst, (mti[0]-'0')<<4|(mti[1]-'0'), (mti[2]-'0')<<4|(mti[3]-'0')), nil
	}
	return append(dst, mti...), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Unpack decodes a whole message with spec s, which must be valid
// (Validate). Values of ascii and binary
// fields alias b. Every failure is a *FieldError: a message cut short, a
// length prefix past the message or over the field's maximum, a bitmap that
// is not hex, an all-zero secondary or tertiary bitmap, a field the spec
// does not define, a value the field type does not allow, a tlv field whose
// BER-TLV does not parse, or bytes after the last field.
func Unpack(s *Spec, b []byte) (*Message, error) {
	mti, off, err := readMTI(s.MTIEncoding, b)
	if err != nil {
		return nil, err
	}
	var bm [3][8]byte
	maps := 1
	for i := 0; i < maps; i++ {
		n, err := readBitmap(s.BitmapEncoding, b[off:], &bm[i], i)
		if err != nil {
			return nil, err
		}
		off += n
		if i > 0 && bm[i] == [8]byte{} {
			return nil, fieldErr(1, ErrBitmap, "bitmap %d is all zero", i+1)
		}
		if bm[i][0]&0x80 != 0 && i < 2 {
			maps++
		}
	}
	m := &Message{MTI: mti, fields: make(map[int][]byte, 16)}
	last := -1
	for n := 2; n <= 64*maps; n++ {
		if n == 65 || !bit(&bm, n) {
			continue
		}
		f := s.Fields[n]
		if f == nil {
			return nil, fieldErr(n, ErrUnknownField, "not defined by spec %s", s.Name)
		}
		v, read, err := f.readField(n, b[off:])
		if err != nil {
			return nil, err
		}
		m.fields[n] = v
		off += read
		last = n
	}
	if off != len(b) {
		return nil, fieldErr(-1, ErrTrailing, "%d bytes after the last field (%d)", len(b)-off, last)
	}
	return m, nil
}

func readMTI(enc Encoding, b []byte) (string, int, error) {
	if enc == EncodingBCD {
		if len(b) < 2 {
			return "", 0, fieldErr(0, ErrTruncated, "MTI cut short")
		}
		var d [4]byte
		for i, nib := range [4]byte{b[0] >> 4, b[0] & 0xF, b[1] >> 4, b[1] & 0xF} {
			if nib > 9 {
				return "", 0, &FieldError{Field: 0, Err: ErrMTI}
			}
			d[i] = '0' + nib
		}
		return string(d[:]), 2, nil
	}
	if len(b) < 4 {
		return "", 0, fieldErr(0, ErrTruncated, "MTI cut short")
	}
	if !isDigits(string(b[:4])) {
		return "", 0, &FieldError{Field: 0, Err: ErrMTI}
	}
	return string(b[:4]), 4, nil
}

func readBitmap(enc Encoding, b []byte, dst *[8]byte, i int) (int, error) {
	size := 8
	if enc == EncodingHex {
		size = 16
	}
	if len(b) < size {
		return 0, fieldErr(1, ErrTruncated, "bitmap %d cut short: %d bytes, want %d", i+1, len(b), size)
	}
	if enc == EncodingHex {
		if _, err := hex.Decode(dst[:], b[:16]); err != nil {
			return 0, fieldErr(1, ErrBitmap, "bitmap %d is not hex", i+1)
		}
		return 16, nil
	}
	copy(dst[:], b[:8])
	return 8, nil
}
