package emv

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// FuzzParseTLV checks that ParseTLV never panics, that every error is a
// *TLVError, and that an accepted input re-encodes (AppendTLV) to bytes that
// parse to the same tree.
func FuzzParseTLV(f *testing.F) {
	for _, s := range []string{
		field55, "", "00", "82021800", "9F1081030102039F3602001C", "DF81820101AA",
		"E0059F3602001D", "8684000000010A", "9F", "E080", "86850000000001AA",
		"E006E004E0028000", "FF0100",
	} {
		b, err := hex.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tlvs, err := ParseTLV(in)
		if err != nil {
			if _, ok := err.(*TLVError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		var enc []byte
		for _, tl := range tlvs {
			enc = AppendTLV(enc, tl)
		}
		back, err := ParseTLV(enc)
		if err != nil {
			t.Fatalf("re-encoded input does not parse: %v", err)
		}
		if !sameTree(tlvs, back) {
			t.Fatalf("round trip changed the tree")
		}
	})
}

func sameTree(a, b []TLV) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Tag != b[i].Tag || !bytes.Equal(a[i].Value, b[i].Value) || !sameTree(a[i].Children, b[i].Children) {
			return false
		}
	}
	return true
}
