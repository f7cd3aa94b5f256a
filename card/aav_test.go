package card

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// TestAAVHMACVectors checks the pablom/go-cavv SPA AAV HMAC rows: the
// merchant hash, the MAC, packing, unpacking, base64 and verification.
func TestAAVHMACVectors(t *testing.T) {
	for _, v := range loadVectors(t).AAVHMAC {
		h := MerchantHash(v.Merchant)
		if have := hex.EncodeToString(h[:]); !strings.EqualFold(have, v.MerchantHash) {
			t.Errorf("%s: MerchantHash: have %s, want %s", v.Source, have, v.MerchantHash)
		}
		raw := unhex(t, v.AAV)
		a := AAV{Control: v.Control, MerchantHash: h, ACSID: v.ACSID, AuthMethod: v.AuthMethod, BINKeyID: v.BINKeyID, TSN: v.TSN}
		key := unhex(t, v.Key)
		mac, err := AAVHMAC(key, v.PAN, a)
		if err != nil || !bytes.Equal(mac[:], raw[15:]) {
			t.Errorf("%s: AAVHMAC = %X, %v; want %X", v.Source, mac, err, raw[15:])
		}
		a.MAC = mac
		if have := a.Append(nil); !bytes.Equal(have, raw) {
			t.Errorf("%s: Append: have %X, want %X", v.Source, have, raw)
		}
		parsed, err := ParseAAV(raw)
		if err != nil || parsed != a {
			t.Errorf("%s: ParseAAV = %+v, %v; want %+v", v.Source, parsed, err, a)
		}
		if parsed.MACKind() != AAVMACHMAC {
			t.Errorf("%s: MACKind = %d, want HMAC", v.Source, parsed.MACKind())
		}
		if ok, err := VerifyAAVHMAC(key, v.PAN, parsed); !ok || err != nil {
			t.Errorf("%s: VerifyAAVHMAC = %v, %v; want true", v.Source, ok, err)
		}
		if v.AAVBase64 != "" {
			b, err := DecodeAAV(v.AAVBase64)
			if err != nil || !bytes.Equal(b, raw) {
				t.Errorf("%s: DecodeAAV(base64) = %X, %v", v.Source, b, err)
			}
		}
	}
}

// TestVerifyAAVHMACRejects checks that the first go-cavv AAV fails under a
// wrong key or PAN and after any change to the bytes the MAC covers.
func TestVerifyAAVHMACRejects(t *testing.T) {
	const aav, pan = "8C7CA7FBB6058B511401110000002F3547BA1EFF", "5432109876543210"
	key := bytes.Repeat([]byte{0x0B}, 20)
	good, err := ParseAAV(unhex(t, aav))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyAAVHMAC(key, pan, good); !ok || err != nil {
		t.Fatalf("VerifyAAVHMAC(good) = %v, %v", ok, err)
	}
	tests := []struct {
		name string
		key  []byte
		pan  string
		edit func(*AAV)
	}{
		{"wrong key", bytes.Repeat([]byte{0x0C}, 20), pan, nil},
		{"key one byte shorter", key[:19], pan, nil},
		{"wrong PAN", key, "5432109876543211", nil},
		{"PAN one digit shorter", key, pan[:15], nil},
		{"control byte", key, pan, func(a *AAV) { a.Control = AAVControlAttempts }},
		{"merchant hash", key, pan, func(a *AAV) { a.MerchantHash[7] ^= 1 }},
		{"ACS identifier", key, pan, func(a *AAV) { a.ACSID = 2 }},
		{"authentication method", key, pan, func(a *AAV) { a.AuthMethod = 2 }},
		{"BIN key id", key, pan, func(a *AAV) { a.BINKeyID = 2 }},
		{"TSN", key, pan, func(a *AAV) { a.TSN++ }},
		{"MAC", key, pan, func(a *AAV) { a.MAC[4] ^= 0x80 }},
	}
	for _, tt := range tests {
		a := good
		if tt.edit != nil {
			tt.edit(&a)
		}
		if ok, err := VerifyAAVHMAC(tt.key, tt.pan, a); ok || err != nil {
			t.Errorf("%s: VerifyAAVHMAC = %v, %v; want false, nil", tt.name, ok, err)
		}
	}
}

