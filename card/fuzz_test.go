package card

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// FuzzParseCAVV checks that ParseCAVV never panics, that it fails only with
// a CAVV *FieldError, and that every accepted CAVV is valid and packs back
// to the same 20 bytes.
func FuzzParseCAVV(f *testing.F) {
	for _, v := range loadVectors(f).VisaCAVV {
		f.Add(unhex(f, v.CAVV))
	}
	f.Add(unhex(f, "00020100050042000000000000004213C0000201"))
	f.Add(unhex(f, "0A00010972799396022310347279930000000000")) // bad ARC nibble
	f.Add(make([]byte, CAVVLen))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCAVV(b)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrCAVV) {
				t.Fatalf("error %v is not a CAVV *FieldError", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed CAVV does not validate: %v", err)
		}
		if have := c.Append(nil); !bytes.Equal(have, b) {
			t.Fatalf("round trip: have %X, want %X", have, b)
		}
	})
}

// FuzzParseAAV checks that ParseAAV never panics, fails only with an AAV
// *FieldError, and that every accepted AAV packs back to the same bytes.
func FuzzParseAAV(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.AAVHMAC {
		f.Add(unhex(f, v.AAV))
	}
	for _, v := range vf.AAVCVC2 {
		f.Add(unhex(f, v.AAV))
	}
	f.Add(make([]byte, AAVLen))
	f.Add([]byte{0x86})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAAV(b)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrAAV) {
				t.Fatalf("error %v is not an AAV *FieldError", err)
			}
			return
		}
		if have := a.Append(nil); !bytes.Equal(have, b) {
			t.Fatalf("round trip: have %X, want %X", have, b)
		}
		if a.MACKind() == 0 {
			t.Fatalf("accepted AAV with a reserved ACS identifier")
		}
	})
}

// FuzzDecodeCAVV checks that DecodeCAVV never panics and accepts only the
// canonical encodings of 20 bytes: re-encoding the result in the form it
// was sent in gives back the input.
func FuzzDecodeCAVV(f *testing.F) {
	for _, v := range loadVectors(f).VisaCAVV {
		f.Add(v.CAVV)
		f.Add(v.CAVVBase64)
	}
	f.Add("jHyn-7YFi1EUAREAAAAvNUe6Hv8")
	f.Add("jHyn+7YFi1EUAREAAAAvNUe6Hv8\n")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeCAVV(s)
		if err != nil {
			if b != nil || !errors.Is(err, ErrCAVV) {
				t.Fatalf("DecodeCAVV = %X, %v", b, err)
			}
			return
		}
		if len(b) != CAVVLen {
			t.Fatalf("decoded %d bytes", len(b))
		}
		switch s {
		case hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
			base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
			base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b):
		default:
			if len(s) != 40 || !strings.EqualFold(s, hex.EncodeToString(b)) {
				t.Fatalf("accepted a non-canonical encoding %q", s)
			}
		}
	})
}

// FuzzVerify checks that arbitrary CW/CY field content never panics, that
// errors are the documented sentinels, and that a generated value verifies.
func FuzzVerify(f *testing.F) {
	for _, v := range loadVectors(f).CVV {
		f.Add(v.PAN, v.Expiry, v.ServiceCode, v.CVV)
	}
	f.Add("", "", "", "")
	f.Add("41234567890123456789", "87011", "1011", "5611")
	k := newCVK(f, "0123456789ABCDEFFEDCBA9876543210")
	f.Fuzz(func(t *testing.T, pan, exp, sc, val string) {
		ok, err := k.Verify(pan, exp, sc, val)
		if err != nil {
			if ok || !(errors.Is(err, ErrPAN) || errors.Is(err, ErrExpiry) || errors.Is(err, ErrServiceCode) || errors.Is(err, ErrValue)) {
				t.Fatalf("Verify = %v, %v", ok, err)
			}
			return
		}
		v, err := k.Generate(pan, exp, sc)
		if err != nil || len(v) != ValueLen || !isDigits(v) {
			t.Fatalf("Generate = %q, %v", v, err)
		}
		if ok != (v == val) {
			t.Fatalf("Verify = %v, but the generated value equal to it is %v", ok, v == val)
		}
	})
}
