package emv

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// MaxTLVDepth is the most levels of data objects ParseTLV accepts, the top
// level being 1 (ours; ICC data in field 55 uses two levels at most, e.g. an
// issuer script template 71 holding 9F18 and 86).
const MaxTLVDepth = 8

// TLV errors; ParseTLV wraps them in a *TLVError that gives the offset.
var (
	ErrTLVTruncated = errors.New("emv: tlv: tag or length cut short")
	ErrTLVPastEnd   = errors.New("emv: tlv: value runs past the end")
	ErrTLVLength    = errors.New("emv: tlv: unsupported length form")
	ErrTLVTag       = errors.New("emv: tlv: invalid tag")
	ErrTLVDepth     = errors.New("emv: tlv: nesting too deep")
	ErrTagMissing   = errors.New("emv: tlv: tag missing")
	ErrTagRepeated  = errors.New("emv: tlv: tag occurs more than once")
)

// TLVError locates a BER-TLV decoding failure. It carries the offset and the
// tag (when read), never data.
type TLVError struct {
	Offset int    // offset of the data object in the input
	Tag    uint32 // the tag, 0 if it could not be read
	Err    error  // one of the ErrTLV* values
}

// Error implements error; it names the offset and tag, never data.
func (e *TLVError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "emv: tlv: ")
	if e.Tag != 0 {
		return fmt.Sprintf("emv: tlv at offset %d (tag %X): %s", e.Offset, e.Tag, msg)
	}
	return fmt.Sprintf("emv: tlv at offset %d: %s", e.Offset, msg)
}

// Unwrap returns the ErrTLV* value, for errors.Is.
func (e *TLVError) Unwrap() error { return e.Err }

// TagError names the tag Concat could not use; Err is ErrTagMissing or
// ErrTagRepeated.
type TagError struct {
	Tag uint32
	Err error
}

// Error implements error.
func (e *TagError) Error() string {
	what := "occurs more than once"
	if e.Err == ErrTagMissing {
		what = "missing"
	}
	return fmt.Sprintf("emv: tlv: tag %X %s", e.Tag, what)
}

// Unwrap returns ErrTagMissing or ErrTagRepeated, for errors.Is.
func (e *TagError) Unwrap() error { return e.Err }

// TLV is one BER-TLV data object (EMV 4.3 Book 3 Annex B, ISO/IEC 8825-1).
type TLV struct {
	// Tag holds the tag bytes big-endian, e.g. 0x9F02, 0x5F2A, 0x82.
	Tag uint32
	// Value is the content; it aliases the parsed input.
	Value []byte
	// Children holds the parsed content of a constructed object.
	Children []TLV
}

// Constructed reports whether the tag marks a constructed object (bit 6 of
// its first byte).
func (t TLV) Constructed() bool { return tagConstructed(t.Tag) }

func tagConstructed(tag uint32) bool {
	return byte(tag>>(8*(tagLen(tag)-1)))&0x20 != 0
}

// tagLen is the number of bytes of the tag's encoding.
func tagLen(tag uint32) int { return max(1, (bits.Len32(tag)+7)/8) }

// ParseTLV decodes a sequence of BER-TLV data objects, such as the ICC
// system related data of ISO 8583 field 55, following EMV 4.3 Book 3 Annex
// B: tags of one to four bytes (0x1F in the low bits of the first byte
// starts a multi-byte tag, bit 8 of each later byte continues it), lengths in
// short form or long form 0x81-0x84, constructed objects (bit 6 of the first
// tag byte) parsed recursively up to MaxTLVDepth. Zero bytes between objects
// are skipped (Book 3 B1). Indefinite lengths, a first tag byte of 0xFF,
// a value running past the end of its container and truncated tags or
// lengths are errors (*TLVError); ParseTLV never panics.
func ParseTLV(b []byte) ([]TLV, error) {
	return parseTLV(b, 0, 1)
}

func parseTLV(b []byte, base, depth int) ([]TLV, error) {
	var out []TLV
	for i := 0; i < len(b); {
		if b[i] == 0x00 {
			i++
			continue
		}
		start := i
		tag, n, err := readTag(b[i:])
		if err != nil {
			return nil, &TLVError{Offset: base + start, Err: err}
		}
		i += n
		l, n, err := readLength(b[i:])
		if err == nil && l > uint64(len(b)-i-n) {
			err = ErrTLVPastEnd
		}
		if err != nil {
			return nil, &TLVError{Offset: base + start, Tag: tag, Err: err}
		}
		i += n
		t := TLV{Tag: tag, Value: b[i : i+int(l) : i+int(l)]}
		if tagConstructed(tag) && l > 0 {
			if depth >= MaxTLVDepth {
				return nil, &TLVError{Offset: base + start, Tag: tag, Err: ErrTLVDepth}
			}
			if t.Children, err = parseTLV(t.Value, base+i, depth+1); err != nil {
				return nil, err
			}
		}
		out = append(out, t)
		i += int(l)
	}
	return out, nil
}

