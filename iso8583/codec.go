package iso8583

import (
	"encoding/hex"
	"fmt"

	"github.com/payhsm/payhsm-gw/emv"
)

// dataSize is the wire size in bytes of a value of n units.
func (f *Field) dataSize(n int) int {
	switch f.Encoding {
	case EncodingBCD, EncodingLeftBCD:
		return (n + 1) / 2
	case EncodingHex:
		return 2 * n
	}
	return n
}

// prefixSize is the wire size in bytes of the length prefix.
func (f *Field) prefixSize() int {
	d := f.Prefix.digits()
	if f.LengthEncoding == EncodingBCD {
		return (d + 1) / 2
	}
	return d
}

// appendField appends field n's prefix and value to dst. A fixed field
// shorter than its length is padded as the spec says.
func (f *Field) appendField(dst []byte, n int, v []byte) ([]byte, error) {
	size := len(v)
	if f.fixed() {
		if size > f.Length || size < f.Length && f.PadLeft == "" && f.PadRight == "" {
			return dst, fieldErr(n, ErrLength, "length %d, want %d", size, f.Length)
		}
	} else if size > f.Length {
		return dst, fieldErr(n, ErrLength, "length %d, maximum %d", size, f.Length)
	}
	if err := f.check(n, v); err != nil {
		return dst, err
	}
	if !f.fixed() {
		dst = f.appendLength(dst, size)
	}
	padN := 0
	if f.fixed() {
		padN = f.Length - size
	}
	pc, right := f.pad()
	switch f.Encoding {
	case EncodingASCII, EncodingBinary:
		if !right {
			dst = appendRepeat(dst, pc, padN)
		}
		dst = append(dst, v...)
		if right {
			dst = appendRepeat(dst, pc, padN)
		}
	case EncodingHex:
		dst = hex.AppendEncode(dst, v)
		for i := len(dst) - 2*len(v); i < len(dst); i++ {
			if c := dst[i]; c >= 'a' && c <= 'f' {
				dst[i] = c - 'a' + 'A'
			}
		}
	case EncodingBCD, EncodingLeftBCD:
		// BCD fields pad with '0' only (validate), which in BCD is a
		// nibble like any digit.
		digits := size + padN
		left := f.Encoding == EncodingBCD && f.Type == TypeNumeric
		var fill byte // the nibble that makes an odd count whole
		if f.Type == TypeTrack {
			fill = 0xF
		}
		nib := make([]byte, 0, digits+1)
		if left && digits%2 == 1 {
			nib = append(nib, 0)
		}
		if !right {
			nib = appendRepeat(nib, 0, padN)
		}
		for _, c := range v {
			nib = append(nib, digitNibble(c))
		}
		if right {
			nib = appendRepeat(nib, 0, padN)
		}
		if len(nib)%2 == 1 {
			nib = append(nib, fill)
		}
		for i := 0; i < len(nib); i += 2 {
			dst = append(dst, nib[i]<<4|nib[i+1])
		}
	}
	return dst, nil
}

func appendRepeat(dst []byte, c byte, n int) []byte {
	for range n {
		dst = append(dst, c)
	}
	return dst
}

// digitNibble maps a checked n or z character to its BCD nibble.
func digitNibble(c byte) byte {
	if c == '=' || c == 'D' {
		return 0xD
	}
	return c - '0'
}

// appendLength appends the length prefix for n units.
func (f *Field) appendLength(dst []byte, n int) []byte {
	d := f.Prefix.digits()
	switch f.LengthEncoding {
	case EncodingBinary:
		for i := d - 1; i >= 0; i-- {
			dst = append(dst, byte(n>>(8*i)))
		}
	case EncodingBCD:
		var buf [4]byte
		for i := 3; i >= 0; i-- {
			buf[i] = byte(n % 10)
			n /= 10
		}
		nib := buf[4-d:]
		if d%2 == 1 {
			dst = append(dst, nib[0])
			nib = nib[1:]
		}
		for i := 0; i < len(nib); i += 2 {
			dst = append(dst, nib[i]<<4|nib[i+1])
		}
	default:
		var buf [4]byte
		for i := 3; i >= 0; i-- {
			buf[i] = '0' + byte(n%10)
			n /= 10
		}
		dst = append(dst, buf[4-d:]...)
	}
	return dst
}