// TestAAVHMACPANPadding checks the F padding of odd and short PANs against
// an HMAC input written out by hand (payment-crypto.md 6.2: PAN BCD right-padded
// with F to 10 bytes, then AAV bytes 1-15).
func TestAAVHMACPANPadding(t *testing.T) {
	const aav = "8C7CA7FBB6058B511401110000002F3547BA1EFF"
	a, _ := ParseAAV(unhex(t, aav))
	key := []byte("spa key")
	for _, tt := range []struct{ pan, packed string }{
		{"5432109876543", "5432109876543FFFFFFF"},
		{"54321098765432", "54321098765432FFFFFF"},
		{"5432109876543210987", "5432109876543210987F"},
		{"5", "5FFFFFFFFFFFFFFFFFFF"},
	} {
		m := hmac.New(sha1.New, key)
		m.Write(unhex(t, tt.packed+aav[:30]))
		want := m.Sum(nil)[:5]
		have, err := AAVHMAC(key, tt.pan, a)
		if err != nil || !bytes.Equal(have[:], want) {
			t.Errorf("PAN of %d digits: have %X, %v; want %X", len(tt.pan), have, err, want)
		}
	}
}

func TestAAVHMACErrors(t *testing.T) {
	good, _ := ParseAAV(unhex(t, "8C7CA7FBB6058B511401110000002F3547BA1EFF"))
	cvc2 := good
	cvc2.ACSID = 8
	bad := good
	bad.Control = 0x00
	key := []byte{1}
	tests := []struct {
		name string
		key  []byte
		pan  string
		a    AAV
		want error
	}{
		{"empty key", nil, "5432109876543210", good, ErrKey},
		{"empty PAN", key, "", good, ErrPAN},
		{"20-digit PAN", key, "54321098765432109876", good, ErrPAN},
		{"PAN with F", key, "543210987654321F", good, ErrPAN},
		{"CVC2 ACS identifier", key, "5432109876543210", cvc2, ErrAAV},
		{"invalid control byte", key, "5432109876543210", bad, ErrAAV},
	}
	for _, tt := range tests {
		if _, err := AAVHMAC(tt.key, tt.pan, tt.a); !errors.Is(err, tt.want) {
			t.Errorf("%s: AAVHMAC err = %v, want %v", tt.name, err, tt.want)
		}
		if ok, err := VerifyAAVHMAC(tt.key, tt.pan, tt.a); ok || !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyAAVHMAC = %v, %v, want %v", tt.name, ok, err, tt.want)
		}
	}
}

// TestAAVCVC2Vectors checks the pablom/go-cavv CVC2-variant rows with the
// explicit "expiry" and "service code" inputs that source uses.
func TestAAVCVC2Vectors(t *testing.T) {
	for _, v := range loadVectors(t).AAVCVC2 {
		k, err := NewCVKPair(unhex(t, v.KA), unhex(t, v.KB))
		if err != nil {
			t.Fatal(err)
		}
		raw := unhex(t, v.AAV)
		mac, err := k.AAVCVC2(v.PAN, v.Expiry, v.ServiceCode)
		if err != nil || !bytes.Equal(mac[:], raw[15:]) {
			t.Errorf("%s: AAVCVC2 = %X, %v; want %X", v.Source, mac, err, raw[15:])
		}
		if have := hex.EncodeToString(mac[:2])[1:]; have != v.CVC2 {
			t.Errorf("%s: CVC2 digits %s, want %s", v.Source, have, v.CVC2)
		}
		b, err := DecodeAAV(v.AAVBase64)
		if err != nil || !bytes.Equal(b, raw) {
			t.Fatalf("%s: DecodeAAV = %X, %v", v.Source, b, err)
		}
		a, err := ParseAAV(b)
		if err != nil || a.MACKind() != AAVMACCVC2 {
			t.Fatalf("%s: ParseAAV = %+v, %v", v.Source, a, err)
		}
		if ok, err := k.VerifyAAVCVC2(v.PAN, v.Expiry, v.ServiceCode, a); !ok || err != nil {
			t.Errorf("%s: VerifyAAVCVC2 = %v, %v; want true", v.Source, ok, err)
		}
		if ok, err := k.VerifyAAVCVC2(v.PAN, "0048", v.ServiceCode, a); ok || err != nil {
			t.Errorf("%s: VerifyAAVCVC2(other expiry) = %v, %v; want false", v.Source, ok, err)
		}
		if !bytes.Equal(a.Append(nil), raw) {
			t.Errorf("%s: Append does not round-trip", v.Source)
		}
	}
}

