package iso8583

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/emv"
)

// authMessage is a 0100 with the fields an authorisation's cryptography
// needs: PAN, track 2, PIN data, ICC data (with an unknown tag DF01 placed
// first, which must survive), plus secondary-bitmap field 100.
func authMessage() *Message {
	m := NewMessage("0100")
	m.SetString(2, "4761739001010119")
	m.SetString(3, "000000")
	m.SetString(4, "000000001000")
	m.SetString(11, "000001")
	m.SetString(22, "051")
	m.SetString(23, "001")
	m.SetString(35, "4761739001010119D2212201123456789")
	m.SetString(41, "TERM0001")
	m.SetString(49, "978")
	m.Set(52, []byte{0x04, 0x12, 0x61, 0xAA, 0xAA, 0xED, 0xCB, 0xA9})
	icc, _ := hex.DecodeString("DF0103010203" + "9F02060000000010009F3602001C" + "9F1007060112039000009F2608" + "0102030405060708")
	m.Set(55, icc)
	m.SetString(100, "12345")
	return m
}

// TestShippedSpecsRoundTrip packs the same message with both shipped
// specs: each unpacks to the same values and packs back byte for byte, and
// a message unpacked with one spec packs with the other.
func TestShippedSpecsRoundTrip(t *testing.T) {
	m := authMessage()
	packed := map[string][]byte{}
	for _, name := range Names() {
		s, ok := Lookup(name)
		if !ok {
			t.Fatalf("Lookup(%s)", name)
		}
		b, err := m.Pack(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		packed[name] = b
		u, err := Unpack(s, b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(u.Numbers(), m.Numbers()) {
			t.Fatalf("%s: fields %v, want %v", name, u.Numbers(), m.Numbers())
		}
		for _, n := range m.Numbers() {
			want, _ := m.Field(n)
			if have, _ := u.Field(n); !bytes.Equal(have, want) {
				t.Errorf("%s field %d changed", name, n)
			}
		}
		again, err := u.Pack(s)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%s: repack differs (%v)", name, err)
		}
		tlvs, _ := emv.ParseTLV(mustField(u, 55))
		if len(tlvs) != 5 || tlvs[0].Tag != 0xDF01 {
			t.Fatalf("%s: field 55 lost its unknown tag or order: %d objects", name, len(tlvs))
		}
	}
	// The binary form is shorter and starts with a BCD MTI and binary bitmap.
	a, b := packed[ISO87ASCII], packed[ISO87Binary]
	if len(b) >= len(a) || !bytes.Equal(b[:3], []byte{0x01, 0x00, 0xF0}) || string(a[:5]) != "0100F" {
		t.Fatalf("forms: ascii %X..., binary %X...", a[:6], b[:6])
	}
	// Cross: unpack the ASCII form, pack it in the binary form.
	sa, _ := Lookup(ISO87ASCII)
	sb, _ := Lookup(ISO87Binary)
	u, _ := Unpack(sa, a)
	cross, err := u.Pack(sb)
	if err != nil || !bytes.Equal(cross, b) {
		t.Fatalf("cross pack: %v", err)
	}
}

func mustField(m *Message, n int) []byte {
	v, _ := m.Field(n)
	return v
}

// TestBinaryForms checks the BCD details of the binary spec on known bytes:
// odd-length track 2 (F fill, D separator), BCD LL, MTI and bitmap.
func TestBinaryForms(t *testing.T) {
	s, _ := Lookup(ISO87Binary)
	m := NewMessage("0200")
	m.SetString(2, "123456789012345")
	m.SetString(35, "1234D25121010")
	m.SetString(4, "1000")
	b, err := m.Pack(s)
	if err != nil {
		t.Fatal(err)
	}
	// MTI 0200; bitmap: bits 2, 4, 35; PAN LL=15 then 0-led BCD; amount
	// 12 digits; track 2 LL=13, left-aligned with F fill.
	want := "0200" + "5000000020000000" + "15" + "0123456789012345" + "000000001000" + "13" + "1234D25121010F"
	if got := strings.ToUpper(hex.EncodeToString(b)); got != want {
		t.Fatalf("have %s\nwant %s", got, want)
	}
	u, err := Unpack(s, b)
	if err != nil {
		t.Fatal(err)
	}
	if u.FieldString(35) != "1234D25121010" || u.FieldString(4) != "000000001000" {
		t.Fatalf("unpacked %q %q", u.FieldString(35), u.FieldString(4))
	}
}

// TestSpecJSON checks that the shipped specs survive a JSON round trip and
// that ParseSpec refuses what it cannot pack with, naming the field.
func TestSpecJSON(t *testing.T) {
	for _, name := range Names() {
		s, _ := Lookup(name)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParseSpec(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(p, s) {
			t.Fatalf("%s: JSON round trip changed the spec", name)
		}
	}
	bad := []struct{ spec, want string }{
		{`{"name":"x","mtiEncoding":"ebcdic","bitmapEncoding":"hex","fields":{"2":{"type":"n","length":2,"encoding":"ascii"}}}`, "field 0: "},
		{`{"name":"x","mtiEncoding":"ascii","bitmapEncoding":"hex","fields":{"65":{"type":"n","length":2,"encoding":"ascii"}}}`, "field 65: "},
		{`{"name":"x","mtiEncoding":"ascii","bitmapEncoding":"hex","fields":{"52":{"type":"b","length":8,"encoding":"bcd"}}}`, "field 52: "},
		{`{"name":"x","mtiEncoding":"ascii","bitmapEncoding":"hex","fields":{"2":{"type":"n","length":100,"prefix":"LL","lengthEncoding":"ascii","encoding":"ascii"}}}`, "field 2: "},
		{`{"name":"x","mtiEncoding":"ascii","bitmapEncoding":"hex","fields":{"3":{"type":"an","length":3,"encoding":"ascii","tlv":true}}}`, "field 3: "},
		{`{"name":"x","mtiEncoding":"ascii","bitmapEncoding":"hex","fields":{"3":{"type":"n","length":3,"encoding":"ascii","padLeft":"x"}}}`, "field 3: "},
		{`{"name":"x","mtiEncoding":"ascii","bitmapEncoding":"hex","fields":{"3":{"type":"n","length":3,"encoding":"ascii","colour":"red"}}}`, "unknown field"},
	}
	for _, c := range bad {
		if _, err := ParseSpec([]byte(c.spec)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.spec, err, c.want)
		}
	}
}

// TestUnpackErrors feeds malformed messages to Unpack: each is an error
// naming the right field and kind, never a panic, and never carries data.
func TestUnpackErrors(t *testing.T) {
	s, _ := Lookup(ISO87ASCII)
	good, err := authMessage().Pack(s)
	if err != nil {
		t.Fatal(err)
	}
	// Field offsets in good: MTI 4, bitmaps 32, then field 2 "16" + PAN.
	cases := []struct {
		name  string
		msg   string
		field int
		err   error
	}{
		{"empty", "", 0, ErrTruncated},
		{"MTI not digits", "01A0", 0, ErrMTI},
		{"no bitmap", "0100", 1, ErrTruncated},
		{"bitmap not hex", "0100X000000000000000", 1, ErrBitmap},
		{"secondary bitmap cut short", "0100C000000000000000" + "0000", 1, ErrTruncated},
		{"secondary bitmap zero", "0100C000000000000000" + "0000000000000000", 1, ErrBitmap},
		{"field not in spec", "0100" + "8000000000000000" + "0000000000000000" + "0", 1, ErrBitmap},
		{"tertiary flag without tertiary fields", "0100" + "8000000000000000" + "8000000000000000" + "8000000000000000", 129, ErrUnknownField},
		{"length prefix cut short", "0100" + "4000000000000000" + "1", 2, ErrTruncated},
		{"length prefix not digits", "0100" + "4000000000000000" + "1X", 2, ErrLength},
		{"length over maximum", "0100" + "4000000000000000" + "20" + "12345678901234567890", 2, ErrLength},
		{"length past the end", "0100" + "4000000000000000" + "16" + "1234", 2, ErrTruncated},
		{"numeric with a letter", "0100" + "4000000000000000" + "04" + "12A4", 2, ErrCharacter},
		{"fixed field cut short", "0100" + "2000000000000000" + "0000", 3, ErrTruncated},
		{"PIN data not hex", "0100" + "0000000000001000" + "0412ZZAAEDCBA9XX", 52, ErrCharacter},
		{"TLV overruns", "0100" + "0000000000000200" + "005" + "\x9f\x02\x06\x00\x00", 55, ErrTLV},
		{"trailing data", "0100" + "2000000000000000" + "000000" + "XY", -1, ErrTrailing},
		{"whole good message cut", string(good[:len(good)-3]), 100, ErrTruncated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Unpack(s, []byte(c.msg))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FieldError", err, err)
			}
			if fe.Field != c.field || !errors.Is(err, c.err) {
				t.Fatalf("error %q: field %d, want field %d and %v", err, fe.Field, c.field, c.err)
			}
			if strings.Contains(err.Error(), "1234") || strings.Contains(err.Error(), "4761") {
				t.Fatalf("error carries data: %q", err)
			}
		})
	}
}

