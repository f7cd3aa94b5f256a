package iso8583

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// MaxField is the highest field number: three bitmaps of 64 bits.
const MaxField = 192

// Type is a field's ISO 8583 data type: which characters its value may hold.
type Type string

// Field types (ISO 8583:1987 §4.1 notation).
const (
	TypeNumeric      Type = "n"   // digits 0-9
	TypeAlpha        Type = "a"   // letters and space
	TypeAlphaNumeric Type = "an"  // letters, digits and space
	TypeText         Type = "ans" // printable ASCII, 0x20 to 0x7E
	TypeBinary       Type = "b"   // any bytes; the length counts bytes
	TypeTrack        Type = "z"   // track 2 and 3 code set: digits, '=' and 'D'
)

// Encoding is how a value, a length prefix, the MTI or a bitmap is written.
type Encoding string

// Encodings.
const (
	// EncodingASCII writes characters as they are (one byte each); a length
	// prefix is written as decimal digits.
	EncodingASCII Encoding = "ascii"
	// EncodingBCD packs two digits a byte. A numeric value with an odd
	// count of digits is right-aligned (a 0 nibble first); a z value is
	// left-aligned and ends with an F nibble, '=' and 'D' being the D
	// nibble. A length prefix is right-aligned decimal.
	EncodingBCD Encoding = "bcd"
	// EncodingLeftBCD packs two digits a byte, left-aligned: an odd count
	// ends with a 0 nibble (numeric values only; moov-io's LBCD).
	EncodingLeftBCD Encoding = "lbcd"
	// EncodingBinary writes bytes as they are; a length prefix is an
	// unsigned big-endian integer of as many bytes as the prefix has Ls.
	EncodingBinary Encoding = "binary"
	// EncodingHex writes each byte of a binary value as two hex digits
	// (upper case); the length still counts bytes. For bitmaps, 16 hex
	// digits per bitmap.
	EncodingHex Encoding = "hex"
)

// Prefix is a field's length form: fixed, or variable with a length prefix
// of one to four digits (L, LL, LLL, LLLL).
type Prefix string

// Length forms.
const (
	Fixed Prefix = "fixed"
	L     Prefix = "L"
	LL    Prefix = "LL"
	LLL   Prefix = "LLL"
	LLLL  Prefix = "LLLL"
)

// digits returns the size of the prefix in digits, 0 for fixed.
func (p Prefix) digits() int {
	switch p {
	case L:
		return 1
	case LL:
		return 2
	case LLL:
		return 3
	case LLLL:
		return 4
	}
	return 0
}

// Field declares one data element.
type Field struct {
	// Description names the field, e.g. "Primary Account Number".
	Description string `json:"description,omitempty"`
	// Type is the field's data type.
	Type Type `json:"type"`
	// Length is the exact length of a fixed field or the maximum of a
	// variable one: characters or digits, or bytes for type b.
	Length int `json:"length"`
	// Prefix is the length form ("" is fixed).
	Prefix Prefix `json:"prefix,omitempty"`
	// LengthEncoding is the encoding of the length prefix: ascii, bcd or
	// binary (variable fields only).
	LengthEncoding Encoding `json:"lengthEncoding,omitempty"`
	// Encoding is the encoding of the value: ascii (types n, a, an, ans, z),
	// bcd (n, z), lbcd (n), binary or hex (b).
	Encoding Encoding `json:"encoding"`
	// PadLeft and PadRight name the one character a shorter value of a
	// fixed field is padded with when packed (at most one of them; none:
	// the value must have the exact length). Padding is part of the value:
	// Unpack keeps it, so that packing again gives the same bytes.
	PadLeft  string `json:"padLeft,omitempty"`
	PadRight string `json:"padRight,omitempty"`
	// TLV marks a type b field holding BER-TLV data objects (field 55).
	TLV bool `json:"tlv,omitempty"`
}

// Spec is a message layout: how the MTI and bitmaps are written and the
// fields a message may carry.
type Spec struct {
	// Name identifies the spec, e.g. "iso87ascii".
	Name string `json:"name"`
	// Description says what the spec is for.
	Description string `json:"description,omitempty"`
	// MTIEncoding is ascii (4 bytes) or bcd (2 bytes).
	MTIEncoding Encoding `json:"mtiEncoding"`
	// BitmapEncoding is binary (8 bytes a bitmap) or hex (16 characters).
	BitmapEncoding Encoding `json:"bitmapEncoding"`
	// Fields maps field numbers 2 to 192, except 65 (the tertiary bitmap
	// flag), to their declarations.
	Fields map[int]*Field `json:"fields"`
}

// ParseSpec decodes a spec from JSON (the layout of Spec's JSON tags;
// unknown members are errors) and validates it.
func ParseSpec(b []byte) (*Spec, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("iso8583: spec: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("iso8583: spec: %w: data after the JSON object", ErrSpec)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadSpec reads and validates a JSON spec file (ParseSpec).
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("iso8583: %w", err)
	}
	return ParseSpec(b)
}

