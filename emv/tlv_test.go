package emv

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// field55 is ICC data as a terminal sends it in ISO 8583 field 55: the
// PYEMV test_cvn_hsm.py Visa CVN 18 transaction, TLV-encoded, plus the
// cryptogram 9F26, the CID 9F27 and an issuer script template 71.
const field55 = "9F2608" + "7A788EA6B8A3E733" +
	"9F2701" + "80" +
	"9F1007" + "06011203A0B800" +
	"9F3704" + "52BF4585" +
	"9F3602" + "001C" +
	"9505" + "8000048000" +
	"9A03" + "191105" +
	"9C01" + "01" +
	"9F0206" + "000000004000" +
	"5F2A02" + "0124" +
	"8202" + "1800" +
	"9F1A02" + "0124" +
	"9F0306" + "000000000000" +
	"710A" + "9F180400000001" + "8600" + "0000" // script template: 9F18, empty 86, two padding zeros

func TestParseTLVField55(t *testing.T) {
	tlvs, err := ParseTLV(unhex(t, field55))
	if err != nil {
		t.Fatal(err)
	}
	if len(tlvs) != 14 {
		t.Fatalf("have %d objects, want 14", len(tlvs))
	}
	script := tlvs[13]
	if script.Tag != 0x71 || !script.Constructed() || len(script.Children) != 2 ||
		script.Children[0].Tag != 0x9F18 || script.Children[1].Tag != 0x86 || len(script.Children[1].Value) != 0 {
		t.Errorf("script template: %+v", script)
	}
	if f, ok := Find(tlvs, 0x9F18); !ok || !bytes.Equal(f.Value, []byte{0, 0, 0, 1}) {
		t.Errorf("Find(9F18) = %X, %v", f.Value, ok)
	}
	// The Visa CVN 18 cryptogram input: the recommended tags, then the
	// whole 9F10 value (payment-crypto.md §5.4), checked against the vector.
	data, err := Concat(tlvs, append(ACTags(), 0x9F10)...)
	if err != nil {
		t.Fatal(err)
	}
	v := loadVectors(t).Shared.CVN
	if want := unhex(t, v.VisaData+v.Visa[1].Extra); !bytes.Equal(data, want) {
		t.Fatalf("Concat: have %X, want %X", data, want)
	}
	arqc, _ := Find(tlvs, 0x9F26)
	ok, err := VerifyARQC(block(t, "0123456789ABCDEFFEDCBA9876543210"), mustProfile(t, "visa-cvn18"),
		v.PAN, v.PSN, [2]byte(unhexN(t, v.ATC, 2)), [4]byte{}, data, [8]byte(arqc.Value))
	if err != nil || !ok {
		t.Errorf("VerifyARQC from field 55 = %v, %v", ok, err)
	}
}

func TestParseTLVForms(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		tags []uint32
		lens []int
	}{
		{"empty input", "", nil, nil},
		{"only padding", "000000", nil, nil},
		{"one-byte tag", "82021800", []uint32{0x82}, []int{2}},
		{"two-byte tag", "9F360200 1C", []uint32{0x9F36}, []int{2}},
		{"three-byte tag", "DF810101 AA", []uint32{0xDF8101}, []int{1}},
		{"four-byte tag", "DF81820101 AA", []uint32{0xDF818201}, []int{1}},
		{"long form 81", "9F1081 03 010203", []uint32{0x9F10}, []int{3}},
		{"long form 82", "8682012C" + strings.Repeat("AB", 300), []uint32{0x86}, []int{300}},
		{"long form 84 non-minimal", "8684 00000001 AA", []uint32{0x86}, []int{1}},
		{"zero length", "8600", []uint32{0x86}, []int{0}},
		{"padding between objects", "00 8201AA 00 00 9C0101", []uint32{0x82, 0x9C}, []int{1, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tlvs, err := ParseTLV(unhex(t, strings.ReplaceAll(c.in, " ", "")))
			if err != nil {
				t.Fatal(err)
			}
			if len(tlvs) != len(c.tags) {
				t.Fatalf("have %d objects, want %d", len(tlvs), len(c.tags))
			}
			for i, tl := range tlvs {
				if tl.Tag != c.tags[i] || len(tl.Value) != c.lens[i] {
					t.Errorf("object %d: tag %X len %d, want %X len %d", i, tl.Tag, len(tl.Value), c.tags[i], c.lens[i])
				}
			}
		})
	}
}