// readLength decodes the length prefix at the start of b.
func (f *Field) readLength(n int, b []byte) (length, read int, err error) {
	ps := f.prefixSize()
	if len(b) < ps {
		return 0, 0, fieldErr(n, ErrTruncated, "length prefix cut short: %d bytes, want %d", len(b), ps)
	}
	p := b[:ps]
	switch f.LengthEncoding {
	case EncodingBinary:
		for _, c := range p {
			length = length<<8 | int(c)
		}
	case EncodingBCD:
		for i, c := range p {
			hi, lo := c>>4, c&0xF
			if hi > 9 || lo > 9 || i == 0 && f.Prefix.digits()%2 == 1 && hi != 0 {
				return 0, 0, fieldErr(n, ErrLength, "length prefix is not BCD")
			}
			length = length*100 + int(hi)*10 + int(lo)
		}
	default:
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, 0, fieldErr(n, ErrLength, "length prefix is not decimal digits")
			}
			length = length*10 + int(c-'0')
		}
	}
	if length > f.Length {
		return 0, 0, fieldErr(n, ErrLength, "length %d, maximum %d", length, f.Length)
	}
	return length, ps, nil
}

// readField decodes field n at the start of b: its value (aliasing b for
// ascii and binary encodings) and the bytes read.
func (f *Field) readField(n int, b []byte) ([]byte, int, error) {
	length, read := f.Length, 0
	if !f.fixed() {
		var err error
		if length, read, err = f.readLength(n, b); err != nil {
			return nil, 0, err
		}
	}
	size := f.dataSize(length)
	if len(b)-read < size {
		return nil, 0, fieldErr(n, ErrTruncated, "value needs %d bytes, %d left", size, len(b)-read)
	}
	data := b[read : read+size : read+size]
	var v []byte
	switch f.Encoding {
	case EncodingASCII, EncodingBinary:
		v = data
	case EncodingHex:
		v = make([]byte, length)
		if _, err := hex.Decode(v, data); err != nil {
			return nil, 0, fieldErr(n, ErrCharacter, "value is not hex")
		}
	case EncodingBCD, EncodingLeftBCD:
		var err error
		if v, err = f.decodeBCD(n, data, length); err != nil {
			return nil, 0, err
		}
	}
	if err := f.check(n, v); err != nil {
		return nil, 0, err
	}
	return v, read + size, nil
}

// decodeBCD unpacks length digits, refusing a fill nibble that Pack would
// not write (so that the message packs back to the same bytes).
func (f *Field) decodeBCD(n int, data []byte, length int) ([]byte, error) {
	v := make([]byte, 0, length)
	odd := length%2 == 1
	left := f.Encoding == EncodingBCD && f.Type == TypeNumeric
	var fill byte
	if f.Type == TypeTrack {
		fill = 0xF
	}
	for i := range 2 * len(data) {
		c := data[i/2]
		nib := c >> 4
		if i%2 == 1 {
			nib = c & 0xF
		}
		if odd && (left && i == 0 || !left && i == 2*len(data)-1) {
			if nib != fill {
				return nil, fieldErr(n, ErrCharacter, "BCD fill nibble is not %X", fill)
			}
			continue
		}
		switch {
		case nib <= 9:
			v = append(v, '0'+nib)
		case nib == 0xD && f.Type == TypeTrack:
			v = append(v, 'D')
		default:
			return nil, fieldErr(n, ErrCharacter, "invalid BCD digit at position %d", len(v)+1)
		}
	}
	return v, nil
}

// check validates v against the field type, and a tlv field's content.
func (f *Field) check(n int, v []byte) error {
	if f.Type != TypeBinary {
		pc, _ := f.pad()
		for i, c := range v {
			if !f.allowed(c) && (pc == 0 || c != pc) {
				return fieldErr(n, ErrCharacter, "character at position %d not allowed in type %s", i+1, f.Type)
			}
		}
	}
	if f.TLV {
		if _, err := emv.ParseTLV(v); err != nil {
			return &FieldError{Field: n, Err: fmt.Errorf("%w: %w", ErrTLV, err)}
		}
	}
	return nil
}