// Numbers returns the spec's field numbers in ascending order.
func (s *Spec) Numbers() []int {
	ns := make([]int, 0, len(s.Fields))
	for n := range s.Fields {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	return ns
}

// Validate checks that the spec can pack and unpack: known encodings and
// types, encodings that suit the type, lengths a prefix can carry, padding
// on fixed fields only. Errors name the field (0: the MTI, 1: the bitmaps).
func (s *Spec) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("iso8583: spec: %w: no name", ErrSpec)
	}
	if s.MTIEncoding != EncodingASCII && s.MTIEncoding != EncodingBCD {
		return specErr(0, "mtiEncoding must be ascii or bcd")
	}
	if s.BitmapEncoding != EncodingBinary && s.BitmapEncoding != EncodingHex {
		return specErr(1, "bitmapEncoding must be binary or hex")
	}
	if len(s.Fields) == 0 {
		return fmt.Errorf("iso8583: spec: %w: no fields", ErrSpec)
	}
	for _, n := range s.Numbers() {
		if n < 2 || n > MaxField || n == 65 {
			return specErr(n, "field numbers are 2 to 192, without 65 (the tertiary bitmap flag)")
		}
		if err := s.Fields[n].validate(n); err != nil {
			return err
		}
	}
	return nil
}

func specErr(n int, detail string) error {
	return &FieldError{Field: n, Err: ErrSpec, Detail: "spec: " + detail}
}

func (f *Field) validate(n int) error {
	if f == nil {
		return specErr(n, "no declaration")
	}
	switch f.Type {
	case TypeNumeric, TypeTrack:
		if f.Encoding != EncodingASCII && f.Encoding != EncodingBCD && !(f.Type == TypeNumeric && f.Encoding == EncodingLeftBCD) {
			return specErr(n, "encoding of a type "+string(f.Type)+" field must be ascii or bcd (lbcd for n)")
		}
	case TypeAlpha, TypeAlphaNumeric, TypeText:
		if f.Encoding != EncodingASCII {
			return specErr(n, "encoding of a type "+string(f.Type)+" field must be ascii")
		}
	case TypeBinary:
		if f.Encoding != EncodingBinary && f.Encoding != EncodingHex {
			return specErr(n, "encoding of a type b field must be binary or hex")
		}
	default:
		return specErr(n, "type must be one of n, a, an, ans, b, z")
	}
	if f.TLV && f.Type != TypeBinary {
		return specErr(n, "tlv is for type b fields")
	}
	if f.Length < 1 || f.Length > 9999 {
		return specErr(n, "length must be 1 to 9999")
	}
	switch f.Prefix {
	case "", Fixed:
		if f.LengthEncoding != "" {
			return specErr(n, "a fixed field has no lengthEncoding")
		}
	case L, LL, LLL, LLLL:
		switch f.LengthEncoding {
		case EncodingASCII, EncodingBCD, EncodingBinary:
		default:
			return specErr(n, "lengthEncoding must be ascii, bcd or binary")
		}
		if f.Length > prefixMax(f.Prefix, f.LengthEncoding) {
			return specErr(n, "length is more than the prefix can carry")
		}
		if f.PadLeft != "" || f.PadRight != "" {
			return specErr(n, "only fixed fields are padded")
		}
	default:
		return specErr(n, "prefix must be fixed, L, LL, LLL or LLLL")
	}
	if f.PadLeft != "" && f.PadRight != "" {
		return specErr(n, "padLeft and padRight exclude each other")
	}
	if p := f.PadLeft + f.PadRight; p != "" {
		if len(p) != 1 || !f.allowed(p[0]) && p[0] != ' ' {
			return specErr(n, "padding must be one character the type allows, or a space")
		}
		if f.Type == TypeBinary || f.Encoding != EncodingASCII && p[0] != '0' {
			return specErr(n, "only ascii fields, or BCD fields with 0, are padded")
		}
	}
	return nil
}

// prefixMax is the largest length a prefix can carry.
func prefixMax(p Prefix, enc Encoding) int {
	d := p.digits()
	if enc == EncodingBinary {
		if d == 1 {
			return 255
		}
		return 9999 // the largest Length, below what two bytes carry
	}
	m := 1
	for range d {
		m *= 10
	}
	return m - 1
}

// fixed reports whether the field has a fixed length.
func (f *Field) fixed() bool { return f.Prefix == "" || f.Prefix == Fixed }

// pad returns the padding character and side (right), or 0.
func (f *Field) pad() (c byte, right bool) {
	switch {
	case f.PadLeft != "":
		return f.PadLeft[0], false
	case f.PadRight != "":
		return f.PadRight[0], true
	}
	return 0, false
}

// allowed reports whether the type allows character c (for type b, any).
func (f *Field) allowed(c byte) bool {
	switch f.Type {
	case TypeNumeric:
		return c >= '0' && c <= '9'
	case TypeTrack:
		return c >= '0' && c <= '9' || c == '=' || c == 'D'
	case TypeAlpha:
		return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == ' '
	case TypeAlphaNumeric:
		return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ' '
	case TypeText:
		return c >= 0x20 && c <= 0x7E
	}
	return true
}

// Format returns the field's ISO notation, e.g. "n..19 LL ascii".
func (f *Field) Format() string {
	dots := ""
	if !f.fixed() {
		dots = "..."[:min(3, f.Prefix.digits())]
		return fmt.Sprintf("%s%s%d %s/%s", f.Type, dots, f.Length, f.LengthEncoding, f.Encoding)
	}
	return fmt.Sprintf("%s%d %s", f.Type, f.Length, f.Encoding)
}