func TestParseTLVErrors(t *testing.T) {
	nest := func(levels int) string { // levels-1 templates around a primitive
		s := "8001AA"
		for range levels - 1 {
			s = "E0" + hexByte(len(s)/2) + s
		}
		return s
	}
	for _, c := range []struct {
		name   string
		in     string
		want   error
		offset int
	}{
		{"truncated multi-byte tag", "9F", ErrTLVTruncated, 0},
		{"truncated tag continuation", "DF81", ErrTLVTruncated, 0},
		{"tag over four bytes", "DF81818101AA", ErrTLVTag, 0},
		{"tag FF", "FF0100", ErrTLVTag, 0},
		{"missing length", "82", ErrTLVTruncated, 0},
		{"truncated long length", "9F1082 01", ErrTLVTruncated, 0},
		{"length past end", "9F3604 001C", ErrTLVPastEnd, 0},
		{"long length past end", "9F1081 05 0102", ErrTLVPastEnd, 0},
		{"huge length", "86 84 FFFFFFFF 00", ErrTLVPastEnd, 0},
		{"indefinite length", "E080 8001AA 0000", ErrTLVLength, 0},
		{"five length bytes", "86 85 0000000001 AA", ErrTLVLength, 0},
		{"second object past end", "8201AA 9C02 01", ErrTLVPastEnd, 3},
		{"bad child", "E004 9F3602 00", ErrTLVPastEnd, 2},
		{"too deep", nest(MaxTLVDepth + 1), ErrTLVDepth, 2 * (MaxTLVDepth - 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTLV(unhex(t, strings.ReplaceAll(c.in, " ", "")))
			if !errors.Is(err, c.want) {
				t.Fatalf("have %v, want %v", err, c.want)
			}
			var te *TLVError
			if !errors.As(err, &te) || te.Offset != c.offset {
				t.Errorf("have %#v, want offset %d", err, c.offset)
			}
			if !strings.HasPrefix(err.Error(), "emv: tlv at offset ") {
				t.Errorf("message %q", err)
			}
		})
	}
	// MaxTLVDepth levels are accepted.
	tlvs, err := ParseTLV(unhex(t, nest(MaxTLVDepth)))
	if err != nil {
		t.Fatalf("%d levels: %v", MaxTLVDepth, err)
	}
	depth := 0
	for l := tlvs; len(l) > 0; l = l[0].Children {
		depth++
	}
	if depth != MaxTLVDepth {
		t.Errorf("depth %d, want %d", depth, MaxTLVDepth)
	}
}

func hexByte(n int) string { return fmt.Sprintf("%02X", n) }

func TestConcatErrors(t *testing.T) {
	tlvs, err := ParseTLV(unhex(t, "9F3602001C"+"E0059F3602001D"+"9C0101"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Concat(tlvs, 0x9C, 0x9F37); !errors.Is(err, ErrTagMissing) || !strings.Contains(err.Error(), "9F37") {
		t.Errorf("missing tag: have %v", err)
	}
	if _, err := Concat(tlvs, 0x9F36); !errors.Is(err, ErrTagRepeated) {
		t.Errorf("repeated tag (once nested): have %v", err)
	}
	if have, err := Concat(tlvs, 0x9C, 0x9C); err != nil || !bytes.Equal(have, []byte{1, 1}) {
		t.Errorf("Concat(9C, 9C) = %X, %v", have, err)
	}
}

func TestAppendTLV(t *testing.T) {
	for _, c := range []struct {
		tag  uint32
		n    int
		want string // header
	}{
		{0x82, 2, "8202"},
		{0x9F36, 0x7F, "9F367F"},
		{0x9F10, 0x80, "9F108180"},
		{0x86, 0x100, "86820100"},
		{0xDF8101, 0x10000, "DF810183010000"},
	} {
		v := bytes.Repeat([]byte{7}, c.n)
		have := AppendTLV([]byte{0xEE}, TLV{Tag: c.tag, Value: v})
		want := append(append([]byte{0xEE}, unhex(t, c.want)...), v...)
		if !bytes.Equal(have, want) {
			t.Errorf("tag %X len %d: header %X, want %s", c.tag, c.n, have[1:min(len(have), 9)], c.want)
		}
		back, err := ParseTLV(have[1:])
		if err != nil || len(back) != 1 || back[0].Tag != c.tag || !bytes.Equal(back[0].Value, v) {
			t.Errorf("round trip of tag %X: %v", c.tag, err)
		}
	}
}