// TestPackErrors checks values that do not fit the spec.
func TestPackErrors(t *testing.T) {
	s, _ := Lookup(ISO87ASCII)
	cases := []struct {
		name  string
		set   func(m *Message)
		field int
		err   error
	}{
		{"PAN too long", func(m *Message) { m.SetString(2, "12345678901234567890") }, 2, ErrLength},
		{"PAN not digits", func(m *Message) { m.SetString(2, "4111x111") }, 2, ErrCharacter},
		{"PIN data short", func(m *Message) { m.Set(52, []byte{1, 2, 3}) }, 52, ErrLength},
		{"field not in spec", func(m *Message) { m.SetString(150, "1") }, 150, ErrUnknownField},
		{"bitmap flag as a field", func(m *Message) { m.SetString(65, "1") }, 65, ErrUnknownField},
		{"bad TLV", func(m *Message) { m.Set(55, []byte{0x9F, 0x02, 0x06, 0x00}) }, 55, ErrTLV},
		{"fixed text too short", func(m *Message) { m.SetString(41, "T1") }, 41, ErrLength},
		{"track 2 with a letter", func(m *Message) { m.SetString(35, "4111Z") }, 35, ErrCharacter},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := NewMessage("0100")
			c.set(m)
			_, err := m.Pack(s)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, c.err) {
				t.Fatalf("error %v, want field %d and %v", err, c.field, c.err)
			}
		})
	}
	if _, err := NewMessage("100").Pack(s); !errors.Is(err, ErrMTI) {
		t.Fatalf("3-digit MTI: %v", err)
	}
}