func TestAAVCVC2Errors(t *testing.T) {
	k := newCVK(t, "00112233445566778899AABBCCDDEEFF")
	a, _ := ParseAAV(unhex(t, "8C7CA7FBB6058B511408110000002F0439000000"))
	hmacID := a
	hmacID.ACSID = 7
	for _, tt := range []struct {
		name         string
		pan, exp, sc string
		a            AAV
		want         error
	}{
		{"bad PAN", "54321098765432A0", "0047", "140", a, ErrPAN},
		{"bad expiry", "5432109876543210", "047", "140", a, ErrExpiry},
		{"bad service code", "5432109876543210", "0047", "14", a, ErrServiceCode},
		{"HMAC ACS identifier", "5432109876543210", "0047", "140", hmacID, ErrAAV},
	} {
		if ok, err := k.VerifyAAVCVC2(tt.pan, tt.exp, tt.sc, tt.a); ok || !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyAAVCVC2 = %v, %v; want %v", tt.name, ok, err, tt.want)
		}
	}
	// A MAC field whose trailing zero bytes are not zero does not verify.
	a.MAC[4] = 1
	if ok, err := k.VerifyAAVCVC2("5432109876543210", "0047", "140", a); ok || err != nil {
		t.Errorf("non-zero filler: VerifyAAVCVC2 = %v, %v", ok, err)
	}
}

func TestParseAAVRejects(t *testing.T) {
	good := unhex(t, "8C7CA7FBB6058B511401110000002F3547BA1EFF")
	tests := []struct {
		name  string
		edit  func([]byte) []byte
		field string
	}{
		{"19 bytes", func(b []byte) []byte { return b[:19] }, "length"},
		{"21 bytes", func(b []byte) []byte { return append(b, 0) }, "length"},
		{"control byte 00", func(b []byte) []byte { b[0] = 0; return b }, "control byte"},
		{"control byte 8D", func(b []byte) []byte { b[0] = 0x8D; return b }, "control byte"},
		{"ACS identifier 16", func(b []byte) []byte { b[9] = 16; return b }, "ACS identifier"},
		{"ACS identifier FF", func(b []byte) []byte { b[9] = 0xFF; return b }, "ACS identifier"},
		{"authentication method 4", func(b []byte) []byte { b[10] = 0x41; return b }, "authentication method"},
	}
	for _, tt := range tests {
		a, err := ParseAAV(tt.edit(bytes.Clone(good)))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ErrAAV) || errors.Is(err, ErrCAVV) {
			t.Errorf("%s: ParseAAV error %v; want an AAV *FieldError for %q", tt.name, err, tt.field)
		}
		if a != (AAV{}) || !strings.HasPrefix(err.Error(), "card: AAV ") {
			t.Errorf("%s: ParseAAV returned %+v, %q", tt.name, a, err)
		}
	}
	for _, s := range []string{"", "jHyn+7YFi1EUAREAAAAvNUe6Hv", "jHyn+7YFi1EUAREAAAAvNUe6Hv8==", "8C7CA7FBB6058B511401110000002F3547BA1EF"} {
		if b, err := DecodeAAV(s); b != nil || !errors.Is(err, ErrAAV) {
			t.Errorf("DecodeAAV(%q) = %X, %v; want an error", s, b, err)
		}
	}
	// Attempts AAVs (86, method 0) and every BIN key id parse and round-trip.
	b := bytes.Clone(good)
	b[0], b[9], b[10] = AAVControlAttempts, 15, 0x0F
	if a, err := ParseAAV(b); err != nil || !bytes.Equal(a.Append(nil), b) || a.BINKeyID != 15 || a.AuthMethod != 0 {
		t.Errorf("attempts AAV: %+v, %v", a, err)
	}
}

func TestAAVMACKind(t *testing.T) {
	for id, want := range map[byte]AAVMACKind{0: AAVMACHMAC, 7: AAVMACHMAC, 8: AAVMACCVC2, 15: AAVMACCVC2, 16: 0, 255: 0} {
		if have := (AAV{ACSID: id}).MACKind(); have != want {
			t.Errorf("ACS id %d: MACKind = %d, want %d", id, have, want)
		}
	}
	// An invalid AAV is refused before the ACS identifier is looked at.
	k := newCVK(t, "00112233445566778899AABBCCDDEEFF")
	if ok, err := k.VerifyAAVCVC2("5432109876543210", "0047", "140", AAV{ACSID: 8}); ok || !errors.Is(err, ErrAAV) {
		t.Errorf("zero control byte: VerifyAAVCVC2 = %v, %v", ok, err)
	}
}

func TestAAVAppendPanicsOnInvalid(t *testing.T) {
	for _, a := range []AAV{{}, {Control: 0x8C, BINKeyID: 16}, {Control: 0x8C, ACSID: 16}, {Control: 0x86, AuthMethod: 4}} {
		func() {
			defer func() {
				if r, _ := recover().(string); !strings.HasPrefix(r, "card: AAV.Append of an invalid AAV") {
					t.Errorf("Append(%+v) did not panic as documented: %q", a, r)
				}
			}()
			a.Append(nil)
		}()
	}
}
