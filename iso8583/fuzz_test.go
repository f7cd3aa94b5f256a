package iso8583

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzUnpack checks that Unpack never panics with either shipped spec, that
// every error is a *FieldError, and that an accepted message packs back to
// the same bytes (hex letters aside, which Pack writes in upper case).
func FuzzUnpack(f *testing.F) {
	for _, v := range loadVectors(f).Messages {
		f.Add(mustHexF(f, v.Packed))
	}
	for _, name := range Names() {
		s, _ := Lookup(name)
		b, err := authMessage().Pack(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("0100C000000000000000"))
	f.Add([]byte("0100" + "0000000000000200" + "005\x9f\x02\x06\x00\x00"))
	specs := []*Spec{}
	for _, name := range Names() {
		s, _ := Lookup(name)
		specs = append(specs, s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, s := range specs {
			m, err := Unpack(s, in)
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("%s: error of type %T: %v", s.Name, err, err)
				}
				continue
			}
			out, err := m.Pack(s)
			if err != nil {
				t.Fatalf("%s: accepted message does not pack: %v", s.Name, err)
			}
			if !bytes.Equal(bytes.ToUpper(out), bytes.ToUpper(in)) && s.BitmapEncoding == EncodingHex {
				t.Fatalf("%s: repack differs:\n in %X\nout %X", s.Name, in, out)
			}
			if s.BitmapEncoding == EncodingBinary && !bytes.Equal(out, in) {
				t.Fatalf("%s: repack differs:\n in %X\nout %X", s.Name, in, out)
			}
		}
	})
}

// FuzzTLVField drives arbitrary bytes through a tlv field (field 55 of the
// binary spec): BER-TLV errors come back as field 55 errors, never panics,
// and accepted ICC data round trips byte for byte.
func FuzzTLVField(f *testing.F) {
	for _, s := range []string{
		"9A032107209F0206000000000501", "", "00", "9F1081030102039F3602001C", "E0059F3602001D",
		"9F", "9F1082 01", "DF01030102039F2608", "FF0100", "E006E004E0028000",
	} {
		f.Add(mustHexF(f, s))
	}
	s, _ := Lookup(ISO87Binary)
	f.Fuzz(func(t *testing.T, icc []byte) {
		if len(icc) > 999 {
			return
		}
		m := NewMessage("0100")
		m.Set(55, icc)
		b, err := m.Pack(s)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != 55 || !errors.Is(err, ErrTLV) {
				t.Fatalf("pack error %v", err)
			}
			return
		}
		u, err := Unpack(s, b)
		if err != nil {
			t.Fatalf("packed ICC data does not unpack: %v", err)
		}
		if got, _ := u.Field(55); !bytes.Equal(got, icc) {
			t.Fatalf("ICC data changed")
		}
	})
}

func mustHexF(f testing.TB, s string) []byte {
	f.Helper()
	b := make([]byte, 0, len(s)/2)
	clean := bytes.ReplaceAll([]byte(s), []byte(" "), nil)
	for i := 0; i+1 < len(clean); i += 2 {
		var v byte
		for _, c := range clean[i : i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= c - '0'
			case c >= 'A' && c <= 'F':
				v |= c - 'A' + 10
			case c >= 'a' && c <= 'f':
				v |= c - 'a' + 10
			}
		}
		b = append(b, v)
	}
	return b
}