// readTag reads a tag of at most four bytes.
func readTag(b []byte) (tag uint32, n int, err error) {
	if b[0] == 0xFF {
		return 0, 0, ErrTLVTag
	}
	tag, n = uint32(b[0]), 1
	if b[0]&0x1F != 0x1F {
		return tag, n, nil
	}
	for {
		if n == len(b) {
			return 0, 0, ErrTLVTruncated
		}
		if n == 4 {
			return 0, 0, ErrTLVTag // longer than four bytes
		}
		c := b[n]
		tag = tag<<8 | uint32(c)
		n++
		if c&0x80 == 0 {
			return tag, n, nil
		}
	}
}

// readLength reads a short-form or 0x81-0x84 long-form length.
func readLength(b []byte) (l uint64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, ErrTLVTruncated
	}
	c := b[0]
	if c < 0x80 {
		return uint64(c), 1, nil
	}
	k := int(c & 0x7F)
	if k == 0 || k > 4 {
		return 0, 0, ErrTLVLength // indefinite, or more than four length bytes
	}
	if len(b) < 1+k {
		return 0, 0, ErrTLVTruncated
	}
	for _, x := range b[1 : 1+k] {
		l = l<<8 | uint64(x)
	}
	return l, 1 + k, nil
}

// AppendTLV appends the BER-TLV encoding of t (its tag, the minimal length
// form for len(t.Value), and t.Value) to dst. Children are not encoded:
// a constructed object's Value must already hold its encoded content.
func AppendTLV(dst []byte, t TLV) []byte {
	for i := tagLen(t.Tag) - 1; i >= 0; i-- {
		dst = append(dst, byte(t.Tag>>(8*i)))
	}
	switch l := len(t.Value); {
	case l < 0x80:
		dst = append(dst, byte(l))
	case l <= 0xFF:
		dst = append(dst, 0x81, byte(l))
	case l <= 0xFFFF:
		dst = append(dst, 0x82, byte(l>>8), byte(l))
	case l <= 0xFFFFFF:
		dst = append(dst, 0x83, byte(l>>16), byte(l>>8), byte(l))
	default:
		dst = append(dst, 0x84, byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
	}
	return append(dst, t.Value...)
}

// Find returns the first data object with the given tag, searching
// constructed objects depth first.
func Find(tlvs []TLV, tag uint32) (TLV, bool) {
	for _, t := range tlvs {
		if t.Tag == tag {
			return t, true
		}
		if f, ok := Find(t.Children, tag); ok {
			return f, true
		}
	}
	return TLV{}, false
}

// count returns how many objects in the tree carry tag.
func count(tlvs []TLV, tag uint32) int {
	n := 0
	for _, t := range tlvs {
		if t.Tag == tag {
			n++
		}
		n += count(t.Children, tag)
	}
	return n
}

// Concat returns the values of the given tags concatenated in that order:
// the input of an application cryptogram built from ICC data (see ACTags).
// Each tag must occur exactly once in tlvs (nested objects included); a
// missing tag gives ErrTagMissing and a repeated one ErrTagRepeated, inside
// a *TagError, so the data signed can never be ambiguous (ours).
func Concat(tlvs []TLV, tags ...uint32) ([]byte, error) {
	var out []byte
	for _, tag := range tags {
		switch count(tlvs, tag) {
		case 0:
			return nil, &TagError{Tag: tag, Err: ErrTagMissing}
		case 1:
		default:
			return nil, &TagError{Tag: tag, Err: ErrTagRepeated}
		}
		t, _ := Find(tlvs, tag)
		out = append(out, t.Value...)
	}
	return out, nil
}

// ACTags returns the data elements EMV recommends as the minimum input of
// an application cryptogram, in order (EMV 4.3 Book 2 §8.1.1 Table 26):
// amount authorised 9F02, amount other 9F03, terminal country code 9F1A,
// TVR 95, transaction currency code 5F2A, transaction date 9A, transaction
// type 9C, unpredictable number 9F37, AIP 82, ATC 9F36. The card's own data
// (CVR or issuer application data, see Profile.CardData) follows them.
func ACTags() []uint32 {
	return []uint32{0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82, 0x9F36}
}