func TestParseTrack2(t *testing.T) {
	// moov-io/iso8583 field/track2_test.go style values.
	good := []struct {
		in   string
		want Track2
	}{
		{"4000340000000506=2512111123400001230", Track2{"4000340000000506", '=', "2512", "111", "123400001230"}},
		{"4761739001010119D22122011758928889F", Track2{"4761739001010119", 'D', "2212", "201", "1758928889"}},
		{"1234D2512101", Track2{"1234", 'D', "2512", "101", ""}},
	}
	for _, c := range good {
		got, err := ParseTrack2([]byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("%s: %+v %v", c.in, got, err)
		}
	}
	for _, in := range []string{"", "D2512101", "12345678901234567890D2512101", "1234D251210", "1234D25A2101", "12X4D2512101", "1234D2512101?"} {
		if _, err := ParseTrack2([]byte(in)); !errors.Is(err, ErrTrack2) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// TestDescribeMasks checks that the listing masks PAN, track 2, PIN data
// and the cryptogram unless reveal, and shows them with reveal.
func TestDescribeMasks(t *testing.T) {
	s, _ := Lookup(ISO87ASCII)
	m := authMessage()
	var b bytes.Buffer
	if err := Describe(&b, s, m, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, secret := range []string{"4761739001010119", "2212201", "041261AAAAEDCBA9", "0102030405060708"} {
		if strings.Contains(out, secret) {
			t.Fatalf("masked listing shows %s:\n%s", secret, out)
		}
	}
	for _, shown := range []string{"476173******0119", "F2 ", "DF01 010203", "9F36 001C", "F100"} {
		if !strings.Contains(out, shown) {
			t.Fatalf("listing lacks %q:\n%s", shown, out)
		}
	}
	b.Reset()
	Describe(&b, s, m, true)
	for _, secret := range []string{"4761739001010119", "4761739001010119D2212201123456789", "041261AAAAEDCBA9", "9F26 0102030405060708"} {
		if !strings.Contains(b.String(), secret) {
			t.Fatalf("revealed listing lacks %s:\n%s", secret, b.String())
		}
	}
}

// TestLengthPrefixes checks each length form on known bytes, and that
// Unpack reads it back.
func TestLengthPrefixes(t *testing.T) {
	cases := []struct {
		field string // the JSON declaration of field 2
		value string
		want  string // field 2 as packed, hex
	}{
		{`{"type":"ans","length":99,"prefix":"LL","lengthEncoding":"ascii","encoding":"ascii"}`, "abc", "3033" + "616263"},
		{`{"type":"ans","length":999,"prefix":"LLL","lengthEncoding":"ascii","encoding":"ascii"}`, "abc", "303033" + "616263"},
		{`{"type":"ans","length":9999,"prefix":"LLLL","lengthEncoding":"ascii","encoding":"ascii"}`, "ab", "30303032" + "6162"},
		{`{"type":"ans","length":9,"prefix":"L","lengthEncoding":"ascii","encoding":"ascii"}`, "ab", "32" + "6162"},
		{`{"type":"ans","length":99,"prefix":"LL","lengthEncoding":"bcd","encoding":"ascii"}`, "abc", "03" + "616263"},
		{`{"type":"ans","length":999,"prefix":"LLL","lengthEncoding":"bcd","encoding":"ascii"}`, strings.Repeat("x", 123), "0123" + strings.Repeat("78", 123)},
		{`{"type":"b","length":255,"prefix":"L","lengthEncoding":"binary","encoding":"binary"}`, "\x01\x02", "02" + "0102"},
		{`{"type":"b","length":999,"prefix":"LL","lengthEncoding":"binary","encoding":"binary"}`, strings.Repeat("\xAA", 300), "012C" + strings.Repeat("AA", 300)},
		{`{"type":"b","length":8,"prefix":"LL","lengthEncoding":"ascii","encoding":"hex"}`, "\x01\xAB", "3032" + hex.EncodeToString([]byte("01AB"))},
		{`{"type":"n","length":19,"prefix":"LL","lengthEncoding":"bcd","encoding":"lbcd"}`, "123", "03" + "1230"},
		{`{"type":"n","length":5,"encoding":"bcd","padLeft":"0"}`, "12", "000012"},
		{`{"type":"an","length":5,"encoding":"ascii","padRight":" "}`, "ab", "6162202020"},
	}
	for _, c := range cases {
		s, err := ParseSpec([]byte(`{"name":"t","mtiEncoding":"ascii","bitmapEncoding":"binary","fields":{"2":` + c.field + `}}`))
		if err != nil {
			t.Fatalf("%s: %v", c.field, err)
		}
		m := NewMessage("0100")
		m.SetString(2, c.value)
		b, err := m.Pack(s)
		if err != nil {
			t.Fatalf("%s: %v", c.field, err)
		}
		if got := strings.ToUpper(hex.EncodeToString(b[12:])); got != strings.ToUpper(c.want) {
			t.Errorf("%s:\nhave %s\nwant %s", c.field, got, strings.ToUpper(c.want))
			continue
		}
		u, err := Unpack(s, b)
		if err != nil {
			t.Fatalf("%s: unpack: %v", c.field, err)
		}
		if v := u.FieldString(2); strings.TrimSpace(strings.TrimLeft(v, "0")) != strings.TrimLeft(c.value, "0") && v != c.value {
			t.Errorf("%s: unpacked %q", c.field, v)
		}
	}
}
